/* A message that carries a password leaves no copy of it in freed memory
 * (agent/notify/message.c, agent/text/template.c, agent/text/mime.c): the
 * rendered subject and body, the filters applied to {password} and the
 * message itself are secret buffers. Every block freed or given to realloc
 * is searched for the password (freecheck.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/notify/message.h"
#include "agent/text/template.h"
#include "tests/unit/columns.h"
#include "tests/unit/freecheck.h"

#define PASSWORD "Hk4#pw-marker-9Tz"

static struct tmpl *compile(const char *src)
{
	struct tmpl_spec spec = {TMPL_TEXT, TB_BIT(TB_FIRST_NAME) | TB_BIT(TB_PASSWORD), 1, column_slot, NULL};
	struct tmpl_error err;
	struct tmpl *t = NULL;

	memset(&err, 0, sizeof err);
	if (tmpl_compile(src, &spec, &t, &err) != 0)
		fail_msg("\"%s\" does not compile: %s", src, err.msg);
	return t;
}

static void message_leaves_no_password_behind(void **state)
{
	struct msg_template t = {"built-in:password", NULL, NULL, NULL};
	struct message_headers h = {"Example IT <it@example.com>", NULL, "Ann Example", "ann@example.com",
				    "20261121T101500Z-3f9a.0.password@example.com", 1795256100};
	struct tmpl_env env;
	struct buf body = BUF_INIT, out = BUF_SECRET_INIT;
	struct diag d;
	int i;

	(void)state;
	/* A body long enough for every buffer on the way to grow, with the
	 * password as it is and through filters. */
	buf_adds(&body, "Hello {first_name},\n\nyour password: {password}\nin capitals: {password|upper}\n"
			"in small letters: {password|lower}\nas ASCII: {password|ascii}\n");
	for (i = 0; i < 100; i++)
		buf_adds(&body, "A line of text that the message carries along, to make it long.\n");
	t.subject = compile("Your password, {first_name}");
	t.body = compile(buf_str(&body));
	buf_release(&body);
	memset(&env, 0, sizeof env);
	env.builtins[TB_FIRST_NAME] = "Ann";
	env.builtins[TB_PASSWORD] = PASSWORD;
	diag_init(&d);

	freecheck_watch(PASSWORD);
	assert_int_equal(message_build(&t, &env, &h, &out, &d), 0);
	assert_non_null(strstr(buf_str(&out), "your password: " PASSWORD));
	buf_release(&out);
	assert_int_equal(freecheck_leaks(), 0);
	/* Upper case: the filter's buffers. */
	freecheck_watch("HK4#PW-MARKER-9TZ");
	assert_int_equal(message_build(&t, &env, &h, &out, &d), 0);
	buf_release(&out);
	assert_int_equal(freecheck_leaks(), 0);
	freecheck_watch(NULL);
	tmpl_free(t.subject);
	tmpl_free(t.body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(message_leaves_no_password_behind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

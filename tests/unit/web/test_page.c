/* Unit tests for agent/web/page.c: the set-password page's language, its
 * escaping and accessibility promises, and the decoding of the form's
 * answer. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agent/web/page.h"

static void test_language(void **state)
{
	(void)state;
	assert_string_equal(page_language("de_DE", "fr"), "de");
	assert_string_equal(page_language("fr", NULL), "fr");
	assert_string_equal(page_language(NULL, "fr-CH, de;q=0.5"), "fr");
	assert_string_equal(page_language(NULL, "es-ES,es;q=0.9,DE-at;q=0.8"), "de");
	assert_string_equal(page_language("", "xx, yy"), "en");
	assert_string_equal(page_language("es_ES", NULL), "en");
	assert_string_equal(page_language(NULL, NULL), "en");
	/* "de" must be a whole language tag, not the start of one. */
	assert_string_equal(page_language("dex", "frx"), "en");
}

static void test_form_escapes(void **state)
{
	struct page p = {PAGE_FORM, PERR_NONE, "en", "a\"><script>x</script>", "set-password", "7 December 2026, 14:05 UTC",
			 NULL, 12, 3};
	struct buf b = BUF_INIT;

	(void)state;
	page_render(&p, &b);
	assert_false(b.failed);
	assert_non_null(strstr(buf_str(&b), "<html lang=\"en\">"));
	assert_null(strstr(buf_str(&b), "<script>"));
	assert_non_null(strstr(buf_str(&b), "value=\"a&quot;&gt;&lt;script&gt;x&lt;/script&gt;\""));
	assert_non_null(strstr(buf_str(&b), "<label for=\"password\">New password</label>"));
	assert_non_null(strstr(buf_str(&b), "autocomplete=\"new-password\""));
	assert_non_null(strstr(buf_str(&b), "At least 12 characters. Use at least 3 of:"));
	assert_non_null(strstr(buf_str(&b), "until 7 December 2026, 14:05 UTC"));
	/* No error: no alert, no field marked invalid. */
	assert_null(strstr(buf_str(&b), "role=\"alert\""));
	assert_null(strstr(buf_str(&b), "aria-invalid"));
	buf_release(&b);
}

static void test_form_error(void **state)
{
	struct page p = {PAGE_FORM, PERR_HISTORY, "fr", "tok", "./", NULL, NULL, 0, 0};
	struct buf b = BUF_INIT;
	const char *html, *alert, *form;

	(void)state;
	page_render(&p, &b);
	html = buf_str(&b);
	alert = strstr(html, "role=\"alert\"");
	form = strstr(html, "<form");
	assert_non_null(alert);
	assert_non_null(form);
	assert_true(alert < form); /* the summary comes first */
	assert_non_null(strstr(html, "Vous avez déjà utilisé ce mot de passe"));
	assert_non_null(strstr(html, "aria-invalid=\"true\""));
	assert_non_null(strstr(html, "action=\"./\""));
	assert_null(strstr(html, "Au moins")); /* no hint without a policy */
	buf_release(&b);
}

static void test_outcome_pages(void **state)
{
	struct page used = {PAGE_USED, PERR_NONE, "de", NULL, NULL, NULL, "https://portal.example.com/?a=1&b=2", 0, 0};
	struct page expired = {PAGE_EXPIRED, PERR_NONE, "en", NULL, NULL, "3 May 2027, 09:00 UTC", NULL, 0, 0};
	struct page done = {PAGE_DONE, PERR_NONE, "en", NULL, NULL, NULL, NULL, 0, 0};
	struct buf b = BUF_INIT;

	(void)state;
	page_render(&used, &b);
	assert_non_null(strstr(buf_str(&b), "Dieser Link wurde bereits verwendet"));
	assert_non_null(strstr(buf_str(&b), "href=\"https://portal.example.com/?a=1&amp;b=2\""));
	assert_null(strstr(buf_str(&b), "<form"));
	buf_reset(&b);
	page_render(&expired, &b);
	assert_non_null(strstr(buf_str(&b), "It worked until 3 May 2027, 09:00 UTC."));
	buf_reset(&b);
	page_render(&done, &b);
	assert_non_null(strstr(buf_str(&b), "sign in with your username and your new password."));
	assert_null(strstr(buf_str(&b), "<a "));
	buf_release(&b);
}

static int value(const char *body, const char *name, char *out, size_t size)
{
	struct buf b = BUF_SECRET_INIT;
	int rc = form_value(body, strlen(body), name, &b);

	snprintf(out, size, "%s", buf_str(&b));
	buf_release(&b);
	return rc;
}

static void test_form_value(void **state)
{
	char v[128];

	(void)state;
	assert_int_equal(value("token=abc&password=p%C3%A4ss+w%2Bord%26&confirm=", "password", v, sizeof v), 1);
	assert_string_equal(v, "päss w+ord&");
	assert_int_equal(value("token=abc&password=x&confirm=", "confirm", v, sizeof v), 1);
	assert_string_equal(v, "");
	assert_int_equal(value("token=abc", "password", v, sizeof v), 0);
	assert_int_equal(value("xtoken=1&tokenx=2", "token", v, sizeof v), 0);
	/* Twice, badly encoded, not UTF-8, a NUL: refused. */
	assert_int_equal(value("password=a&password=b", "password", v, sizeof v), -1);
	assert_int_equal(value("password=%4", "password", v, sizeof v), -1);
	assert_int_equal(value("password=%zz", "password", v, sizeof v), -1);
	assert_int_equal(value("password=%FF", "password", v, sizeof v), -1);
	assert_int_equal(value("password=a%00b", "password", v, sizeof v), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_language),    cmocka_unit_test(test_form_escapes),
		cmocka_unit_test(test_form_error),  cmocka_unit_test(test_outcome_pages),
		cmocka_unit_test(test_form_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

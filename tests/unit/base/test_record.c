/* Unit tests for agent/base/record.c: entries set in one go keep every
 * value, share what equals the previous entry's (shapes, names, single
 * values, whole value arrays) and, while asked to, the DNs of other
 * entries; cut values at a NUL, and are found by name without case. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/base/arena.h"
#include "agent/base/record.h"

#define IN(name, ...)                                                                                          \
	{                                                                                                      \
		name, sizeof name - 1, (const char *const[]){__VA_ARGS__}, NULL,                               \
			sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)                      \
	}

/* Fills the lengths of in from its values. */
static void lengths(struct entry_attr_in *in, size_t n, size_t lens[][8])
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = 0; k < in[i].n; k++)
			lens[i][k] = strlen(in[i].values[k]);
		in[i].lens = lens[i];
	}
}

static void sharing(void **state)
{
	struct arena a;
	struct entry_list l;
	struct entry *e1, *e2, *e3;
	struct entry_attr_in p1[] = {IN("objectClass", "inetOrgPerson", "person", "top"), IN("cn", "Ann Lee"),
				     IN("pwdPolicySubentry", "cn=portal,ou=policies,dc=example,dc=com")};
	struct entry_attr_in p2[] = {IN("objectClass", "inetOrgPerson", "person", "top"), IN("cn", "Bob Ray"),
				     IN("pwdPolicySubentry", "cn=portal,ou=policies,dc=example,dc=com")};
	/* Another order, another objectClass list that starts alike. */
	struct entry_attr_in p3[] = {IN("cn", "Bob Ray"), IN("objectClass", "inetOrgPerson", "person"),
				     IN("mail", "cy@example.com")};
	size_t lens1[3][8], lens2[3][8], lens3[3][8];

	(void)state;
	arena_init(&a);
	entry_list_init(&l, &a);
	lengths(p1, 3, lens1);
	lengths(p2, 3, lens2);
	lengths(p3, 3, lens3);
	e1 = entry_list_add(&l, "uid=ann,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e1, p1, 3), 0);
	e2 = entry_list_add(&l, "uid=bob,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e2, p2, 3), 0);
	e1 = &l.v[0]; /* the list may have moved */
	assert_string_equal(entry_first(e2, "CN"), "Bob Ray");
	assert_true(entry_has_value(e2, "objectclass", "person", 0));
	/* The same names, the same objectClass array, the same policy DN. */
	assert_ptr_equal(e1->shape, e2->shape);
	assert_int_equal(l.n_shapes, 1);
	assert_ptr_equal(entry_attr(e1, "objectClass").values, entry_attr(e2, "objectClass").values);
	assert_ptr_equal(entry_first(e1, "pwdPolicySubentry"), entry_first(e2, "pwdPolicySubentry"));
	assert_ptr_not_equal(entry_first(e1, "cn"), entry_first(e2, "cn"));
	assert_int_equal(l.shared, 4);

	e3 = entry_list_add(&l, "uid=cy,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e3, p3, 3), 0);
	e2 = &l.v[1];
	assert_int_equal(entry_n_attrs(e3), 3);
	assert_int_equal(l.n_shapes, 2);
	assert_ptr_equal(entry_attr(e3, "cn").name, entry_attr(e2, "cn").name); /* one copy of a name */
	assert_string_equal(entry_attr(e3, "objectClass").values[1], "person");
	assert_int_equal(entry_attr(e3, "objectClass").n, 2);
	assert_ptr_equal(entry_attr(e3, "objectClass").values[0], entry_attr(e2, "objectClass").values[0]);
	assert_ptr_equal(entry_first(e3, "cn"), entry_first(e2, "cn")); /* same value, other position */
	assert_string_equal(entry_first(e3, "mail"), "cy@example.com");
	assert_null(entry_first(e3, "pwdPolicySubentry"));
	entry_list_release(&l);
	arena_release(&a);
}

static void nul_and_empty(void **state)
{
	struct arena a;
	struct entry_list l;
	struct entry *e;
	const char *vals[] = {"ab\0cd", "x"};
	size_t lens[] = {5, 1};
	struct entry_attr_in in[] = {{"description", 11, vals, lens, 2}, {"member", 6, NULL, NULL, 0}};

	(void)state;
	arena_init(&a);
	entry_list_init(&l, &a);
	e = entry_list_add(&l, "cn=g,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e, in, 2), 0);
	assert_string_equal(entry_first(e, "description"), "ab");
	assert_int_equal(entry_attr(e, "member").n, 0);
	assert_non_null(entry_attr(e, "member").name);
	assert_null(entry_attr(e, "uid").name);
	assert_null(entry_first(e, "member"));
	/* The next entry's "ab\0zz" is "ab" too: shared. */
	vals[0] = "ab\0zz";
	e = entry_list_add(&l, "cn=h,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e, in, 2), 0);
	assert_ptr_equal(entry_attr(&l.v[0], "description").values, entry_attr(&l.v[1], "description").values);
	entry_list_release(&l);
	arena_release(&a);
}

/* With sharing on, a member value and the entry it names are one string,
 * whichever comes first; other values and a DN in another case are not
 * taken for it. */
static void shared_dns(void **state)
{
	struct arena a;
	struct entry_list l;
	struct entry *e;
	const char *ann = "uid=ann,ou=acme,dc=example,dc=com", *bob = "uid=bob,ou=acme,dc=example,dc=com";
	struct entry_attr_in group[] = {IN("member", "uid=ann,ou=acme,dc=example,dc=com",
					   "uid=bob,ou=acme,dc=example,dc=com", "uid=Cy,ou=acme,dc=example,dc=com")};
	struct entry_attr_in person[] = {IN("cn", "uid=bob,ou=acme,dc=example,dc=com")};
	size_t glens[1][8], plens[1][8];

	(void)state;
	arena_init(&a);
	entry_list_init(&l, &a);
	lengths(group, 1, glens);
	lengths(person, 1, plens);
	entry_list_share_dns(&l, 1);
	assert_non_null(entry_list_add(&l, ann));
	e = entry_list_add(&l, "cn=staff,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e, group, 1), 0);
	assert_non_null(entry_list_add(&l, bob));
	assert_non_null(entry_list_add(&l, "uid=cy,ou=acme,dc=example,dc=com"));
	e = entry_list_add(&l, "uid=dee,ou=acme,dc=example,dc=com");
	assert_int_equal(entry_set_attrs(&l, e, person, 1), 0);
	entry_list_share_dns(&l, 0);
	assert_non_null(entry_list_add(&l, ann));

	/* The group after ann, before bob. */
	assert_ptr_equal(entry_attr(&l.v[1], "member").values[0], l.v[0].dn);
	assert_ptr_equal(entry_attr(&l.v[1], "member").values[1], l.v[2].dn);
	/* Sharing is exact: "uid=Cy" is not "uid=cy". */
	assert_ptr_not_equal(entry_attr(&l.v[1], "member").values[2], l.v[3].dn);
	assert_string_equal(entry_attr(&l.v[1], "member").values[2], "uid=Cy,ou=acme,dc=example,dc=com");
	/* A value with '=' is shared too; sharing ended before the last. */
	assert_ptr_equal(entry_first(&l.v[4], "cn"), l.v[2].dn);
	assert_ptr_not_equal(l.v[5].dn, l.v[0].dn);
	assert_string_equal(l.v[5].dn, ann);
	assert_null(l.dn_strings);
	entry_list_release(&l);
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sharing),
		cmocka_unit_test(nul_and_empty),
		cmocka_unit_test(shared_dns),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

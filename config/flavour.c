#include "config/flavour.h"

#include <stddef.h>
#include <string.h>

const struct flavour flavour_openldap = {
	.name = "openldap",
	.lock_kind = LOCK_VALUE,
	.lock_attr = "pwdAccountLockedTime",
	.lock_value = "000001010000Z", /* the ppolicy lock that never expires */
	.password_attr = "userPassword",
	.password_kind = PASSWORD_HASHED,
	.person_class = "inetOrgPerson",
	.group_class = "groupOfNames",
	.must_change_attr = "pwdReset",
	.must_change_value = "TRUE",
	.policy_subentry = 1,
	.verify_attr = "pwdReset",
	.verify_value = "TRUE",
	.assertion_control = 1,
	.rootdse_attr = "objectClass",
	.rootdse_value = "OpenLDAProotDSE",
};

const struct flavour flavour_389ds = {
	.name = "389ds",
	.lock_kind = LOCK_VALUE,
	.lock_attr = "nsAccountLock",
	.lock_value = "true",
	.password_attr = "userPassword",
	.password_kind = PASSWORD_HASHED,
	.person_class = "inetOrgPerson",
	.group_class = "groupOfNames",
	/* passwordMustChange: on makes the server expire every password an
	 * administrator sets; a client's pwdReset is ignored. */
	.must_change_attr = NULL,
	.must_change_value = NULL,
	.policy_subentry = 0,
	.verify_attr = "passwordExpirationTime",
	.verify_value = "19700101000000Z",
	.assertion_control = 0,
	.rootdse_attr = "vendorName",
	.rootdse_value = "389 Project",
};

/* A normal account (0x200) that is enabled: with the password and
 * pwdLastSet 0 in the same add, the account can log in once the password
 * is changed. */
static const char *const ad_create_extra[] = {"userAccountControl", "512", NULL};

const struct flavour flavour_ad = {
	.name = "ad",
	.lock_kind = LOCK_UAC_BIT,
	.lock_attr = "userAccountControl",
	.lock_value = NULL,
	.password_attr = "unicodePwd",
	.password_kind = PASSWORD_UNICODEPWD,
	.create_extra = ad_create_extra,
	.person_class = "user",
	.group_class = "group",
	.must_change_attr = "pwdLastSet",
	.must_change_value = "0",
	.policy_subentry = 0,
	.verify_attr = "pwdLastSet",
	.verify_value = "0",
	.assertion_control = 0,
	.tls_required = 1,        /* unicodePwd is written over TLS only */
	.max_page_size = 1000,    /* Active Directory's MaxPageSize */
	.rootdse_attr = "supportedCapabilities",
	.rootdse_value = "1.2.840.113556.1.4.800", /* LDAP_CAP_ACTIVE_DIRECTORY_OID */
};

const char *const flavour_names[] = {"openldap", "389ds", "ad", NULL};

const struct flavour *flavour_by_name(const char *name)
{
	static const struct flavour *const all[] = {&flavour_openldap, &flavour_389ds, &flavour_ad};
	size_t i;

	for (i = 0; i < sizeof all / sizeof *all; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

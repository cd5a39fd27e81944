#include "config/flavour.h"

#include <stddef.h>
#include <string.h>

const struct flavour flavour_openldap = {
	.name = "openldap",
	.lock_attr = "pwdAccountLockedTime",
	.lock_value = "000001010000Z", /* the ppolicy lock that never expires */
	.password_attr = "userPassword",
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
	.lock_attr = "nsAccountLock",
	.lock_value = "true",
	.password_attr = "userPassword",
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

const char *const flavour_names[] = {"openldap", "389ds", NULL};

const struct flavour *flavour_by_name(const char *name)
{
	static const struct flavour *const all[] = {&flavour_openldap, &flavour_389ds};
	size_t i;

	for (i = 0; i < sizeof all / sizeof *all; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}

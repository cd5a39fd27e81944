/* What differs between the directory servers ldapenroll writes to, as data:
 * one const table per flavour (directory.flavor). The planner, the engine
 * and the checks ask the table; no code branches on a flavour's name.
 *
 *   openldap  slapd with the ppolicy overlay: the client writes pwdReset
 *             and pwdPolicySubentry with the password; disabled is
 *             pwdAccountLockedTime: 000001010000Z.
 *   389ds     389 Directory Server with passwordMustChange: on (global):
 *             the server sets passwordExpirationTime: 19700101000000Z on
 *             every add and administrator's reset; disabled is
 *             nsAccountLock: true.
 *   ad        Active Directory (and Samba AD DC): the password is
 *             unicodePwd, cleartext UTF-16LE in quotes over TLS; must
 *             change is pwdLastSet: 0; disabled is bit 0x2 of
 *             userAccountControl. */
#ifndef LDAPENROLL_FLAVOUR_H
#define LDAPENROLL_FLAVOUR_H

enum lock_kind {
	LOCK_VALUE,    /* lock_attr holds lock_value; enabled by removing it */
	LOCK_UAC_BIT,  /* bit 0x2 (ACCOUNTDISABLE) of the number in lock_attr */
};

enum password_kind {
	PASSWORD_HASHED,     /* {SSHA...} of the password, readable back */
	PASSWORD_UNICODEPWD, /* "password" in quotes as UTF-16LE, never readable */
};

struct flavour {
	const char *name;
	/* Disabled: see enum lock_kind (values compared without case). */
	enum lock_kind lock_kind;
	const char *lock_attr, *lock_value;
	/* The password attribute and how it is written. */
	const char *password_attr;
	enum password_kind password_kind;
	/* Written with every new person (attribute, value; NULL-terminated
	 * pairs): what the server needs to make a usable account. */
	const char *const *create_extra;
	/* The default object classes of people and role groups. */
	const char *person_class, *group_class;
	/* Must change at first login: the attribute and value the client
	 * writes with each new password (NULL: the server sets the flag
	 * itself), whether the entry names the password policy
	 * (pwdPolicySubentry, checked before a run), and how a written entry
	 * shows the flag. */
	const char *must_change_attr, *must_change_value;
	int policy_subentry;
	const char *verify_attr, *verify_value;
	/* The server takes the assertion control (RFC 4528): an update then
	 * happens only while the entry holds the values the plan saw.
	 * Without it (389-ds answers 12), the values are compared when the
	 * plan is made and the update replaces them. */
	int assertion_control;
	/* The server takes passwords only over TLS (no allow_insecure), and
	 * the largest page it serves (0: no limit). */
	int tls_required;
	unsigned max_page_size;
	/* The root DSE says the server is of this flavour: attr holds value
	 * (compared without case, as a prefix). */
	const char *rootdse_attr, *rootdse_value;
};

extern const struct flavour flavour_openldap;
extern const struct flavour flavour_389ds;
extern const struct flavour flavour_ad;

/* The flavour of that name, or NULL. */
const struct flavour *flavour_by_name(const char *name);
/* The names, NULL-terminated, for messages. */
extern const char *const flavour_names[];

#endif

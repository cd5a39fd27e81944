/* config: the YAML file turned into a typed, immutable config. It owns the
 * strict YAML tree (yaml_tree.c), the loader and its errors (loader.c), the
 * schema of each section (schema.c), the checks across keys (validate.c)
 * and the message templates (templates.c). It may use agent/base,
 * agent/text and libyaml.
 *
 * The configuration: loaded from YAML with libyaml into a typed structure
 * that nothing changes after config_load() returns.
 *
 * Loading is strict (see config.c) and collects every error of the file, each
 * of the form "file:line:column: key.path: problem". Templates are compiled
 * at load time; the source columns they name are interned as "slots", so
 * that a record is an array of field values indexed by slot. */
#ifndef LDAPENROLL_CONFIG_H
#define LDAPENROLL_CONFIG_H

#include <stddef.h>

#include "agent/base/strlist.h"
#include "config/flavour.h"
#include "agent/text/template.h"

enum tls_mode { TLS_REQUIRED, TLS_OFF };
enum source_type { SOURCE_CSV, SOURCE_LDAP };
enum ldap_scope { SCOPE_BASE, SCOPE_ONE, SCOPE_SUB };
enum absent_policy { ABSENT_KEEP, ABSENT_DISABLE };
enum unknown_role { UNKNOWN_REJECT, UNKNOWN_DEFAULT };
enum pw_hash { PW_SSHA, PW_SSHA256, PW_SSHA512 };
enum pw_delivery { DELIVER_MAIL, DELIVER_LINK };
enum msg_kind { MSG_WELCOME, MSG_USERNAME, MSG_PASSWORD, MSG_KINDS };

#define PW_LOWER 1u
#define PW_UPPER 2u
#define PW_DIGIT 4u
#define PW_SYMBOL 8u

/* Where a value came from, for messages that point back into the file. */
struct cfg_mark {
	unsigned line, column;
};

/* How to reach and bind to an LDAP server (the target directory, or an LDAP
 * source). */
struct cfg_ldap_conn {
	struct strlist uris;        /* tried in order */
	enum tls_mode starttls;
	char *ca_file;              /* NULL: the system's trust store */
	char *bind_dn;
	char *bind_password_file;   /* NULL: the environment variable below */
	const char *password_env;   /* LDAPENROLL_BIND_PASSWORD or LDAPENROLL_SOURCE_BIND_PASSWORD */
	unsigned timeout_ms;
	int allow_insecure;
};

struct cfg_directory {
	struct cfg_ldap_conn conn;
	const struct flavour *flavour;  /* directory.flavor; openldap by default */
	char *base;
	char *password_policy;          /* flavours with policy_subentry only */
	unsigned window;
	unsigned page_size;
};

struct cfg_source {
	enum source_type type;
	char *path;                 /* csv: file, or "-" for standard input */
	char *key;                  /* the column identifying a person */
	int key_slot;
	/* csv: the file's character set (an iconv name; NULL: UTF-8) and the
	 * field separator (',', ';' or '\t'; 0: decided from the header line) */
	const char *encoding;
	char delimiter;
	/* ldap */
	struct cfg_ldap_conn conn;
	char *base;
	char *filter;
	enum ldap_scope scope;
	unsigned page_size;
	struct strlist attributes;
};

struct cfg_attr {
	char *name;
	struct tmpl *value;
	struct cfg_mark mark;
};

struct cfg_accounts {
	int enabled;
	struct tmpl *dn;
	int create_missing;
	struct strlist object_classes;
};

struct cfg_people {
	struct tmpl *dn;
	struct strlist object_classes;
	struct strlist required;    /* column names */
	int *required_slots;
	struct tmpl *active;        /* NULL: everyone in the source is active */
	struct cfg_attr *attrs;
	size_t n_attrs;
	struct strlist update;      /* attribute names kept in sync */
	enum absent_policy absent;
	const char *key_attr;       /* the attribute holding source.key (borrowed from attrs) */
	const char *rdn_attr;       /* the naming attribute of people.dn */
	/* Login names no row may take (compared without case); unset:
	 * DEFAULT_RESERVED_NAMES, [] for none. */
	struct strlist reserved;
	int reserved_set;
	/* Where sync notes that it disabled someone (SYNC_DISABLED_NOTE is
	 * added there), so that it re-enables only those; default
	 * "description". Never one of the attributes above. */
	char *note_attribute;
};

/* The value people.note_attribute gets when sync disables a person. */
#define SYNC_DISABLED_NOTE "ldapenroll: disabled by sync"

#define DEFAULT_RESERVED_NAMES "root", "admin", "administrator", "krbtgt", "guest", "nobody", "postmaster", "ldapenroll"

struct cfg_role_map {
	char *from;
	struct tmpl *to;
};

/* The role of a person whose role column is empty, when roles.default is
 * not set and the people belong to accounts. */
#define DEFAULT_ROLE "{account} Standard User"

struct cfg_roles {
	int enabled;
	char *column;
	int column_slot;            /* -1 when the roles have no column */
	struct tmpl *dn;
	struct strlist object_classes;
	char *member_attribute;
	int has_map;
	struct cfg_role_map *map;
	size_t n_map;
	struct tmpl *default_role;  /* unset: DEFAULT_ROLE when accounts are used */
	enum unknown_role unknown;
	int create_missing;
};

struct cfg_passwords {
	unsigned length;
	unsigned classes;           /* PW_* bits */
	unsigned min_length;
	unsigned min_classes;
	int must_change;
	enum pw_hash hash;
	/* passwords.delivery: mail sends the temporary password itself; link
	 * sends a set-password link that expires and carries it sealed (see
	 * agent/text/linktoken.h), and `ldapenroll serve` is the page. */
	enum pw_delivery delivery;
	unsigned long link_ttl_s;   /* passwords.link_ttl, default 3 days */
	char *link_url;             /* the page's address; the token is appended as ?token= */
	char *link_key_file;        /* owner-only: "ID HEX" lines, the first seals */
};

/* ldapenroll serve: where the set-password page listens, and its limits. */
struct cfg_serve {
	char *listen;               /* "127.0.0.1:8480" (an IPv4 or [IPv6] address and a port) */
	unsigned connections;       /* at once, in all */
	unsigned per_ip;            /* at once, from one address */
	unsigned timeout_ms;        /* an idle connection is closed after this */
};

/* One message template: a subject and a body. */
struct msg_template {
	char *path;                 /* the file it came from, or "built-in:NAME" */
	char *locale;               /* NULL for the plain variant */
	struct tmpl *subject;
	struct tmpl *body;
};

struct cfg_smtp {
	char *url;
	enum tls_mode starttls;
	char *ca_file;
	char *username;
	char *password_file;
	unsigned timeout_ms;
	int allow_insecure;
};

struct cfg_notify {
	int enabled;
	struct cfg_smtp smtp;
	char *from;
	char *reply_to;
	char *login_url;
	enum msg_kind messages[MSG_KINDS];
	size_t n_messages;
	char *templates;            /* directory, or NULL for the built-in defaults */
	struct tmpl *locale;        /* NULL: no locale variants */
	unsigned retries;
	unsigned retry_delay_ms;
	unsigned connections;       /* SMTP connections used at once (1 to 16) */
	/* Loaded templates per kind: the plain variant first, then locale ones. */
	struct msg_template *tmpl[MSG_KINDS];
	size_t n_tmpl[MSG_KINDS];
};

/* state.keep_jobs: how long job journals are kept (seconds; 0: for ever). */
#define DEFAULT_KEEP_JOBS_S (90ul * 24 * 3600)

struct cfg_limits {
	unsigned long max_disable;
	unsigned max_disable_percent;
	unsigned long max_create;
	unsigned long max_reset;
	unsigned max_reset_percent;
};

struct config {
	char *file;                 /* as given; "<stdin>" for standard input */
	char digest[65];            /* SHA-256 of the file's text, as jobs and plans record it */
	char *dir;                  /* relative paths in the file are relative to this */
	struct cfg_directory directory;
	struct cfg_source source;
	struct cfg_accounts accounts;
	struct cfg_people people;
	struct cfg_roles roles;
	struct cfg_passwords passwords;
	struct cfg_notify notify;
	struct cfg_serve serve;
	struct cfg_limits limits;
	char *state_dir;
	unsigned long keep_jobs_s;  /* state.keep_jobs; 0: keep every job */
	/* Source columns named anywhere in the config, by slot. The source
	 * must have every one of them. */
	struct strlist columns;
	/* Per slot: where the column is named, for messages
	 * ("ldapenroll.yaml:22:11, people.attributes.mail"). */
	char **column_users;
};

/* Loads and validates path ("-" for standard input). On success *out is the
 * configuration, which the caller frees with config_free(). On failure every
 * problem found is appended to errors (one line each, without newline) and
 * ST_INPUT is returned. */
struct diag;
int config_load(const char *path, struct config **out, struct strlist *errors);
/* The same for a program that needs less of the config than a run:
 * CONFIG_PAGE (ldapenroll serve) does not look for the service's secret
 * files (the bind and SMTP passwords), which the page never reads. */
#define CONFIG_PAGE 1u
int config_load_for(const char *path, unsigned flags, struct config **out, struct strlist *errors);
void config_free(struct config *cfg);

/* Names for enum values, as written in the file. */
const char *msg_kind_name(enum msg_kind k);
const char *pw_hash_name(enum pw_hash h);
/* The template file name of a message kind: "password", or in link mode
 * "password-link" (the link-mode messages mention no password). */
const char *msg_template_name(const struct config *cfg, enum msg_kind k);

/* Resolves a path from the config file relative to the config's directory;
 * the result is a heap string the caller frees. */
char *config_path(const struct config *cfg, const char *path);

#endif

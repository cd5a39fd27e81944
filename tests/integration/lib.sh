# Helpers for the integration tests. Each test is a bash script that sources
# this file, works in its own subtree ou=<name>,dc=example,dc=com of the
# shared sandbox (so tests can run side by side), and proves effects with the
# OpenLDAP tools and the mail the SMTP server captured.
#
# The environment comes from ctest: LDAPENROLL_BIN (the program),
# LDAPENROLL_SOURCE_DIR (the repository) and LDAPENROLL_SANDBOX (the sandbox
# directory started by the fixture). A missing sandbox is a failure.
set -euo pipefail

: "${LDAPENROLL_BIN:?LDAPENROLL_BIN is not set}"
: "${LDAPENROLL_SOURCE_DIR:?LDAPENROLL_SOURCE_DIR is not set}"
: "${LDAPENROLL_SANDBOX:?LDAPENROLL_SANDBOX is not set}"

SANDBOX_SH="$LDAPENROLL_SOURCE_DIR/contrib/sandbox/sandbox.sh"
if ! "$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" status >/dev/null 2>&1; then
	echo "FAIL: the sandbox in $LDAPENROLL_SANDBOX is not running" >&2
	exit 1
fi
eval "$("$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" env)"

TEST_NAME=$(basename "$0" .sh)
TEST_NAME=${TEST_NAME#test_}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/ldapenroll-$TEST_NAME.XXXXXX")
BASE="ou=$TEST_NAME,$LDAPENROLL_SANDBOX_SUFFIX"
trap 'rc=$?; if [ $rc -ne 0 ]; then echo "FAIL: $TEST_NAME (work files kept in $WORK)" >&2; else rm -rf "$WORK"; fi' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# admin TOOL ARGS...: an OpenLDAP tool bound as the rootdn over StartTLS.
admin() {
	local tool=$1
	shift
	"$tool" -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$LDAPENROLL_SANDBOX_ADMIN_DN" \
		-y "$LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE" "$@"
}

# search BASE [FILTER [ATTRS...]]: LDIF without line wrapping, sorted
# attributes not needed; the output of ldapsearch as is.
search() {
	local base=$1
	shift
	admin ldapsearch -LLL -o ldif-wrap=no -b "$base" "$@"
}

# Creates a fresh test subtree: BASE and ou=roles under it.
setup_base() {
	admin ldapdelete -r "$BASE" >/dev/null 2>&1 || true
	admin ldapadd >/dev/null <<LDIF
dn: $BASE
objectClass: organizationalUnit
ou: $TEST_NAME

dn: ou=roles,$BASE
objectClass: organizationalUnit
ou: roles
LDIF
}

# ldif: adds the LDIF on standard input as the rootdn.
ldif() {
	admin ldapadd >/dev/null
}

# write_config FILE CSV [EXTRA_YAML]: a config for this test's subtree. The
# extra YAML is appended (top-level sections that the base does not have).
write_config() {
	local file=$1 csv=$2 extra=${3:-}
	cat >"$file" <<YAML
directory:
  uri: $LDAPENROLL_SANDBOX_LDAP_URI
  starttls: required
  ca_file: $LDAPENROLL_SANDBOX_CA
  bind_dn: $LDAPENROLL_SANDBOX_BIND_DN
  bind_password_file: $LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE
  base: $BASE
  password_policy: $LDAPENROLL_SANDBOX_POLICY_DN
  timeout: 10s
source:
  type: csv
  path: $csv
  key: Username
accounts:
  dn: "ou={Account},{base}"
people:
  dn: "uid={Username},ou={Account},{base}"
  required: [Username, LastName, Account]
  attributes:
    uid: "{Username}"
    cn: "{FirstName} {LastName}"
    givenName: "{FirstName}"
    sn: "{LastName}"
    mail: "{Email}"
  update: [cn, givenName, sn, mail]
roles:
  column: Role
  dn: "cn={role},ou=roles,{base}"
  map:
    "Customer Manager": "{Account} Customer Manager"
  default: "{Account} Standard User"
  unknown: reject
state_dir: $WORK/state
$extra
YAML
}

# le ARGS...: runs ldapenroll; sets RC, and OUT/ERR to files holding its
# standard output and error.
le() {
	OUT=$WORK/out
	ERR=$WORK/err
	set +e
	"$LDAPENROLL_BIN" "$@" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
}

expect_rc() {
	[ "$RC" -eq "$1" ] || {
		echo "--- stdout" >&2
		cat "$OUT" >&2
		echo "--- stderr" >&2
		cat "$ERR" >&2
		fail "exit code $RC, expected $1"
	}
}

expect_in() { # FILE TEXT
	grep -qF -- "$2" "$1" || {
		cat "$1" >&2
		fail "'$2' not found in $(basename "$1")"
	}
}

expect_not_in() { # FILE TEXT
	! grep -qF -- "$2" "$1" || {
		cat "$1" >&2
		fail "'$2' unexpectedly found in $(basename "$1")"
	}
}

# json EXPR: evaluates a Python expression over the JSON on standard input
# (bound to j) and prints the result.
json() {
	/usr/bin/python3 -c 'import json,sys; j=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"
}

# snapshot FILE: the whole test subtree with operational attributes, to
# prove later that nothing changed.
snapshot() {
	search "$BASE" '(objectClass=*)' '*' '+' >"$1"
}

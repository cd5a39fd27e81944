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
PRIVATE_SANDBOX=
LE_PID=
cleanup() {
	local rc=$?
	# A run left stopped by le_paused when the test failed.
	[ -z "$LE_PID" ] || kill -KILL "$LE_PID" 2>/dev/null || true
	if [ -n "$PRIVATE_SANDBOX" ]; then
		"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" stop --purge >/dev/null 2>&1 || true
	fi
	if [ $rc -ne 0 ]; then
		echo "FAIL: $TEST_NAME (work files kept in $WORK)" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

# private_sandbox [OPTIONS]: a sandbox of this test's own (free ports), for
# tests that stop or break the servers; the shared one stays untouched. The
# environment then points at it.
private_sandbox() {
	PRIVATE_SANDBOX=$WORK/sandbox
	"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" --ldap-port auto --ldaps-port auto --smtp-port auto "$@" start \
		2>"$WORK/sandbox.log" || {
		cat "$WORK/sandbox.log" >&2
		fail "the private sandbox did not start"
	}
	LDAPENROLL_SANDBOX=$PRIVATE_SANDBOX
	eval "$("$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" env)"
	BASE="ou=$TEST_NAME,$LDAPENROLL_SANDBOX_SUFFIX"
}

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
	"$LDAPENROLL_BIN" --log-format text "$@" >"$OUT" 2>"$ERR"
	RC=$?
	set -e
	no_sanitizer_report "$ERR"
}

# le_paused POINT ARGS...: starts ldapenroll in the background with the test
# hook that stops it (SIGSTOP) at POINT, and returns once it has stopped
# there; le_resume lets it go on and sets RC, OUT and ERR as le does.
le_paused() {
	local point=$1 state i
	shift
	require_test_hooks
	OUT=$WORK/out
	ERR=$WORK/err
	LDAPENROLL_TEST_PAUSE_AT=$point "$LDAPENROLL_BIN" --log-format text "$@" >"$OUT" 2>"$ERR" &
	LE_PID=$!
	# Up to two minutes: a pause deep into a large run.
	for i in $(seq 2400); do
		state=$(awk '{print $3}' "/proc/$LE_PID/stat" 2>/dev/null) || break
		[ "$state" = T ] && return 0
		sleep 0.05
	done
	cat "$ERR" >&2
	fail "ldapenroll did not stop at $point"
}

# le_next_pause: lets the paused run go on to its next pause (the hook's
# POINT:N,M form) and returns once it has stopped there.
le_next_pause() {
	local state i
	kill -CONT "$LE_PID"
	sleep 0.1
	for i in $(seq 600); do
		state=$(awk '{print $3}' "/proc/$LE_PID/stat" 2>/dev/null) || break
		[ "$state" = T ] && return 0
		sleep 0.05
	done
	cat "$ERR" >&2
	fail "ldapenroll did not stop again"
}

le_resume() {
	kill -CONT "$LE_PID"
	set +e
	wait "$LE_PID"
	RC=$?
	set -e
	LE_PID=
	no_sanitizer_report "$ERR"
}

# no_sanitizer_report FILE: fails the test when a sanitizer spoke in FILE,
# whatever the exit code was.
no_sanitizer_report() {
	if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$1"; then
		cat "$1" >&2
		fail "a sanitizer reported a problem"
	fi
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

# notify_yaml [SMTP_URL]: a notify section for the sandbox's SMTP server,
# with short retry delays.
notify_yaml() {
	cat <<YAML
notify:
  smtp:
    url: ${1:-$LDAPENROLL_SANDBOX_SMTP_URL}
    starttls: required
    ca_file: $LDAPENROLL_SANDBOX_CA
    username: $LDAPENROLL_SANDBOX_SMTP_USER
    password_file: $LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE
    timeout: 10s
  from: "Portal IT <it@example.com>"
  reply_to: helpdesk@example.com
  login_url: https://portal.example.com/login
  retries: 2
  retry_delay: 100ms
YAML
}

MAILBOX="/usr/bin/python3 $LDAPENROLL_SOURCE_DIR/tests/integration/mailbox.py"

# mail_count RCPT: how many messages the SMTP server accepted for RCPT.
mail_count() {
	$MAILBOX "$LDAPENROLL_SANDBOX" count "$1"
}

# mail_password RCPT FILE: the newest temporary password mailed to RCPT.
mail_password() {
	$MAILBOX "$LDAPENROLL_SANDBOX" password "$1" "$2"
}

# must_change DN PASSWORD_FILE: binding with that password works and the
# server says the password must be changed.
must_change() {
	local out
	out=$(ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$1" -y "$2" -e ppolicy 2>&1) ||
		fail "bind as $1 failed: $out"
	case $out in
	*"Password must be changed"*) ;;
	*) fail "bind as $1 does not say 'Password must be changed': $out" ;;
	esac
}

# job_id: the job id of the last run (from its log).
job_id() {
	sed -n 's/.*job \([0-9TZ]*-[0-9a-f]*\).*/\1/p' "$ERR" | head -n 1
}

# require_test_hooks: the test injects faults through the hooks of a test
# build (cmake -DLDAPENROLL_TEST_HOOKS=ON, as contrib/scripts/test.sh does).
require_test_hooks() {
	"$LDAPENROLL_BIN" -V | grep -q "fault injection hooks" ||
		fail "$LDAPENROLL_BIN was built without -DLDAPENROLL_TEST_HOOKS=ON; contrib/scripts/test.sh builds it with them"
}

# bindcheck URI [--expect must-change|no-change] < DN<TAB>PASSWORD lines: logs
# everyone in (integration/bindcheck.c); fails the test when anyone cannot,
# or is not told to change the password (by default).
bindcheck() {
	local uri=$1
	shift
	: "${LDAPENROLL_BINDCHECK:?LDAPENROLL_BINDCHECK is not set}"
	"$LDAPENROLL_BINDCHECK" "$uri" "$LDAPENROLL_SANDBOX_CA" "$@" >"$WORK/bindcheck.out" || {
		head -n 20 "$WORK/bindcheck.out" >&2
		fail "not everyone could log in on $uri as expected"
	}
}

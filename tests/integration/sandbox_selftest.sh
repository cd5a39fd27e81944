#!/usr/bin/env bash
# Self-test of contrib/sandbox: starts a sandbox in DIR (auto ports) and
# checks that slapd and the SMTP server behave as the ldapenroll tests rely
# on: verified StartTLS/LDAPS, ppolicy must-change and lockout, SHA-2
# passwords, restart keeping data, SMTP capture with envelope, fault
# injection, STARTTLS enforcement, and a second sandbox side by side.
# Stops and purges everything at the end (SANDBOX_SELFTEST_KEEP=1 keeps the
# directories of a failed run for inspection).
#
# Usage: tests/integration/sandbox_selftest.sh DIR
set -euo pipefail

[[ $# -eq 1 ]] || {
    echo "usage: $0 DIR" >&2
    exit 2
}
DIR=$(realpath -m -- "$1")
DIR2="$DIR-second"
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
SANDBOX="$ROOT/contrib/sandbox/sandbox.sh"
PYTHON=/usr/bin/python3
SCRATCH=$(mktemp -d)
CHECK="setup"
CHECKS=0
FOREIGN_PID=""

# ---------------------------------------------------------------- harness

cleanup() {
    local rc=$?
    [[ -n $FOREIGN_PID ]] && kill "$FOREIGN_PID" 2>/dev/null
    if ((rc != 0)) && [[ ${SANDBOX_SELFTEST_KEEP:-0} == 1 ]]; then
        echo "keeping $DIR and $DIR2 for inspection" >&2
    else
        "$SANDBOX" --dir "$DIR2" stop --purge >/dev/null 2>&1 || true
        "$SANDBOX" --dir "$DIR" stop --purge >/dev/null 2>&1 || true
    fi
    rm -rf -- "$SCRATCH"
}
trap cleanup EXIT

check() { # start a named check
    CHECK=$1
    CHECKS=$((CHECKS + 1))
    printf '%-64s' "$CHECK" >&2
}
ok() { echo " ok" >&2; }

fail() {
    echo " FAILED" >&2
    echo "sandbox self-test: check '$CHECK' failed: $*" >&2
    local log
    for log in "$DIR/slapd.log" "$DIR/smtpd.log"; do
        if [[ -f $log ]]; then
            echo "--- last lines of $log" >&2
            tail -n 8 -- "$log" >&2
        fi
    done
    exit 1
}

expect_contains() { # HAYSTACK NEEDLE WHAT
    [[ $1 == *"$2"* ]] || fail "$3: expected '$2' in: $1"
}

# ---------------------------------------------------------------- LDAP helpers

# LDAP tools read ~/.ldaprc and ldap.conf; LDAPTLS_CACERT from the sandbox
# env takes precedence over the system CA bundle there.
svc() { # TOOL ARGS...: run an LDAP tool as the service account over StartTLS
    local tool=$1
    shift
    "$tool" -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" \
        -D "$LDAPENROLL_SANDBOX_BIND_DN" -y "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" "$@"
}

user_whoami() { # UID [extra ldapwhoami args]: bind as a test user, print output
    local uid=$1
    shift
    ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" "$@" \
        -D "uid=$uid,ou=portal,$LDAPENROLL_SANDBOX_SUFFIX" -y "$SCRATCH/user.pw" 2>&1
}

ssha512() { # PASSWORD -> {SSHA512}base64(sha512(pw+salt)+salt)
    "$PYTHON" -c '
import base64, hashlib, os, sys
salt = os.urandom(16)
digest = hashlib.sha512(sys.argv[1].encode() + salt).digest()
print("{SSHA512}" + base64.b64encode(digest + salt).decode())' "$1"
}

user_ldif() { # UID EXTRA-LINES
    printf 'dn: uid=%s,ou=portal,%s\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: Test\nmail: %s@example.com\nuserPassword: %s\n%s\n' \
        "$1" "$LDAPENROLL_SANDBOX_SUFFIX" "$1" "$1" "$1" "$(ssha512 "$USER_PW")" "$2"
}

load_env() { # DIR: import that sandbox's variables
    local env
    env=$("$SANDBOX" --dir "$1" env) || fail "env failed for $1"
    eval "$env"
}

# ---------------------------------------------------------------- SMTP helpers

# send [curl options]: submit $SCRATCH/msg.eml the way the client does
# (STARTTLS required, verified, AUTH); prints the last SMTP reply code.
send() {
    curl -sS -o /dev/null -w '%{response_code}' --max-time 20 \
        --ssl-reqd --cacert "$LDAPENROLL_SANDBOX_CA" \
        --user "$LDAPENROLL_SANDBOX_SMTP_USER:$(cat "$LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE")" \
        --mail-from noreply@example.com --mail-rcpt alice@example.com \
        -T "$SCRATCH/msg.eml" "$@" "$LDAPENROLL_SANDBOX_SMTP_URL" 2>/dev/null
}

mail_count() {
    local files=("$LDAPENROLL_SANDBOX_MAILDIR"/*.eml)
    [[ -e ${files[0]} ]] || {
        echo 0
        return
    }
    echo "${#files[@]}"
}

faults() { printf '%s\n' "$@" >"$LDAPENROLL_SANDBOX/smtp-faults"; }

json_field() { # FILE EXPR: print a field of a stored envelope
    "$PYTHON" -c 'import json, sys; m = json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {"m": m}))' "$1" "$2"
}

# ---------------------------------------------------------------- checks

test_start() {
    check "start with auto ports"
    "$SANDBOX" --dir "$DIR" stop --purge >/dev/null 2>&1 || true
    [[ ! -e $DIR || -z $(ls -A -- "$DIR") ]] || fail "$DIR exists and is not a sandbox"
    local out
    out=$("$SANDBOX" --dir "$DIR" --ldap-port auto --ldaps-port auto --smtp-port auto start 2>"$SCRATCH/start.err") ||
        fail "start failed: $(cat "$SCRATCH/start.err")"
    [[ -z $out ]] || fail "start printed on stdout: $out"
    "$SANDBOX" --dir "$DIR" status >/dev/null || fail "status not 0 after start"
    load_env "$DIR"
    ok

    check "directory layout, modes and env file"
    [[ $(stat -c %a "$DIR") == 700 ]] || fail "$DIR is not mode 0700"
    local f
    for f in "$LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE" "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" \
        "$LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE"; do
        [[ $(stat -c %a "$f") == 600 ]] || fail "$f is not mode 0600"
        [[ -s $f && $(tail -c 1 "$f" | od -An -c | tr -d ' ') != '\n' ]] || fail "$f empty or ends in a newline"
    done
    [[ "$(cat "$DIR/env")" == "$("$SANDBOX" --dir "$DIR" env)" ]] || fail "DIR/env differs from 'env'"
    [[ $LDAPTLS_CACERT == "$LDAPENROLL_SANDBOX_CA" ]] || fail "LDAPTLS_CACERT not the sandbox CA"
    ok

    check "second start is idempotent"
    local before after
    before=$("$SANDBOX" --dir "$DIR" status)
    out=$("$SANDBOX" --dir "$DIR" start 2>/dev/null) || fail "second start failed"
    [[ -z $out ]] || fail "second start printed on stdout"
    after=$("$SANDBOX" --dir "$DIR" status)
    [[ $before == "$after" ]] || fail "servers changed: $before -> $after"
    ok

    check "conflicting settings on restart are refused"
    if "$SANDBOX" --dir "$DIR" --nosync start >/dev/null 2>&1; then fail "start --nosync accepted"; fi
    ok
}

test_tls() {
    local out
    check "StartTLS bind as service account, CA verified"
    out=$(svc ldapwhoami 2>&1) || fail "ldapwhoami -ZZ: $out"
    expect_contains "$out" "dn:$LDAPENROLL_SANDBOX_BIND_DN" "whoami"
    ok

    check "LDAPS bind as service account, CA verified"
    out=$(ldapwhoami -x -H "$LDAPENROLL_SANDBOX_LDAPS_URI" -D "$LDAPENROLL_SANDBOX_BIND_DN" \
        -y "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" 2>&1) || fail "ldapwhoami ldaps: $out"
    expect_contains "$out" "dn:$LDAPENROLL_SANDBOX_BIND_DN" "whoami"
    ok

    check "StartTLS and LDAPS fail against a different CA"
    openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$SCRATCH/other.key" -out "$SCRATCH/other.pem" \
        -days 1 -subj "/CN=some other CA" >/dev/null 2>&1 || fail "cannot create the other CA"
    if LDAPTLS_CACERT="$SCRATCH/other.pem" svc ldapwhoami >/dev/null 2>&1; then
        fail "StartTLS succeeded with the wrong CA"
    fi
    if LDAPTLS_CACERT="$SCRATCH/other.pem" ldapwhoami -x -H "$LDAPENROLL_SANDBOX_LDAPS_URI" \
        -D "$LDAPENROLL_SANDBOX_BIND_DN" -y "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" >/dev/null 2>&1; then
        fail "LDAPS succeeded with the wrong CA"
    fi
    ok

    check "ldapi with SASL EXTERNAL maps to the admin DN"
    out=$(ldapwhoami -Q -Y EXTERNAL -H "$LDAPENROLL_SANDBOX_LDAPI_URI" 2>&1) || fail "$out"
    expect_contains "$out" "dn:$LDAPENROLL_SANDBOX_ADMIN_DN" "whoami"
    ok

    check "admin (rootdn) password file works"
    out=$(ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$LDAPENROLL_SANDBOX_ADMIN_DN" \
        -y "$LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE" 2>&1) || fail "$out"
    ok
}

test_ppolicy() {
    local out rc
    (umask 077 && printf '%s' "$USER_PW" >"$SCRATCH/user.pw")

    check "service account adds users with {SSHA512}, pwdReset, lock"
    {
        user_ldif alice "pwdReset: TRUE
pwdPolicySubentry: $LDAPENROLL_SANDBOX_POLICY_DN"
        echo
        user_ldif bob "pwdAccountLockedTime: 000001010000Z"
        echo
        user_ldif carol ""
    } >"$SCRATCH/users.ldif"
    out=$(svc ldapadd -f "$SCRATCH/users.ldif" 2>&1) || fail "ldapadd: $out"
    ok

    check "pwdReset user: bind reports 'Password must be changed'"
    out=$(user_whoami alice -e ppolicy) || true
    expect_contains "$out" "Password must be changed" "ldapwhoami -e ppolicy"
    ok

    check "locked user cannot bind (49, account locked)"
    rc=0
    out=$(user_whoami bob -e ppolicy) || rc=$?
    ((rc == 49)) || fail "expected exit 49, got $rc: $out"
    expect_contains "$out" "Account locked" "ldapwhoami -e ppolicy"
    ok

    check "{SSHA512} user without pwdReset binds"
    out=$(user_whoami carol) || fail "bind failed: $out"
    expect_contains "$out" "dn:uid=carol,ou=portal,$LDAPENROLL_SANDBOX_SUFFIX" "whoami"
    ok

    check "wrong password gives invalid credentials"
    rc=0
    out=$(ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "uid=carol,ou=portal,$LDAPENROLL_SANDBOX_SUFFIX" \
        -w wrong-password 2>&1) || rc=$?
    ((rc == 49)) || fail "expected exit 49, got $rc: $out"
    ok
}

users_present() { # count of the test users visible to the service account
    svc ldapsearch -LLL -b "ou=portal,$LDAPENROLL_SANDBOX_SUFFIX" "(uid=*)" dn 2>/dev/null | grep -c '^dn: uid=' || true
}

test_ldap_restart() {
    local out
    check "stop-ldap / start-ldap keeps data"
    "$SANDBOX" --dir "$DIR" stop-ldap 2>/dev/null || fail "stop-ldap failed"
    if "$SANDBOX" --dir "$DIR" status >/dev/null; then fail "status 0 with slapd stopped"; fi
    if ldapwhoami -x -H "$LDAPENROLL_SANDBOX_LDAP_URI" >/dev/null 2>&1; then fail "slapd still answers"; fi
    "$SANDBOX" --dir "$DIR" start-ldap 2>/dev/null || fail "start-ldap failed"
    [[ $(users_present) == 3 ]] || fail "expected 3 users after restart, found $(users_present)"
    ok

    check "stop-ldap --kill / start-ldap keeps data"
    "$SANDBOX" --dir "$DIR" stop-ldap --kill 2>/dev/null || fail "stop-ldap --kill failed"
    "$SANDBOX" --dir "$DIR" start-ldap 2>/dev/null || fail "start-ldap after kill failed"
    [[ $(users_present) == 3 ]] || fail "expected 3 users after kill, found $(users_present)"
    out=$(user_whoami carol) || fail "carol cannot bind after restart: $out"
    "$SANDBOX" --dir "$DIR" status >/dev/null || fail "status not 0 after start-ldap"
    ok
}

test_smtp() {
    local code
    printf 'From: ldapenroll <noreply@example.com>\r\nTo: alice@example.com\r\nSubject: Your new account\r\n\r\nHello Alice,\r\n.a line starting with a dot\r\n\r\nBye\r\n' \
        >"$SCRATCH/msg.eml"

    check "STARTTLS + AUTH PLAIN message stored with envelope"
    code=$(send) || fail "curl failed (reply $code)"
    local eml="$LDAPENROLL_SANDBOX_MAILDIR/000001.eml" json="$LDAPENROLL_SANDBOX_MAILDIR/000001.json"
    [[ -f $eml && -f $json ]] || fail "000001.eml/.json not stored"
    cmp -s "$eml" "$SCRATCH/msg.eml" || fail "stored message differs from the bytes sent"
    [[ $(json_field "$json" 'm["mail_from"]') == noreply@example.com ]] || fail "mail_from wrong in $json"
    [[ $(json_field "$json" 'm["rcpt_tos"]') == "['alice@example.com']" ]] || fail "rcpt_tos wrong in $json"
    [[ $(json_field "$json" 'm["tls"]') == True ]] || fail "tls not true in $json"
    [[ $(json_field "$json" 'm["auth_user"]') == ldapenroll ]] || fail "auth_user wrong in $json"
    [[ -n $(json_field "$json" 'm["received"]') ]] || fail "received missing in $json"
    ok

    check "AUTH LOGIN works too"
    code=$(send --login-options AUTH=LOGIN) || fail "curl failed (reply $code)"
    [[ $(mail_count) == 2 ]] || fail "expected 2 messages, found $(mail_count)"
    ok

    check "'mail' lists messages, 'mail --show' prints them raw"
    local listing
    listing=$("$SANDBOX" --dir "$DIR" mail) || fail "mail failed"
    [[ $(wc -l <<<"$listing") == 2 ]] || fail "expected 2 lines: $listing"
    expect_contains "$listing" $'000001.eml\tnoreply@example.com\talice@example.com\tYour new account' "mail"
    "$SANDBOX" --dir "$DIR" mail --show 1 | cmp -s - "$SCRATCH/msg.eml" || fail "mail --show 1 differs"
    ok

    check "RCPT 451 times=1: first send fails, second succeeds"
    faults "# transient failure" "RCPT * 451 4.3.0 Try again later times=1"
    code=$(send) && fail "first send succeeded"
    [[ $code == 451 ]] || fail "expected reply 451, got $code"
    code=$(send) || fail "second send failed with $code"
    [[ $(mail_count) == 3 ]] || fail "expected 3 messages, found $(mail_count)"
    grep -q 'times=0' "$LDAPENROLL_SANDBOX/smtp-faults" || fail "remaining count not persisted"
    ok

    check "DATA 550 rejects and stores nothing"
    faults "DATA * 550 5.7.1 Rejected for testing"
    code=$(send) && fail "send succeeded"
    [[ $code == 550 ]] || fail "expected reply 550, got $code"
    [[ $(mail_count) == 3 ]] || fail "a rejected message was stored"
    ok

    check "DATA drop closes the connection and stores nothing"
    faults "DATA * drop"
    code=$(send) && fail "send succeeded"
    [[ $(mail_count) == 3 ]] || fail "a dropped message was stored"
    ok

    check "RCPT glob only hits matching recipients"
    faults "RCPT bob@* 550 5.1.1 No such user"
    code=$(send) || fail "send to alice failed with $code (rule is for bob)"
    code=$(send --mail-rcpt bob@example.com) && fail "send to bob succeeded"
    [[ $(mail_count) == 4 ]] || fail "expected 4 messages, found $(mail_count)"
    ok

    check "CONNECT 421 times=1, then success"
    faults "CONNECT * 421 4.3.2 Service not available times=1"
    code=$(send) && fail "send succeeded during CONNECT 421"
    [[ $code == 421 ]] || fail "expected reply 421, got $code"
    code=$(send) || fail "send after CONNECT rule failed with $code"
    ok

    check "delay=1 delays the reply"
    faults "MAIL * delay=1 times=1"
    local t0
    t0=$(date +%s%N)
    code=$(send) || fail "delayed send failed with $code"
    (($(date +%s%N) - t0 >= 1000000000)) || fail "no delay observed"
    rm -f -- "$LDAPENROLL_SANDBOX/smtp-faults"
    ok

    check "without STARTTLS the server refuses mail"
    local before
    before=$(mail_count)
    code=$(curl -sS -o /dev/null -w '%{response_code}' --max-time 20 \
        --mail-from noreply@example.com --mail-rcpt alice@example.com \
        -T "$SCRATCH/msg.eml" "$LDAPENROLL_SANDBOX_SMTP_URL" 2>/dev/null) && fail "plain send succeeded"
    [[ $code == 530 ]] || fail "expected reply 530, got $code"
    [[ $(mail_count) == "$before" ]] || fail "a plain message was stored"
    ok

    check "wrong SMTP password is refused (535)"
    code=$(curl -sS -o /dev/null -w '%{response_code}' --max-time 20 --ssl-reqd \
        --cacert "$LDAPENROLL_SANDBOX_CA" --user "ldapenroll:wrong" \
        --mail-from noreply@example.com --mail-rcpt alice@example.com \
        -T "$SCRATCH/msg.eml" "$LDAPENROLL_SANDBOX_SMTP_URL" 2>/dev/null) && fail "send succeeded"
    [[ $code == 535 ]] || fail "expected reply 535, got $code"
    ok

    check "stop-smtp / start-smtp continues the numbering"
    before=$(mail_count)
    "$SANDBOX" --dir "$DIR" stop-smtp 2>/dev/null || fail "stop-smtp failed"
    if "$SANDBOX" --dir "$DIR" status >/dev/null; then fail "status 0 with smtpd stopped"; fi
    "$SANDBOX" --dir "$DIR" start-smtp 2>/dev/null || fail "start-smtp failed"
    code=$(send) || fail "send after restart failed with $code"
    [[ -f $LDAPENROLL_SANDBOX_MAILDIR/$(printf '%06d' $((before + 1))).eml ]] || fail "numbering restarted"
    ok
}

test_second_sandbox() {
    local first_ports second_ports out rc i
    first_ports="$LDAPENROLL_SANDBOX_LDAP_URI $LDAPENROLL_SANDBOX_LDAPS_URI"

    check "second sandbox side by side (nosync, size limit, SMTP no TLS)"
    "$SANDBOX" --dir "$DIR2" stop --purge >/dev/null 2>&1 || true
    "$SANDBOX" --dir "$DIR2" --ldap-port auto --ldaps-port auto --smtp-port auto --smtp-no-tls --nosync --size-limit 3 \
        --suffix dc=test,dc=org start 2>"$SCRATCH/start2.err" || fail "start: $(cat "$SCRATCH/start2.err")"
    "$SANDBOX" --dir "$DIR" status >/dev/null || fail "first sandbox not running"
    "$SANDBOX" --dir "$DIR2" status >/dev/null || fail "second sandbox not running"
    load_env "$DIR2"
    second_ports="$LDAPENROLL_SANDBOX_LDAP_URI $LDAPENROLL_SANDBOX_LDAPS_URI"
    [[ $first_ports != "$second_ports" ]] || fail "both sandboxes use $first_ports"
    out=$(svc ldapwhoami 2>&1) || fail "bind to second sandbox: $out"
    expect_contains "$out" "dn:cn=ldapenroll,ou=services,dc=test,dc=org" "whoami"
    ok

    check "nosync is set on the data DB"
    out=$(ldapsearch -LLL -Q -Y EXTERNAL -H "$LDAPENROLL_SANDBOX_LDAPI_URI" -b cn=config \
        '(olcDatabase={1}mdb)' olcDbNoSync 2>&1) || fail "$out"
    expect_contains "$out" "olcDbNoSync: TRUE" "cn=config"
    ok

    check "size limit: unpaged search stops at 3, paged returns all"
    for i in 1 2 3 4 5; do user_ldif "user$i" "" && echo; done >"$SCRATCH/five.ldif"
    out=$(svc ldapadd -f "$SCRATCH/five.ldif" 2>&1) || fail "ldapadd: $out"
    rc=0
    out=$(svc ldapsearch -LLL -b "ou=portal,dc=test,dc=org" "(uid=*)" dn 2>&1) || rc=$?
    ((rc == 4)) || fail "expected exit 4 (size limit exceeded), got $rc"
    [[ $(grep -c '^dn: uid=' <<<"$out") == 3 ]] || fail "unpaged search returned: $out"
    out=$(svc ldapsearch -LLL -E pr=2/noprompt -b "ou=portal,dc=test,dc=org" "(uid=*)" dn 2>&1) ||
        fail "paged search: $out"
    [[ $(grep -c '^dn: uid=' <<<"$out") == 5 ]] || fail "paged search returned: $out"
    ok

    check "--smtp-no-tls: plain mail without AUTH accepted, no STARTTLS"
    local code
    code=$(curl -sS -o /dev/null -w '%{response_code}' --max-time 20 \
        --mail-from noreply@example.com --mail-rcpt alice@example.com \
        -T "$SCRATCH/msg.eml" "$LDAPENROLL_SANDBOX_SMTP_URL" 2>/dev/null) || fail "plain send failed ($code)"
    [[ $(mail_count) == 1 ]] || fail "message not stored"
    [[ $(json_field "$LDAPENROLL_SANDBOX_MAILDIR/000001.json" '(m["tls"], m["auth_user"])') == "(False, None)" ]] ||
        fail "envelope should say tls false, no auth user"
    code=$(send) && fail "a STARTTLS-requiring send succeeded"
    ok

    check "stop leaves foreign processes alone"
    "$SANDBOX" --dir "$DIR2" stop 2>/dev/null || fail "stop failed"
    sleep 300 &
    FOREIGN_PID=$!
    echo "$FOREIGN_PID" >"$DIR2/slapd.pid"
    "$SANDBOX" --dir "$DIR2" stop 2>/dev/null || fail "stop with a foreign pid failed"
    kill -0 "$FOREIGN_PID" 2>/dev/null || fail "stop killed a process it did not start"
    kill "$FOREIGN_PID"
    FOREIGN_PID=""
    "$SANDBOX" --dir "$DIR2" stop --purge 2>/dev/null || fail "purge failed"
    [[ ! -e $DIR2 ]] || fail "$DIR2 still exists after purge"
    ok

    load_env "$DIR"
}

test_stop() {
    local slapd_pid smtpd_pid
    check "stop ends both servers, --purge removes the directory"
    slapd_pid=$(<"$DIR/slapd.pid")
    smtpd_pid=$(<"$DIR/smtpd.pid")
    "$SANDBOX" --dir "$DIR" stop 2>/dev/null || fail "stop failed"
    [[ -d $DIR ]] || fail "stop without --purge removed $DIR"
    [[ ! -e /proc/$slapd_pid/cmdline || -z $(tr -d '\0' <"/proc/$slapd_pid/cmdline") ]] ||
        fail "slapd $slapd_pid still running"
    [[ ! -e /proc/$smtpd_pid/cmdline || -z $(tr -d '\0' <"/proc/$smtpd_pid/cmdline") ]] ||
        fail "smtpd $smtpd_pid still running"
    if "$SANDBOX" --dir "$DIR" status >/dev/null; then fail "status 0 after stop"; fi
    "$SANDBOX" --dir "$DIR" stop --purge 2>/dev/null || fail "stop --purge failed"
    [[ ! -e $DIR ]] || fail "$DIR still exists after --purge"
    ok
}

USER_PW="Temp-Pass-$RANDOM-x"
test_start
test_tls
test_ppolicy
test_ldap_restart
test_smtp
test_second_sandbox
test_stop
echo "sandbox self-test: all $CHECKS checks passed" >&2

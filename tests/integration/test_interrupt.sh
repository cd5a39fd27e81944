#!/usr/bin/env bash
# Interrupted runs of 20,000 people: SIGINT and SIGTERM, each in the
# directory phase and in the mail phase. Each interrupted run collects what
# is in flight, closes its job as "interrupted", says how far it got and how
# to finish, and exits 130 or 143; nothing it left undone is lost: the
# preview lists who waits for messages ("Would send again") and --check
# exits 1 while anyone does, and the next --apply does what the preview
# said. In the end everyone has one working password that must be changed
# and that reached them in exactly one message.
. "$(dirname "$0")/lib.sh"
require_test_hooks

private_sandbox --nosync
setup_base
rows=20000
/usr/bin/python3 - "$rows" >"$WORK/users.csv" <<'PY'
import sys
print("FirstName,LastName,Email,Username,Account,Role")
for i in range(1, int(sys.argv[1]) + 1):
    print("In%05d,Ter%05d,u%05d@interrupt.example,u%05d,Acct%d,%s"
          % (i, i, i, i, i % 10, "Customer Manager" if i % 3 == 0 else ""))
PY
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)
  messages: [password]
limits:
  max_create: 100000"

# interrupted SIGNAL POINT STATUS: a run stopped by SIGNAL at POINT exits
# STATUS, closes its job as interrupted and says how to finish (its log is
# kept in interrupted.err).
interrupted() {
	le_paused "$2" -c "$WORK/cfg.yaml" sync --apply
	kill -s "$1" "$LE_PID"
	le_resume
	expect_rc "$3"
	expect_in "$ERR" "interrupted: "
	expect_in "$ERR" "run sync --apply to finish"
	cp "$ERR" "$WORK/interrupted.err"
	job=$(job_id)
	le -c "$WORK/cfg.yaml" jobs "$job" --format json
	[ "$(json 'j["status"]' <"$OUT")" = interrupted ] || fail "job $job is not interrupted"
}

# waiting: the people the preview would send messages again to.
waiting() {
	le -c "$WORK/cfg.yaml" sync
	expect_rc 0
	grep -c '^ *Would send again ' "$OUT" || true
}

interrupted INT result:5000 130
expect_in "$WORK/interrupted.err" "changes done; run sync --apply"
n=$(waiting)
[ "$n" -gt 4000 ] || fail "the preview sends nobody again after the first interrupt ($n)"
expect_in "$OUT" "(messages never confirmed, job "
expect_in "$OUT" "$n to send again"
le -c "$WORK/cfg.yaml" sync --check
expect_rc 1
le -c "$WORK/cfg.yaml" jobs
expect_in "$OUT" "$n people wait for their messages"
le -c "$WORK/cfg.yaml" jobs --format json
[ "$(json 'j["waiting_for_mail"]' <"$OUT")" = "$n" ] || fail "jobs --format json does not count who waits"

interrupted TERM result:3000 143
interrupted INT message:4000 130
expect_in "$WORK/interrupted.err" "messages sent; run sync --apply to finish"
[ "$(waiting)" -gt 0 ] || fail "nobody waits after an interrupt in the mail phase"
interrupted TERM message:3000 143
n=$(waiting)
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$ERR" "messages: "

le -c "$WORK/cfg.yaml" sync --check
expect_rc 0
le -c "$WORK/cfg.yaml" sync
expect_in "$OUT" "No changes"

# One password message each, and it logs them in, with the demand to
# change it.
$MAILBOX "$LDAPENROLL_SANDBOX" passwords interrupt.example >"$WORK/passwords"
[ "$(wc -l <"$WORK/passwords")" -eq $rows ] || fail "not everyone got a password message"
awk -F'\t' '$3 != 1 { print; bad = 1 } END { exit bad }' "$WORK/passwords" | head -n 5 >&2 ||
	fail "someone got more than one password message"
awk -F'\t' -v base="$BASE" '{ split($1, a, "@"); n = substr(a[1], 2) + 0;
	printf "uid=%s,ou=Acct%d,%s\t%s\n", a[1], n % 10, base, $2 }' "$WORK/passwords" >"$WORK/logins"
bindcheck "$LDAPENROLL_SANDBOX_LDAP_URI" <"$WORK/logins"

#!/usr/bin/env bash
# slapd is killed (SIGKILL) in the middle of a large apply and started again
# (a private sandbox). The run reconnects, reads back what it cannot know,
# and finishes; a re-run converges: exactly the expected entries, no
# duplicates, every person with a must-change password that reached them,
# each message sent exactly once.
. "$(dirname "$0")/lib.sh"

private_sandbox --nosync
setup_base
n=1500
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for i in $(seq $n); do
		printf 'F%s,L%s,u%s@fault.example,u%s,Acct%s,\n' "$i" "$i" "$i" "$i" $((i % 7))
	done
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
sed -i 's/^  timeout: 10s/  timeout: 5s/' "$WORK/cfg.yaml"

OUT=$WORK/out ERR=$WORK/err
"$LDAPENROLL_BIN" --log-format text -c "$WORK/cfg.yaml" sync --apply >"$OUT" 2>"$ERR" &
agent=$!
# Kill slapd once a few hundred results are in the journal.
for _ in $(seq 200); do
	j=$(ls "$WORK"/state/jobs/*.jsonl 2>/dev/null | head -n 1 || true)
	[ -n "$j" ] && [ "$(grep -c '"type":"result"' "$j" || true)" -ge 300 ] && break
	sleep 0.05
done
"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" stop-ldap --kill >/dev/null 2>&1
sleep 1
"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" start-ldap >/dev/null 2>&1
set +e
wait "$agent"
RC=$?
no_sanitizer_report "$ERR"
set -e
grep -q "have an unknown outcome" "$ERR" || fail "slapd was killed too late to test anything (see $ERR)"
[ "$RC" -le 3 ] || fail "the interrupted run crashed (exit $RC)"

# Re-runs converge.
le -c "$WORK/cfg.yaml" sync --apply
[ "$RC" -le 1 ] || { cat "$ERR" >&2; fail "the re-run failed with $RC"; }
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"

count=$(search "$BASE" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')
[ "$count" -eq $n ] || fail "$count people in the directory, expected $n"
[ "$(search "$BASE" '(&(objectClass=inetOrgPerson)(pwdReset=TRUE))' 1.1 | grep -c '^dn:')" -eq $n ] ||
	fail "not everyone must change the password"
members=$(search "ou=roles,$BASE" '(objectClass=groupOfNames)' member | grep -c '^member:')
[ "$members" -eq $n ] || fail "$members role memberships, expected $n"

# Every person got each message once, and the newest password works.
/usr/bin/python3 - "$LDAPENROLL_SANDBOX/mail" $n <<'PY' || fail "mail was lost or duplicated"
import collections, glob, json, sys
count = collections.Counter()
for p in glob.glob(sys.argv[1] + "/*.json"):
    for r in json.load(open(p))["rcpt_tos"]:
        count[r] += 1
n = int(sys.argv[2])
wrong = {r: c for r, c in count.items() if c != 3}
missing = n - len(count)
if wrong or missing:
    print("missing:", missing, "not exactly 3:", dict(list(wrong.items())[:10]), file=sys.stderr)
    sys.exit(1)
PY
for i in 1 $((n / 2)) $n; do
	mail_password "u$i@fault.example" "$WORK/u$i.pw" || fail "no password for u$i"
	must_change "uid=u$i,ou=Acct$((i % 7)),$BASE" "$WORK/u$i.pw"
done
echo "ok: fault_ldap"

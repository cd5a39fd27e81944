#!/usr/bin/env bash
# The agent dies (SIGKILL, nothing flushed) right after each step of a run:
# after the preflight, after the intents are journaled, in the middle of the
# writes, before the role groups, before the verification, between two
# messages, before the end record. Each time a re-run converges and the
# invariants hold: every row ends in one state (a third run changes
# nothing), no duplicate entries, everyone must change the password, every
# person's newest password reached them and works, and mail is duplicated
# only for people whose messages were not recorded as sent.
. "$(dirname "$0")/lib.sh"

require_test_hooks
n=12
points="preflight intents result:5 groups verify message:7 end"
i=0
for point in $points; do
	i=$((i + 1))
	BASE="ou=crash$i,$LDAPENROLL_SANDBOX_SUFFIX"
	domain="crash$i.example"
	admin ldapdelete -r "$BASE" >/dev/null 2>&1 || true
	ldif <<LDIF
dn: $BASE
objectClass: organizationalUnit
ou: crash$i

dn: ou=roles,$BASE
objectClass: organizationalUnit
ou: roles
LDIF
	{
		printf 'FirstName,LastName,Email,Username,Account,Role\n'
		for k in $(seq $n); do
			printf 'F%s,L%s,u%s@%s,c%su%s,Acct%s,%s\n' "$k" "$k" "$k" "$domain" "$i" "$k" $((k % 2)) \
				"$([ $((k % 3)) = 0 ] && echo 'Customer Manager')"
		done
	} >"$WORK/users$i.csv"
	write_config "$WORK/cfg$i.yaml" "$WORK/users$i.csv" "$(notify_yaml)"
	sed -i "s|^state_dir: .*|state_dir: $WORK/state$i|" "$WORK/cfg$i.yaml"
	cfg=(-c "$WORK/cfg$i.yaml")

	LDAPENROLL_TEST_CRASH_AT=$point le "${cfg[@]}" sync --apply
	[ "$RC" -eq 137 ] || { cat "$ERR" >&2; fail "$point: the run was not killed at the crash point (exit $RC)"; }
	crashed=$(ls "$WORK/state$i/jobs/")
	le "${cfg[@]}" sync --apply
	[ "$RC" -eq 0 ] || { cat "$ERR" >&2; fail "$point: the re-run exited $RC"; }
	le "${cfg[@]}" sync --apply
	expect_rc 0
	expect_in "$OUT" "No changes"

	[ "$(search "$BASE" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')" -eq $n ] ||
		fail "$point: not exactly $n people"
	[ "$(search "$BASE" '(&(objectClass=inetOrgPerson)(pwdReset=TRUE))' 1.1 | grep -c '^dn:')" -eq $n ] ||
		fail "$point: not everyone must change the password"
	[ "$(search "ou=roles,$BASE" '(objectClass=groupOfNames)' member | grep -c '^member:')" -eq $n ] ||
		fail "$point: not exactly $n role memberships"

	# The people whose three messages the crashed job recorded as sent.
	settled=$(/usr/bin/python3 - "$WORK/state$i/jobs/$crashed" <<'PY'
import collections, json, sys
sent = collections.Counter()
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("type") == "message" and r.get("status") == "sent":
        sent[r["to"]] += 1
print(" ".join(sorted(to for to, c in sent.items() if c == 3)))
PY
)
	for k in $(seq $n); do
		rcpt="u$k@$domain"
		got=$(mail_count "$rcpt")
		case " $settled " in
		*" $rcpt "*) [ "$got" -eq 3 ] || fail "$point: $rcpt was mailed again although all was sent ($got)" ;;
		*) [ "$got" -ge 3 ] || fail "$point: $rcpt got $got messages" ;;
		esac
		mail_password "$rcpt" "$WORK/pw" || fail "$point: no password mailed to $rcpt"
		must_change "uid=c${i}u$k,ou=Acct$((k % 2)),$BASE" "$WORK/pw"
	done
	echo "ok: crash at $point"
done
echo "ok: fault_crash"

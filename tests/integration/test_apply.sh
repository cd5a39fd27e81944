#!/usr/bin/env bash
# sync --apply against the real directory: DNs that need escaping, non-ASCII
# names, accounts and the default role "<Account> Standard User" created
# once and reused, {SSHA512} passwords with pwdReset and the policy in the
# same add, a password that reaches the person and must be changed at
# first login, and a second run that changes nothing.
. "$(dirname "$0")/lib.sh"

setup_base
cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
"Doe, John","O'Neil + Sons",john@apply.example,john.doe,"Acme, Inc.",
Lea,Hash,lea@apply.example,lea,#Hash Co,
"A\B","Q""uote<>;=",q@apply.example,q.uote,Semi; Colon,Customer Manager
Chloé,Lefèvre,chloe@apply.example,chloe,Contoso,
Zoë,Ångström,zoe@apply.example,zoe,Contoso,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"

le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "Created uid=john.doe,ou=Acme\\, Inc.,$BASE (role Acme, Inc. Standard User, default)"
job=$(job_id)
[ -n "$job" ] || fail "no job id in the log"

# The entries, found by their escaped DNs, hold exactly the source values.
check_entry() { # DN ATTR VALUE
	local got
	got=$(search "$1" -s base '(objectClass=*)' "$2" | sed -n "s/^$2:: //p;s/^$2: //p" | head -n 1)
	case $got in
	"$3") ;;
	*) [ "$(printf '%s' "$got" | base64 -d 2>/dev/null)" = "$3" ] || fail "$1: $2 is '$got', expected '$3'" ;;
	esac
}
check_entry "uid=john.doe,ou=Acme\\, Inc.,$BASE" cn "Doe, John O'Neil + Sons"
check_entry "uid=lea,ou=\\#Hash Co,$BASE" cn "Lea Hash"
check_entry "ou=\\#Hash Co,$BASE" ou "#Hash Co"
check_entry "uid=q.uote,ou=Semi\\; Colon,$BASE" sn 'Q"uote<>;='
check_entry "uid=q.uote,ou=Semi\\; Colon,$BASE" givenName 'A\B'
check_entry "uid=chloe,ou=Contoso,$BASE" cn "Chloé Lefèvre"
check_entry "uid=zoe,ou=Contoso,$BASE" sn "Ångström"

# Passwords: {SSHA512}, with the must-change flag and the policy, on everyone.
search "$BASE" '(objectClass=inetOrgPerson)' userPassword pwdReset pwdPolicySubentry >"$WORK/people.ldif"
[ "$(grep -c '^dn:' "$WORK/people.ldif")" -eq 5 ] || fail "expected 5 people"
[ "$(grep -c '^pwdReset: TRUE' "$WORK/people.ldif")" -eq 5 ] || fail "pwdReset is not TRUE on everyone"
[ "$(grep -c "^pwdPolicySubentry: $LDAPENROLL_SANDBOX_POLICY_DN" "$WORK/people.ldif")" -eq 5 ] || fail "pwdPolicySubentry"
for h in $(sed -n 's/^userPassword:: //p' "$WORK/people.ldif"); do
	case $(printf '%s' "$h" | base64 -d) in
	"{SSHA512}"*) ;;
	*) fail "a userPassword is not {SSHA512}" ;;
	esac
done

# Role groups: one per account, with all its people; the map applied.
members() { search "$1" -s base '(objectClass=*)' member | grep -c '^member:' || true; }
[ "$(members "cn=Contoso Standard User,ou=roles,$BASE")" -eq 2 ] || fail "Contoso Standard User should have 2 members"
[ "$(members "cn=Acme\\, Inc. Standard User,ou=roles,$BASE")" -eq 1 ] || fail "Acme, Inc. Standard User"
[ "$(members "cn=Semi\\; Colon Customer Manager,ou=roles,$BASE")" -eq 1 ] || fail "the mapped role"

# Each person got three messages; the password one binds and must be changed.
for who in john lea q chloe zoe; do
	[ "$(mail_count "$who@apply.example")" -eq 3 ] || fail "$who@apply.example did not get 3 messages"
done
$MAILBOX "$LDAPENROLL_SANDBOX" check chloe@apply.example || fail "a message to chloe breaks the mail rules"
mail_password chloe@apply.example "$WORK/chloe.pw" || fail "no password for chloe"
must_change "uid=chloe,ou=Contoso,$BASE" "$WORK/chloe.pw"
mail_password john@apply.example "$WORK/john.pw" || fail "no password for john"
must_change "uid=john.doe,ou=Acme\\, Inc.,$BASE" "$WORK/john.pw"

# The journal tells the same story.
le -c "$WORK/cfg.yaml" jobs "$job" --format json
expect_rc 0
[ "$(json 'j["status"]' <"$OUT")" = completed ] || fail "job status"
[ "$(json 'sum(1 for p in j["people"] for m in p["messages"] if m["status"] == "sent")' <"$OUT")" -eq 15 ] ||
	fail "the job does not record 15 sent messages"
# ... and holds no password.
for pw in "$WORK/chloe.pw" "$WORK/john.pw"; do
	grep -rqF -- "$(cat "$pw")" "$WORK/state" "$OUT" "$ERR" && fail "a password is in the journal or the output"
done

# A second run changes nothing and sends nothing.
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"
[ "$(mail_count chloe@apply.example)" -eq 3 ] || fail "the second run sent mail"

# A newcomer in an existing account joins the existing group.
printf 'Nia,New,nia@apply.example,nia,Contoso,\n' >>"$WORK/users.csv"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_not_in "$OUT" "Created role group"
[ "$(members "cn=Contoso Standard User,ou=roles,$BASE")" -eq 3 ] || fail "nia did not join Contoso Standard User"
echo "ok: apply"

#!/usr/bin/env bash
# Entries that appear between the read of the directory and the writes: the
# run is paused (test hook) after its preflight, the people it is about to
# create are added behind its back, and it goes on. This is what a re-run
# meets when the server finishes an add of a run that died: an entry with
# exactly this run's attributes and no password of its own (none, or a
# temporary one) is taken over: it gets a new temporary password that is
# mailed. One with other attributes, a password of its own, or disabled is
# left exactly as it is. A saved plan's create is refused in every case.
. "$(dirname "$0")/lib.sh"

require_test_hooks
setup_base
ldif <<LDIF
dn: ou=Acct0,$BASE
objectClass: organizationalUnit
ou: Acct0
LDIF
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for k in 1 2 3 4 5 6; do
		printf 'F%s,L%s,r%s@race.example,r%s,Acct0,\n' "$k" "$k" "$k" "$k"
	done
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
cfg=(-c "$WORK/cfg.yaml")

# planted K PASSWORD [EXTRA_LDIF]: person rK as a late add of this data would
# leave it.
planted() {
	printf 'dn: uid=r%s,ou=Acct0,%s\nobjectClass: inetOrgPerson\nuid: r%s\n' "$1" "$BASE" "$1"
	printf 'givenName: F%s\nsn: L%s\nmail: r%s@race.example\n' "$1" "$1" "$1"
	case ${3:-} in *cn:*) ;; *) printf 'cn: F%s L%s\n' "$1" "$1" ;; esac
	[ -z "$2" ] || printf 'userPassword: %s\n' "$2"
	[ -z "${3:-}" ] || printf '%s\n' "$3"
	printf '\n'
}

le_paused preflight "${cfg[@]}" sync --apply
expect_in "$ERR" "6 to create"
{
	planted 1 Old-Temporary-1 'pwdReset: TRUE'
	planted 2 ''
	planted 3 Own-Chosen-Pass-3
	planted 4 Old-Temporary-4 $'pwdReset: TRUE\npwdAccountLockedTime: 000001010000Z'
	planted 5 Old-Temporary-5 $'pwdReset: TRUE\ncn: Someone Else'
} | ldif
snapshot "$WORK/before"
le_resume
expect_rc 1

# r1 and r2 were taken over: a new temporary password that reached them, and
# the old one is gone.
for k in 1 2; do
	expect_in "$ERR" "create_person uid=r$k,ou=Acct0,$BASE: the entry appeared after the directory was read"
	[ "$(mail_count "r$k@race.example")" -eq 3 ] || fail "r$k did not get three messages"
	mail_password "r$k@race.example" "$WORK/pw" || fail "no password mailed to r$k"
	must_change "uid=r$k,ou=Acct0,$BASE" "$WORK/pw"
done
printf 'Old-Temporary-1' >"$WORK/old"
! ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "uid=r1,ou=Acct0,$BASE" -y "$WORK/old" >/dev/null 2>&1 ||
	fail "r1's old password still works"

# r3 (a password of its own), r4 (disabled) and r5 (another cn) are left as
# they are and get no mail.
for k in 3 4 5; do
	expect_in "$ERR" "create_person uid=r$k,ou=Acct0,$BASE failed (line $((k + 1))): an entry appeared there after the directory was read"
	[ "$(mail_count "r$k@race.example")" -eq 0 ] || fail "r$k was mailed"
done
search "$BASE" '(|(uid=r3)(uid=r4)(uid=r5))' '*' '+' >"$WORK/after34"
grep -v -e '^modifyTimestamp' -e '^modifiersName' -e '^entryCSN' "$WORK/after34" >"$WORK/a"
awk '/^dn: uid=r[345],/{on=1} /^$/{if(on)print;on=0} on' "$WORK/before" |
	grep -v -e '^modifyTimestamp' -e '^modifiersName' -e '^entryCSN' >"$WORK/b"
diff "$WORK/b" "$WORK/a" >&2 || fail "r3, r4 or r5 changed"
printf 'Own-Chosen-Pass-3' >"$WORK/own"
ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "uid=r3,ou=Acct0,$BASE" -y "$WORK/own" >/dev/null ||
	fail "r3's own password no longer works"

# r6 was created as planned; the journal says who was taken over.
[ "$(mail_count "r6@race.example")" -eq 3 ] || fail "r6 did not get three messages"
journal=$(ls "$WORK/state/jobs/"*.jsonl)
[ "$(grep -c '"type":"takeover"' "$journal")" -eq 2 ] || fail "the journal does not record two take-overs"
[ "$(search "ou=roles,$BASE" '(cn=Acct0 Standard User)' member | grep -c '^member:')" -eq 3 ] ||
	fail "the role group does not hold r1, r2 and r6"

# The next run finds r3, r4 and r5 as existing people and converges.
le "${cfg[@]}" sync --apply
expect_rc 0
le "${cfg[@]}" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"

# A saved plan promised an absent entry: there the same entry is refused.
printf 'F7,L7,r7@race.example,r7,Acct0,\n' >>"$WORK/users.csv"
le "${cfg[@]}" sync --format json --output "$WORK/plan.json"
expect_rc 0
le_paused preflight "${cfg[@]}" apply --apply "$WORK/plan.json"
planted 7 Old-Temporary-7 'pwdReset: TRUE' | ldif
le_resume
expect_rc 1
expect_in "$OUT" "refused: the entry exists now"
[ "$(mail_count "r7@race.example")" -eq 0 ] || fail "r7 was mailed"
printf 'Old-Temporary-7' >"$WORK/old"
ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "uid=r7,ou=Acct0,$BASE" -y "$WORK/old" >/dev/null ||
	fail "r7's password was changed"
echo "ok: race"

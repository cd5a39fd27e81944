#!/usr/bin/env bash
# The check that the directory will force every new password to be changed,
# against the server itself. The run is paused (test hook) after its writes
# and before its final check; behind its back one new person loses
# pwdReset and another is put under another policy. The check does not
# find them flagged and the run says so: a warning naming the entry, "2 not
# enforced" in the summary, the job's count, exit 1. The others pass.
# Both ways of checking: a search of the base for the flagged entries (the
# people are many against the entries under the base), and reading each
# person (a crowd of 300 other entries under the base makes that cheaper);
# with one server in directory.uri (no Post-Read) and with the server
# listed twice (each write also asks the server that takes it, which still
# said yes).
. "$(dirname "$0")/lib.sh"

require_test_hooks

# scenario URIS CROWD HOW: a fresh subtree with CROWD other entries, four
# new people, the tampering, the checks; HOW is the way the run checked.
scenario() {
	setup_base
	if [ "$2" -gt 0 ]; then
		for k in $(seq "$2"); do
			printf 'dn: ou=crowd%s,%s\nobjectClass: organizationalUnit\nou: crowd%s\n\n' "$k" "$BASE" "$k"
		done | ldif
	fi
	{
		printf 'FirstName,LastName,Email,Username,Account,Role\n'
		for k in 1 2 3 4; do
			printf 'F%s,L%s,v%s@verify.example,v%s,Acct0,\n' "$k" "$k" "$k" "$k"
		done
	} >"$WORK/users.csv"
	rm -rf "$WORK/state"
	write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
	sed -i "s#^  uri: .*#  uri: $1#" "$WORK/cfg.yaml"
	cfg=(-c "$WORK/cfg.yaml")

	le_paused verify -v "${cfg[@]}" sync --apply
	admin ldapmodify >/dev/null <<LDIF
dn: uid=v2,ou=Acct0,$BASE
changetype: modify
delete: pwdReset

dn: uid=v3,ou=Acct0,$BASE
changetype: modify
replace: pwdPolicySubentry
pwdPolicySubentry: cn=lenient,ou=policies,dc=example,dc=com
LDIF
	le_resume
	expect_rc 1
	expect_in "$ERR" "will not force uid=v2,ou=Acct0,$BASE to change the temporary password"
	expect_in "$ERR" "will not force uid=v3,ou=Acct0,$BASE to change the temporary password"
	expect_not_in "$ERR" "will not force uid=v1,"
	expect_not_in "$ERR" "will not force uid=v4,"
	expect_in "$ERR" "2 not enforced"
	expect_in "$ERR" "verified the must-change flag of 4 people: $3"
	job=$(job_id)
	le "${cfg[@]}" jobs "$job" --format json
	[ "$(json 'j["counts"]["not_enforced"]' <"$OUT")" = 2 ] || fail "the job does not count 2 people as not enforced"
	# Everyone was created once and told a password; only the two
	# tampered with are not flagged under the configured policy.
	[ "$(search "$BASE" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')" = 4 ] || fail "not four people"
	search "$BASE" "(&(pwdReset=TRUE)(pwdPolicySubentry=$LDAPENROLL_SANDBOX_POLICY_DN))" 1.1 |
		sed -n 's/^dn: uid=\(v[0-9]\),.*/\1/p' | sort | tr '\n' ' ' >"$WORK/flagged"
	[ "$(cat "$WORK/flagged")" = "v1 v4 " ] || fail "flagged: $(cat "$WORK/flagged"), expected v1 v4"
	for k in 1 2 3 4; do
		[ "$(mail_count "v$k@verify.example")" -ge 1 ] || fail "v$k got no message"
	done
}

scenario "$LDAPENROLL_SANDBOX_LDAP_URI" 0 "one search of the base, 2 read alone"
scenario "$LDAPENROLL_SANDBOX_LDAP_URI" 300 "no search, 4 read alone"
scenario "[$LDAPENROLL_SANDBOX_LDAP_URI, $LDAPENROLL_SANDBOX_LDAP_URI]" 0 "one search of the base, 2 read alone"
scenario "[$LDAPENROLL_SANDBOX_LDAP_URI, $LDAPENROLL_SANDBOX_LDAP_URI]" 300 "no search, 4 read alone"
echo "ok: a new password the server will not force to be changed is found by the final check, searching or reading each person, with one server and with two"

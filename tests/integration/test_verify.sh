#!/usr/bin/env bash
# The check that the directory will force every new password to be changed,
# against the server itself. The run is paused (test hook) after its writes
# and before its final check; behind its back one new person loses
# pwdReset and another is put under another policy. The check does not
# find them flagged and the run says so: a warning naming the entry, "2 not
# enforced" in the summary, the job's count, exit 1. The others pass.
# Every way of checking, each chosen by what the subtree holds:
#   - a search of the base for the flagged entries (few entries under the
#     base, none flagged);
#   - reading each person (a crowd of 300 other entries makes that cheaper);
#   - a search for the entries without the flag, after reading one person
#     per container with the flag as the filter (a crowd of 50 flagged
#     entries makes the flagged search return many);
#   - the same crowd, but the service account may not search pwdReset in
#     this subtree (it may read and write it): a search for the unflagged
#     would pass everyone unseen, so the person read first does not come
#     back, and the check reads each person instead;
# each with one server in directory.uri (no Post-Read) and with the server
# listed twice (each write also asks the server that takes it, which still
# said yes).
. "$(dirname "$0")/lib.sh"

require_test_hooks

# The rule that lets the service account read and write pwdReset in this
# subtree, but not search it.
NO_SEARCH_RULE="to dn.subtree=\"$BASE\" attrs=pwdReset by dn.exact=\"$LDAPENROLL_SANDBOX_BIND_DN\" =wrcdx by * none"
RULE_ADDED=
acl() { # add|delete
	if [ "$1" = add ]; then
		printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\nadd: olcAccess\nolcAccess: {0}%s\n' "$NO_SEARCH_RULE" |
			admin ldapmodify >/dev/null
		RULE_ADDED=1
	elif [ -n "$RULE_ADDED" ]; then
		printf 'dn: olcDatabase={1}mdb,cn=config\nchangetype: modify\ndelete: olcAccess\nolcAccess: {0}\n' |
			admin ldapmodify >/dev/null
		RULE_ADDED=
	fi
}
# The rule goes away however the test ends (then lib.sh's cleanup).
trap 'rc=$?; acl delete || true; (exit $rc); cleanup' EXIT

# scenario URIS CROWD HOW [no-search]: a fresh subtree with a crowd of other
# entries (none, ou:N organizational units, flagged:N entries holding
# pwdReset under the policy), four new people, the tampering ($lose loses
# pwdReset, $moved gets another policy, $kept are left alone), the checks;
# HOW is the way the run checked.
lose=v2 moved=v3 kept="v1 v4"
scenario() {
	setup_base
	case $2 in
	ou:*)
		for k in $(seq "${2#ou:}"); do
			printf 'dn: ou=crowd%s,%s\nobjectClass: organizationalUnit\nou: crowd%s\n\n' "$k" "$BASE" "$k"
		done | ldif
		;;
	flagged:*)
		for k in $(seq "${2#flagged:}"); do
			printf 'dn: cn=crowd%s,%s\nobjectClass: organizationalRole\ncn: crowd%s\npwdReset: TRUE\npwdPolicySubentry: %s\n\n' \
				"$k" "$BASE" "$k" "$LDAPENROLL_SANDBOX_POLICY_DN"
		done | ldif
		;;
	esac
	[ "${4:-}" != no-search ] || acl add
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
dn: uid=$lose,ou=Acct0,$BASE
changetype: modify
delete: pwdReset

dn: uid=$moved,ou=Acct0,$BASE
changetype: modify
replace: pwdPolicySubentry
pwdPolicySubentry: cn=lenient,ou=policies,dc=example,dc=com
LDIF
	le_resume
	[ "${4:-}" != no-search ] || acl delete
	expect_rc 1
	expect_in "$ERR" "will not force uid=$lose,ou=Acct0,$BASE to change the temporary password"
	expect_in "$ERR" "will not force uid=$moved,ou=Acct0,$BASE to change the temporary password"
	for k in $kept; do
		expect_not_in "$ERR" "will not force uid=$k,"
	done
	expect_in "$ERR" "2 not enforced"
	expect_in "$ERR" "verified the must-change flag of 4 people: $3"
	cp "$ERR" "$WORK/run.err"
	job=$(job_id)
	le "${cfg[@]}" jobs "$job" --format json
	[ "$(json 'j["counts"]["not_enforced"]' <"$OUT")" = 2 ] || fail "the job does not count 2 people as not enforced"
	# Everyone was created once and told a password; only the two
	# tampered with are not flagged under the configured policy.
	[ "$(search "$BASE" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')" = 4 ] || fail "not four people"
	search "$BASE" "(&(pwdReset=TRUE)(pwdPolicySubentry=$LDAPENROLL_SANDBOX_POLICY_DN))" 1.1 |
		sed -n 's/^dn: uid=\(v[0-9]\),.*/\1/p' | sort | tr '\n' ' ' >"$WORK/flagged"
	[ "$(cat "$WORK/flagged")" = "$kept " ] || fail "flagged: $(cat "$WORK/flagged"), expected $kept"
	for k in 1 2 3 4; do
		[ "$(mail_count "v$k@verify.example")" -ge 1 ] || fail "v$k got no message"
	done
}

one=$LDAPENROLL_SANDBOX_LDAP_URI
two="[$LDAPENROLL_SANDBOX_LDAP_URI, $LDAPENROLL_SANDBOX_LDAP_URI]"
unflagged="one search of the base for the entries without it, 1 read alone"
for uris in "$one" "$two"; do
	scenario "$uris" none "one search of the base, 2 read alone"
	scenario "$uris" ou:300 "no search, 4 read alone"
	scenario "$uris" flagged:50 "$unflagged"
	scenario "$uris" flagged:50 "no search, 4 read alone" no-search
	expect_in "$WORK/run.err" "not searching for the entries without the must-change flag: uid=v1,ou=Acct0,$BASE does not show it to a search for it"
done
# The person read first is itself one without the flag: the check does
# not rely on the search, and finds it reading.
lose=v1 kept="v2 v4"
scenario "$one" flagged:50 "no search, 4 read alone"
expect_in "$WORK/run.err" "not searching for the entries without the must-change flag: uid=v1,ou=Acct0,$BASE does not show it"
echo "ok: a new password the server will not force to be changed is found by the final check, whichever way it checks, with one server and with two"

#!/usr/bin/env bash
# Failover between two providers in multi-provider replication: the run
# starts on the first; the second goes down a third of the way through the
# people; at two thirds the first is killed (kill -9) and the second comes
# back. The run goes on there and finishes without false alarms about the
# must-change flag: the first provider's writes that the second cannot see
# are waited for and then said to be on their way, never taken for missing
# flags.
# When the first comes back and replication settles, both hold exactly the
# planned people, the same entries (entryUUID), each must change the
# password and can log in on both with the one password mailed to them; a
# second run changes nothing.
. "$(dirname "$0")/lib.sh"
require_test_hooks

private_sandbox --providers 2 --ldap-port-2 auto --ldaps-port-2 auto
setup_base
"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" replication-wait 2>/dev/null || fail "the providers did not start in step"

rows=1200
{
	echo "FirstName,LastName,Email,Username,Account,Role"
	for i in $(seq -w 1 $rows); do
		echo "Fo$i,Ver$i,u$i@failover.example,u$i,Acct$((10#$i % 4)),$([ $((10#$i % 3)) -eq 0 ] && echo 'Customer Manager')"
	done
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)
  messages: [password]
limits:
  max_create: 100000"
sed -i "s#^  uri: .*#  uri: [$LDAPENROLL_SANDBOX_LDAP_URI, $LDAPENROLL_SANDBOX_LDAP_URI_2]#" "$WORK/cfg.yaml"
sed -i "s#^  timeout: 10s#  timeout: 3s#" "$WORK/cfg.yaml"

# A third of the way, the second provider has everything so far and goes
# down; at two thirds the first is killed and the second comes back without
# what the first took in between.
le_paused result:400,800 -c "$WORK/cfg.yaml" sync --apply
"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" replication-wait 2>/dev/null || fail "the providers are not in step"
"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" stop-ldap --provider 2 2>/dev/null
le_next_pause
"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" stop-ldap --provider 1 --kill 2>/dev/null
"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" start-ldap --provider 2 2>/dev/null
le_resume
expect_rc 0
expect_in "$ERR" "reconnected to $LDAPENROLL_SANDBOX_LDAP_URI_2"
expect_not_in "$ERR" "will not force"
expect_in "$ERR" "went away before replicating"
job=$(job_id)
le -c "$WORK/cfg.yaml" jobs "$job" --format json
cp "$OUT" "$WORK/job.json"
[ "$(json 'j["counts"]["not_enforced"]' <"$WORK/job.json")" = 0 ] || fail "the job counts people as not enforced"
[ "$(json 'j["status"]' <"$WORK/job.json")" = completed ] || fail "the job did not complete"

"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" start-ldap --provider 1 2>/dev/null
"$SANDBOX_SH" --dir "$PRIVATE_SANDBOX" replication-wait --timeout 120 2>/dev/null ||
	fail "replication did not settle after the first provider came back"

# Both providers: the same entries, every planned person once, each
# flagged to change the password.
for n in 1 2; do
	uri=$LDAPENROLL_SANDBOX_LDAPI_URI
	[ $n -eq 1 ] || uri=$LDAPENROLL_SANDBOX_LDAPI_URI_2
	ldapsearch -LLL -x -H "$uri" -D "$LDAPENROLL_SANDBOX_ADMIN_DN" -y "$LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE" \
		-o ldif-wrap=no -E pr=500/noprompt -b "$BASE" '(objectClass=*)' entryUUID userPassword pwdReset \
		pwdPolicySubentry member | grep -v '^#\|^$\|^control:\|^pagedresults' | sort >"$WORK/p$n.ldif"
done
cmp -s "$WORK/p1.ldif" "$WORK/p2.ldif" || {
	diff "$WORK/p1.ldif" "$WORK/p2.ldif" | head -n 20 >&2
	fail "the providers hold different entries"
}
[ "$(grep -c '^dn: uid=' "$WORK/p1.ldif")" -eq $rows ] || fail "not exactly the $rows planned people"
[ "$(grep -c '^pwdReset: TRUE' "$WORK/p1.ldif")" -eq $rows ] || fail "not everyone must change the password"
[ "$(grep -c "^member: uid=" "$WORK/p1.ldif")" -eq $rows ] || fail "not everyone is in exactly one role group"

# Everyone got one password message, and that password logs them in, on
# both providers, with the demand to change it.
$MAILBOX "$LDAPENROLL_SANDBOX" passwords failover.example >"$WORK/passwords"
[ "$(wc -l <"$WORK/passwords")" -eq $rows ] || fail "not everyone got a password message"
awk -F'\t' '$3 != 1 { print; bad = 1 } END { exit bad }' "$WORK/passwords" || fail "someone got more than one password"
awk -F'\t' -v base="$BASE" '{ split($1, a, "@"); n = substr(a[1], 2) + 0;
	printf "uid=%s,ou=Acct%d,%s\t%s\n", a[1], n % 4, base, $2 }' "$WORK/passwords" >"$WORK/logins"
bindcheck "$LDAPENROLL_SANDBOX_LDAP_URI" <"$WORK/logins"
bindcheck "$LDAPENROLL_SANDBOX_LDAP_URI_2" <"$WORK/logins"

le -c "$WORK/cfg.yaml" sync --check
expect_rc 0

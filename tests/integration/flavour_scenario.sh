# The behaviours every directory flavour must have, run against the
# flavour's real server: create, roles, must change, updates, disable and
# enable (by sync and by an administrator), saved plans, jobs, notify
# --job, resets. Sourced by test_flavour_*.sh after lib.sh and a
# private sandbox, which define:
#   MAIL        the mail domain of the people
#   write_cfg   writes $WORK/cfg.yaml for $WORK/users.csv
#   dn U ACC    the DN of person U in account ACC
#   locked U ACC, flagged U ACC
#               whether the person is disabled / has the must-change flag,
#               read the server's own way
#   must_change DN PASSWORD_FILE
#               a login with the password says it must be changed
ada_sn=Lovelace with_dee=0
users() {
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	printf 'Ada,%s,ada@%s,ada,Acme,\n' "$ada_sn" "$MAIL"
	printf 'Bob,Byte,bob@%s,bob,Acme,Customer Manager\n' "$MAIL"
	[ "${1:-}" = without-cyd ] || printf 'Cyd,Core,cyd@%s,cyd,Globex,\n' "$MAIL"
	[ "$with_dee" = 0 ] || printf 'Dee,Dot,dee@%s,dee,Acme,\n' "$MAIL"
}
users >"$WORK/users.csv"
write_cfg
cfg=(-c "$WORK/cfg.yaml")
member_of() { # GROUP_CN DN: the group holds the DN (servers may change its case)
	search "cn=$1,ou=roles,$BASE" -s base member | grep -qi "^member: $2\$"
}

le "${cfg[@]}" check --connect
expect_rc 0
expect_in "$OUT" "the server is $FLAVOR, as directory.flavor says"

# Create: three people, two accounts, role groups with the default role;
# each told a password that must be changed.
le "${cfg[@]}" sync --apply
expect_rc 0
expect_in "$ERR" "0 not enforced"
for who in ada:Acme bob:Acme cyd:Globex; do
	u=${who%%:*} acc=${who#*:}
	flagged "$u" "$acc" || fail "$u's temporary password is not flagged for change"
	locked "$u" "$acc" && fail "$u is created disabled"
	[ "$(mail_count "$u@$MAIL")" -eq 3 ] || fail "$u did not get 3 messages"
	mail_password "$u@$MAIL" "$WORK/$u.pw" || fail "no password mailed to $u"
	must_change "$(dn "$u" "$acc")" "$WORK/$u.pw"
done
member_of "Acme Standard User" "$(dn ada Acme)" || fail "ada is not in the default role group"
member_of "Acme Customer Manager" "$(dn bob Acme)" || fail "bob is not in his role group"
le "${cfg[@]}" sync --check
expect_rc 0 # a re-run changes nothing

# A new person joins an existing group; a changed name is updated. A test
# build checks dee's must-change flag with the search for the entries
# without it, on this server: the person read first (dee) shows the flag to
# a search for it, and the search lists the entries without it
# (containers, role groups), dee not among them.
ada_sn=King with_dee=1
users >"$WORK/users.csv"
if "$LDAPENROLL_BIN" -V | grep -q "fault injection hooks"; then
	LDAPENROLL_TEST_VERIFY_BY=unflagged le -v "${cfg[@]}" sync --apply
	expect_in "$ERR" "verified the must-change flag of 1 people: one search of the base for the entries without it, 1 read alone"
	grep -Eq "[1-9][0-9]* entries under the base are without the must-change flag" "$ERR" ||
		fail "the search for the entries without the must-change flag listed none"
else
	le "${cfg[@]}" sync --apply
fi
expect_rc 0
expect_in "$ERR" "0 not enforced"
member_of "Acme Standard User" "$(dn dee Acme)" || fail "dee did not join the existing role group"
search "$(dn ada Acme)" -s base sn | grep -q '^sn: King' || fail "ada's name was not updated"
mail_password "dee@$MAIL" "$WORK/dee.pw"
must_change "$(dn dee Acme)" "$WORK/dee.pw"

# Absent from the source: disabled by sync; back: enabled again with a
# fresh password.
users without-cyd >"$WORK/users.csv"
le "${cfg[@]}" sync --apply --force-limits 1
expect_rc 0
locked cyd Globex || fail "sync did not disable cyd"
users >"$WORK/users.csv"
before=$(mail_count "cyd@$MAIL")
le "${cfg[@]}" sync --apply
expect_rc 0
locked cyd Globex && fail "sync did not enable cyd"
[ "$(mail_count "cyd@$MAIL")" -gt "$before" ] || fail "cyd got no fresh password"
mail_password "cyd@$MAIL" "$WORK/cyd.pw"
must_change "$(dn cyd Globex)" "$WORK/cyd.pw"

# An administrator's disable survives sync; enable undoes it.
printf 'Username\nbob\n' >"$WORK/bob.csv"
le "${cfg[@]}" disable --users "$WORK/bob.csv" --apply --force-limits 1
expect_rc 0
locked bob Acme || fail "bob is not disabled"
le "${cfg[@]}" sync --apply
expect_rc 0
expect_in "$OUT" "Left disabled:"
locked bob Acme || fail "sync enabled bob"
le "${cfg[@]}" enable --users "$WORK/bob.csv" --apply
expect_rc 0
locked bob Acme && fail "enable left bob disabled"
mail_password "bob@$MAIL" "$WORK/bob2.pw"
must_change "$(dn bob Acme)" "$WORK/bob2.pw"

# A saved plan applies exactly; the job tells what happened; notify --job
# sends a fresh password to whoever has not changed theirs.
printf 'Fay,Plan,fay@%s,fay,Acme,\n' "$MAIL" >>"$WORK/users.csv"
le "${cfg[@]}" sync --format json --output "$WORK/plan.json"
expect_rc 0
le "${cfg[@]}" apply "$WORK/plan.json" --apply
expect_rc 0
plan_job=$(job_id)
mail_password "fay@$MAIL" "$WORK/fay.pw"
must_change "$(dn fay Acme)" "$WORK/fay.pw"
le "${cfg[@]}" jobs "$plan_job" --format json
expect_rc 0
[ "$(json 'j["counts"]["done"], j["counts"]["failed"], j["counts"]["messages_sent"]' <"$OUT")" = "(1, 0, 3)" ] ||
	fail "the job of the saved plan says: $(json 'j["counts"]' <"$OUT")"
before=$(mail_count "fay@$MAIL")
le "${cfg[@]}" notify --job "$plan_job" --apply --force-limits 1
expect_rc 0
[ "$(mail_count "fay@$MAIL")" -gt "$before" ] || fail "notify --job sent fay nothing"
mail_password "fay@$MAIL" "$WORK/fay2.pw"
must_change "$(dn fay Acme)" "$WORK/fay2.pw"

# A reset by the service account is flagged for change too.
printf 'ada\n' >"$WORK/ada.txt"
le "${cfg[@]}" reset-passwords --scope selected --users "$WORK/ada.txt" --apply --force-limits 1
expect_rc 0
expect_in "$ERR" "0 not enforced"
mail_password "ada@$MAIL" "$WORK/ada2.pw"
must_change "$(dn ada Acme)" "$WORK/ada2.pw"
le "${cfg[@]}" sync --check
expect_rc 0

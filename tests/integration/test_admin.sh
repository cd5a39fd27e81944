#!/usr/bin/env bash
# The administrator's one-off jobs against the real directory and SMTP
# server: password resets by scope (all-except, without-role, selected),
# a given default password (policy-checked, owner-only, no mail), disable
# and enable from a list, re-notifying a job (not those who changed their
# password), and applying a saved plan whose entries changed meanwhile.
. "$(dirname "$0")/lib.sh"

setup_base
cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Ada,Admin,ada@admin.example,ada,Acme,Customer Manager
Bob,Basic,bob@admin.example,bob,Acme,
Cyd,Common,cyd@admin.example,cyd,Acme,
Nia,Nomail,,nia,Acme,
Rex,Roleless,rex@admin.example,rex,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)
limits:
  max_reset_percent: 100"
cfg=(-c "$WORK/cfg.yaml")
le "${cfg[@]}" sync --apply
expect_rc 0
first_job=$(job_id)
# Rex loses his role group membership by hand.
admin ldapmodify >/dev/null <<LDIF
dn: cn=Acme Standard User,ou=roles,$BASE
changetype: modify
delete: member
member: uid=rex,ou=Acme,$BASE
LDIF
count() { mail_count "$1@admin.example"; }

# without-role selects exactly the person in no role group.
le "${cfg[@]}" reset-passwords --scope without-role --format json
expect_rc 0
[ "$(json '[a["key"] for a in j["actions"] if a["op"] == "reset_password"]' <"$OUT")" = "['rex']" ] ||
	fail "without-role did not select exactly rex"
le "${cfg[@]}" reset-passwords --scope without-role --apply
expect_rc 0
[ "$(count rex)" -eq 4 ] || fail "rex did not get exactly one more message"
$MAILBOX "$LDAPENROLL_SANDBOX" subjects rex@admin.example | tail -n 1 | grep -q "temporary portal password" ||
	fail "rex's new message is not the password message"
mail_password rex@admin.example "$WORK/rex.pw"
must_change "uid=rex,ou=Acme,$BASE" "$WORK/rex.pw"

# all-except with a key the directory does not know (a typo) refuses the
# whole run: it would reset the very person meant to be spared.
printf 'ada\nbbo\n' >"$WORK/typo.txt"
snapshot "$WORK/before.ldif"
le "${cfg[@]}" reset-passwords --scope all-except --users "$WORK/typo.txt" --apply
expect_rc 2
expect_in "$ERR" "1 of the people to spare is not in the directory (line 2: bbo)"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "a refused all-except changed the directory"

# all-except spares the listed person (and reports nobody else).
printf 'ada\n' >"$WORK/except.txt"
le "${cfg[@]}" reset-passwords --scope all-except --users "$WORK/except.txt" --apply
expect_rc 0
[ "$(count ada)" -eq 3 ] || fail "ada was not spared"
for who in bob cyd rex; do
	[ "$(count $who)" -ge 4 ] || fail "$who got no new password"
done
le "${cfg[@]}" jobs "$(job_id)" --manual --format csv
expect_in "$OUT" "nia,\"uid=nia,ou=Acme,$BASE\",,no email address"

# selected, with a default password: policy-checked, owner-only, no mail.
printf 'bob\n' >"$WORK/bob.txt"
printf 'short' >"$WORK/weak.pw"
chmod 600 "$WORK/weak.pw"
le "${cfg[@]}" reset-passwords --scope selected --users "$WORK/bob.txt" --password-file "$WORK/weak.pw" --apply
expect_rc 2
expect_in "$ERR" "the password is refused"
printf 'Spring-Default-2026!\n' >"$WORK/good.pw"
chmod 644 "$WORK/good.pw"
le "${cfg[@]}" reset-passwords --scope selected --users "$WORK/bob.txt" --password-file "$WORK/good.pw" --apply
expect_rc 2
expect_in "$ERR" "chmod 600"
chmod 600 "$WORK/good.pw"
before=$(count bob)
le "${cfg[@]}" reset-passwords --scope selected --users "$WORK/bob.txt" --password-file "$WORK/good.pw" --apply
expect_rc 0
[ "$(count bob)" -eq "$before" ] || fail "a default password sent mail"
# Nobody is told a given password: everyone is on the manual list.
expect_in "$ERR" "1 person needs manual notification"
given_job=$(job_id)
le "${cfg[@]}" jobs "$given_job" --manual --format csv
expect_in "$OUT" "bob,\"uid=bob,ou=Acme,$BASE\",bob@admin.example,a given password was set; no message is sent,,\"tell them the password given with --password-file, by other means\""
printf 'Spring-Default-2026!' >"$WORK/bob.pw"
must_change "uid=bob,ou=Acme,$BASE" "$WORK/bob.pw"
grep -rqF 'Spring-Default-2026!' "$WORK/state" && fail "the default password is in the journal"

# disable and enable from a list (the safety limit counts: 1 of 5 is 20%).
printf 'Username\ncyd\nnobody\n' >"$WORK/cyd.csv"
le "${cfg[@]}" disable --users "$WORK/cyd.csv" --apply
expect_rc 4
le "${cfg[@]}" disable --users "$WORK/cyd.csv" --apply --force-limits 1
expect_rc 0 # nobody is not in the directory: a rejected line, reported, not a failure
expect_in "$ERR" "1 row is rejected"
expect_in "$OUT" "Disabled uid=cyd,ou=Acme,$BASE"
expect_in "$OUT" "Rejected line 3 (nobody): not in the directory"
search "uid=cyd,ou=Acme,$BASE" -s base '(objectClass=*)' pwdAccountLockedTime | grep -q '000001010000Z' ||
	fail "cyd is not locked"
before=$(count cyd)
le "${cfg[@]}" enable --users "$WORK/cyd.csv" --apply
expect_rc 0
expect_in "$OUT" "Enabled uid=cyd,ou=Acme,$BASE"
[ "$(count cyd)" -eq $((before + 3)) ] || fail "cyd did not get the three messages on enable"
mail_password cyd@admin.example "$WORK/cyd.pw"
must_change "uid=cyd,ou=Acme,$BASE" "$WORK/cyd.pw"

# notify --job: rex changes his password; a re-send skips him, unless --all.
printf 'Rex-Chose-This-1!' >"$WORK/rex-new.pw"
mail_password rex@admin.example "$WORK/rex.pw" # the newest one
ldappasswd -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "uid=rex,ou=Acme,$BASE" -y "$WORK/rex.pw" \
	-T "$WORK/rex-new.pw" >/dev/null 2>&1 || fail "rex could not change his password"
search "uid=rex,ou=Acme,$BASE" -s base '(objectClass=*)' pwdReset | grep -q 'pwdReset' && fail "rex still has pwdReset"
rex_before=$(count rex)
ada_before=$(count ada)
le "${cfg[@]}" notify --job "$first_job" --apply
expect_rc 0
[ "$(count rex)" -eq "$rex_before" ] || fail "notify --job mailed rex, who changed his password"
[ "$(count ada)" -eq $((ada_before + 3)) ] || fail "notify --job did not re-send to ada"
expect_in "$ERR" "left as they are"
le "${cfg[@]}" notify --job "$first_job" --all --apply
expect_rc 0
[ "$(count rex)" -eq $((rex_before + 3)) ] || fail "notify --all did not include rex"
le "${cfg[@]}" jobs --format json
[ "$(json '[x["command"] for x in j["jobs"]][:2]' <"$OUT")" = "['notify', 'notify']" ] || fail "notify runs are not jobs"

# apply PLAN.json: exactly the plan, but not what changed meanwhile.
sed -i 's/^Ada,Admin,/Adaline,Admin,/; s/^Cyd,Common,/Cydney,Common,/' "$WORK/users.csv"
le "${cfg[@]}" sync --format json --output "$WORK/plan.json"
expect_rc 0
admin ldapmodify >/dev/null <<LDIF
dn: uid=cyd,ou=Acme,$BASE
changetype: modify
replace: cn
cn: Someone Else
LDIF
le "${cfg[@]}" apply "$WORK/plan.json"
expect_rc 1
expect_in "$OUT" "Would refuse to update uid=cyd,ou=Acme,$BASE"
le "${cfg[@]}" apply "$WORK/plan.json" --apply
expect_rc 1
expect_in "$OUT" "Updated uid=ada,ou=Acme,$BASE"
expect_in "$OUT" "Refused to update uid=cyd,ou=Acme,$BASE"
search "uid=cyd,ou=Acme,$BASE" -s base '(objectClass=*)' cn | grep -q 'cn: Someone Else' || fail "cyd's cn was overwritten"
# A plan made with another config is refused whole.
printf '\n# another config\n' >>"$WORK/cfg.yaml"
le "${cfg[@]}" apply "$WORK/plan.json"
expect_rc 2
expect_in "$ERR" "made with another config"

# Templates of its own that lack the password message: a reset that would
# need it is refused before anything changes.
mkdir "$WORK/tmpl"
printf 'Subject: Welcome\n\nHello {first_name}, see {login_url}\n' >"$WORK/tmpl/welcome.txt"
sed -i 's|^  retries: 2$|  retries: 2\n  templates: '"$WORK/tmpl"'\n  messages: [welcome]|' "$WORK/cfg.yaml"
le "${cfg[@]}" reset-passwords --scope all --apply
expect_rc 2
expect_in "$ERR" "has no password.txt"
echo "ok: admin"

#!/usr/bin/env bash
# The sync preview against a real slapd that already holds people: one
# disabled, one whose name changed, one unchanged. The plan must enable,
# update and leave alone exactly those, create the new person and the role
# group they need, reject the bad row, and change nothing in the directory.
. "$(dirname "$0")/lib.sh"

setup_base
ldif <<LDIF
dn: ou=Acme,$BASE
objectClass: organizationalUnit
ou: Acme

dn: uid=dis,ou=Acme,$BASE
objectClass: inetOrgPerson
uid: dis
cn: Dis Abled
givenName: Dis
sn: Abled
mail: dis@acme.example
pwdAccountLockedTime: 000001010000Z
description: ldapenroll: disabled by sync

dn: uid=held,ou=Acme,$BASE
objectClass: inetOrgPerson
uid: held
cn: Held Back
givenName: Held
sn: Back
mail: held@acme.example
pwdAccountLockedTime: 000001010000Z

dn: uid=renamed,ou=Acme,$BASE
objectClass: inetOrgPerson
uid: renamed
cn: Old Name
givenName: Old
sn: Name
mail: renamed@acme.example

dn: uid=same,ou=Acme,$BASE
objectClass: inetOrgPerson
uid: same
cn: Same Person
givenName: Same
sn: Person
mail: same@acme.example

dn: cn=Acme Standard User,ou=roles,$BASE
objectClass: groupOfNames
cn: Acme Standard User
member: uid=dis,ou=Acme,$BASE
member: uid=renamed,ou=Acme,$BASE
member: uid=same,ou=Acme,$BASE
member: uid=held,ou=Acme,$BASE
LDIF

cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Dis,Abled,dis@acme.example,dis,Acme,
New,Name,renamed@acme.example,RENAMED,Acme,
Same,Person,same@acme.example,same,Acme,
Nína,Newbie,nina@acme.example,newbie,Acme,Customer Manager
Bad,Row,bad@acme.example,badrow,Acme,Astronaut
Held,Back,held@acme.example,held,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv"
snapshot "$WORK/before.ldif"

# JSON: the contract of SPEC section 5.
le -c "$WORK/cfg.yaml" sync --format json
expect_rc 0
plan=$WORK/plan.json
cp "$OUT" "$plan"
summary=$(json 'sorted((k, v) for k, v in j["summary"].items() if v)' <"$plan")
expected="[('create_person', 1), ('create_role', 1), ('enable_person', 1), ('messages', 0), ('manual_notification', 2), ('memberships', 1), ('rejected', 1), ('rows', 6), ('unchanged', 1), ('update_person', 1), ('left_disabled', 1)]"
expected=$(/usr/bin/python3 -c "print(sorted(x for x in $expected if x[1]))")
[ "$summary" = "$expected" ] || fail "summary: $summary, expected $expected"
[ "$(json 'j["version"], j["command"]' <"$plan")" = "(1, 'sync')" ] || fail "version/command"
[ "$(json '[a["key"] for a in j["actions"] if a["op"] == "enable_person"]' <"$plan")" = "['dis']" ] ||
	fail "enable_person is not exactly dis"
[ "$(json '[(a["key"], a["line"]) for a in j["actions"] if a["op"] == "update_person"]' <"$plan")" = "[('RENAMED', 3)]" ] ||
	fail "update_person is not exactly RENAMED on line 3"
[ "$(json '[a for a in j["actions"] if a["op"] == "update_person"][0]["changes"]["cn"]' <"$plan")" = \
	"{'old': ['Old Name'], 'new': 'New Name'}" ] || fail "update of cn"
[ "$(json 'sorted([a for a in j["actions"] if a["op"] == "update_person"][0]["changes"])' <"$plan")" = \
	"['cn', 'givenName']" ] || fail "only cn and givenName differ"
create=$(json '[(a["key"], a["line"], a["role"], a["role_origin"], a["dn"]) for a in j["actions"] if a["op"] == "create_person"]' <"$plan")
[ "$create" = "[('newbie', 5, 'Acme Customer Manager', 'map', 'uid=newbie,ou=Acme,$BASE')]" ] || fail "create_person: $create"
[ "$(json '[a["dn"] for a in j["actions"] if a["op"] == "create_role"]' <"$plan")" = \
	"['cn=Acme Customer Manager,ou=roles,$BASE']" ] || fail "create_role"
[ "$(json '[(r["line"], r["key"]) for r in j["rejected"]]' <"$plan")" = "[(6, 'badrow')]" ] || fail "rejected"
expect_in "$plan" 'unknown role'
[ "$(json '[m["key"] for m in j["manual_notification"]]' <"$plan")" = "['dis', 'newbie']" ] ||
	fail "without notify, the people who get a password are listed for manual notification"

# Text: the ldap2pg-like preview.
le -c "$WORK/cfg.yaml" sync
expect_rc 0
expect_in "$OUT" "Would enable uid=dis,ou=Acme,$BASE"
expect_in "$OUT" "Would update uid=renamed,ou=Acme,$BASE (line 3): cn \"Old Name\" -> \"New Name\""
expect_in "$OUT" "Would create uid=newbie,ou=Acme,$BASE (role Acme Customer Manager, map)"
expect_in "$OUT" "Would create role group cn=Acme Customer Manager,ou=roles,$BASE"
expect_in "$OUT" "Rejected line 6 (badrow): unknown role 'Astronaut' (not in roles.map)"
# Held was disabled by an administrator (no note of sync's): left so.
expect_in "$OUT" "Left disabled: uid=held,ou=Acme,$BASE (disabled by an administrator"
expect_in "$OUT" "Would enable uid=dis,ou=Acme,$BASE (line 2: disabled by sync, active in the source again)"
expect_in "$OUT" "Nothing was changed; use --apply to apply."
expect_not_in "$OUT" "uid=same"

# LDIF: the same changes, no password anywhere.
le -c "$WORK/cfg.yaml" sync --format ldif
expect_rc 0
expect_in "$OUT" "delete: pwdAccountLockedTime"
expect_in "$OUT" "replace: pwdPolicySubentry"
expect_in "$OUT" "replace: cn"
expect_in "$OUT" "pwdReset: TRUE"
expect_in "$OUT" "cn: Nína Newbie" # UTF-8 as text, not base64
grep -q '^userPassword:' "$OUT" && fail "the LDIF holds a userPassword line"
# ldapmodify's own reader takes it (-n: parse and show, send nothing).
ldapmodify -n -f "$OUT" >"$WORK/ldapmodify.out" 2>&1 || {
	cat "$WORK/ldapmodify.out" >&2
	fail "ldapmodify cannot read the LDIF"
}
expect_in "$WORK/ldapmodify.out" "modifying entry"

# --output writes an owner-only file and nothing to standard output.
le -c "$WORK/cfg.yaml" sync --format json --output "$WORK/saved.json"
expect_rc 0
[ ! -s "$OUT" ] || fail "--output still wrote to standard output"
[ "$(stat -c %a "$WORK/saved.json")" = 600 ] || fail "the saved plan is not owner-only"
cmp -s "$WORK/saved.json" "$plan" || fail "the saved plan differs from the printed one"

# --check: 1 while changes are pending, 0 when the source matches.
le -c "$WORK/cfg.yaml" sync --check
expect_rc 1
printf 'FirstName,LastName,Email,Username,Account,Role\nSame,Person,same@acme.example,same,Acme,\n' >"$WORK/same.csv"
write_config "$WORK/same.yaml" "$WORK/same.csv"
le -c "$WORK/same.yaml" sync --check
expect_rc 0
expect_in "$OUT" "No changes"

# Several accounts: what to act on first, then the actions per account;
# --summary keeps only the counts and what to act on.
cat >"$WORK/two.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Gus,Globex,gus@globex.example,gus,Globex,
Bad,Row,bad@acme.example,badrow,Acme,Astronaut
Ada,Acme,ada@acme.example,ada,Acme,
Gil,Globex,gil@globex.example,gil,Globex,Customer Manager
CSV
write_config "$WORK/two.yaml" "$WORK/two.csv"
le -c "$WORK/two.yaml" sync
expect_rc 0
[ "$(head -n 1 "$OUT")" = "Rejected line 3 (badrow): unknown role 'Astronaut' (not in roles.map)" ] ||
	fail "the rejected row does not come first: $(head -n 1 "$OUT")"
grep -n '^Account \|^  Would create uid=' "$OUT" | cut -d: -f2- | sed 's/,ou=.*//' >"$WORK/groups"
printf '%s\n' "Account Globex:" "  Would create uid=gus" "  Would create uid=gil" "Account Acme:" "  Would create uid=ada" |
	diff -u - "$WORK/groups" || fail "the actions are not grouped by account"
expect_in "$OUT" "  Would create role group cn=Globex Customer Manager"
le -c "$WORK/two.yaml" sync --summary
expect_rc 0
expect_in "$OUT" "Rejected line 3 (badrow)"
expect_in "$OUT" "Summary: 3 to create"
expect_not_in "$OUT" "Would create"
le -c "$WORK/two.yaml" sync --summary --format json
expect_rc 2

# Nothing above touched the directory.
snapshot "$WORK/after.ldif"
diff -u "$WORK/before.ldif" "$WORK/after.ldif" || fail "the preview changed the directory"
echo "ok: preview"

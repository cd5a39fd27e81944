#!/usr/bin/env bash
# Planning while the directory is read: with pages of 3 entries the rows are
# planned between pages, as their people arrive; with one page, after the
# read. The role group comes last in the read (added last); disabled people,
# changed names and people missing from the group are spread over the rows,
# new people come late. Both plans must be the same, byte for byte, in every
# form; then again once a second person with an early row's key has been
# added (read last: the rows are planned again after the read).
. "$(dirname "$0")/lib.sh"

setup_base
{
	printf 'dn: ou=Acme,%s\nobjectClass: organizationalUnit\nou: Acme\n\n' "$BASE"
	printf 'dn: ou=Other,%s\nobjectClass: organizationalUnit\nou: Other\n\n' "$BASE"
	for i in $(seq -w 1 30); do
		printf 'dn: uid=p%s,ou=Acme,%s\nobjectClass: inetOrgPerson\nuid: p%s\ncn: First%s Last\n' "$i" "$BASE" "$i" "$i"
		printf 'givenName: First%s\nsn: Last\nmail: p%s@acme.example\n' "$i" "$i"
		case $i in
		07 | 19) printf 'pwdAccountLockedTime: 000001010000Z\ndescription: ldapenroll: disabled by sync\n' ;;
		esac
		printf '\n'
	done
	printf 'dn: cn=Acme Standard User,ou=roles,%s\nobjectClass: groupOfNames\ncn: Acme Standard User\n' "$BASE"
	for i in $(seq -w 1 30); do
		case $i in 05 | 12 | 23) continue ;; esac # not members
		printf 'member: uid=p%s,ou=Acme,%s\n' "$i" "$BASE"
	done
	printf '\n'
} | ldif

{
	echo "FirstName,LastName,Email,Username,Account,Role"
	for i in $(seq -w 1 30); do
		first=First$i
		case $i in 09 | 26) first=Renamed$i ;; esac
		echo "$first,Last,p$i@acme.example,p$i,Acme,"
		case $i in
		15) echo "Bad,Row,bad@acme.example,bad,Acme,Astronaut" ;;
		24) echo "New,Person,n1@acme.example,n1,Acme," ;;
		27) echo "New,Manager,n2@acme.example,n2,Acme,Customer Manager" ;;
		esac
	done
} >"$WORK/users.csv"

write_config "$WORK/along.yaml" "$WORK/users.csv"
sed -i 's/^  timeout: 10s$/&\n  page_size: 3/' "$WORK/along.yaml"
write_config "$WORK/after.yaml" "$WORK/users.csv"
sed -i 's/^  timeout: 10s$/&\n  page_size: 1000/' "$WORK/after.yaml"
grep -q '^  page_size: 3$' "$WORK/along.yaml" || fail "the config has no page_size"

# The configs differ in page_size only: their digest is left out.
same_config() { sed -e 's/"config_sha256":"[0-9a-f]*"/"config_sha256":""/' "$1"; }
same_plans() { # WHAT
	local format
	for format in json text ldif; do
		le -c "$WORK/after.yaml" sync --format "$format"
		expect_rc 0
		same_config "$OUT" >"$WORK/after.$format"
		le -c "$WORK/along.yaml" sync --format "$format"
		expect_rc 0
		same_config "$OUT" >"$WORK/along.$format"
		diff -u "$WORK/after.$format" "$WORK/along.$format" >&2 ||
			fail "$1: the plan made between pages differs from the one made after the read ($format)"
	done
}
actions() { json '[(a["op"], a["key"]) for a in j["actions"] if a["op"] != "create_role"]' <"$WORK/along.json"; }
rejected() { json '[(r["key"], r["reason"]) for r in j["rejected"]]' <"$WORK/along.json"; }
unchanged() { json 'j["summary"]["unchanged"]' <"$WORK/along.json"; }

same_plans "one person a key"
[ "$(actions)" = "[('create_person', 'n1'), ('create_person', 'n2'), ('enable_person', 'p07'), ('enable_person', 'p19'), ('update_person', 'p09'), ('update_person', 'p26'), ('add_to_role', 'p05'), ('add_to_role', 'p12'), ('add_to_role', 'p23')]" ] ||
	fail "actions: $(actions)"
[ "$(rejected)" = "[('bad', \"unknown role 'Astronaut' (not in roles.map)\")]" ] || fail "rejected: $(rejected)"
[ "$(unchanged)" = 23 ] || fail "unchanged: $(unchanged)"

# p04's key again, read last (keys are compared without case).
printf 'dn: uid=P04,ou=Other,%s\nobjectClass: inetOrgPerson\nuid: P04\ncn: Other Four\nsn: Four\n' "$BASE" | ldif
same_plans "a key of two people"
[ "$(rejected)" = "[('p04', 'several entries in the directory have uid=p04'), ('bad', \"unknown role 'Astronaut' (not in roles.map)\")]" ] ||
	fail "rejected: $(rejected)"
[ "$(unchanged)" = 22 ] || fail "unchanged: $(unchanged)"

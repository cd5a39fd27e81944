#!/usr/bin/env bash
# directory.flavor: 389ds against a real 389 Directory Server (a private
# sandbox, --flavor 389ds): people created with a hashed temporary password
# that the server expires (passwordMustChange on, verified by
# passwordExpirationTime), role groups with the default role, updates,
# disable and enable with nsAccountLock (sync's note included), resets,
# re-notification, the preview's LDIF, and check --connect telling the
# flavours apart. Logins use the server's own mechanism.
. "$(dirname "$0")/lib.sh"

private_sandbox --flavor 389ds
setup_base
ada_sn=Lovelace with_dee=0
users() {
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	printf 'Ada,%s,ada@ds.example,ada,Acme,\n' "$ada_sn"
	printf 'Bob,Byte,bob@ds.example,bob,Acme,Customer Manager\n'
	[ "${1:-}" = without-cyd ] || printf 'Cyd,Core,cyd@ds.example,cyd,Globex,\n'
	[ "$with_dee" = 0 ] || printf 'Dee,Dot,dee@ds.example,dee,Acme,\n'
}
users >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
# The server's own policy: no password_policy, flavor 389ds.
sed -i -e '/^  password_policy:/d' -e 's/^directory:$/directory:\n  flavor: 389ds/' \
	-e 's/^  update: \[cn, givenName, sn, mail\]$/&\n  absent: disable/' "$WORK/cfg.yaml"
cfg=(-c "$WORK/cfg.yaml")
dn() { echo "uid=$1,ou=$2,$BASE"; }
locked() { search "$(dn "$1" "$2")" -s base '(nsAccountLock=true)' dn | grep -q '^dn:'; }
expired() { search "$(dn "$1" "$2")" -s base '(passwordExpirationTime=19700101000000Z)' dn | grep -q '^dn:'; }
# 389-ds answers the bind with success and the password-expired controls,
# and refuses any other operation (53) until the password is changed.
must_change() {
	local out
	out=$(ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$1" -y "$2" -e ppolicy 2>&1 || true)
	case $out in
	*"ldap_bind: Success (0); Password must be changed"*) ;;
	*) fail "bind as $1 does not say 'Password must be changed': $out" ;;
	esac
}

# check --connect knows the server; flavor openldap against it is refused.
le "${cfg[@]}" check --connect
expect_rc 0
expect_in "$OUT" "the server is 389ds, as directory.flavor says"
sed -e 's/^  flavor: 389ds$/  flavor: openldap/' -e "s|^  base: .*|&\n  password_policy: cn=none,$BASE|" \
	"$WORK/cfg.yaml" >"$WORK/wrong.yaml"
le -c "$WORK/wrong.yaml" check --connect
expect_rc 2
expect_in "$ERR" "directory.flavor is openldap, but $LDAPENROLL_SANDBOX_LDAP_URI is 389ds"

# The LDIF preview speaks 389-ds: no pwdReset, no policy subentry.
le "${cfg[@]}" sync --format ldif
expect_rc 0
expect_not_in "$OUT" "pwdReset"
expect_not_in "$OUT" "pwdPolicySubentry"

# Create: three people, two accounts, role groups with the default role.
le "${cfg[@]}" sync --apply
expect_rc 0
expect_in "$ERR" "0 not enforced"
for who in ada:Acme bob:Acme cyd:Globex; do
	u=${who%%:*} acc=${who#*:}
	expired "$u" "$acc" || fail "the server did not expire $u's temporary password"
	[ "$(mail_count "$u@ds.example")" -eq 3 ] || fail "$u did not get 3 messages"
	mail_password "$u@ds.example" "$WORK/$u.pw" || fail "no password mailed to $u"
	must_change "$(dn "$u" "$acc")" "$WORK/$u.pw"
done
search "cn=Acme Standard User,ou=roles,$BASE" -s base member | grep -q "member: $(dn ada Acme)" ||
	fail "ada is not in the default role group"
search "cn=Acme Customer Manager,ou=roles,$BASE" -s base member | grep -q "member: $(dn bob Acme)" ||
	fail "bob is not in his role group"
le "${cfg[@]}" sync --check
expect_rc 0 # a re-run changes nothing

# A new person joins an existing group; a changed name is updated.
ada_sn=King with_dee=1
users >"$WORK/users.csv"
le "${cfg[@]}" sync --apply
expect_rc 0
search "cn=Acme Standard User,ou=roles,$BASE" -s base member | grep -q "member: $(dn dee Acme)" ||
	fail "dee did not join the existing role group"
search "$(dn ada Acme)" -s base sn | grep -q '^sn: King' || fail "ada's name was not updated"
mail_password dee@ds.example "$WORK/dee.pw"
must_change "$(dn dee Acme)" "$WORK/dee.pw"

# Absent from the source: disabled by sync (its note), and enabled again
# with a fresh password when back.
users without-cyd >"$WORK/users.csv"
le "${cfg[@]}" sync --apply --force-limits 1
expect_rc 0
locked cyd Globex || fail "cyd is not disabled (nsAccountLock)"
users >"$WORK/users.csv"
before=$(mail_count cyd@ds.example)
le "${cfg[@]}" sync --apply
expect_rc 0
locked cyd Globex && fail "sync did not enable cyd"
[ "$(mail_count cyd@ds.example)" -gt "$before" ] || fail "cyd got no fresh password"
mail_password cyd@ds.example "$WORK/cyd.pw"
must_change "$(dn cyd Globex)" "$WORK/cyd.pw"

# An administrator's disable survives sync; enable undoes it.
printf 'Username\nbob\n' >"$WORK/bob.csv"
le "${cfg[@]}" disable --users "$WORK/bob.csv" --apply --force-limits 1
expect_rc 0
locked bob Acme || fail "bob is not disabled"
ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$(dn bob Acme)" -y "$WORK/bob.pw" >"$WORK/who" 2>&1 &&
	fail "bob can still log in"
le "${cfg[@]}" sync --apply
expect_rc 0
expect_in "$OUT" "Left disabled: $(dn bob Acme)"
locked bob Acme || fail "sync enabled bob"
le "${cfg[@]}" enable --users "$WORK/bob.csv" --apply
expect_rc 0
locked bob Acme && fail "enable left bob disabled"
mail_password bob@ds.example "$WORK/bob2.pw"
must_change "$(dn bob Acme)" "$WORK/bob2.pw"

# A reset by the service account (passwordAdminDN) expires the password too.
printf 'ada\n' >"$WORK/ada.txt"
le "${cfg[@]}" reset-passwords --scope selected --users "$WORK/ada.txt" --apply --force-limits 1
expect_rc 0
expect_in "$ERR" "0 not enforced"
mail_password ada@ds.example "$WORK/ada2.pw"
must_change "$(dn ada Acme)" "$WORK/ada2.pw"
le "${cfg[@]}" sync --check
expect_rc 0
echo "ok: flavour_389ds"

#!/usr/bin/env bash
# directory.flavor: 389ds against a real 389 Directory Server (a private
# sandbox, --flavor 389ds): the behaviours of flavour_scenario.sh with
# 389-ds's own means: a hashed temporary password that the server expires
# (passwordMustChange on: passwordExpirationTime 19700101000000Z),
# nsAccountLock, a login that succeeds with "Password must be changed" and
# refuses anything else; and check --connect refusing flavor openldap.
. "$(dirname "$0")/lib.sh"

private_sandbox --flavor 389ds
setup_base
FLAVOR=389ds MAIL=ds.example
write_cfg() {
	write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
	# The server's own policy: no password_policy.
	sed -i -e '/^  password_policy:/d' -e 's/^directory:$/directory:\n  flavor: 389ds/' \
		-e 's/^  update: \[cn, givenName, sn, mail\]$/&\n  absent: disable/' "$WORK/cfg.yaml"
}
dn() { echo "uid=$1,ou=$2,$BASE"; }
locked() { search "$(dn "$1" "$2")" -s base '(nsAccountLock=true)' dn | grep -q '^dn:'; }
flagged() { search "$(dn "$1" "$2")" -s base '(passwordExpirationTime=19700101000000Z)' dn | grep -q '^dn:'; }
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

. "$(dirname "$0")/flavour_scenario.sh"

# flavor openldap against 389-ds is refused, naming the right one.
sed -e 's/^  flavor: 389ds$/  flavor: openldap/' -e "s|^  base: .*|&\n  password_policy: cn=none,$BASE|" \
	"$WORK/cfg.yaml" >"$WORK/wrong.yaml"
le -c "$WORK/wrong.yaml" check --connect
expect_rc 2
expect_in "$ERR" "directory.flavor is openldap, but $LDAPENROLL_SANDBOX_LDAP_URI is 389ds"
# The LDIF preview speaks 389-ds: no pwdReset, no policy subentry.
le -c "$WORK/cfg.yaml" sync --format ldif
expect_rc 0
expect_not_in "$OUT" "pwdReset"
expect_not_in "$OUT" "pwdPolicySubentry"
echo "ok: flavour_389ds"

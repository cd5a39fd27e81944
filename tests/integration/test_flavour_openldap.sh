#!/usr/bin/env bash
# directory.flavor: openldap (the default) through the behaviours of
# flavour_scenario.sh, which test_flavour_389ds.sh and test_flavour_ad.sh
# run against the other servers: slapd's means are pwdReset with the
# policy, pwdAccountLockedTime, and a login that the ppolicy control says
# must change the password.
. "$(dirname "$0")/lib.sh"

setup_base
FLAVOR=openldap MAIL=ol.example
write_cfg() {
	write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
	sed -i 's/^  update: \[cn, givenName, sn, mail\]$/&\n  absent: disable/' "$WORK/cfg.yaml"
}
dn() { echo "uid=$1,ou=$2,$BASE"; }
locked() { search "$(dn "$1" "$2")" -s base '(pwdAccountLockedTime=000001010000Z)' dn | grep -q '^dn:'; }
flagged() { search "$(dn "$1" "$2")" -s base '(pwdReset=TRUE)' dn | grep -q '^dn:'; }
# must_change: lib.sh's (ldapwhoami with the ppolicy control).

. "$(dirname "$0")/flavour_scenario.sh"
echo "ok: flavour_openldap"

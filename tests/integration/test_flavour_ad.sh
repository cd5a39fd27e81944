#!/usr/bin/env bash
# directory.flavor: ad against a real Samba AD domain controller (a private
# sandbox, --flavor ad: samba in a network namespace, reached through
# socat): the behaviours of flavour_scenario.sh with Active Directory's own
# means: users created in one add with unicodePwd (clear text UTF-16LE over
# TLS), userAccountControl 512 and pwdLastSet 0; disable and enable by bit
# 0x2 of userAccountControl, the other bits kept; a login with the
# temporary password that answers 49 "data 773" (must change).
. "$(dirname "$0")/lib.sh"

private_sandbox --flavor ad
setup_base
FLAVOR=ad MAIL=ad.example
write_cfg() {
	cat >"$WORK/cfg.yaml" <<YAML
directory:
  uri: $LDAPENROLL_SANDBOX_LDAP_URI
  flavor: ad
  starttls: required
  ca_file: $LDAPENROLL_SANDBOX_CA
  bind_dn: $LDAPENROLL_SANDBOX_BIND_DN
  bind_password_file: $LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE
  base: $BASE
  timeout: 10s
source:
  type: csv
  path: $WORK/users.csv
  key: Username
accounts:
  dn: "ou={Account},{base}"
people:
  dn: "cn={Username},ou={Account},{base}"
  attributes:
    sAMAccountName: "{Username}"
    cn: "{Username}"
    userPrincipalName: "{Username}@example.com"
    givenName: "{FirstName}"
    sn: "{LastName}"
    mail: "{Email}"
  update: [givenName, sn, mail]
  absent: disable
roles:
  column: Role
  dn: "cn={role},ou=roles,{base}"
  map:
    "Customer Manager": "{Account} Customer Manager"
  default: "{Account} Standard User"
state_dir: $WORK/state
$(notify_yaml)
YAML
}
dn() { echo "cn=$1,ou=$2,$BASE"; }
uac() { search "$(dn "$1" "$2")" -s base userAccountControl | sed -n 's/^userAccountControl: //p'; }
# Bit 0x2 of userAccountControl, with AD's bitwise matching rule.
locked() { search "$(dn "$1" "$2")" -s base '(userAccountControl:1.2.840.113556.1.4.803:=2)' dn | grep -q '^dn:'; }
flagged() { search "$(dn "$1" "$2")" -s base '(pwdLastSet=0)' dn | grep -q '^dn:'; }
# AD answers a bind with a password that must be changed with 49, data 773
# (52e would be a wrong password, 533 a disabled account).
must_change() {
	local out
	out=$(ldapsearch -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$1" -y "$2" -b "" -s base dn 2>&1 || true)
	case $out in
	*"data 773"*) ;;
	*) fail "bind as $1 does not answer 'must change' (data 773): $out" ;;
	esac
}

. "$(dirname "$0")/flavour_scenario.sh"

# The other bits of userAccountControl stay as they were: a normal account
# (0x200) throughout, 514 while disabled.
for who in ada:Acme bob:Acme cyd:Globex dee:Acme; do
	[ "$(uac "${who%%:*}" "${who#*:}")" = 512 ] || fail "${who%%:*}: userAccountControl $(uac "${who%%:*}" "${who#*:}")"
done
printf 'Username\ndee\n' >"$WORK/dee.csv"
le "${cfg[@]}" disable --users "$WORK/dee.csv" --apply --force-limits 1
expect_rc 0
[ "$(uac dee Acme)" = 514 ] || fail "dee's userAccountControl is $(uac dee Acme), not 514"
# The LDIF preview speaks AD.
le "${cfg[@]}" enable --users "$WORK/dee.csv" --format json
expect_rc 0
printf 'FirstName,LastName,Email,Username,Account,Role\nEve,New,eve@ad.example,eve,Acme,\n' >>"$WORK/users.csv"
le "${cfg[@]}" sync --format ldif
expect_rc 0
expect_in "$OUT" "userAccountControl: 512"
expect_in "$OUT" "pwdLastSet: 0"
expect_in "$OUT" "# unicodePwd: a password generated at apply time"
expect_not_in "$OUT" "userPassword"
echo "ok: flavour_ad"

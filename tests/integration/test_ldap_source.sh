#!/usr/bin/env bash
# Syncing from another directory: a second slapd (private) whose hard size
# limit (50) is far below its population (300), so that only paged reads
# get everyone. People who leave the source are disabled (absent: disable)
# only within the safety limits (exit 4 with nothing changed, then
# --force-limits); a source that cannot be read stops the run with exit 3
# and changes nothing; sync --check tells whether changes are pending.
. "$(dirname "$0")/lib.sh"

src_dir=$WORK/source
"$SANDBOX_SH" --dir "$src_dir" --ldap-port auto --ldaps-port auto --smtp-port auto --size-limit 50 --no-smtp \
	start 2>"$WORK/source.log" || { cat "$WORK/source.log" >&2; fail "the source sandbox did not start"; }
PRIVATE_SANDBOX=$src_dir # stopped and purged at the end
src() { (eval "$("$SANDBOX_SH" --dir "$src_dir" env)" && eval "echo \"\$$1\""); }
SRC_URI=$(src LDAPENROLL_SANDBOX_LDAP_URI)
src_admin() {
	local tool=$1
	shift
	"$tool" -x -ZZ -H "$SRC_URI" -D "$(src LDAPENROLL_SANDBOX_ADMIN_DN)" -y "$(src LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE)" "$@"
}
{
	printf 'dn: ou=people,dc=example,dc=com\nobjectClass: organizationalUnit\nou: people\n\n'
	for i in $(seq 300); do
		printf 'dn: uid=s%d,ou=people,dc=example,dc=com\nobjectClass: inetOrgPerson\nuid: s%d\n' "$i" "$i"
		printf 'cn: S%d Person\nsn: Person\ngivenName: S%d\nmail: s%d@source.example\ntelephoneNumber: 1\ntelephoneNumber: 2\n\n' "$i" "$i" "$i"
	done
} | LDAPTLS_CACERT=$(src LDAPENROLL_SANDBOX_CA) src_admin ldapadd >/dev/null
# An unpaged search (as the service account: the rootdn has no limits)
# really stops at the limit.
if LDAPTLS_CACERT=$(src LDAPENROLL_SANDBOX_CA) ldapsearch -x -ZZ -H "$SRC_URI" -D "$(src LDAPENROLL_SANDBOX_BIND_DN)" \
	-y "$(src LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE)" -b ou=people,dc=example,dc=com uid >/dev/null 2>&1; then
	fail "the source's size limit does not apply"
fi

setup_base
cat >"$WORK/cfg.yaml" <<YAML
directory:
  uri: $LDAPENROLL_SANDBOX_LDAP_URI
  ca_file: $LDAPENROLL_SANDBOX_CA
  bind_dn: $LDAPENROLL_SANDBOX_BIND_DN
  bind_password_file: $LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE
  base: $BASE
  password_policy: $LDAPENROLL_SANDBOX_POLICY_DN
source:
  type: ldap
  uri: $SRC_URI
  ca_file: $(src LDAPENROLL_SANDBOX_CA)
  bind_dn: $(src LDAPENROLL_SANDBOX_BIND_DN)
  bind_password_file: $(src LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE)
  base: ou=people,dc=example,dc=com
  filter: (objectClass=inetOrgPerson)
  scope: one
  page_size: 40
  attributes: [uid, givenName, sn, mail, telephoneNumber]
  key: uid
accounts:
  dn: "ou=corp,{base}"
people:
  dn: "uid={uid},ou=corp,{base}"
  attributes:
    uid: "{uid}"
    cn: "{givenName} {sn}"
    sn: "{sn}"
    givenName: "{givenName}"
    mail: "{mail}"
    telephoneNumber: "{telephoneNumber}"
  update: [cn, mail]
  absent: disable
limits:
  max_disable: 20
  max_disable_percent: 100
state_dir: $WORK/state
YAML
cfg=(-c "$WORK/cfg.yaml")

le "${cfg[@]}" sync --check
expect_rc 1
le "${cfg[@]}" sync --apply
expect_rc 0 # no notify: everyone is listed for manual notification
[ "$(search "ou=corp,$BASE" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:')" -eq 300 ] ||
	fail "not all 300 people of the source were created (paging)"
# A multi-valued attribute gives its first value.
search "uid=s7,ou=corp,$BASE" -s base '(objectClass=*)' telephoneNumber >"$WORK/s7.ldif"
[ "$(grep -c '^telephoneNumber:' "$WORK/s7.ldif")" -eq 1 ] || fail "a multi-valued attribute did not give one value"
le "${cfg[@]}" sync --check
expect_rc 0

# 30 people leave the source: more than max_disable (20).
for i in $(seq 271 300); do
	LDAPTLS_CACERT=$(src LDAPENROLL_SANDBOX_CA) src_admin ldapdelete "uid=s$i,ou=people,dc=example,dc=com"
done
snapshot "$WORK/before.ldif"
le "${cfg[@]}" sync --apply
expect_rc 4
expect_in "$ERR" "30 disables > limits.max_disable 20 (of 300 managed people)"
expect_in "$ERR" "--force-limits 30"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "the stopped run changed the directory"
le "${cfg[@]}" sync --apply --force-limits 30
expect_rc 0
disabled=$(search "ou=corp,$BASE" '(pwdAccountLockedTime=000001010000Z)' uid | sed -n 's/^uid: s//p' | sort -n | tr '\n' ' ')
[ "$disabled" = "$(seq -s ' ' 271 300) " ] || fail "expected exactly s271..s300 disabled, got: $disabled"

# The source goes away: exit 3, nothing changes, nobody is disabled.
"$SANDBOX_SH" --dir "$src_dir" stop-ldap >/dev/null 2>&1
snapshot "$WORK/before.ldif"
le "${cfg[@]}" sync --apply
expect_rc 3
expect_in "$ERR" "the source directory"
le "${cfg[@]}" sync --check
expect_rc 3
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "an unreadable source changed the directory"

# An empty result is refused the same way.
"$SANDBOX_SH" --dir "$src_dir" start-ldap >/dev/null 2>&1
sed -i 's/^  filter: .*/  filter: (uid=nobody-at-all)/' "$WORK/cfg.yaml"
le "${cfg[@]}" sync --apply
expect_rc 3
expect_in "$ERR" "returned no entries"
echo "ok: ldap_source"

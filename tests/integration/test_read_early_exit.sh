#!/usr/bin/env bash
# A read that stops early (here at a referral the server returns in the
# middle of a subtree) abandons its search: the responses still on their way
# must not reach the engine's result loop, which reads any message on the
# connection and would take them for answers to its writes.
. "$(dirname "$0")/lib.sh"
: "${LDAPENROLL_READCHECK:?LDAPENROLL_READCHECK is not set}"

setup_base
# The referral comes first in the server's order, the entries after it.
admin ldapadd -M >/dev/null <<LDIF
dn: ou=elsewhere,$BASE
objectClass: referral
objectClass: extensibleObject
ou: elsewhere
ref: ldap://directory.invalid/ou=elsewhere,dc=example,dc=com
LDIF
{
	for i in $(seq 1 200); do
		printf 'dn: cn=entry%s,%s\nobjectClass: device\ncn: entry%s\n\n' "$i" "$BASE" "$i"
	done
} | ldif

"$LDAPENROLL_READCHECK" "$BASE" "cn=entry1,$BASE" >"$WORK/out" 2>"$WORK/err" || {
	cat "$WORK/out" "$WORK/err" >&2
	fail "the read left responses on the connection"
}
grep -q "read stopped: .*referral" "$WORK/out" || fail "the read did not stop at the referral"
search "cn=entry1,$BASE" -s base description | grep -q "touched after an abandoned read" ||
	fail "the modify after the read did not land"
echo "ok: $(tail -1 "$WORK/out")"

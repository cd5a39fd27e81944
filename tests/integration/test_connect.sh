#!/usr/bin/env bash
# Reaching, trusting and binding to the directory: check --connect proves
# the base, the policy (pwdMustChange) and the role container; an untrusted
# CA, a wrong password or a server that is not there end with exit 3 and a
# message that names the server and the cause; a base or policy that does
# not exist is a config problem (exit 2). TLS never falls back to plaintext.
. "$(dirname "$0")/lib.sh"

setup_base
printf 'FirstName,LastName,Email,Username,Account,Role\nAnn,Lee,ann@acme.example,ann,Acme,\n' >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv"

le -c "$WORK/cfg.yaml" check --connect
expect_rc 0
expect_in "$OUT" "directory ok: bound to $LDAPENROLL_SANDBOX_LDAP_URI"
expect_in "$OUT" "password policy $LDAPENROLL_SANDBOX_POLICY_DN has pwdMustChange: TRUE"
expect_in "$OUT" "role container ou=roles,$BASE exists"

# ldaps:// works the same way.
sed "s|uri: .*|uri: $LDAPENROLL_SANDBOX_LDAPS_URI|" "$WORK/cfg.yaml" >"$WORK/ldaps.yaml"
le -c "$WORK/ldaps.yaml" check --connect
expect_rc 0

# An untrusted CA: exit 3, the TLS failure named, no plaintext retry.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/other.key" -out "$WORK/other-ca.pem" \
	-subj /CN=other-ca -days 1 2>/dev/null
sed "s|ca_file: .*|ca_file: $WORK/other-ca.pem|" "$WORK/cfg.yaml" >"$WORK/badca.yaml"
le -c "$WORK/badca.yaml" check --connect
expect_rc 3
expect_in "$ERR" "StartTLS failed"
le -c "$WORK/badca.yaml" sync
expect_rc 3

# A wrong password: exit 3 at once (no other URI is tried with it).
printf 'not-the-password' >"$WORK/wrong.secret"
chmod 600 "$WORK/wrong.secret"
sed "s|bind_password_file: .*|bind_password_file: $WORK/wrong.secret|" "$WORK/cfg.yaml" >"$WORK/badpw.yaml"
le -c "$WORK/badpw.yaml" sync
expect_rc 3
expect_in "$ERR" "Invalid credentials (49)"

# Nobody listening: exit 3; a second URI in the list is tried and works.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed "s|uri: .*|uri: ldap://127.0.0.1:$port|" "$WORK/cfg.yaml" >"$WORK/down.yaml"
le -c "$WORK/down.yaml" sync
expect_rc 3
expect_in "$ERR" "ldap://127.0.0.1:$port"
sed "s|uri: .*|uri: [ldap://127.0.0.1:$port, $LDAPENROLL_SANDBOX_LDAP_URI]|" "$WORK/cfg.yaml" >"$WORK/failover.yaml"
le -c "$WORK/failover.yaml" sync
expect_rc 0
expect_in "$OUT" "Would create uid=ann,ou=Acme,$BASE"

# A base or a policy that does not exist: the config is wrong (exit 2).
sed "s|base: .*|base: ou=nowhere,$LDAPENROLL_SANDBOX_SUFFIX|" "$WORK/cfg.yaml" >"$WORK/nobase.yaml"
le -c "$WORK/nobase.yaml" sync
expect_rc 2
expect_in "$ERR" "ou=nowhere,$LDAPENROLL_SANDBOX_SUFFIX does not exist"
sed "s|password_policy: .*|password_policy: cn=missing,ou=policies,$LDAPENROLL_SANDBOX_SUFFIX|" "$WORK/cfg.yaml" >"$WORK/nopolicy.yaml"
le -c "$WORK/nopolicy.yaml" check --connect
expect_rc 2
expect_in "$ERR" "cn=missing,ou=policies,$LDAPENROLL_SANDBOX_SUFFIX does not exist"

# The bind password never shows up in any output.
secret=$(cat "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE")
for f in "$WORK"/out "$WORK"/err; do
	grep -qF -- "$secret" "$f" && fail "the bind password appears in $f"
done
echo "ok: connect"

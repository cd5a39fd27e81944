# Set-up shared by the tests of set-password links (test_links.sh,
# test_browser.sh): a password policy of the test's own (with a history),
# three people in three languages, a link key, a config in link mode for a
# free port, and helpers to run `ldapenroll serve` and to talk to it.
# Sourced after lib.sh and setup_base.

# free_port: a TCP port nothing listens on now.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A policy of this test's own, with a history: the page must say "used
# before" too.
POLICY="cn=links-policy,$BASE"
ldif <<LDIF
dn: $POLICY
objectClass: organizationalRole
objectClass: pwdPolicy
cn: links-policy
pwdAttribute: userPassword
pwdMustChange: TRUE
pwdAllowUserChange: TRUE
pwdSafeModify: FALSE
pwdCheckQuality: 1
pwdMinLength: 8
pwdInHistory: 3
LDIF

# Addresses of this test's own: the tests share the SMTP server's mailbox.
cat >"$WORK/users.csv" <<CSV
FirstName,LastName,Email,Username,Account,Role,LanguageLocaleKey
Ada,Lovelace,ada@$TEST_NAME.example,ada,Acme,,en_US
Bernd,Brot,bernd@$TEST_NAME.example,bernd,Acme,,de_DE
Chloe,Martin,chloe@$TEST_NAME.example,chloe,Acme,,fr_FR
CSV
umask 077
printf '# link keys\n1 %s\n' "$(openssl rand -hex 32)" >"$WORK/link.keys"
PORT=$(free_port)
URL="http://127.0.0.1:$PORT/set-password"
write_config "$WORK/le.yaml" "$WORK/users.csv" "$(notify_yaml)
  locale: \"{LanguageLocaleKey}\"
passwords:
  delivery: link
  link_url: $URL
  link_key_file: $WORK/link.keys
  link_ttl: 3d
  policy: { min_length: 12, min_classes: 3 }
serve:
  listen: 127.0.0.1:$PORT
  per_ip: 4"
# The language kept in the entry: re-sent messages (read from the
# directory, not the CSV) are in it too.
sed -i -e "s|password_policy: .*|password_policy: $POLICY|" \
	-e 's|^    mail: "{Email}"|    mail: "{Email}"\n    preferredLanguage: "{LanguageLocaleKey}"|' "$WORK/le.yaml"
# serve holds no directory or mail credential: its config may name secret
# files that are not there.
sed -e "s|bind_password_file: .*|bind_password_file: $WORK/no-such-bind.secret|" \
	-e "s|    password_file: .*|    password_file: $WORK/no-such-smtp.secret|" "$WORK/le.yaml" >"$WORK/serve.yaml"

# start_serve [CONFIG] [LOG]: runs serve in the background (SERVE_PID) and
# returns once it answers.
start_serve() {
	local config=${1:-$WORK/serve.yaml} log=${2:-$WORK/serve.log} port i
	port=$(sed -n 's/^  listen: 127.0.0.1://p' "$config")
	"$LDAPENROLL_BIN" --log-format text -c "$config" serve 2>"$log" &
	SERVE_PID=$!
	for i in $(seq 100); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$log" >&2
	fail "serve did not start on port $port"
}
stop_serve() {
	[ -z "${SERVE_PID:-}" ] || { kill -TERM "$SERVE_PID" 2>/dev/null && wait "$SERVE_PID" || true; }
	SERVE_PID=
}
on_exit() {
	local rc=$?
	stop_serve
	(exit $rc)
	cleanup
}
trap on_exit EXIT

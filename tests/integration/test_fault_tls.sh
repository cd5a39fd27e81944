#!/usr/bin/env bash
# TLS that cannot be trusted, on both servers (a private sandbox whose slapd
# logs every operation). The server certificate is re-issued by the sandbox
# CA for the sandbox's host names only, so a config that connects to
# 127.0.0.1 meets a certificate that is not for that host; another config
# trusts a CA that did not sign it.
#
# Directory: StartTLS and ldaps, wrong host name and untrusted CA, all end
# with exit 3 and a message naming the TLS failure; the directory is
# unchanged, no job was started, and the service account never sent a bind
# (so no password went out in the clear or to the wrong server).
# A certificate that stops being trusted while a run reconnects ends it at
# once (exit 3), without waiting for the server to come back.
# Mail: check --connect and sync --apply with the SMTP certificate for
# another host or from an untrusted CA end with exit 3; the directory
# changes stand, nothing is delivered, no AUTH or MAIL reached the server,
# and the people wait for their messages until a run with a trusted server
# sends them.
. "$(dirname "$0")/lib.sh"

export LDAPENROLL_SANDBOX_SLAPD_DEBUG=stats
private_sandbox
setup_base
LDAP_PORT=${LDAPENROLL_SANDBOX_LDAP_URI##*:}
LDAPS_PORT=${LDAPENROLL_SANDBOX_LDAPS_URI##*:}
SMTP_PORT=${LDAPENROLL_SANDBOX_SMTP_URL##*:}
SLAPD_LOG=$LDAPENROLL_SANDBOX/slapd.log
SMTPD_LOG=$LDAPENROLL_SANDBOX/smtpd.log

# binds: how many binds as the service account slapd has seen.
binds() {
	grep -cF "BIND dn=\"$LDAPENROLL_SANDBOX_BIND_DN\"" "$SLAPD_LOG" || true
}

# since FILE MARK: the lines of a log after its first MARK lines.
since() {
	tail -n +$(($2 + 1)) "$1"
}

# no_job: no job journal was created, so no job claims any change.
no_job() {
	[ -z "$(ls -A "$WORK/state/jobs" 2>/dev/null)" ] || fail "a job was started: $(ls "$WORK/state/jobs")"
}

# waiting JOB KEY...: jobs JOB --format json says each KEY waits for mail,
# with every message still pending.
waiting() {
	local job=$1 key
	shift
	le -c "$WORK/cfg.yaml" jobs "$job" --format json
	expect_rc 0
	cp "$OUT" "$WORK/job.json"
	for key in "$@"; do
		[ "$(json "[p['waiting_for_mail'] for p in j['people'] if p['key'] == '$key']" <"$WORK/job.json")" = "[True]" ] ||
			fail "$key is not waiting for mail in job $job: $(cat "$WORK/job.json")"
		[ "$(json "sorted(set(m['status'] for p in j['people'] if p['key'] == '$key' for m in p['messages']))" <"$WORK/job.json")" = "['pending']" ] ||
			fail "the messages of $key are not all pending in job $job"
	done
}

# no_smtp_secrets MARK: since MARK, the SMTP server saw neither AUTH nor MAIL.
no_smtp_secrets() {
	since "$SMTPD_LOG" "$1" >"$WORK/smtpd.new"
	expect_in "$WORK/smtpd.new" "handling connection"
	expect_not_in "$WORK/smtpd.new" ">> b'AUTH"
	expect_not_in "$WORK/smtpd.new" ">> b'MAIL"
	expect_not_in "$WORK/smtpd.new" "stored "
}

cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Ann,Lee,ann@tls.example,ann,Acme,
Bob,Ray,bob@tls.example,bob,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
sed -i 's/^  timeout: 10s/  timeout: 3s/' "$WORK/cfg.yaml"
# with_uri CONFIG URI [CA]: a copy of cfg.yaml connecting to URI (trusting CA).
with_uri() {
	sed -e "s|^  uri: .*|  uri: $2|" -e "s|^  ca_file: .*|  ca_file: ${3:-$LDAPENROLL_SANDBOX_CA}|" \
		"$WORK/cfg.yaml" >"$WORK/$1"
}
# with_smtp CONFIG URL [CA]: a copy of cfg.yaml sending through URL (trusting CA).
with_smtp() {
	sed -e "s|^    url: .*|    url: $2|" -e "s|^    ca_file: .*|    ca_file: ${3:-$LDAPENROLL_SANDBOX_CA}|" \
		"$WORK/cfg.yaml" >"$WORK/$1"
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/other-ca.key" -out "$WORK/other-ca.pem" \
	-subj /CN=other-ca -days 1 2>/dev/null

# With the sandbox's own certificate (which names 127.0.0.1) the numeric
# addresses work: what fails below fails because of the certificate.
with_uri ip.yaml "ldap://127.0.0.1:$LDAP_PORT"
with_smtp ip-smtp.yaml "smtp://127.0.0.1:$SMTP_PORT"
le -c "$WORK/ip.yaml" check --connect
expect_rc 0
le -c "$WORK/ip-smtp.yaml" check --connect
expect_rc 0
expect_in "$OUT" "mail ok: smtp://127.0.0.1:$SMTP_PORT"
[ "$(binds)" -gt 0 ] || fail "slapd's log does not show the service account's binds"

# The certificate for names only: same CA, same DNS names, no addresses.
TLS=$LDAPENROLL_SANDBOX/tls
names=$(openssl x509 -in "$TLS/server.pem" -noout -ext subjectAltName | tr ',' '\n' |
	sed -n 's/^ *\(DNS:[^ ]*\) *$/\1/p' | paste -sd, -)
case $names in DNS:localhost*) ;; *) fail "unexpected names in the sandbox certificate: $names" ;; esac
printf 'subjectAltName = %s\nextendedKeyUsage = serverAuth\n' "$names" >"$WORK/names.ext"
openssl req -new -newkey rsa:2048 -nodes -keyout "$WORK/names.key" -out "$WORK/names.csr" \
	-subj "/O=ldapenroll sandbox/CN=localhost" 2>/dev/null
openssl x509 -req -in "$WORK/names.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca.key" -set_serial 0x$(openssl rand -hex 8) \
	-days 1 -extfile "$WORK/names.ext" -out "$WORK/names.pem" 2>/dev/null
openssl x509 -in "$WORK/names.pem" -noout -ext subjectAltName | grep -q 'IP Address' &&
	fail "the re-issued certificate still names an address"
install -m 0600 "$WORK/names.key" "$TLS/server.key"
install -m 0644 "$WORK/names.pem" "$TLS/server.pem"
for server in ldap smtp; do
	"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" stop-$server >/dev/null 2>&1
	"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" start-$server >/dev/null 2>&1 || fail "$server did not restart"
done
# The names still work (the tools below and the other configs use them).
le -c "$WORK/cfg.yaml" check --connect
expect_rc 0

snapshot "$WORK/before.ldif"
b0=$(binds)

# --- the directory: wrong host name, StartTLS and ldaps.
with_uri host-starttls.yaml "ldap://127.0.0.1:$LDAP_PORT"
le -c "$WORK/host-starttls.yaml" check --connect
expect_rc 3
expect_in "$ERR" "ldap://127.0.0.1:$LDAP_PORT: StartTLS failed"
expect_in "$ERR" "for the host name in the URI"
le -c "$WORK/host-starttls.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "StartTLS failed"
no_job

with_uri host-ldaps.yaml "ldaps://127.0.0.1:$LDAPS_PORT"
le -c "$WORK/host-ldaps.yaml" check --connect
expect_rc 3
expect_in "$ERR" "ldaps://127.0.0.1:$LDAPS_PORT"
expect_in "$ERR" "certificate is not signed by the CA in $LDAPENROLL_SANDBOX_CA or not for the host name in the URI"
le -c "$WORK/host-ldaps.yaml" sync --apply
expect_rc 3
no_job

# --- the directory: an untrusted CA, StartTLS and ldaps.
with_uri ca-starttls.yaml "$LDAPENROLL_SANDBOX_LDAP_URI" "$WORK/other-ca.pem"
le -c "$WORK/ca-starttls.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "StartTLS failed"
expect_in "$ERR" "signed by the CA in $WORK/other-ca.pem"
no_job

with_uri ca-ldaps.yaml "$LDAPENROLL_SANDBOX_LDAPS_URI" "$WORK/other-ca.pem"
le -c "$WORK/ca-ldaps.yaml" check --connect
expect_rc 3
expect_in "$ERR" "$LDAPENROLL_SANDBOX_LDAPS_URI"
expect_in "$ERR" "not signed by the CA in $WORK/other-ca.pem"
le -c "$WORK/ca-ldaps.yaml" sync --apply
expect_rc 3
no_job

# No plaintext fallback: not one bind reached slapd, and nothing changed.
[ "$(binds)" -eq "$b0" ] || fail "the service account bound $(($(binds) - b0)) times through an untrusted connection"
snapshot "$WORK/after.ldif"
cmp -s "$WORK/before.ldif" "$WORK/after.ldif" || fail "the directory changed: $(diff "$WORK/before.ldif" "$WORK/after.ldif" | head)"
secret=$(cat "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE")
grep -qF -- "$secret" "$SLAPD_LOG" "$WORK/err" && fail "the bind password shows up in a log"

# --- the mail server: a certificate for another host name.
with_smtp host-smtp.yaml "smtp://127.0.0.1:$SMTP_PORT"
m0=$(wc -l <"$SMTPD_LOG")
le -c "$WORK/host-smtp.yaml" check --connect
expect_rc 3
expect_in "$OUT" "directory ok"
expect_in "$ERR" "smtp://127.0.0.1:$SMTP_PORT"
expect_in "$ERR" "127.0.0.1"
expect_not_in "$OUT" "mail ok"
no_smtp_secrets "$m0"

m0=$(wc -l <"$SMTPD_LOG")
le -c "$WORK/host-smtp.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "the mail phase stopped"
expect_in "$ERR" "the directory changes stand"
job1=$(job_id)
no_smtp_secrets "$m0"
[ -z "$(ls -A "$LDAPENROLL_SANDBOX_MAILDIR")" ] || fail "a message was delivered"
for u in ann bob; do
	search "uid=$u,ou=Acme,$BASE" -s base '(objectClass=*)' pwdReset >"$WORK/$u.ldif"
	expect_in "$WORK/$u.ldif" "pwdReset: TRUE"
done
waiting "$job1" ann bob

# --- the mail server: an untrusted CA (and a new person).
printf 'Cid,Day,cid@tls.example,cid,Acme,\n' >>"$WORK/users.csv"
with_smtp ca-smtp.yaml "$LDAPENROLL_SANDBOX_SMTP_URL" "$WORK/other-ca.pem"
m0=$(wc -l <"$SMTPD_LOG")
le -c "$WORK/ca-smtp.yaml" check --connect
expect_rc 3
expect_in "$ERR" "$LDAPENROLL_SANDBOX_SMTP_URL"
expect_in "$ERR" "certificate"
le -c "$WORK/ca-smtp.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "the mail phase stopped"
job2=$(job_id)
no_smtp_secrets "$m0"
[ -z "$(ls -A "$LDAPENROLL_SANDBOX_MAILDIR")" ] || fail "a message was delivered"
search "uid=cid,ou=Acme,$BASE" -s base '(objectClass=*)' pwdReset >"$WORK/cid.ldif"
expect_in "$WORK/cid.ldif" "pwdReset: TRUE"
# Those still waiting from the first run get a fresh password and wait again.
waiting "$job2" ann bob cid

# A trusted server: everyone gets each message once, with a password that
# works and must be changed.
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
for u in ann bob cid; do
	[ "$(mail_count "$u@tls.example")" -eq 3 ] || fail "$u did not get 3 messages"
	mail_password "$u@tls.example" "$WORK/$u.pw" || fail "no password for $u"
	must_change "uid=$u,ou=Acme,$BASE" "$WORK/$u.pw"
done
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"

# --- the directory's certificate stops being trusted in the middle of a run
# (ldaps): the reconnect gives up at once instead of waiting for a server
# that is there, and what the run did not do, the next trusted run does.
printf 'Dee,Fox,dee@tls.example,dee,Acme,\n' >>"$WORK/users.csv"
cp "$LDAPENROLL_SANDBOX_CA" "$WORK/trusted-then-not.pem"
with_uri midrun.yaml "$LDAPENROLL_SANDBOX_LDAPS_URI" "$WORK/trusted-then-not.pem"
le_paused preflight -c "$WORK/midrun.yaml" sync --apply
cp "$WORK/other-ca.pem" "$WORK/trusted-then-not.pem"
"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" stop-ldap --kill >/dev/null 2>&1
"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" start-ldap >/dev/null 2>&1 || fail "ldap did not restart"
le_resume
expect_rc 3
expect_in "$ERR" "reconnecting failed"
expect_in "$ERR" "the TLS handshake failed: the server's certificate is not signed by the CA in $WORK/trusted-then-not.pem"
expect_not_in "$ERR" "trying again in"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
[ "$(mail_count dee@tls.example)" -eq 3 ] || fail "dee did not get 3 messages"
mail_password dee@tls.example "$WORK/dee.pw" || fail "no password for dee"
must_change "uid=dee,ou=Acme,$BASE" "$WORK/dee.pw"

# ldaps:// on the plain LDAP port: the server does not answer TLS, and the
# message says that, not that the certificate is wrong.
plain_port=${LDAPENROLL_SANDBOX_LDAP_URI##*:}
sed "s|^  uri: .*|  uri: ldaps://localhost:$plain_port|; s|^  starttls: required|  starttls: off|" \
	"$WORK/cfg.yaml" >"$WORK/ldaps-plain.yaml"
le -c "$WORK/ldaps-plain.yaml" sync
expect_rc 3
expect_in "$ERR" "the server did not answer TLS: is this a plain LDAP port?"
expect_not_in "$ERR" "certificate"
echo "ok: fault_tls"

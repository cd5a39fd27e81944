#!/usr/bin/env bash
# The mail server cannot be used safely or at all.
#
# Nobody listens on the SMTP port (connection refused): check --connect and
# sync --apply end with exit 3; the directory changes stand, nothing is
# sent, everyone waits for mail, and a later run with the server there
# delivers (fresh passwords that work and must be changed).
# A server that offers no STARTTLS (a private sandbox with --smtp-no-tls),
# while the config leaves notify.smtp.starttls at its default (required):
# exit 3, nothing delivered, and the server saw no AUTH (the password never
# went out in the clear) and no MAIL; the people wait for mail.
# A plan far larger than a pipe, read by a consumer that goes away after
# 100 bytes: the agent is not killed by SIGPIPE.
. "$(dirname "$0")/lib.sh"

# jobs_json JOB CONFIG: the job as JSON, in $WORK/job.json.
jobs_json() {
	le -c "$2" jobs "$1" --format json
	expect_rc 0
	cp "$OUT" "$WORK/job.json"
}

# all_waiting KEY...: in $WORK/job.json, each KEY waits for mail, and none
# of its messages was sent or failed for good.
all_waiting() {
	local key
	for key in "$@"; do
		[ "$(json "[p['waiting_for_mail'] for p in j['people'] if p['key'] == '$key']" <"$WORK/job.json")" = "[True]" ] ||
			fail "$key is not waiting for mail: $(cat "$WORK/job.json")"
		[ "$(json "sorted(set(m['status'] for p in j['people'] if p['key'] == '$key' for m in p['messages']))" <"$WORK/job.json")" = "['pending']" ] ||
			fail "the messages of $key are not all pending: $(cat "$WORK/job.json")"
	done
}

# free_port: a TCP port on 127.0.0.1 that nobody listens on.
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# --- SIGPIPE: sync --format json into a pipe that closes early (the shared
# sandbox; the plan is only previewed).
setup_base
n=4000
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for i in $(seq $n); do
		printf 'F%s,L%s,p%s@pipe.example,p%s,Acct%s,\n' "$i" "$i" "$i" "$i" $((i % 5))
	done
} >"$WORK/big.csv"
write_config "$WORK/big.yaml" "$WORK/big.csv"
le -c "$WORK/big.yaml" sync --format json
expect_rc 0
size=$(wc -c <"$OUT")
[ "$size" -gt 1000000 ] || fail "the plan is only $size bytes: too small to fill a pipe many times over"
set +e
"$LDAPENROLL_BIN" --log-format text -c "$WORK/big.yaml" sync --format json 2>"$WORK/pipe.err" | head -c 100 >"$WORK/pipe.out"
statuses=("${PIPESTATUS[@]}")
set -e
RC=${statuses[0]} OUT=$WORK/pipe.out ERR=$WORK/pipe.err
[ "$RC" -ne 141 ] || fail "the agent was killed by SIGPIPE"
[ "$RC" -le 1 ] || { cat "$ERR" >&2; fail "exit $RC writing into a closed pipe"; }
expect_not_in "$ERR" "Sanitizer"
if [ "$RC" -ne 0 ]; then
	expect_in "$ERR" "Broken pipe"
fi
[ "$(head -c 12 "$WORK/pipe.out")" = '{"version":1' ] || [ "$(head -c 1 "$WORK/pipe.out")" = '{' ] ||
	fail "the pipe did not get the start of the plan: $(cat "$WORK/pipe.out")"
snapshot "$WORK/pipe-after.ldif"
[ "$(grep -c '^dn:' "$WORK/pipe-after.ldif")" -eq 2 ] || fail "a preview changed the directory"

# --- Connection refused (the shared sandbox's directory and mailbox; the
# addresses are this run's own).
domain=$(basename "$WORK" | tr -cd 'A-Za-z0-9').example
cat >"$WORK/users.csv" <<CSV
FirstName,LastName,Email,Username,Account,Role
Ann,Lee,ann@$domain,ann,Acme,
Bob,Ray,bob@$domain,bob,Acme,
Cid,Day,cid@$domain,cid,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
port=$(free_port)
sed "s|^    url: .*|    url: smtp://localhost:$port|" "$WORK/cfg.yaml" >"$WORK/refused.yaml"

le -c "$WORK/refused.yaml" check --connect
expect_rc 3
expect_in "$OUT" "directory ok"
expect_in "$ERR" "smtp://localhost:$port"
expect_not_in "$OUT" "mail ok"

le -c "$WORK/refused.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "the mail phase stopped: smtp://localhost:$port"
expect_in "$ERR" "3 people wait for their messages"
job=$(job_id)
for u in ann bob cid; do
	search "uid=$u,ou=Acme,$BASE" -s base '(objectClass=*)' pwdReset >"$WORK/$u.ldif"
	expect_in "$WORK/$u.ldif" "pwdReset: TRUE"
	[ "$(mail_count "$u@$domain")" -eq 0 ] || fail "$u got mail"
done
search "cn=Acme Standard User,ou=roles,$BASE" -s base '(objectClass=*)' member >"$WORK/group.ldif"
[ "$(grep -c '^member:' "$WORK/group.ldif")" -eq 3 ] || fail "the role memberships did not stand"
jobs_json "$job" "$WORK/cfg.yaml"
all_waiting ann bob cid
# The first message was tried 1 + notify.retries times.
[ "$(json "[m['attempts'] for p in j['people'] if p['key'] == 'ann' for m in p['messages']][0]" <"$WORK/job.json")" = 3 ] ||
	fail "the first message was not retried notify.retries times: $(cat "$WORK/job.json")"
le -c "$WORK/cfg.yaml" jobs "$job" --manual --format csv
expect_rc 0
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "people waiting for mail are listed for manual notification: $(cat "$OUT")"

# The server is there again (the right URL): the next run issues fresh
# passwords and delivers, once.
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
for u in ann bob cid; do
	expect_in "$OUT" "Sent again uid=$u,ou=Acme,$BASE (messages never confirmed, job "
	[ "$(mail_count "$u@$domain")" -eq 3 ] || fail "$u did not get 3 messages"
	mail_password "$u@$domain" "$WORK/$u.pw" || fail "no password for $u"
	must_change "uid=$u,ou=Acme,$BASE" "$WORK/$u.pw"
done
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"

# --- No STARTTLS offered (a private sandbox), starttls left at its default.
private_sandbox --smtp-no-tls
setup_base
SMTPD_LOG=$LDAPENROLL_SANDBOX/smtpd.log
write_config "$WORK/plain.yaml" "$WORK/users.csv" "$(notify_yaml | grep -v '^    starttls:')"
sed -i "s|^state_dir: .*|state_dir: $WORK/state-plain|" "$WORK/plain.yaml"
grep -q 'starttls' <(sed -n '/^notify:/,$p' "$WORK/plain.yaml") && fail "the config sets notify.smtp.starttls"

# no_auth_no_mail MARK: since line MARK of its log, the SMTP server was
# greeted but saw neither AUTH nor MAIL, and stored nothing.
no_auth_no_mail() {
	tail -n +$(($1 + 1)) "$SMTPD_LOG" >"$WORK/smtpd.new"
	expect_in "$WORK/smtpd.new" ">> b'EHLO"
	expect_not_in "$WORK/smtpd.new" ">> b'AUTH"
	expect_not_in "$WORK/smtpd.new" ">> b'MAIL"
	expect_not_in "$WORK/smtpd.new" "stored "
	[ -z "$(ls -A "$LDAPENROLL_SANDBOX_MAILDIR")" ] || fail "a message was delivered"
}

mark=$(wc -l <"$SMTPD_LOG")
le -c "$WORK/plain.yaml" check --connect
expect_rc 3
expect_in "$OUT" "directory ok"
expect_in "$ERR" "$LDAPENROLL_SANDBOX_SMTP_URL"
expect_in "$ERR" "STARTTLS"
no_auth_no_mail "$mark"

mark=$(wc -l <"$SMTPD_LOG")
le -c "$WORK/plain.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "the mail phase stopped: $LDAPENROLL_SANDBOX_SMTP_URL"
expect_in "$ERR" "STARTTLS"
no_auth_no_mail "$mark"
job=$(job_id)
for u in ann bob cid; do
	search "uid=$u,ou=Acme,$BASE" -s base '(objectClass=*)' pwdReset >"$WORK/$u.ldif"
	expect_in "$WORK/$u.ldif" "pwdReset: TRUE"
done
jobs_json "$job" "$WORK/plain.yaml"
all_waiting ann bob cid
secret=$(cat "$LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE")
grep -qF -- "$secret" "$SMTPD_LOG" "$WORK/err" "$WORK/out" && fail "the SMTP password shows up in a log"
echo "ok: fault_smtp"

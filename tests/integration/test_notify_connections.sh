#!/usr/bin/env bash
# notify.connections: the mail phase over several SMTP connections at once
# (one thread each). Everyone gets each message exactly once, in order
# (welcome, username, password over one connection per person); a 451 is
# retried on the connection that met it; the journal counts agree; the
# server saw as many sessions as configured.
. "$(dirname "$0")/lib.sh"

private_sandbox
setup_base
{
	echo "FirstName,LastName,Email,Username,Account,Role"
	for i in $(seq 1 40); do
		echo "First$i,Last$i,p$i@conn.example,p$i,Acme,"
	done
	echo "Tina,Later,t451@conn.example,t451,Acme,"
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)
  connections: 4"
cat >"$LDAPENROLL_SANDBOX/smtp-faults" <<'RULES'
RCPT t451@conn.example 451 4.3.0 Try again later times=1
RULES

le -c "$WORK/cfg.yaml" check
expect_rc 0
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$ERR" "(several connections)"
for i in $(seq 1 40) 451; do
	rcpt=p$i@conn.example
	[ "$i" = 451 ] && rcpt=t451@conn.example
	$MAILBOX "$LDAPENROLL_SANDBOX" subjects "$rcpt" >"$WORK/subjects"
	[ "$(cat "$WORK/subjects")" = "$(printf 'Welcome to the portal\nYour portal username\nYour temporary portal password')" ] || {
		cat "$WORK/subjects" >&2
		fail "$rcpt did not get the three messages once each, in order"
	}
done
job=$(job_id)
le -c "$WORK/cfg.yaml" jobs "$job" --format json
expect_rc 0
[ "$(json 'j["counts"]["messages_sent"], j["counts"]["messages_failed"], j["counts"]["messages_pending"]' <"$OUT")" = "(123, 0, 0)" ] ||
	fail "the job does not count 123 messages sent: $(json 'j["counts"]' <"$OUT")"
[ "$(json '[m["attempts"] for p in j["people"] if p["key"] == "t451" for m in p["messages"]]' <"$OUT")" = "[2, 1, 1]" ] ||
	fail "the 451 was not retried exactly once"
sessions=$(grep -c "Peer: " "$LDAPENROLL_SANDBOX/smtpd.log" || true)
[ "$sessions" -ge 4 ] || fail "the server saw $sessions SMTP sessions, expected 4 or more"
echo "ok: notify connections ($sessions sessions)"

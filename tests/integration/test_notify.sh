#!/usr/bin/env bash
# Notifications against a real SMTP server that misbehaves on purpose (a
# private sandbox, so its fault rules and outage touch no other test): a 451
# is retried and delivered once, a 550 is final and lands on the manual
# list, a connection dropped after DATA is retried, people without an
# address are listed; with the server down the directory is still written,
# the people wait, and the next run gives them a fresh password and mails it.
. "$(dirname "$0")/lib.sh"

private_sandbox
setup_base
cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Olga,Ok,ok@notify.example,ok,Acme,
Tina,Later,t451@notify.example,t451,Acme,
Ned,Never,t550@notify.example,t550,Acme,
Dora,Drop,tdrop@notify.example,tdrop,Acme,
Nora,Nomail,,nomail,Acme,
Jürgen,Müller,juergen@notify.example,juergen,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
cat >"$LDAPENROLL_SANDBOX/smtp-faults" <<'RULES'
RCPT t451@notify.example 451 4.3.0 Try again later times=1
RCPT t550@notify.example 550 5.1.1 No such user here
DATA tdrop@notify.example drop times=1
RULES

le -c "$WORK/cfg.yaml" sync --apply
expect_rc 1 # the 550 is a failed message
job=$(job_id)
[ "$(mail_count ok@notify.example)" -eq 3 ] || fail "ok@ did not get 3 messages"
[ "$(mail_count t451@notify.example)" -eq 3 ] || fail "t451@ did not get each message exactly once"
[ "$(mail_count tdrop@notify.example)" -eq 3 ] || fail "tdrop@ did not get 3 messages"
[ "$(mail_count t550@notify.example)" -eq 0 ] || fail "t550@ got mail"
$MAILBOX "$LDAPENROLL_SANDBOX" check juergen@notify.example || fail "the messages to juergen break the mail rules"
$MAILBOX "$LDAPENROLL_SANDBOX" subjects juergen@notify.example >"$WORK/subjects"
expect_in "$WORK/subjects" "Your temporary portal password"
$MAILBOX "$LDAPENROLL_SANDBOX" to juergen@notify.example >"$WORK/to"
expect_in "$WORK/to" "Jürgen Müller <juergen@notify.example>"

le -c "$WORK/cfg.yaml" jobs "$job" --format json
expect_rc 0
cp "$OUT" "$WORK/job.json"
[ "$(json '[m["attempts"] for p in j["people"] if p["key"] == "t451" for m in p["messages"]]' <"$WORK/job.json")" = "[2, 1, 1]" ] ||
	fail "the 451 was not retried exactly once"
[ "$(json '[m["status"] for p in j["people"] if p["key"] == "t550" for m in p["messages"]]' <"$WORK/job.json")" = \
	"['failed', 'skipped', 'skipped']" ] || fail "the 550 is not final"
[ "$(json '[p["manual"] for p in j["people"] if p["key"] in ("t550", "nomail")]' <"$WORK/job.json")" = "[True, True]" ] ||
	fail "t550 and nomail are not on the manual list"

le -c "$WORK/cfg.yaml" jobs "$job" --manual --format csv
expect_rc 0
[ "$(head -n 1 "$OUT")" = "key,dn,email,reason,reply,next_step" ] || fail "the manual CSV has no header"
expect_in "$OUT" "nomail,\"uid=nomail,ou=Acme,$BASE\",,no email address,,\"add their address to the source, then: ldapenroll notify --job $job\""
expect_in "$OUT" "t550,\"uid=t550,ou=Acme,$BASE\",t550@notify.example,a message was refused for good,"
expect_in "$OUT" "check the address with them; once the source has the right one: ldapenroll notify --job $job"
# The server's own words, not only its code, in the journal and the list.
expect_in "$OUT" "550 5.1.1 No such user here"
[ "$(json '[m["error"] for p in j["people"] if p["key"] == "t550" for m in p["messages"] if m["status"] == "failed"]' <"$WORK/job.json")" != "[]" ] ||
	fail "no error for t550's message"
json '[m["error"] for p in j["people"] if p["key"] == "t550" for m in p["messages"] if m["status"] == "failed"][0]' <"$WORK/job.json" |
	grep -qF "550 5.1.1 No such user here" || fail "the journal lost the server's reply to t550"

# notify --job sends again to whoever's messages failed, even when the
# password is no longer marked for change (here cleared by an admin); a
# person whose messages all arrived and who changed the password is not.
admin ldapmodify >/dev/null <<LDIF
dn: uid=t550,ou=Acme,$BASE
changetype: modify
delete: pwdReset

dn: uid=ok,ou=Acme,$BASE
changetype: modify
delete: pwdReset
LDIF
le -c "$WORK/cfg.yaml" notify --job "$job" --format json
expect_rc 0
[ "$(json '[a["key"] for a in j["actions"] if a["op"] == "reset_password"]' <"$OUT" | tr -d "'" | tr -d ' ')" = \
	"[t451,t550,tdrop,nomail,juergen]" ] || fail "notify --job did not pick those waiting or failed: $(cat "$OUT")"

# The SMTP server goes down: the directory changes stand, the people wait.
"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" stop-smtp >/dev/null 2>&1
printf 'Pia,Pending,pia@notify.example,pia,Acme,\n' >>"$WORK/users.csv"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "the mail phase stopped"
search "uid=pia,ou=Acme,$BASE" -s base '(objectClass=*)' pwdReset >"$WORK/pia.ldif"
expect_in "$WORK/pia.ldif" "pwdReset: TRUE"
le -c "$WORK/cfg.yaml" jobs "$(job_id)" --format json
[ "$(json '[p["waiting_for_mail"] for p in j["people"] if p["key"] == "pia"]' <"$OUT")" = "[True]" ] ||
	fail "pia is not waiting for mail"

# Back up: the next run issues a fresh password to pia and mails it.
"$SANDBOX_SH" --dir "$LDAPENROLL_SANDBOX" start-smtp >/dev/null 2>&1
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "Sent again uid=pia,ou=Acme,$BASE (messages never confirmed, job "
[ "$(mail_count pia@notify.example)" -eq 3 ] || fail "pia did not get her messages"
mail_password pia@notify.example "$WORK/pia.pw" || fail "no password for pia"
must_change "uid=pia,ou=Acme,$BASE" "$WORK/pia.pw"
# Nobody else got anything new, and nobody waits any more.
[ "$(mail_count ok@notify.example)" -eq 3 ] || fail "ok@ got mail again"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"
echo "ok: notify"

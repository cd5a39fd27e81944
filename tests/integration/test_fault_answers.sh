#!/usr/bin/env bash
# Answers that do not come, or say "busy" (test hooks: slapd itself never
# says busy, and a server that takes a write and then says nothing cannot
# be made to order): a busy answer is tried again later and the write
# happens; one that stays busy fails after three tries with the server's
# word; a write that is never answered is sent at most five times in all,
# across the reconnections its silence causes, then fails with the reason.
# Nobody else is held up, and a second run converges.
. "$(dirname "$0")/lib.sh"
require_test_hooks

setup_base
cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Ola,One,,ok1,Acme,
Tom,Two,,ok2,Acme,
Bea,Busy,,busy,Acme,
Bob,Busier,,busier,Acme,
Sam,Stuck,,stuck,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv"
sed -i "s#^  timeout: 10s#  timeout: 1s#" "$WORK/cfg.yaml"

LDAPENROLL_TEST_BUSY="uid=busy,ou=Acme,$BASE:2" LDAPENROLL_TEST_UNANSWERED="uid=stuck,ou=Acme,$BASE" \
	le -c "$WORK/cfg.yaml" sync --apply
expect_rc 1
expect_in "$ERR" "create_person uid=stuck,ou=Acme,$BASE failed (line 6): no result after several attempts"
expect_not_in "$ERR" "uid=busy,"
job=$(job_id)
journal=$WORK/state/jobs/$job.jsonl
[ "$(grep -c '"type":"connection","status":"lost"' "$journal")" -eq 5 ] ||
	fail "the unanswered write was not sent exactly five times"
for u in ok1 ok2 busy busier; do
	search "uid=$u,ou=Acme,$BASE" -s base dn | grep -q "^dn:" || fail "$u was not created"
done
search "$BASE" "(uid=stuck)" dn | grep -q "^dn:" && fail "stuck exists"

# Busy for good: three tries, then the server's answer is the reason; the
# write that was never answered goes through now.
echo "Bill,Busy,,busy3,Acme," >>"$WORK/users.csv"
LDAPENROLL_TEST_BUSY="uid=busy3,ou=Acme,$BASE:99" le -c "$WORK/cfg.yaml" sync --apply
expect_rc 1
expect_in "$ERR" "create_person uid=busy3,ou=Acme,$BASE failed (line 7): busy (test hook)"
expect_in "$ERR" "sync: 1 created"
job=$(job_id)
le -c "$WORK/cfg.yaml" jobs "$job" --format json
[ "$(json '[a["code"] for p in j["people"] if p["key"] == "busy3" for a in p["actions"]]' <"$OUT")" = "[51]" ] ||
	fail "the busy answer is not the recorded reason"
[ "$(json '[a["status"] for p in j["people"] if p["key"] == "stuck" for a in p["actions"]]' <"$OUT")" = \
	"['done', 'done']" ] || fail "the write that was never answered did not go through the next time"

# Without the hooks, the next run creates the last one and then nothing is left.
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$ERR" "sync: 1 created"
le -c "$WORK/cfg.yaml" sync --check
expect_rc 0

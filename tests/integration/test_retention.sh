#!/usr/bin/env bash
# Journal retention (state.keep_jobs): jobs older than the period are
# deleted at the start of every applied run and by jobs --prune --apply
# (jobs --prune alone only says which); a job whose people still wait for
# their messages is kept, and so is one the pending snapshot does not
# include yet. A run that changes nothing still leaves one small record.
. "$(dirname "$0")/lib.sh"

setup_base
cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role
Ann,Old,ann@retention.example,ann,Acme,
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)
state:
  keep_jobs: 30d"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
jobs_dir=$WORK/state/jobs
real=$(ls "$jobs_dir")

# Old jobs, as earlier runs left them: two that are done with, one whose
# person still waits for mail (and the snapshot says so).
old1=20250101T000000Z-0001 old2=20250102T000000Z-0002 waiting=20250103T000000Z-0003
for id in $old1 $old2; do
	printf '{"type":"job","version":1,"id":"%s","command":"sync","pid":1,"actions":0,"rows":1}\n{"type":"end","status":"completed"}\n' \
		"$id" >"$jobs_dir/$id.jsonl"
done
printf '%s\n' \
	"{\"type\":\"job\",\"version\":1,\"id\":\"$waiting\",\"command\":\"sync\",\"pid\":1,\"actions\":1,\"rows\":1}" \
	'{"type":"intent","op":"reset_password","key":"ann","dn":"uid=ann,ou=Acme,'"$BASE"'","password":true}' \
	'{"type":"result","op":"reset_password","key":"ann","dn":"uid=ann,ou=Acme,'"$BASE"'","status":"done"}' \
	'{"type":"notify","key":"ann","dn":"uid=ann,ou=Acme,'"$BASE"'","email":"ann@retention.example","messages":["password"],"status":"pending"}' \
	'{"type":"end","status":"completed_with_failures"}' >"$jobs_dir/$waiting.jsonl"
chmod 600 "$jobs_dir"/*.jsonl
printf '%s\n' "{\"type\":\"pending\",\"through\":\"${real%.jsonl}\"}" "{\"key\":\"ann\",\"job\":\"$waiting\"}" \
	>"$WORK/state/pending.jsonl"

le -c "$WORK/cfg.yaml" jobs --prune
expect_rc 0
expect_in "$OUT" "Would delete 2 jobs older than 30 days"
expect_in "$OUT" "  $old1"
expect_in "$OUT" "Kept 1 older job whose people still wait for their messages"
expect_in "$OUT" "Nothing was deleted; use --apply"
[ -e "$jobs_dir/$old1.jsonl" ] || fail "the preview deleted a job"

le -c "$WORK/cfg.yaml" jobs --prune --format json
[ "$(json 'j["to_delete"]' <"$OUT")" = "['$old1', '$old2']" ] || fail "jobs --prune --format json: $(cat "$OUT")"

# An applied run deletes them first; ann is sent her messages again.
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "Sent again uid=ann,ou=Acme,$BASE (messages never confirmed, job $waiting)"
expect_in "$ERR" "deleted 2 jobs older than state.keep_jobs (30 days)"
[ ! -e "$jobs_dir/$old1.jsonl" ] && [ ! -e "$jobs_dir/$old2.jsonl" ] || fail "old jobs were not deleted"
[ -e "$jobs_dir/$waiting.jsonl" ] || fail "the job ann waits from was deleted"
[ -e "$jobs_dir/$real" ] || fail "a recent job was deleted"

# ann has her messages now: the next prune lets her old job go.
le -c "$WORK/cfg.yaml" jobs --prune --apply
expect_rc 0
expect_in "$OUT" "Deleted 1 job older than 30 days"
[ ! -e "$jobs_dir/$waiting.jsonl" ] || fail "the settled job was kept"

# A run that changes nothing leaves one small record.
before=$(ls "$jobs_dir" | wc -l)
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
[ "$(ls "$jobs_dir" | wc -l)" -eq $((before + 1)) ] || fail "a no-op run left no job, or more than one"
[ "$(wc -l <"$jobs_dir/$(job_id).jsonl")" -eq 2 ] || fail "a no-op run's job is not just a header and an end"

# forever keeps everything; --apply alone is refused.
sed -i 's/keep_jobs: 30d/keep_jobs: forever/' "$WORK/cfg.yaml"
le -c "$WORK/cfg.yaml" jobs --prune --apply
expect_in "$OUT" "state.keep_jobs is forever"
le -c "$WORK/cfg.yaml" jobs --apply
expect_rc 2
expect_in "$ERR" "--apply goes with --prune"

#!/usr/bin/env bash
# Only one run at a time: while another run holds the lock of the state
# directory, a second run stops with exit 5 before it reads or changes
# anything, and names the holder. Reading the jobs never takes the lock: a
# run that starts while `jobs` looks at it goes through.
. "$(dirname "$0")/lib.sh"
require_test_hooks

setup_base
printf 'FirstName,LastName,Email,Username,Account,Role\nAnn,Lee,ann@lock.example,ann,Acme,\n' >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv"

# A run that holds the lock (stopped just before its first change).
le_paused preflight -c "$WORK/cfg.yaml" sync --apply
holder=$LE_PID
holder_out=$OUT
holder_err=$ERR
OUT=$WORK/out2 ERR=$WORK/err2
snapshot "$WORK/before.ldif"
set +e
"$LDAPENROLL_BIN" --log-format text -c "$WORK/cfg.yaml" sync --apply >"$OUT" 2>"$ERR"
RC=$?
set -e
expect_rc 5
expect_in "$ERR" "another run holds the lock"
expect_in "$ERR" "pid $holder, sync --apply, job "
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "the locked-out run changed the directory"
OUT=$holder_out ERR=$holder_err
le_resume
expect_rc 0
expect_in "$ERR" "1 created"
job=$(job_id)

# jobs, stopped while it tests the lock of a job that has no end (as after
# a crash), holds nothing: a run that starts then goes through.
sed -i '/"type":"end"/d' "$WORK/state/jobs/$job.jsonl"
le_paused lock-probe -c "$WORK/cfg.yaml" jobs "$job"
reader=$LE_PID
echo "Bob,Ray,bob@lock.example,bob,Acme," >>"$WORK/users.csv"
set +e
"$LDAPENROLL_BIN" --log-format text -c "$WORK/cfg.yaml" sync --apply >"$WORK/out3" 2>"$WORK/err3"
RC=$?
set -e
OUT=$WORK/out3 ERR=$WORK/err3
expect_rc 0
expect_in "$ERR" "1 created"
LE_PID=$reader
OUT=$WORK/out ERR=$WORK/err
le_resume
expect_rc 0
expect_in "$OUT" "interrupted"
echo "ok: lock"

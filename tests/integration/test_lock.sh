#!/usr/bin/env bash
# Only one run at a time: while another process holds the lock of the state
# directory, a second run stops with exit 5 before it reads or changes
# anything, and names the holder.
. "$(dirname "$0")/lib.sh"

setup_base
printf 'FirstName,LastName,Email,Username,Account,Role\nAnn,Lee,ann@lock.example,ann,Acme,\n' >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv"
mkdir -m 700 -p "$WORK/state"
printf 'pid 4242 since 2026-01-01T00:00:00Z\n' >"$WORK/state/lock"
flock -o "$WORK/state/lock" sleep 30 </dev/null >/dev/null 2>&1 &
holder=$!
for _ in $(seq 50); do
	flock -n "$WORK/state/lock" true || break
	sleep 0.1
done
snapshot "$WORK/before.ldif"
le -c "$WORK/cfg.yaml" sync --apply
pkill -P "$holder" 2>/dev/null || true
kill "$holder" 2>/dev/null || true
wait "$holder" 2>/dev/null || true
expect_rc 5
expect_in "$ERR" "another run holds the lock"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "the locked-out run changed the directory"
# Once the lock is free, the run goes through.
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$ERR" "1 created"
echo "ok: lock"

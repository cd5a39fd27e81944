#!/usr/bin/env bash
# A directory that accepts connections but does not answer (slapd frozen
# with SIGSTOP in a private sandbox), and one that is not there at all, with
# a small directory.timeout.
#
# Frozen before the run (StartTLS): sync --apply gives up after the timeout
# with exit 3; no job was started, the lock is free and nothing changed.
# Nobody listening: the same. Frozen in the middle of a large apply and
# thawed once the agent noticed: the run ends by itself with a status
# (no crash, no hang), what its journal calls done is in the directory, and
# a re-run converges: exactly the expected people, each once, each with
# pwdReset TRUE, each in its role group. Frozen before an ldaps:// run: exit
# 3 as well (the TLS handshake is bounded by the timeout too).
. "$(dirname "$0")/lib.sh"

private_sandbox --nosync --no-smtp
setup_base

# A run that gives up on a frozen server at the start is bounded by
# directory.timeout (2s here); one still going after HANG_LIMIT tenths of a
# second never will, and is reported as a hang rather than waited for.
HANG_LIMIT=150

SLAPD=
AGENT=
# freeze / thaw: SIGSTOP / SIGCONT to this sandbox's slapd, checked to be
# the slapd of this sandbox's directory (as sandbox.sh does before signalling).
freeze() {
	local pid
	pid=$(cat "$LDAPENROLL_SANDBOX/slapd.pid")
	tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF "$LDAPENROLL_SANDBOX/slapd.d" ||
		fail "pid $pid is not this sandbox's slapd"
	SLAPD=$pid
	kill -STOP "$SLAPD"
}
thaw() {
	if [ -n "$SLAPD" ]; then
		kill -CONT "$SLAPD" 2>/dev/null || true
		SLAPD=
	fi
}
# On any exit: the agent started in the background goes, slapd runs again
# (a stopped slapd would only stop at SIGKILL), then the usual cleanup,
# which reads the exit status from $? (set again without errexit).
trap 'rc=$?; set +e; [ -z "$AGENT" ] || kill -KILL "$AGENT" 2>/dev/null; thaw; (exit $rc); cleanup' EXIT

# run_bounded LIMIT ARGS...: runs ldapenroll in the background like le;
# fails if it is still running after LIMIT tenths of a second.
run_bounded() {
	local limit=$1 i
	shift
	OUT=$WORK/out ERR=$WORK/err
	"$LDAPENROLL_BIN" --log-format text "$@" >"$OUT" 2>"$ERR" &
	AGENT=$!
	for ((i = 0; i < limit; i++)); do
		kill -0 "$AGENT" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$AGENT" 2>/dev/null; then
		kill -KILL "$AGENT"
		wait "$AGENT" 2>/dev/null || true
		AGENT=
		cat "$ERR" >&2
		fail "ldapenroll $* did not give up on a server that does not answer (directory.timeout 2s)"
	fi
	set +e
	wait "$AGENT"
	RC=$?
	set -e
	AGENT=
}

# jobs_count: how many jobs the state directory holds (the jobs command
# reads it; it needs no lock).
jobs_count() {
	le -c "$WORK/cfg.yaml" jobs --format json
	expect_rc 0
	json 'len(j["jobs"])' <"$OUT"
}

n=2000
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for i in $(seq $n); do
		printf 'F%s,L%s,,t%s,Acct%s,\n' "$i" "$i" "$i" $((i % 5))
	done
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv"
sed -i 's/^  timeout: 10s/  timeout: 2s/' "$WORK/cfg.yaml"
snapshot "$WORK/before.ldif"

# --- Frozen before the run: StartTLS is never answered.
freeze
run_bounded $HANG_LIMIT -c "$WORK/cfg.yaml" sync --apply
thaw
expect_rc 3
expect_in "$ERR" "$LDAPENROLL_SANDBOX_LDAP_URI: StartTLS failed: Timed out"
expect_not_in "$ERR" "Sanitizer"
[ "$(jobs_count)" -eq 0 ] || fail "a job was started: $(cat "$OUT")"

# --- Nobody listening.
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
sed "s|^  uri: .*|  uri: ldap://127.0.0.1:$port|" "$WORK/cfg.yaml" >"$WORK/refused.yaml"
le -c "$WORK/refused.yaml" sync --apply
expect_rc 3
expect_in "$ERR" "ldap://127.0.0.1:$port"
[ "$(jobs_count)" -eq 0 ] || fail "a job was started: $(cat "$OUT")"

snapshot "$WORK/after.ldif"
cmp -s "$WORK/before.ldif" "$WORK/after.ldif" || fail "the directory changed: $(diff "$WORK/before.ldif" "$WORK/after.ldif" | head)"

# --- Frozen in the middle of a large apply, thawed once the agent has
# noticed (it gave up on the operations in flight and is reconnecting, or
# it stopped). That this run starts at all shows the failed runs above
# released the lock.
OUT=$WORK/out ERR=$WORK/err
"$LDAPENROLL_BIN" --log-format text -c "$WORK/cfg.yaml" sync --apply >"$OUT" 2>"$ERR" &
AGENT=$!
for _ in $(seq 600); do
	j=$(ls "$WORK"/state/jobs/*.jsonl 2>/dev/null | head -n 1 || true)
	[ -n "$j" ] && [ "$(grep -c '"type":"result"' "$j" || true)" -ge 200 ] && break
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.05
done
freeze
for _ in $(seq 600); do
	grep -q "did not answer within" "$ERR" && break
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.1
done
grep -q "did not answer within" "$ERR" || fail "the agent never noticed that slapd stopped answering (see $ERR)"
# Let one reconnect attempt fail against the frozen server, if the agent
# makes one, before slapd answers again.
for _ in $(seq 100); do
	grep -Eq "trying again|reconnecting failed" "$ERR" && break
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.1
done
thaw
for ((i = 0; i < 1200; i++)); do
	kill -0 "$AGENT" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$AGENT" 2>/dev/null && fail "the interrupted run did not end after slapd answered again (see $ERR)"
set +e
wait "$AGENT"
RC=$?
set -e
AGENT=
job=$(job_id)
expect_not_in "$ERR" "Sanitizer"
expect_not_in "$ERR" "runtime error"
[ "$RC" -le 3 ] || fail "the interrupted run ended with $RC"
[ -n "$job" ] || fail "the interrupted run has no job"

# What the journal says was done is in the directory (the journal never
# claims more than happened).
le -c "$WORK/cfg.yaml" jobs "$job" --format json
expect_rc 0
cp "$OUT" "$WORK/job.json"
search "$BASE" '(objectClass=inetOrgPerson)' 1.1 | sed -n 's/^dn: //p' | tr 'A-Z' 'a-z' | sort >"$WORK/present"
/usr/bin/python3 - "$WORK/job.json" "$WORK/present" <<'PY' || fail "the journal claims changes the directory does not hold"
import json, sys
job = json.load(open(sys.argv[1]))
present = set(open(sys.argv[2]).read().split("\n"))
claimed = [p["dn"] for p in job["people"]
           if any(a["op"] == "create_person" and a["status"] == "done" for a in p["actions"])]
missing = [dn for dn in claimed if dn.lower() not in present]
if missing or not claimed:
    print("claimed:", len(claimed), "missing:", missing[:5], file=sys.stderr)
    sys.exit(1)
PY

# Re-runs converge.
le -c "$WORK/cfg.yaml" sync --apply
[ "$RC" -le 1 ] || { cat "$ERR" >&2; fail "the re-run failed with $RC"; }
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"
count=$(search "$BASE" '(objectClass=inetOrgPerson)' uid | grep -c '^uid:')
[ "$count" -eq $n ] || fail "$count people in the directory, expected $n"
uids=$(search "$BASE" '(objectClass=inetOrgPerson)' uid | sed -n 's/^uid: //p' | sort -u | wc -l)
[ "$uids" -eq $n ] || fail "$uids distinct uids, expected $n"
[ "$(search "$BASE" '(&(objectClass=inetOrgPerson)(pwdReset=TRUE))' 1.1 | grep -c '^dn:')" -eq $n ] ||
	fail "not everyone must change the password"
members=$(search "ou=roles,$BASE" '(objectClass=groupOfNames)' member | grep -c '^member:')
[ "$members" -eq $n ] || fail "$members role memberships, expected $n"

# --- Frozen before an ldaps:// run: the TLS handshake is never answered.
snapshot "$WORK/before.ldif"
jobs=$(jobs_count)
sed "s|^  uri: .*|  uri: $LDAPENROLL_SANDBOX_LDAPS_URI|" "$WORK/cfg.yaml" >"$WORK/ldaps.yaml"
printf 'Zed,New,,zed,Acct0,\n' >>"$WORK/users.csv"
freeze
run_bounded $HANG_LIMIT -c "$WORK/ldaps.yaml" sync --apply
thaw
expect_rc 3
expect_in "$ERR" "$LDAPENROLL_SANDBOX_LDAPS_URI: no answer within"
[ "$(jobs_count)" -eq "$jobs" ] || fail "a job was started: $(cat "$OUT")"
snapshot "$WORK/after.ldif"
cmp -s "$WORK/before.ldif" "$WORK/after.ldif" || fail "the directory changed"
echo "ok: fault_timeout"

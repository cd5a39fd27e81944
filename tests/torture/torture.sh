#!/usr/bin/env bash
# Allocation-failure torture: runs a command of the program once to count
# the allocations its own code makes, then once more for each of them with
# that allocation failing (tests/torture/failmalloc.c). Every run must end
# cleanly: an exit code of the program's own (no signal, no sanitizer
# report, no leak), and either the output of the run without failures or
# an error message.
#
#   torture.sh TORTURE_BIN [--after-config] [--every K] [--with-plan] COMMAND [ARGS...]
#       --after-config: only the allocations after those of loading the
#       config (as many as 'jobs' makes in an empty state directory), which
#       the check case covers already. --every K: one allocation in K (for
#       long runs of the same code, such as parsing JSON). --with-plan:
#       first save the preview as plan.json, for 'apply plan.json'.
#   torture.sh TORTURE_BIN [--with-plan] --trace N COMMAND [ARGS...]
#       runs once with allocation N failing and shows the output and the
#       stack of that allocation, to find what did not handle it.
#   torture.sh TORTURE_BIN --admin
#       applies the example into a subtree of its own, then does the above
#       (after the config) for the previews of reset-passwords and disable,
#       and (one in 2) for jobs ID; notify --job shares their planner and
#       job reader.
#   torture.sh TORTURE_BIN --apply STRIDE
#       sync --apply into a fresh subtree of the sandbox per run, failing
#       every STRIDE-th allocation after those of the preview (where a run
#       is not repeatable to the allocation: results arrive in batches that
#       vary). Each run must end cleanly with its journal closed, and two
#       runs without failures must then converge (the second: no changes).
#
# The command runs in a scratch directory with the example config and its
# CSV, which is also the state directory.
set -euo pipefail

bin=$1
shift
trace= stride= after_config= with_plan= admin_mode= every=1
while [ $# -gt 0 ]; do
	case $1 in
	--after-config) after_config=1 ;;
	--every) every=$2 && shift ;;
	--with-plan) with_plan=1 ;;
	--trace) trace=$2 && shift ;;
	--apply) stride=$2 && shift ;;
	--admin) admin_mode=1 ;;
	*) break ;;
	esac
	shift
done
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/ldapenroll-torture.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The example config reads its servers and secrets from these variables:
# those of a running sandbox when LDAPENROLL_SANDBOX names one (commands that
# read the directory need it), dummies otherwise.
umask 077
if [ -n "${LDAPENROLL_SANDBOX:-}" ]; then
	eval "$("$root/contrib/sandbox/sandbox.sh" --dir "$LDAPENROLL_SANDBOX" env)"
	export "${!LDAPENROLL_SANDBOX_@}"
else
	printf 'dummy-bind-secret' >"$work/bind.secret"
	printf 'dummy-smtp-secret' >"$work/smtp.secret"
	export LDAPENROLL_SANDBOX_LDAP_URI=ldap://localhost:1 \
		LDAPENROLL_SANDBOX_CA=$root/tests/torture/failmalloc.c \
		LDAPENROLL_SANDBOX_BIND_DN=cn=ldapenroll,ou=services,dc=example,dc=com \
		LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE=$work/bind.secret \
		LDAPENROLL_SANDBOX_SMTP_URL=smtp://localhost:1 \
		LDAPENROLL_SANDBOX_SMTP_USER=ldapenroll \
		LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE=$work/smtp.secret
fi
# The state directory (${LDAPENROLL_SANDBOX}/state in the example) is ours.
export LDAPENROLL_SANDBOX=$work
cp "$root/config/examples/ldapenroll.yaml" "$root/config/examples/users.csv" "$work/"
cd "$work"
# Leaks are reported at exit; a report must not hide behind an exit code.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}exitcode=90
export UBSAN_OPTIONS=${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}halt_on_error=1:abort_on_error=1

# one N CONFIG ARGS...: the run with allocation N failing; prints a line
# when it did not end cleanly.
one() {
	local n=$1 config=$2 rc=0
	shift 2
	LDAPENROLL_TORTURE_FAIL_AT=$n "$bin" --log-format text -c "$config" "$@" >"out.$n" 2>"err.$n" || rc=$?
	if [ $rc -ge 90 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "err.$n"; then
		echo "allocation $n: crash or sanitizer report (exit $rc): $(grep -m1 -E 'ERROR|runtime error' "err.$n")"
	elif [ $rc -eq 0 ] && ! cmp -s ref.out "out.$n"; then
		echo "allocation $n: exit 0 with other output than the run without failures"
	elif [ $rc -ne 0 ] && ! grep -q 'ldapenroll: ' "err.$n"; then
		echo "allocation $n: exit $rc without an error message"
	fi
	rm -f "out.$n" "err.$n"
}
export -f one
export bin

# sweep FIRST K CONFIG ARGS...: counts the allocations of the command, then
# fails one in K from FIRST on. Returns 1 when any run did not end cleanly.
sweep() {
	local first=$1 k=$2 config=$3 total failures runs
	shift 3
	LDAPENROLL_TORTURE_COUNT=$work/count "$bin" --log-format text -c "$config" "$@" >ref.out 2>ref.err || {
		cat ref.err >&2
		echo "FAIL: ldapenroll $* did not succeed without failures" >&2
		return 1
	}
	total=$(cat count)
	runs=$(seq "$first" "$k" "$total" | wc -l)
	echo "$total allocations in: ldapenroll $*; failing one in $k from $first on: $runs runs"
	failures=$(seq "$first" "$k" "$total" | xargs -P "$(nproc)" -I{} bash -c 'one "$@"' _ {} "$config" "$@")
	if [ -n "$failures" ]; then
		printf '%s\n' "$failures" | sort -n -k2 >&2
		echo "FAIL: $(printf '%s\n' "$failures" | wc -l) of $runs allocation failures in ldapenroll $* were not handled cleanly" >&2
		return 1
	fi
	echo "ok: all $runs handled"
}

# The allocations of loading the config: 'jobs' with no job does little else.
config_allocations() {
	LDAPENROLL_TORTURE_COUNT=$work/count.config "$bin" -c ldapenroll.yaml jobs >/dev/null 2>&1 ||
		{ echo "FAIL: jobs did not run" >&2; exit 1; }
	cat count.config
}

if [ -n "$with_plan" ]; then
	"$bin" -c ldapenroll.yaml sync --format json --output plan.json >/dev/null 2>&1 ||
		{ echo "FAIL: the plan could not be saved" >&2; exit 1; }
fi
if [ -n "$trace" ]; then
	LDAPENROLL_TORTURE_TRACE=1 LDAPENROLL_TORTURE_FAIL_AT=$trace "$bin" --log-format text -c ldapenroll.yaml "$@" || echo "exit $?"
	exit 0
fi
if [ -n "$stride" ]; then
	. "$root/tests/torture/apply.sh"
	exit
fi
if [ -n "$admin_mode" ]; then
	first=$(($(config_allocations) + 1))
	top="ou=torture-admin,$LDAPENROLL_SANDBOX_SUFFIX"
	. "$root/tests/torture/subtree.sh"
	setup 0 && "$bin" -c cfg.0.yaml sync --apply >setup.out 2>&1 ||
		{ cat setup.out >&2; echo "FAIL: the example could not be applied" >&2; exit 1; }
	job=$(basename "$(ls state.0/jobs/*.jsonl)" .jsonl)
	printf 'Username\n%s\n' "$(sed -n 2p users.csv | cut -d, -f4)" >list.csv
	rc=0
	sweep "$first" 1 cfg.0.yaml reset-passwords --scope without-role || rc=1
	sweep "$first" 1 cfg.0.yaml disable --users list.csv || rc=1
	sweep "$first" 2 cfg.0.yaml jobs "$job" --format json || rc=1
	admin ldapdelete -r "$top" >/dev/null 2>&1 || true
	exit $rc
fi
first=1
[ -z "$after_config" ] || first=$(($(config_allocations) + 1))
sweep "$first" "$every" ldapenroll.yaml "$@"

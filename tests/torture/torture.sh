#!/usr/bin/env bash
# Allocation-failure torture: runs a command of the program once to count
# the allocations its own code makes, then once more for each of them with
# that allocation failing (tests/torture/failmalloc.c). Every run must end
# cleanly: an exit code of the program's own (no signal, no sanitizer
# report, no leak), and either the output of the run without failures or
# an error message.
#
#   torture.sh TORTURE_BIN COMMAND [ARGS...]
#   torture.sh TORTURE_BIN --after-config COMMAND [ARGS...]
#       the same, but only for the allocations after those of loading the
#       config (as many as 'jobs' makes in an empty state directory), which
#       the check case covers already.
#   torture.sh TORTURE_BIN [--after-config] --with-plan COMMAND [ARGS...]
#       first saves the preview as plan.json (sync --format json --output),
#       for a command such as 'apply plan.json'.
#   torture.sh TORTURE_BIN --trace N COMMAND [ARGS...]
#       runs once with allocation N failing and shows the output and the
#       stack of that allocation, to find what did not handle it.
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
trace= stride= after_config= with_plan=
if [ "${1:-}" = --after-config ]; then
	after_config=1
	shift
fi
if [ "${1:-}" = --with-plan ]; then
	with_plan=1
	shift
fi
if [ "${1:-}" = --trace ]; then
	trace=$2
	shift 2
elif [ "${1:-}" = --apply ]; then
	stride=$2
	shift 2
	set -- sync --apply
fi
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

if [ -n "$with_plan" ]; then
	"$bin" -c ldapenroll.yaml sync --format json --output plan.json >/dev/null 2>&1 ||
		{ echo "FAIL: the plan could not be saved" >&2; exit 1; }
fi
if [ -n "$stride" ]; then
	. "$root/tests/torture/apply.sh"
	exit
fi
if [ -n "$trace" ]; then
	LDAPENROLL_TORTURE_TRACE=1 LDAPENROLL_TORTURE_FAIL_AT=$trace "$bin" --log-format text -c ldapenroll.yaml "$@" || echo "exit $?"
	exit 0
fi
LDAPENROLL_TORTURE_COUNT=$work/count "$bin" --log-format text -c ldapenroll.yaml "$@" >ref.out 2>ref.err ||
	{ cat ref.err >&2; echo "FAIL: the run without failures did not succeed" >&2; exit 1; }
total=$(cat count)
first=1
if [ -n "$after_config" ]; then
	LDAPENROLL_TORTURE_COUNT=$work/count.config "$bin" -c ldapenroll.yaml jobs >/dev/null 2>&1 ||
		{ echo "FAIL: jobs did not run" >&2; exit 1; }
	first=$(($(cat count.config) + 1))
fi
echo "$total allocations in: ldapenroll $*; failing each from $first"

# one N: the run with allocation N failing; prints a line on failure.
one() {
	local n=$1 rc=0
	shift
	LDAPENROLL_TORTURE_FAIL_AT=$n "$bin" --log-format text -c ldapenroll.yaml "$@" >"out.$n" 2>"err.$n" || rc=$?
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
failures=$(seq "$first" "$total" | xargs -P "$(nproc)" -I{} bash -c 'one "$@"' _ {} "$@")
if [ -n "$failures" ]; then
	printf '%s\n' "$failures" | sort -n -k2 >&2
	echo "FAIL: $(printf '%s\n' "$failures" | wc -l) of $((total - first + 1)) allocation failures were not handled cleanly" >&2
	exit 1
fi
echo "ok: all $((total - first + 1)) allocation failures handled"

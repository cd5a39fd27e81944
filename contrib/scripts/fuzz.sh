#!/usr/bin/env bash
# Fuzzes the CSV reader, the config loader, the template engine and the mail
# header encoders with libFuzzer (clang, with AddressSanitizer and
# UndefinedBehaviorSanitizer), each target for the given time:
#
#   contrib/scripts/fuzz.sh [SECONDS] [TARGET...]
#
# SECONDS defaults to 60 per target; the targets are csv, config, template
# and header (default: all). New inputs that reach new code are merged into
# tests/fuzz/corpus/TARGET with libFuzzer's -merge=1, which keeps the corpus
# minimal: the seeds (files with names) stay, the inputs found (named by
# their SHA-1) are only those that add coverage. A crash, leak, timeout or
# out-of-memory input is copied into tests/fuzz/crashes/TARGET, where the
# test suite replays it. Exits 1 when anything was found. Builds into build-fuzz/ (or $BUILD_DIR); the logs are
# in BUILD_DIR/fuzz-runs/TARGET/.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build-fuzz}
all=(csv config template header)
# The longest input each target is given: enough for the seeds and for the
# limits worth crossing (a header line of 998 characters), small enough to
# keep the runs fast and the corpora small.
declare -A max_len=([csv]=8192 [config]=8192 [template]=2048 [header]=4096)

usage() {
	echo "usage: $0 [SECONDS] [TARGET...]   (targets: ${all[*]})" >&2
	exit 2
}

seconds=60
if [ $# -gt 0 ] && [[ $1 =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi
[ "$seconds" -gt 0 ] || usage
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
for t in "${targets[@]}"; do
	[ -n "${max_len[$t]:-}" ] || usage
done

# The libraries and tools of the normal build, then clang and its libFuzzer
# runtime from Debian 12.
"$root/contrib/scripts/install-deps.sh"
missing=()
for p in clang libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "fuzz: these packages are missing and installing them needs root: ${missing[*]}" >&2
		exit 1
	fi
	echo "fuzz: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLDAPENROLL_FUZZ=ON
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

found=0
for t in "${targets[@]}"; do
	bin=$build/tests/fuzz/fuzz_$t
	corpus=$root/tests/fuzz/corpus/$t
	crashes=$root/tests/fuzz/crashes/$t
	work=$build/fuzz-runs/$t
	rm -rf "$work"
	mkdir -p "$work/new" "$work/artifacts" "$corpus" "$crashes"
	opts=(-max_len="${max_len[$t]}" -timeout=10 -print_final_stats=1)
	[ -f "$root/tests/fuzz/$t.dict" ] && opts+=(-dict="$root/tests/fuzz/$t.dict")

	echo "fuzz: $t for ${seconds}s (log: $work/log)"
	# New inputs go to the first directory; the corpus is read as seeds.
	rc=0
	"$bin" "${opts[@]}" -max_total_time="$seconds" -artifact_prefix="$work/artifacts/" \
		"$work/new" "$corpus" >"$work/log" 2>&1 || rc=$?

	# The corpus stays minimal: its named seeds are kept, and of the inputs
	# found before (named by their SHA-1) and now, only those that reach
	# code nothing else reaches (edges, not hit counts), smallest first.
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | head -1)
	mkdir -p "$work/seeds" "$work/found"
	for f in "$corpus"/*; do
		[ -f "$f" ] || continue
		if [[ $(basename "$f") =~ ^[0-9a-f]{40}$ ]]; then
			cp "$f" "$work/found/"
		else
			cp "$f" "$work/seeds/"
		fi
	done
	before=$(find "$work/found" -type f | wc -l)
	after=$before
	if "$bin" "${opts[@]}" -merge=1 -use_counters=0 "$work/seeds" "$work/found" "$work/new" \
		>"$work/merge.log" 2>&1; then
		find "$corpus" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
		find "$work/seeds" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' \
			-exec cp {} "$corpus/" \;
		after=$(find "$corpus" -maxdepth 1 -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' | wc -l)
	else
		echo "fuzz: $t: merging the corpus failed, left as it was (see $work/merge.log)" >&2
	fi

	artifacts=()
	for f in "$work/artifacts"/*; do
		[ -f "$f" ] && artifacts+=("$f")
	done
	if [ ${#artifacts[@]} -gt 0 ] || [ "$rc" -ne 0 ]; then
		found=1
		for f in "${artifacts[@]}"; do
			cp "$f" "$crashes/"
			echo "fuzz: $t: kept $crashes/$(basename "$f")"
		done
		tail -n 60 "$work/log" >&2
		echo "fuzz: $t: FAILED (exit $rc) after ${runs:-?} runs; corpus: $after found inputs (were $before)"
	else
		echo "fuzz: $t: ${runs:-?} runs in ${seconds}s, no crash; corpus: $after found inputs (were $before)"
	fi
done
exit $found

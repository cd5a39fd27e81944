#!/usr/bin/env bash
# The whole test suite, from a clean build directory: unit tests, the
# bad-input corpora and the integration tests against a real slapd and SMTP
# server on loopback, all built with AddressSanitizer and
# UndefinedBehaviorSanitizer (any report, leaks included, aborts the program
# and fails the run) and with the fault injection hooks of a test build.
#
#   contrib/scripts/test.sh [BUILD_DIR]      (default: build-test)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build-test}

"$root/contrib/scripts/install-deps.sh"
rm -rf "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DLDAPENROLL_SANITIZE=ON -DLDAPENROLL_TEST_HOOKS=ON
cmake --build "$build" -j "$(nproc)"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1
cd "$build"
ctest --output-on-failure -j "$(nproc)"

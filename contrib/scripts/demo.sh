#!/usr/bin/env bash
# The main job on a fresh machine: installs what is needed, builds, starts
# the loopback sandbox (a real slapd and SMTP server), and runs ldapenroll on
# the example CSV: the preview, the apply, and the messages that arrived.
#
#   contrib/scripts/demo.sh        (as root on Debian 12)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
sandbox=$root/contrib/sandbox/sandbox.sh

"$root/contrib/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
"$sandbox" start
eval "$("$sandbox" env)"

le=("$build/ldapenroll" --log-format text -c "$root/config/examples/ldapenroll.yaml")
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "ldapenroll check --connect        (config, CSV rows, directory, mail server)"
"${le[@]}" check --connect
step "ldapenroll sync                   (the preview: nothing is changed)"
"${le[@]}" sync
step "ldapenroll sync --apply           (writes the directory, sends the messages)"
set +e
"${le[@]}" sync --apply
rc=$?
set -e
step "the messages the sandbox's SMTP server caught (in $LDAPENROLL_SANDBOX_MAILDIR)"
"$sandbox" mail
first=$(ls "$LDAPENROLL_SANDBOX_MAILDIR"/*.eml 2>/dev/null | head -n 1 || true)
if [ -n "$first" ]; then
	step "one of them: $first"
	cat "$first"
fi
step "the job: ldapenroll jobs"
"${le[@]}" jobs
step "done (sync --apply exited $rc)"
cat <<TEXT
The sandbox keeps running. Its settings:  eval "\$($sandbox env)"
Read a message:     $sandbox mail --show 3
The manual list:    $build/ldapenroll -c $root/config/examples/ldapenroll.yaml jobs <ID> --manual
Run it again:       $build/ldapenroll -c $root/config/examples/ldapenroll.yaml sync --apply   (changes nothing)
Stop and remove:    $sandbox stop --purge
TEXT

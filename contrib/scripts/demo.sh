#!/usr/bin/env bash
# The main job on a fresh machine: installs what is needed, builds, starts
# the loopback sandbox (a real slapd and SMTP server), and runs ldapenroll
# on the example CSV: first the preview, then what it would write as LDIF.
#
#   contrib/scripts/demo.sh        (as root on Debian 12)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build

"$root/contrib/scripts/install-deps.sh"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)" >/dev/null
"$root/contrib/sandbox/sandbox.sh" start
eval "$("$root/contrib/sandbox/sandbox.sh" env)"

le=("$build/ldapenroll" -c "$root/config/examples/ldapenroll.yaml")
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "ldapenroll check --connect"
"${le[@]}" check --connect
step "ldapenroll sync   (the preview: nothing is changed)"
"${le[@]}" sync
step "ldapenroll sync --format json | head"
"${le[@]}" -q sync --format json | head -c 1200
echo
step "done"
cat <<TEXT
The sandbox keeps running; its settings:   eval "\$($root/contrib/sandbox/sandbox.sh env)"
Try:        $build/ldapenroll -c $root/config/examples/ldapenroll.yaml sync --format ldif
Stop it:    $root/contrib/sandbox/sandbox.sh stop --purge
TEXT

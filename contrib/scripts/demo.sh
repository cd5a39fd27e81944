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
step "link mode: config/examples/links.yaml   (a link to choose the password, no password by mail)"
links=("$build/ldapenroll" --log-format text -c "$root/config/examples/links.yaml")
"${links[@]}" sync --apply || rc=$?
mailbox=(/usr/bin/python3 "$root/tests/integration/mailbox.py" "$LDAPENROLL_SANDBOX")
link=$("${mailbox[@]}" link grace.hopper@acme.example)
step "the link message to grace.hopper@acme.example"
"${mailbox[@]}" bodies grace.hopper@acme.example | tail -n 14
step "ldapenroll serve   (the set-password page, on 127.0.0.1:8480)"
"${links[@]}" serve &
serve=$!
for _ in $(seq 50); do curl -s -o /dev/null http://127.0.0.1:8480/ && break; sleep 0.1; done
page_title() { sed -n -e 's:.*<h1>\(.*\)</h1>.*:\1:p' -e 's:.*<a href="#password">\(.*\)</a>.*:  \1:p' | sed "s/&#39;/'/g"; }
echo "GET  the link                  -> $(curl -s "$link" | page_title)   (nothing changes)"
token=${link#*token=}
form() { curl -s -X POST http://127.0.0.1:8480/set-password --data-urlencode "token=$token" \
	--data-urlencode "password=$1" --data-urlencode "confirm=$1" | page_title; }
echo "POST a 6-character password    -> $(form 'Sh0rt!' | tr -d '\n')"
echo "POST Grace-chose-th1s          -> $(form 'Grace-chose-th1s')"
echo "POST the same link again       -> $(form 'Grace-chose-th1s')"
kill -TERM "$serve"
wait "$serve" || true
step "the job, with who set a password: ldapenroll jobs ID"
"${links[@]}" jobs "$("${links[@]}" jobs --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])')" | head -n 8
step "done (sync --apply exited $rc)"
cat <<TEXT
The sandbox keeps running. Its settings:  eval "\$($sandbox env)"
Read a message:     $sandbox mail --show 3
The manual list:    $build/ldapenroll -c $root/config/examples/ldapenroll.yaml jobs <ID> --manual
Run it again:       $build/ldapenroll -c $root/config/examples/ldapenroll.yaml sync --apply   (changes nothing)
Link mode's page:   $build/ldapenroll -c $root/config/examples/links.yaml serve   (then open a link from the mail)
Stop and remove:    $sandbox stop --purge
TEXT

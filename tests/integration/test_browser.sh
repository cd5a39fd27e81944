#!/usr/bin/env bash
# The set-password link in a real browser: a person enrolled in link mode
# opens the link from the message they got in headless Chromium
# (integration/browser.py, Selenium), is told that a too-short password is
# too short, sets a good one, and can then log in with it without having to
# change it; the same link then says it was used.
. "$(dirname "$0")/lib.sh"
setup_base
. "$(dirname "$0")/links_lib.sh"

for tool in /usr/bin/chromium /usr/bin/chromedriver; do
	[ -x "$tool" ] || fail "$tool is missing (contrib/scripts/install-deps.sh installs chromium and chromium-driver)"
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null ||
	fail "python3-selenium is missing (contrib/scripts/install-deps.sh installs it)"

le -c "$WORK/le.yaml" sync --apply
expect_rc 0
$MAILBOX "$LDAPENROLL_SANDBOX" link "ada@$TEST_NAME.example" >"$WORK/link" || fail "no link was mailed to ada"
start_serve

# Chromium wants a writable home for its profile.
HOME=$WORK /usr/bin/python3 "$LDAPENROLL_SOURCE_DIR/tests/integration/browser.py" "$(cat "$WORK/link")" \
	'Sh0rt!' 'Correct-horse-9' >"$WORK/browser.out" 2>&1 || {
	cat "$WORK/browser.out" >&2
	tail -n 5 "$WORK/serve.log" >&2
	fail "the browser did not get through"
}
cat "$WORK/browser.out"

printf '%s' 'Correct-horse-9' >"$WORK/ada.pw"
out=$(ldapwhoami -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "uid=ada,ou=Acme,$BASE" -y "$WORK/ada.pw" -e ppolicy 2>&1) ||
	fail "ada cannot log in with the password she chose: $out"
case $out in *"must be changed"*) fail "ada's chosen password still must be changed: $out" ;; esac
stop_serve
expect_not_in "$WORK/serve.log" "Correct-horse-9"
no_sanitizer_report "$WORK/serve.log"
echo "ok: browser"

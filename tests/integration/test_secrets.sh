#!/usr/bin/env bash
# No secret leaves the agent except where it belongs: the bind and SMTP
# passwords, every generated temporary password and a given default
# password appear in no output, no log (at the most verbose level, in
# every log format), no journal, no plan, no report and no other file the
# agent wrote; the secret files themselves are refused unless owner-only
# and regular; and no command takes a secret on its command line.
. "$(dirname "$0")/lib.sh"

setup_base
n=8
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for k in $(seq $n); do
		printf 'F%s,L%s,u%s@secrets.example,su%s,Acct%s,\n' "$k" "$k" "$k" "$k" $((k % 2))
	done
	printf 'No,Mail,,sunomail,Acct0,\n'
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)
limits:
  max_reset_percent: 100"
cfg=(-c "$WORK/cfg.yaml")
outputs=$WORK/outputs
mkdir "$outputs"
run() { # NAME ARGS...: every output of one run kept for the search below
	local name=$1
	shift
	set +e
	"$LDAPENROLL_BIN" "$@" >"$outputs/$name.out" 2>"$outputs/$name.err"
	RC=$?
	no_sanitizer_report "$outputs/$name.err"
	set -e
}

for format in text logfmt json; do
	run "sync-$format" -v -v --log-format "$format" "${cfg[@]}" sync --format json --output "$outputs/plan-$format.json"
	[ "$RC" -eq 0 ] || fail "the preview ($format logs) exited $RC"
done
run ldif -v -v "${cfg[@]}" sync --format ldif
run apply -v -v --log-format logfmt "${cfg[@]}" sync --apply --format json
[ "$RC" -eq 0 ] || { cat "$outputs/apply.err" >&2; fail "the apply exited $RC"; }
job=$(sed -n 's/.*job=\([0-9TZ]*-[0-9a-f]*\).*/\1/p' "$outputs/apply.err" | head -n 1)
run reset -v -v --log-format json "${cfg[@]}" reset-passwords --scope all --apply --output "$outputs/reset.json"
run notify -v -v "${cfg[@]}" notify --job "$job" --all --apply
printf 'Given-Default-Pw-77!' >"$WORK/default.pw"
chmod 600 "$WORK/default.pw"
printf 'su1\n' >"$WORK/one.txt"
run default -v -v --log-format json "${cfg[@]}" reset-passwords --scope selected --users "$WORK/one.txt" \
	--password-file "$WORK/default.pw" --apply
[ "$RC" -eq 0 ] || { cat "$outputs/default.err" >&2; fail "the default password reset exited $RC"; }
for format in text json csv; do
	run "jobs-$format" "${cfg[@]}" jobs "$job" --format "$format"
done
run jobs-list "${cfg[@]}" jobs
run check -v -v "${cfg[@]}" check --connect

# The secrets: the two service passwords, the default password, and every
# temporary password that reached a mailbox (several per person).
secrets=("$(cat "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE")" "$(cat "$LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE")"
	"Given-Default-Pw-77!")
/usr/bin/python3 - "$LDAPENROLL_SANDBOX/mail" "$WORK/mailed" <<'PY'
import email, email.policy, glob, json, re, sys
out = open(sys.argv[2], "w")
for p in glob.glob(sys.argv[1] + "/*.json"):
    if not any(r.endswith("@secrets.example") for r in json.load(open(p))["rcpt_tos"]):
        continue
    msg = email.message_from_bytes(open(p[:-5] + ".eml", "rb").read(), policy=email.policy.default)
    if "password" in msg["Subject"].lower():
        m = re.search(r"^    (\S+)\s*$", msg.get_content(), re.M)
        if m:
            out.write(m.group(1) + "\n")
PY
mapfile -t mailed <"$WORK/mailed"
[ "${#mailed[@]}" -ge $((3 * n)) ] || fail "only ${#mailed[@]} temporary passwords were mailed"
secrets+=("${mailed[@]}")

# Everything the agent wrote: outputs, logs, the state directory.
files=("$outputs"/* "$WORK"/state/*.jsonl "$WORK"/state/jobs/*)
[ "${#files[@]}" -gt 20 ] || fail "too few files to search"
for s in "${secrets[@]}"; do
	[ "${#s}" -ge 8 ] || fail "a secret too short to search for: '$s'"
	for f in "${files[@]}"; do
		[ -f "$f" ] || continue
		grep -qF -- "$s" "$f" && fail "a secret appears in $f"
	done
done
# Files the agent wrote are owner-only.
for f in "$outputs"/plan-*.json "$outputs/reset.json" "$WORK"/state/jobs/*.jsonl; do
	[ "$(stat -c %a "$f")" = 600 ] || fail "$f is not owner-only"
done
[ "$(stat -c %a "$WORK/state")" = 700 ] || fail "the state directory is not owner-only"

# Secret files: refused when readable by others, or a symlink; no option
# takes a secret itself.
cp "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" "$WORK/open.secret"
chmod 644 "$WORK/open.secret"
sed "s|bind_password_file: .*|bind_password_file: $WORK/open.secret|" "$WORK/cfg.yaml" >"$WORK/open.yaml"
le -c "$WORK/open.yaml" check
expect_rc 2
expect_in "$ERR" "chmod 600"
chmod 600 "$WORK/open.secret"
ln -s "$WORK/open.secret" "$WORK/link.secret"
sed "s|bind_password_file: .*|bind_password_file: $WORK/link.secret|" "$WORK/cfg.yaml" >"$WORK/link.yaml"
le -c "$WORK/link.yaml" check
expect_rc 2
expect_in "$ERR" "symbolic link"
for cmd in "" check sync apply enable disable reset-passwords notify jobs; do
	"$LDAPENROLL_BIN" $cmd --help >"$WORK/help"
	if grep -E -- '--[a-z-]*(password|secret)([ =]|$)' "$WORK/help" | grep -v -- '--password-file' | grep -q .; then
		fail "ldapenroll $cmd takes a secret on the command line"
	fi
done
echo "ok: secrets (${#secrets[@]} secrets, ${#files[@]} files)"

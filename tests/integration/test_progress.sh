#!/usr/bin/env bash
# On a terminal, each phase shows a bar with the percentage, the count, the
# rate and the time left, against a total that does not change during the
# run (the directory phase counts the plan's actions, the mail phase the
# people), and ends at 100% with the time it took. Run under script(1),
# which gives the program a terminal.
. "$(dirname "$0")/lib.sh"
command -v script >/dev/null || fail "script(1) (bsdutils) is missing"

setup_base
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for i in $(seq 1 300); do
		printf 'P%s,Person,p%s@progress.example,p%s,Acc%s,\n' "$i" "$i" "$i" $((i % 3))
	done
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
le -c "$WORK/cfg.yaml" sync --format json --output "$WORK/plan.json"
expect_rc 0
actions=$(json 'len(j["actions"])' <"$WORK/plan.json")

script -q -e -c "'$LDAPENROLL_BIN' --log-format text -c '$WORK/cfg.yaml' sync --apply --force-limits 300" \
	"$WORK/tty" >/dev/null 2>&1 || fail "the run under script failed: $(tail -5 "$WORK/tty")"
no_sanitizer_report "$WORK/tty"
tr '\r' '\n' <"$WORK/tty" >"$WORK/lines"
grep -E '^  directory +\[[#.]{24}\] +[0-9]+%  [0-9]+/[0-9]+ actions  [0-9]+/s  (ETA|in) ' "$WORK/lines" >"$WORK/dir" ||
	fail "no directory progress bar: $(head -c 600 "$WORK/lines")"
grep -E '^  mail +\[[#.]{24}\] +[0-9]+%  [0-9]+/[0-9]+ people  ' "$WORK/lines" >"$WORK/mail" ||
	fail "no mail progress bar"
# One total per phase, the plan's for the directory.
[ "$(grep -oE '[0-9]+/[0-9]+ actions' "$WORK/dir" | cut -d/ -f2 | sort -u)" = "$actions actions" ] ||
	fail "the directory total changed or is not the plan's $actions: $(grep -oE '/[0-9]+ actions' "$WORK/dir" | sort -u | tr '\n' ' ')"
[ "$(grep -oE '[0-9]+/[0-9]+ people' "$WORK/mail" | cut -d/ -f2 | sort -u)" = "300 people" ] ||
	fail "the mail total changed"
grep -qE "\[#{24}\] 100%  $actions/$actions actions .* in [0-9]+:[0-9]{2}\$" "$WORK/dir" ||
	fail "the directory bar does not end at 100% with its time"
grep -qE '\[#{24}\] 100%  300/300 people .* in [0-9]+:[0-9]{2}$' "$WORK/mail" ||
	fail "the mail bar does not end at 100%"
# Not on a terminal (the log goes to a file): no bar at all.
le -c "$WORK/cfg.yaml" sync --apply
expect_not_in "$ERR" "directory ["
echo "ok: progress"

#!/usr/bin/env bash
# Safety limits: a plan that disables, creates or resets more passwords
# than the limits allow stops before its first change (exit 4) and says how
# to go ahead; with --force-limits N it goes ahead only when N covers the
# count. The preview says beforehand that the apply will stop, in text and
# in JSON. Disabled people are locked for good; coming back enables them
# with a new password.
. "$(dirname "$0")/lib.sh"

setup_base
printf 'FirstName,LastName,Email,Username,Account,Role\n' >"$WORK/users.csv"
for i in 1 2 3 4 5 6; do
	printf 'P%s,Person,p%s@limits.example,p%s,Acme,\n' "$i" "$i" "$i" >>"$WORK/users.csv"
done
limits='limits:
  max_disable: 1
  max_disable_percent: 100
  max_create: 6'
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$limits"
sed -i 's/^  update: \[cn, givenName, sn, mail\]/&\n  absent: disable/' "$WORK/cfg.yaml"

le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0 # no notify section: everyone is listed for manual notification, which is no failure
expect_in "$ERR" "6 created"

# Three people leave the source: over the limit of one.
head -n 4 "$WORK/users.csv" >"$WORK/fewer.csv"
sed "s|$WORK/users.csv|$WORK/fewer.csv|" "$WORK/cfg.yaml" >"$WORK/fewer.yaml"
snapshot "$WORK/before.ldif"
le -c "$WORK/fewer.yaml" sync
expect_rc 0
[ "$(head -n 1 "$OUT")" = "apply will stop: 3 disables > limits.max_disable 1 (use --force-limits 3)" ] ||
	fail "the preview does not start with the limit: $(head -n 1 "$OUT")"
le -c "$WORK/fewer.yaml" sync --format json
[ "$(json '[j["limits"]["stop"], j["limits"]["force_limits_needed"], j["limits"]["over"][0]["limit"]]' <"$OUT")" = \
	"[True, 3, 'limits.max_disable']" ] || fail "the JSON plan does not say the apply will stop"
le -c "$WORK/fewer.yaml" sync --force-limits 3
expect_in "$OUT" "apply goes past the safety limits because of --force-limits: 3 disables"
le -c "$WORK/fewer.yaml" sync --apply
expect_rc 4
expect_in "$ERR" "safety limit: 3 disables > limits.max_disable 1 (of 6 managed people)"
expect_in "$ERR" "--force-limits 3"
le -c "$WORK/fewer.yaml" sync --apply --force-limits 2
expect_rc 4
expect_in "$ERR" "--force-limits 2 allows at most 2"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "a stopped run changed the directory"

le -c "$WORK/fewer.yaml" sync --apply --force-limits 3
expect_rc 0
locked=$(search "$BASE" '(pwdAccountLockedTime=000001010000Z)' uid | sed -n 's/^uid: //p' | sort | tr '\n' ' ')
[ "$locked" = "p4 p5 p6 " ] || fail "expected exactly p4 p5 p6 disabled, got: $locked"

# A disabled person who comes back is enabled with a fresh password.
head -n 5 "$WORK/users.csv" >"$WORK/back.csv"
sed "s|$WORK/users.csv|$WORK/back.csv|" "$WORK/cfg.yaml" >"$WORK/back.yaml"
le -c "$WORK/back.yaml" sync --apply --force-limits 2
expect_rc 0
expect_in "$OUT" "Enabled uid=p4,ou=Acme,$BASE"
search "uid=p4,ou=Acme,$BASE" -s base '(objectClass=*)' pwdAccountLockedTime pwdReset >"$WORK/p4.ldif"
expect_not_in "$WORK/p4.ldif" "pwdAccountLockedTime"
expect_in "$WORK/p4.ldif" "pwdReset: TRUE"

# Creating more than max_create stops too.
for i in 7 8 9 10 11 12 13; do
	printf 'P%s,Person,p%s@limits.example,p%s,Acme,\n' "$i" "$i" "$i" >>"$WORK/users.csv"
done
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 4
expect_in "$ERR" "7 creates > limits.max_create 6"

# Password resets: a count and a share of the managed people.
printf '%s\n' "  max_reset: 2" "  max_reset_percent: 50" >>"$WORK/back.yaml"
le -c "$WORK/back.yaml" reset-passwords --scope all
expect_rc 0
expect_in "$OUT" "apply will stop: 4 password resets > limits.max_reset 2 (use --force-limits 4)"
snapshot "$WORK/before.ldif"
le -c "$WORK/back.yaml" reset-passwords --scope all --apply
expect_rc 4
expect_in "$ERR" "4 password resets > limits.max_reset 2"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "a stopped reset changed the directory"
le -c "$WORK/back.yaml" reset-passwords --scope all --apply --force-limits 4
expect_rc 0
expect_in "$ERR" "going ahead because of --force-limits 4"
printf 'p1\np2\n' >"$WORK/two.txt"
le -c "$WORK/back.yaml" reset-passwords --scope selected --users "$WORK/two.txt" --apply
expect_rc 0
echo "ok: limits"

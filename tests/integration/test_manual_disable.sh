#!/usr/bin/env bash
# A manual disable survives the hourly sync. Sync re-enables only the
# people sync itself disabled (absent from or inactive in the source): it
# notes that in the entry (people.note_attribute, description by default),
# so the rule holds with the state directory gone. Anyone disabled by
# `ldapenroll disable` or by another tool stays disabled, listed as "Left
# disabled", until `ldapenroll enable`, which warns when the next sync
# would disable them again.
. "$(dirname "$0")/lib.sh"

setup_base
users() {
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	printf 'Ann,Active,ann@md.example,ann,Acme,\n'
	printf 'Bob,Leaver,bob@md.example,bob,Acme,\n'
	[ "${1:-}" = without-cyd ] || printf 'Cyd,Comeback,cyd@md.example,cyd,Acme,\n'
	printf 'Dan,Other,dan@md.example,dan,Acme,\n'
}
users >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
sed -i 's/^  update: \[cn, givenName, sn, mail\]$/&\n  absent: disable/' "$WORK/cfg.yaml"
grep -q '^  absent: disable$' "$WORK/cfg.yaml" || fail "the config has no absent: disable"
cfg=(-c "$WORK/cfg.yaml")
dn() { echo "uid=$1,ou=Acme,$BASE"; }
locked() { search "$(dn "$1")" -s base '(pwdAccountLockedTime=000001010000Z)' dn | grep -q '^dn:'; }
noted() { search "$(dn "$1")" -s base '(description=ldapenroll: disabled by sync)' dn | grep -q '^dn:'; }
count() { mail_count "$1@md.example"; }

le "${cfg[@]}" sync --apply
expect_rc 0

# An administrator disables bob while the source still lists him; another
# tool locks dan the same way (pwdAccountLockedTime, no note).
printf 'Username\nbob\n' >"$WORK/leavers.csv"
le "${cfg[@]}" disable --users "$WORK/leavers.csv" --apply --force-limits 1
expect_rc 0
locked bob || fail "bob is not disabled"
noted bob && fail "an administrator's disable carries sync's note"
admin ldapmodify >/dev/null <<LDIF
dn: $(dn dan)
changetype: modify
replace: pwdAccountLockedTime
pwdAccountLockedTime: 000001010000Z
LDIF

# The next sync leaves both disabled, says so, and mails nobody.
bob_mail=$(count bob) dan_mail=$(count dan)
le "${cfg[@]}" sync
expect_rc 0
expect_in "$OUT" "Left disabled: $(dn bob) (disabled by an administrator"
expect_in "$OUT" "Left disabled: $(dn dan) (disabled by an administrator"
expect_not_in "$OUT" "Would enable"
le "${cfg[@]}" sync --check
expect_rc 0 # nothing to do: leaving someone disabled is not a change
le "${cfg[@]}" sync --apply
expect_rc 0
locked bob || fail "sync enabled bob"
locked dan || fail "sync enabled dan"
[ "$(count bob)" = "$bob_mail" ] && [ "$(count dan)" = "$dan_mail" ] || fail "sync mailed a disabled person"

# Sync disables cyd when the source drops him, with its note; when he is
# back, sync enables him again and mails a fresh password.
users without-cyd >"$WORK/users.csv"
le "${cfg[@]}" sync --apply --force-limits 1
expect_rc 0
locked cyd || fail "cyd is not disabled"
noted cyd || fail "sync's disable left no note on cyd"
users >"$WORK/users.csv"
# A lost state directory changes nothing: the note is in the directory.
rm -rf "$WORK/state"
cyd_mail=$(count cyd)
le "${cfg[@]}" sync
expect_rc 0
expect_in "$OUT" "Would enable $(dn cyd) (line 4: disabled by sync, active in the source again)"
expect_in "$OUT" "Left disabled: $(dn bob)"
le "${cfg[@]}" sync --apply
expect_rc 0
locked cyd && fail "sync did not enable cyd"
noted cyd && fail "sync's note stayed on cyd after the enable"
[ "$(count cyd)" -gt "$cyd_mail" ] || fail "cyd got no fresh password"
locked bob || fail "sync enabled bob without its state directory"

# Disabling someone sync disabled makes it an administrator's disable.
users without-cyd >"$WORK/users.csv"
le "${cfg[@]}" sync --apply --force-limits 1
expect_rc 0
noted cyd || fail "no note on cyd"
printf 'Username\ncyd\n' >"$WORK/cyd.csv"
le "${cfg[@]}" disable --users "$WORK/cyd.csv" --apply --force-limits 1
expect_rc 0
expect_in "$OUT" "from now on by an administrator"
locked cyd || fail "cyd is not disabled"
noted cyd && fail "the administrator's disable kept sync's note"
users >"$WORK/users.csv"
le "${cfg[@]}" sync
expect_rc 0
expect_in "$OUT" "Left disabled: $(dn cyd)"

# enable brings bob back; the next sync leaves him alone. Enabling cyd
# while the source lacks him warns that sync will disable him again.
printf 'Username\nbob\n' >"$WORK/bob.csv"
le "${cfg[@]}" enable --users "$WORK/bob.csv" --apply
expect_rc 0
expect_not_in "$ERR" "disables them again"
locked bob && fail "enable left bob disabled"
le "${cfg[@]}" sync --check
expect_rc 0 # cyd and dan are left disabled: not a change
users without-cyd >"$WORK/users.csv"
le "${cfg[@]}" enable --users "$WORK/cyd.csv"
expect_rc 0
expect_in "$ERR" "$(dn cyd) is absent from the source (people.absent: disable): the next sync disables them again"
echo "ok: manual_disable"

#!/usr/bin/env bash
# people.active: the source says who is active. An inactive person is not
# created; an active one who turns inactive is disabled (within the safety
# limits), and enabled again, with a new password, when active again.
. "$(dirname "$0")/lib.sh"

setup_base
cat >"$WORK/users.csv" <<'CSV'
FirstName,LastName,Email,Username,Account,Role,IsActive
Ava,Active,ava@active.example,ava,Acme,,true
Ian,Inactive,ian@active.example,ian,Acme,,false
Una,Unset,una@active.example,una,Acme,,
Tia,True,tia@active.example,tia,Acme,,TRUE
CSV
write_config "$WORK/cfg.yaml" "$WORK/users.csv" 'limits:
  max_disable_percent: 100'
sed -i 's/^  update: \[cn, givenName, sn, mail\]/&\n  active: "{IsActive}"/' "$WORK/cfg.yaml"

le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
[ "$(search "$BASE" '(objectClass=inetOrgPerson)' uid | sed -n 's/^uid: //p' | sort | tr '\n' ' ')" = "ava tia " ] ||
	fail "only the active people should exist"

sed -i 's/^Ava,Active,ava@active.example,ava,Acme,,true/Ava,Active,ava@active.example,ava,Acme,,false/' "$WORK/users.csv"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "Disabled uid=ava,ou=Acme,$BASE (line 2: inactive in the source)"
search "uid=ava,ou=Acme,$BASE" -s base '(objectClass=*)' pwdAccountLockedTime | grep -q 000001010000Z || fail "ava is not locked"

sed -i 's/^Ava,Active,ava@active.example,ava,Acme,,false/Ava,Active,ava@active.example,ava,Acme,,1/' "$WORK/users.csv"
le -c "$WORK/cfg.yaml" sync --apply
expect_rc 0
expect_in "$OUT" "Enabled uid=ava,ou=Acme,$BASE"
echo "ok: active"

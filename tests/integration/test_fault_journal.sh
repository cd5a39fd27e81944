#!/usr/bin/env bash
# What the agent needs before it may change anything, failing on purpose
# (through the hooks of a test build): a random generator that fails stops
# the run before its first write; a state directory that cannot be written
# or whose disk is full stops it before the first write; a journal that
# fills up in the middle of a run stops every further change and every
# message, and a re-run with room again converges and mails everyone.
. "$(dirname "$0")/lib.sh"

require_test_hooks
setup_base
n=300
{
	printf 'FirstName,LastName,Email,Username,Account,Role\n'
	for k in $(seq $n); do
		printf 'F%s,L%s,u%s@journal.example,ju%s,Acct%s,\n' "$k" "$k" "$k" "$k" $((k % 3))
	done
} >"$WORK/users.csv"
write_config "$WORK/cfg.yaml" "$WORK/users.csv" "$(notify_yaml)"
cfg=(-c "$WORK/cfg.yaml")
people() { search "$BASE" '(objectClass=inetOrgPerson)' 1.1 | grep -c '^dn:' || true; }
mails() { $MAILBOX "$LDAPENROLL_SANDBOX" count-domain journal.example; }

# A failing random generator: nothing is written, nothing is sent.
snapshot "$WORK/before.ldif"
LDAPENROLL_TEST_FAIL_RANDOM=1 le "${cfg[@]}" sync --apply
expect_rc 1
expect_in "$ERR" "random"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "a failing generator still changed the directory"

# The state directory cannot hold a file (its parent is a file), or its
# disk is full: exit 2 before any change.
printf 'x' >"$WORK/not-a-dir"
sed "s|^state_dir: .*|state_dir: $WORK/not-a-dir/state|" "$WORK/cfg.yaml" >"$WORK/nodir.yaml"
le -c "$WORK/nodir.yaml" sync --apply
expect_rc 2
expect_in "$ERR" "$WORK/not-a-dir/state"
LDAPENROLL_TEST_JOURNAL_FAIL_AFTER=0 le "${cfg[@]}" sync --apply
expect_rc 2
expect_in "$ERR" "No space left on device"
snapshot "$WORK/after.ldif"
diff -q "$WORK/before.ldif" "$WORK/after.ldif" >/dev/null || fail "a full disk at the start still changed the directory"
[ "$(mails)" -eq 0 ] || fail "mail was sent"

# The disk fills up in the middle of the writes (the journal is written in
# batches: find the first batch after which some, not all, people exist):
# the writes stop, no message goes out, and the log says why.
created=0
for after in $(seq 4 40); do
	setup_base
	rm -rf "$WORK/state"
	LDAPENROLL_TEST_JOURNAL_FAIL_AFTER=$after le "${cfg[@]}" sync --apply
	created=$(people)
	[ "$created" -gt 0 ] && break
done
[ "$created" -gt 0 ] && [ "$created" -lt $n ] ||
	fail "no journal failure fell in the middle of the writes ($created of $n written)"
[ "$RC" -ne 0 ] || fail "a run whose journal failed exited 0"
expect_in "$ERR" "No space left on device"
expect_in "$ERR" "no further change is made"
[ "$(mails)" -eq 0 ] || fail "messages were sent although the journal failed"
[ "$(search "$BASE" '(&(objectClass=inetOrgPerson)(!(pwdReset=TRUE)))' 1.1 | grep -c '^dn:' || true)" -eq 0 ] ||
	fail "someone was created without the must-change flag"

# Room again: the re-run finishes the job, and those created in the failed
# run (their passwords never sent) get fresh ones with the messages.
le "${cfg[@]}" sync --apply
expect_rc 0
le "${cfg[@]}" sync --apply
expect_rc 0
expect_in "$OUT" "No changes"
[ "$(people)" -eq $n ] || fail "not exactly $n people after the re-run"
[ "$(mails)" -eq $((3 * n)) ] || fail "$(mails) messages, expected exactly 3 per person"
mail_password u1@journal.example "$WORK/u1.pw"
must_change "uid=ju1,ou=Acct1,$BASE" "$WORK/u1.pw"
echo "ok: fault_journal ($created of $n written before the journal failed)"

# The --apply mode of torture.sh (sourced by it, in its scratch directory,
# with $bin, $stride, $root, $work and the sandbox's variables set).
top="ou=torture-apply,$LDAPENROLL_SANDBOX_SUFFIX"
. "$root/tests/torture/subtree.sh"
setup 0 && LDAPENROLL_TORTURE_COUNT=$work/count.preview "$bin" --log-format text -c cfg.0.yaml sync >/dev/null 2>&1 &&
	LDAPENROLL_TORTURE_COUNT=$work/count "$bin" --log-format text -c cfg.0.yaml sync --apply >ref.out 2>ref.err ||
	{ cat ref.err >&2; echo "FAIL: the run without failures did not succeed" >&2; exit 1; }
first=$(($(cat count.preview) + 1))
total=$(cat count)
echo "$total allocations in: ldapenroll sync --apply; failing one allocation in $stride from $first on"

# one_apply N: the run with allocation N failing, then two without.
one_apply() {
	local n=$1 rc=0 rc2=0 rc3=0 journal
	setup "$n" || { echo "allocation $n: the subtree could not be made"; return; }
	LDAPENROLL_TORTURE_FAIL_AT=$n "$bin" --log-format text -c "cfg.$n.yaml" sync --apply >"out.$n" 2>"err.$n" || rc=$?
	if [ $rc -ge 90 ] || grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "err.$n"; then
		echo "allocation $n: crash or sanitizer report (exit $rc): $(grep -m1 -E 'ERROR|runtime error' "err.$n")"
		return
	fi
	journal=$(ls "state.$n/jobs/"*.jsonl 2>/dev/null | head -n 1)
	if [ -n "$journal" ] && ! tail -n 1 "$journal" | grep -q '"type":"end"'; then
		echo "allocation $n: exit $rc and the journal is not closed"
		return
	fi
	"$bin" --log-format text -c "cfg.$n.yaml" sync --apply >"out2.$n" 2>"err2.$n" || rc2=$?
	"$bin" --log-format text -c "cfg.$n.yaml" sync --apply >"out3.$n" 2>"err3.$n" || rc3=$?
	if [ $rc2 -ne 0 ] || [ $rc3 -ne 0 ] || ! grep -q "No changes" "out3.$n"; then
		echo "allocation $n: exit $rc, then no convergence (exit $rc2, then $rc3): $(grep -m1 -E 'error|warning' "err2.$n")"
		return
	fi
	rm -rf "out.$n" "err.$n" "out2.$n" "err2.$n" "out3.$n" "err3.$n" "cfg.$n.yaml" "state.$n"
}
export -f one_apply setup admin
export bin work top
failures=$(seq "$first" "$stride" "$total" | xargs -P "$(nproc)" -I{} bash -c 'one_apply {}')
admin ldapdelete -r "$top" >/dev/null 2>&1 || true
runs=$(seq "$first" "$stride" "$total" | wc -l)
if [ -n "$failures" ]; then
	printf '%s\n' "$failures" | sort -n -k2 >&2
	echo "FAIL: $(printf '%s\n' "$failures" | wc -l) of $runs runs did not end cleanly or converge" >&2
	exit 1
fi
echo "ok: $runs runs, each with one allocation failing, ended cleanly and converged"

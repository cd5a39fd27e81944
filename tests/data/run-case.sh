#!/usr/bin/env bash
# Runs one bad-input case through `ldapenroll check --strict` (rejected rows
# exit 1) and compares what it says with NAME.expected: the first line is
# "exit N", then the error lines (standard error) and, for CSV cases, the
# source report (standard output).
#
#   run-case.sh LDAPENROLL tests/data/config/y01-duplicate-key.yaml
#   run-case.sh LDAPENROLL tests/data/csv/c05-field-count.csv
#
# Each case runs in a scratch directory holding owner-only secret files and
# a small users.csv; NAME.setup, when present, is run there first (to make a
# secret world-readable, say). A CSV case is read as input.csv by csv.yaml.
set -euo pipefail

bin=$1
case_file=$2
dir=$(cd "$(dirname "$case_file")" && pwd)
name=$(basename "$case_file")
stem=${name%.*}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf 's3cret' >"$work/bind.secret"
printf 's3cret' >"$work/smtp.secret"
chmod 600 "$work/bind.secret" "$work/smtp.secret"
printf 'Username,FirstName,LastName,Email,Account,Role\nann,Ann,Lee,ann@example.com,Acme,\n' >"$work/users.csv"

case $name in
*.yaml)
	cp "$case_file" "$work/$name"
	config=$name
	;;
*.csv)
	cp "$dir/csv.yaml" "$work/case.yaml"
	cp "$case_file" "$work/input.csv"
	config=case.yaml
	;;
*)
	echo "run-case: unknown case type: $name" >&2
	exit 2
	;;
esac
if [ -f "$dir/$stem.setup" ]; then
	(cd "$work" && . "$dir/$stem.setup")
fi

set +e
(cd "$work" && env -i PATH="$PATH" LDAPENROLL_TEST_VAR=set "$bin" --log-format text -c "$config" check --strict) \
	>"$work/stdout" 2>"$work/stderr"
code=$?
set -e

{
	echo "exit $code"
	grep -E ': error: ' "$work/stderr" || true
	grep -E '^(source ok|  line )' "$work/stdout" || true
} >"$work/actual"

if ! diff -u "$dir/$stem.expected" "$work/actual"; then
	echo "run-case: $name: the output above differs from $stem.expected" >&2
	exit 1
fi

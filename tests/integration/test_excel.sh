#!/usr/bin/env bash
# Files as Excel writes them: plain "CSV" in Western Europe is Windows-1252,
# separated by ';', with CRLF line ends and trailing spaces left in cells;
# "CSV UTF-8" has a byte order mark; "Unicode Text" is UTF-16 with a byte
# order mark, separated by tabs. Each is read with source.encoding and
# source.delimiter, and the errors without them say what to set.
. "$(dirname "$0")/lib.sh"

setup_base
ldif <<LDIF
dn: ou=Acme,$BASE
objectClass: organizationalUnit
ou: Acme
LDIF

# with_format CONFIG ENCODING DELIMITER: the source section gets the keys.
with_format() {
	local cfg=$1 enc=$2 delim=$3
	sed -i "s|^  key: Username\$|  key: Username\n  encoding: $enc\n  delimiter: \"$delim\"|" "$cfg"
}

# count_people FILTER: how many entries under BASE match.
count_people() {
	search "$BASE" "$1" dn | grep -c '^dn:' || true
}

# Windows-1252, ';', CRLF, a trailing space after an address and a name.
printf 'FirstName;LastName;Email;Username;Account;Role\r\n' >"$WORK/cp1252.csv"
printf 'Jos\xe9;M\xfcller ;jose@acme.example ;jose;Acme;\r\n' >>"$WORK/cp1252.csv"
printf 'Fran\xe7oise;No\xebl;francoise@acme.example;francoise;Acme;\r\n' >>"$WORK/cp1252.csv"

# Without source.encoding: refused whole, with the setting to use.
write_config "$WORK/plain.yaml" "$WORK/cp1252.csv"
sed -i "s|^  key: Username\$|  key: Username\n  delimiter: \";\"|" "$WORK/plain.yaml"
le -c "$WORK/plain.yaml" sync
expect_rc 2
expect_in "$ERR" "cp1252.csv:2:4: invalid UTF-8"
expect_in "$ERR" "set source.encoding: windows-1252"

# With the encoding but the default ',': the header is one column, and
# the message says so instead of "missing column".
write_config "$WORK/comma.yaml" "$WORK/cp1252.csv"
sed -i "s|^  key: Username\$|  key: Username\n  encoding: windows-1252|" "$WORK/comma.yaml"
le -c "$WORK/comma.yaml" sync
expect_rc 2
expect_in "$ERR" "the header is one column holding ';'"
expect_in "$ERR" "set source.delimiter: \";\" (or auto)"
expect_not_in "$ERR" "missing column"

# Both: the people are created with their names right, the spaces gone.
write_config "$WORK/excel.yaml" "$WORK/cp1252.csv"
with_format "$WORK/excel.yaml" windows-1252 auto
le -c "$WORK/excel.yaml" check --strict
expect_rc 0
le -c "$WORK/excel.yaml" sync --apply
expect_rc 0
expect_in "$ERR" "2 values had spaces around them"
[ "$(count_people '(&(uid=jose)(sn=Müller)(cn=José Müller)(mail=jose@acme.example))')" = 1 ] ||
	fail "José Müller is not in the directory as written"
[ "$(count_people '(&(uid=francoise)(cn=Françoise Noël))')" = 1 ] || fail "Françoise Noël is not in the directory"
le -c "$WORK/excel.yaml" sync --check
expect_rc 0 # nothing left to do: the trimmed values match the directory

# "CSV UTF-8": a BOM, ';' and CRLF; auto finds the separator.
printf '\xef\xbb\xbfFirstName;LastName;Email;Username;Account;Role\r\nJos\xc3\xa9;M\xc3\xbcller;jose@acme.example;jose;Acme;\r\n' \
	>"$WORK/utf8.csv"
write_config "$WORK/utf8.yaml" "$WORK/utf8.csv"
with_format "$WORK/utf8.yaml" utf-8 auto
le -c "$WORK/utf8.yaml" sync --check
expect_rc 0

# "Unicode Text": UTF-16 little endian with a BOM, tabs.
printf 'FirstName\tLastName\tEmail\tUsername\tAccount\tRole\r\nJos\xc3\xa9\tM\xc3\xbcller\tjose@acme.example\tjose\tAcme\t\r\n' |
	iconv -f UTF-8 -t UTF-16LE | { printf '\xff\xfe'; cat; } >"$WORK/utf16.txt"
write_config "$WORK/utf16.yaml" "$WORK/utf16.txt"
with_format "$WORK/utf16.yaml" utf-16 tab
le -c "$WORK/utf16.yaml" sync --check
expect_rc 0

# A Windows-1252 byte that is no character names its line.
cp "$WORK/cp1252.csv" "$WORK/undefined.csv"
printf 'Bad;By\x81te;bad@acme.example;bad;Acme;\r\n' >>"$WORK/undefined.csv"
write_config "$WORK/undefined.yaml" "$WORK/undefined.csv"
with_format "$WORK/undefined.yaml" windows-1252 ";"
le -c "$WORK/undefined.yaml" sync
expect_rc 2
expect_in "$ERR" "undefined.csv:4: byte 0x81 is not windows-1252 text"

# A --users list saved the same way, with the header and ';'.
printf 'Username;Note\r\nfrancoise ;Caf\xe9\r\n' >"$WORK/leavers.csv"
le -c "$WORK/excel.yaml" disable --users "$WORK/leavers.csv" --force-limits 1
expect_rc 0
expect_in "$OUT" "Would disable uid=francoise,ou=Acme,$BASE"
echo "ok: excel"

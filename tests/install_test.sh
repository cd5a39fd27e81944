#!/usr/bin/env bash
# cmake --install puts everything in the usual places, the manual pages
# render without a warning, the systemd units name the installed program,
# and the installed example config loads (with systemd-style credentials).
#
#   install_test.sh BUILD_DIR
set -euo pipefail

build=$1
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

DESTDIR=$dest cmake --install "$build" --prefix /usr >"$dest.log" 2>&1 || {
	cat "$dest.log" >&2
	fail "cmake --install failed"
}
rm -f "$dest.log"
for f in usr/bin/ldapenroll usr/share/man/man1/ldapenroll.1 usr/share/man/man5/ldapenroll.yaml.5 \
	usr/share/ldapenroll/templates/welcome.txt usr/share/ldapenroll/templates/password.de.txt \
	usr/share/doc/ldapenroll/examples/ldapenroll.yaml usr/share/doc/ldapenroll/examples/production.yaml \
	usr/share/doc/ldapenroll/examples/ldapenroll.cron usr/lib/systemd/system/ldapenroll.service \
	usr/lib/systemd/system/ldapenroll.timer usr/lib/sysusers.d/ldapenroll.conf \
	usr/lib/systemd/system/ldapenroll-serve.service usr/share/ldapenroll/templates/password-link.txt; do
	[ -e "$dest/$f" ] || fail "$f is not installed"
done
unit=$dest/usr/lib/systemd/system/ldapenroll.service
grep -q '^ExecStart=/usr/bin/ldapenroll -c /etc/ldapenroll/ldapenroll.yaml ' "$unit" || fail "the unit does not run /usr/bin/ldapenroll"
grep -q '^LoadCredential=bind.secret:/etc/ldapenroll/bind.secret' "$unit" || fail "the unit loads no bind credential"
serve_unit=$dest/usr/lib/systemd/system/ldapenroll-serve.service
grep -q '^ExecStart=/usr/bin/ldapenroll -c /etc/ldapenroll/ldapenroll.yaml --log-format logfmt serve$' "$serve_unit" ||
	fail "the serve unit does not run /usr/bin/ldapenroll ... serve"
! grep -q 'bind.secret\|smtp.secret' "$serve_unit" || fail "the serve unit is given a credential it never needs"

# The manual pages render without warnings.
for page in "$dest"/usr/share/man/man1/ldapenroll.1 "$dest"/usr/share/man/man5/ldapenroll.yaml.5; do
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	[ -z "$warnings" ] || fail "$(basename "$page") renders with warnings: $warnings"
	[ "$(LC_ALL=C.UTF-8 MANWIDTH=80 man -E UTF-8 -l "$page" 2>/dev/null | wc -l)" -gt 100 ] ||
		fail "$(basename "$page") renders almost nothing"
done

# The installed example config loads as the service would see it.
creds=$dest/creds
mkdir -m 700 "$creds"
printf 'secret' >"$creds/bind.secret"
printf 'secret' >"$creds/smtp.secret"
chmod 600 "$creds"/*.secret
printf 'Username,FirstName,LastName,Email,Account,Role,LanguageLocaleKey\n' >"$dest/users.csv"
printf 'ann,Ann,Lee,ann@example.com,Acme,,en_US\n' >>"$dest/users.csv"
sed "s|/srv/exports/portal-users.csv|$dest/users.csv|" "$dest/usr/share/doc/ldapenroll/examples/production.yaml" >"$dest/cfg.yaml"
CREDENTIALS_DIRECTORY=$creds "$dest/usr/bin/ldapenroll" --log-format text -c "$dest/cfg.yaml" check >"$dest/out" 2>&1 || {
	cat "$dest/out" >&2
	fail "the installed example config does not load"
}
grep -q "config ok" "$dest/out" || fail "check did not accept the example config"
echo "ok: install"

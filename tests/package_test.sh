#!/usr/bin/env bash
# The Debian package: cpack -G DEB builds ldapenroll_VERSION_ARCH.deb with
# the run-time libraries as dependencies; unpacked into a scratch root, its
# program runs, checks the installed example config, its manual pages
# render and systemd accepts its units.
#
#   package_test.sh BUILD_DIR VERSION
set -euo pipefail

build=$1
version=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/out") >"$work/cpack.log" 2>&1 || {
	cat "$work/cpack.log" >&2
	fail "cpack -G DEB failed"
}
arch=$(dpkg --print-architecture)
deb=$work/out/ldapenroll_${version}_$arch.deb
[ -f "$deb" ] || fail "no $(basename "$deb") (cpack made: $(ls "$work/out"))"

# The control file: the name, and a dependency for every library the
# program needs (the sanitizers of a test build aside).
dpkg-deb -I "$deb" >"$work/info"
grep -q '^ Package: ldapenroll$' "$work/info" || fail "the package is not called ldapenroll"
grep -q "^ Version: $version\$" "$work/info" || fail "the package version is not $version"
depends=$(sed -n 's/^ Depends: //p' "$work/info")
for dep in libldap-2.5-0 libcurl4 libssl3 libyaml-0-2 libmicrohttpd12; do
	case ", $depends," in *", $dep"[,\ ]*) ;; *) fail "Depends lacks $dep: $depends" ;; esac
done
root=$work/root
dpkg -x "$deb" "$root"
bin=$root/usr/bin/ldapenroll
[ -x "$bin" ] || fail "the package holds no /usr/bin/ldapenroll"
objdump -p "$bin" | sed -n 's/^ *NEEDED *//p' >"$work/needed"
while read -r lib; do
	case $lib in
	libldap*|liblber*) want=libldap-2.5-0 ;;
	libcurl*) want=libcurl4 ;;
	libssl*|libcrypto*) want=libssl3 ;;
	libyaml*) want=libyaml-0-2 ;;
	libmicrohttpd*) want=libmicrohttpd12 ;;
	libc.so*|libm.so*|ld-linux*|libasan*|libubsan*|libgcc_s*|libstdc++*) continue ;;
	*) fail "the program needs $lib, which no dependency of the package names" ;;
	esac
	case ", $depends," in *", $want"[,\ ]*) ;; *) fail "$lib needs $want in Depends: $depends" ;; esac
done <"$work/needed"
grep -q '^libldap' "$work/needed" || fail "the program does not link libldap (objdump: $(cat "$work/needed"))"

# Everything cmake --install puts in place.
for f in usr/share/man/man1/ldapenroll.1 usr/share/man/man5/ldapenroll.yaml.5 \
	usr/share/ldapenroll/templates/welcome.txt usr/share/doc/ldapenroll/examples/ldapenroll.yaml \
	usr/share/doc/ldapenroll/examples/production.yaml usr/lib/systemd/system/ldapenroll.service \
	usr/lib/systemd/system/ldapenroll.timer usr/lib/sysusers.d/ldapenroll.conf \
	usr/lib/systemd/system/ldapenroll-serve.service; do
	[ -e "$root/$f" ] || fail "the package lacks /$f"
done

# The program runs from the package.
"$bin" --version >"$work/version" 2>&1 || fail "ldapenroll --version failed: $(cat "$work/version")"
grep -q "ldapenroll $version" "$work/version" || fail "--version says: $(cat "$work/version")"

# The installed example config loads, with systemd-style credentials.
creds=$work/creds
mkdir -m 700 "$creds"
printf 'secret' >"$creds/bind.secret"
printf 'secret' >"$creds/smtp.secret"
chmod 600 "$creds"/*.secret
printf 'Username,FirstName,LastName,Email,Account,Role,LanguageLocaleKey\nann,Ann,Lee,ann@example.com,Acme,,en_US\n' \
	>"$work/users.csv"
sed "s|/srv/exports/portal-users.csv|$work/users.csv|" "$root/usr/share/doc/ldapenroll/examples/production.yaml" \
	>"$work/cfg.yaml"
CREDENTIALS_DIRECTORY=$creds "$bin" --log-format text -c "$work/cfg.yaml" check >"$work/check" 2>&1 || {
	cat "$work/check" >&2
	fail "the packaged example config does not load"
}
grep -q "config ok" "$work/check" || fail "check did not accept the packaged example config"

# The manual pages render without warnings.
for page in "$root"/usr/share/man/man1/ldapenroll.1 "$root"/usr/share/man/man5/ldapenroll.yaml.5; do
	warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 -l "$page" 2>&1 >/dev/null)
	[ -z "$warnings" ] || fail "$(basename "$page") renders with warnings: $warnings"
done

# systemd accepts the units. They name /usr/bin/ldapenroll, which in the
# scratch root lives elsewhere: verified as copies that point there.
# systemd-analyze exits 0 on warnings, so any output is a failure.
units=$work/units
mkdir "$units"
grep -q '^ExecStart=/usr/bin/ldapenroll ' "$root/usr/lib/systemd/system/ldapenroll.service" ||
	fail "the packaged unit does not run /usr/bin/ldapenroll"
sed "s|^ExecStart=/usr/bin/ldapenroll |ExecStart=$bin |" "$root/usr/lib/systemd/system/ldapenroll.service" \
	>"$units/ldapenroll.service"
sed "s|^ExecStart=/usr/bin/ldapenroll |ExecStart=$bin |" "$root/usr/lib/systemd/system/ldapenroll-serve.service" \
	>"$units/ldapenroll-serve.service"
cp "$root/usr/lib/systemd/system/ldapenroll.timer" "$units/"
systemd-analyze verify --man=no "$units/ldapenroll.service" "$units/ldapenroll.timer" "$units/ldapenroll-serve.service" \
	>"$work/verify" 2>&1 ||
	fail "systemd-analyze verify failed: $(cat "$work/verify")"
[ ! -s "$work/verify" ] || fail "systemd-analyze verify warns: $(cat "$work/verify")"
echo "ok: package $(basename "$deb") (Depends: $depends)"

#!/usr/bin/env bash
# Installs what ldapenroll needs to build and to be tested, from Debian 12's
# packages: the compiler and cmake, the libraries, and for the tests a real
# slapd, 389 Directory Server and Samba AD DC, the OpenLDAP tools, the
# SMTP server, and headless Chromium with Selenium for the set-password page. Run as root; does nothing
# when everything is already installed.
set -euo pipefail

packages=(
	build-essential cmake pkg-config
	libldap-dev libcurl4-openssl-dev libssl-dev libyaml-dev libmicrohttpd-dev libcmocka-dev
	slapd ldap-utils python3-aiosmtpd openssl curl man-db groff-base
	systemd binutils 389-ds-base
	samba-ad-dc samba-ad-provision socat iproute2
	chromium chromium-driver python3-selenium fonts-liberation
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: these packages are missing and installing them needs root: ${missing[*]}" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# slapd's package scripts would configure a system-wide directory; the
# sandbox runs its own, so the defaults are fine. No service is started:
# samba's would take ports 389 and 636 (policy-rc.d says no to
# invoke-rc.d, where there is no such file already).
guard=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	guard=/usr/sbin/policy-rc.d
fi
trap '[ -z "$guard" ] || rm -f "$guard"' EXIT
apt-get install -y -q --no-install-recommends "${missing[@]}"

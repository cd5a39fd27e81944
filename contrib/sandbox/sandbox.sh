#!/usr/bin/env bash
# sandbox.sh - a disposable directory server and mail server for ldapenroll.
#
# Starts, on 127.0.0.1 and with all state inside one directory, a real slapd
# (StartTLS, LDAPS, ldapi, ppolicy, SHA-2 password hashes), or with --flavor
# 389ds a 389 Directory Server, and a capturing SMTP server (STARTTLS + AUTH,
# fault injection). Used by the README demo, the
# integration tests and the benchmarks. It only ever stops processes it
# started itself, identified by the PID files in its directory.
#
# See contrib/sandbox/README.md, or run with --help.
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
readonly SCRIPT_DIR
readonly PYTHON=/usr/bin/python3
readonly SMTPD_PY="$SCRIPT_DIR/smtpd.py"
readonly MODULE_DIR=/usr/lib/ldap
readonly SCHEMA_DIR=/etc/ldap/schema
readonly MARKER=.ldapenroll-sandbox   # proves a directory is ours (purge safety)
readonly SMTP_USER=ldapenroll
readonly STOP_TIMEOUT=10              # seconds between TERM and KILL
readonly LDAP_READY_TIMEOUT=15
readonly AD_READY_TIMEOUT=90
readonly SMTP_READY_TIMEOUT=10
readonly DB_MAX_SIZE=8589934592       # 8 GiB; the mdb map is sparse

# Settings that define a sandbox. They are fixed when the sandbox is created
# and saved in DIR/sandbox.conf, so later commands reuse the same ports.
readonly SETTING_KEYS=(ldap_port ldaps_port smtp_port nosync size_limit suffix no_smtp smtp_no_tls
    providers ldap_port_2 ldaps_port_2 flavor)
declare -A DEFAULTS=(
    [ldap_port]=10389 [ldaps_port]=10636 [smtp_port]=10025
    [nosync]=0 [size_limit]=500 [suffix]="dc=example,dc=com"
    [no_smtp]=0 [smtp_no_tls]=0
    [providers]=1 [ldap_port_2]=10390 [ldaps_port_2]=10637
    [flavor]=openldap
)
declare -A ENV_NAMES=(
    [ldap_port]=LDAPENROLL_SANDBOX_LDAP_PORT [ldaps_port]=LDAPENROLL_SANDBOX_LDAPS_PORT
    [smtp_port]=LDAPENROLL_SANDBOX_SMTP_PORT [nosync]=LDAPENROLL_SANDBOX_NOSYNC
    [size_limit]=LDAPENROLL_SANDBOX_SIZE_LIMIT [suffix]=LDAPENROLL_SANDBOX_SUFFIX
    [no_smtp]=LDAPENROLL_SANDBOX_NO_SMTP [smtp_no_tls]=LDAPENROLL_SANDBOX_SMTP_NO_TLS
    [providers]=LDAPENROLL_SANDBOX_PROVIDERS [ldap_port_2]=LDAPENROLL_SANDBOX_LDAP_PORT_2
    [ldaps_port_2]=LDAPENROLL_SANDBOX_LDAPS_PORT_2 [flavor]=LDAPENROLL_SANDBOX_FLAVOR
)
declare -A WANT=()   # settings requested on the command line or environment
declare -A CFG=()    # settings in effect

DIR=${LDAPENROLL_SANDBOX:-/tmp/ldapenroll-sandbox}
COMMAND=
PURGE=0
KILL_NOW=0
PRINT_ENV=0
SHOW=
ONLY_PROVIDER=   # start-ldap/stop-ldap --provider N: that one alone
WAIT_SECONDS=60  # replication-wait

usage() {
    cat <<'EOF'
Usage: sandbox.sh [options] COMMAND

Commands:
  start                 create (first time) and start slapd and the SMTP server
  stop [--purge]        stop both; --purge also deletes the sandbox directory
  status                exit 0 if all configured servers run, 1 otherwise
  env                   print "export NAME=value" lines; use: eval "$(sandbox.sh env)"
  mail [--show N]       list captured messages, or print message N raw
  start-ldap            start only slapd (existing data)
  stop-ldap [--kill]    stop only slapd; --kill sends SIGKILL at once
                        (both take --provider N with --providers 2)
  replication-wait [--timeout S]
                        with --providers 2: wait until both providers hold the
                        same data (their contextCSN values agree)
  start-smtp            start only the SMTP server
  stop-smtp [--kill]    stop only the SMTP server

Options (environment variable in brackets):
  --dir DIR             sandbox directory [LDAPENROLL_SANDBOX] (/tmp/ldapenroll-sandbox)
  --ldap-port N|auto    LDAP+StartTLS port [LDAPENROLL_SANDBOX_LDAP_PORT] (10389)
  --ldaps-port N|auto   LDAPS port [LDAPENROLL_SANDBOX_LDAPS_PORT] (10636)
  --smtp-port N|auto    SMTP port [LDAPENROLL_SANDBOX_SMTP_PORT] (10025)
  --nosync              mdb without fsync, for benchmarks [LDAPENROLL_SANDBOX_NOSYNC=1]
  --size-limit N|unlimited
                        size limit of unpaged searches; paged searches are
                        unlimited [LDAPENROLL_SANDBOX_SIZE_LIMIT] (500)
  --suffix DN           naming context [LDAPENROLL_SANDBOX_SUFFIX] (dc=example,dc=com)
  --no-smtp             do not run the SMTP server [LDAPENROLL_SANDBOX_NO_SMTP=1]
  --smtp-no-tls         SMTP server without STARTTLS and AUTH [LDAPENROLL_SANDBOX_SMTP_NO_TLS=1]
  --flavor openldap|389ds|ad
                        the directory server: slapd with ppolicy, a 389
                        Directory Server instance (ns-slapd, passwordMustChange
                        on), or a Samba AD domain controller in a network
                        namespace of its own, reached through socat; no
                        replication for either [LDAPENROLL_SANDBOX_FLAVOR] (openldap)
  --providers 1|2       2: two slapd providers in multi-provider replication
                        (syncprov) [LDAPENROLL_SANDBOX_PROVIDERS] (1)
  --ldap-port-2 N|auto, --ldaps-port-2 N|auto
                        the second provider's ports [LDAPENROLL_SANDBOX_LDAP_PORT_2,
                        LDAPENROLL_SANDBOX_LDAPS_PORT_2] (10390, 10637)
  --print-env           with start: also print the env lines on stdout
  -h, --help            this text

Settings are fixed when the sandbox is created; "stop --purge" to change them.
EOF
}

info() { printf '%s\n' "$*" >&2; }
warn() { printf 'sandbox: warning: %s\n' "$*" >&2; }
die() {
    printf 'sandbox: error: %s\n' "$*" >&2
    exit 1
}
usage_error() {
    printf 'sandbox: %s (see --help)\n' "$*" >&2
    exit 2
}

# ---------------------------------------------------------------- arguments

set_wanted() {
    local key=$1 value=$2
    case $key in
        ldap_port | ldaps_port | smtp_port | ldap_port_2 | ldaps_port_2)
            [[ $value == auto || ($value =~ ^[0-9]+$ && value -ge 1 && value -le 65535) ]] ||
                usage_error "invalid port '$value' (1-65535 or auto)" ;;
        size_limit)
            [[ $value == unlimited || $value =~ ^[0-9]+$ ]] ||
                usage_error "invalid size limit '$value' (a number or unlimited)" ;;
        suffix)
            # Only plain attr=value RDNs: the suffix ends up in LDIF, ACLs
            # and regexps, where escapes would need more care than it is worth.
            [[ $value =~ ^(dc|o|ou)=[A-Za-z0-9._-]+(,[A-Za-z]+=[A-Za-z0-9._-]+)*$ ]] ||
                usage_error "unsupported suffix '$value' (e.g. dc=example,dc=com)" ;;
        nosync | no_smtp | smtp_no_tls)
            [[ $value == [01] ]] || usage_error "${ENV_NAMES[$key]} must be 0 or 1" ;;
        providers)
            [[ $value == [12] ]] || usage_error "--providers must be 1 or 2" ;;
        flavor)
            [[ $value == openldap || $value == 389ds || $value == ad ]] ||
                usage_error "--flavor must be openldap, 389ds or ad" ;;
    esac
    WANT[$key]=$value
}

wanted_from_environment() {
    local key name
    for key in "${SETTING_KEYS[@]}"; do
        name=${ENV_NAMES[$key]}
        if [[ -n ${!name:-} ]]; then set_wanted "$key" "${!name}"; fi
    done
}

parse_args() {
    wanted_from_environment
    while (($#)); do
        local opt=$1 value=
        if [[ $opt == --*=* ]]; then
            value=${opt#*=}
            opt=${opt%%=*}
            set -- "$opt" "$value" "${@:2}"
        fi
        case $opt in
            --dir | --ldap-port | --ldaps-port | --smtp-port | --size-limit | --suffix | --show | \
                --providers | --provider | --ldap-port-2 | --ldaps-port-2 | --timeout | --flavor)
                (($# >= 2)) || usage_error "$opt needs a value"
                value=$2
                shift 2
                case $opt in
                    --dir) DIR=$value ;;
                    --ldap-port) set_wanted ldap_port "$value" ;;
                    --ldaps-port) set_wanted ldaps_port "$value" ;;
                    --smtp-port) set_wanted smtp_port "$value" ;;
                    --size-limit) set_wanted size_limit "$value" ;;
                    --suffix) set_wanted suffix "$value" ;;
                    --show) SHOW=$value ;;
                    --providers) set_wanted providers "$value" ;;
                    --flavor) set_wanted flavor "$value" ;;
                    --ldap-port-2) set_wanted ldap_port_2 "$value" ;;
                    --ldaps-port-2) set_wanted ldaps_port_2 "$value" ;;
                    --provider)
                        [[ $value == [12] ]] || usage_error "--provider must be 1 or 2"
                        ONLY_PROVIDER=$value ;;
                    --timeout)
                        [[ $value =~ ^[0-9]+$ ]] || usage_error "--timeout needs a number of seconds"
                        WAIT_SECONDS=$value ;;
                esac
                ;;
            --nosync) set_wanted nosync 1 && shift ;;
            --no-smtp) set_wanted no_smtp 1 && shift ;;
            --smtp-no-tls) set_wanted smtp_no_tls 1 && shift ;;
            --purge) PURGE=1 && shift ;;
            --kill) KILL_NOW=1 && shift ;;
            --print-env) PRINT_ENV=1 && shift ;;
            -h | --help) usage && exit 0 ;;
            -*) usage_error "unknown option '$opt'" ;;
            *)
                [[ -z $COMMAND ]] || usage_error "unexpected argument '$opt'"
                COMMAND=$opt
                shift
                ;;
        esac
    done
    [[ -n $COMMAND ]] || usage_error "no command given"
}

# The directory name ends up in LDAP URLs, LDIF, process command lines and a
# unix socket path, so keep it to characters that need no quoting anywhere.
resolve_dir() {
    [[ -n $DIR ]] || usage_error "empty sandbox directory"
    DIR=$(realpath -m -- "$DIR")
    [[ $DIR =~ ^/[A-Za-z0-9._/+-]*$ ]] ||
        die "sandbox directory '$DIR' contains unsupported characters (use [A-Za-z0-9._/+-])"
    [[ $DIR != / ]] || die "refusing to use / as the sandbox directory"
    ((${#DIR} + 6 < 108)) || die "sandbox directory path too long for a unix socket (max ~100 characters)"
}

# ---------------------------------------------------------------- tools

SLAPD="" SLAPADD="" SLAPPASSWD="" LDAPWHOAMI=""

find_tool() { # NAME PACKAGE -> absolute path (also searches sbin for non-root users)
    PATH="$PATH:/usr/sbin:/sbin" command -v "$1" ||
        die "required program '$1' not found (Debian package: $2)"
}

# The flavour asked for, or the one the sandbox was created with.
flavor_in_use() {
    local saved=
    [[ -r $DIR/sandbox.conf ]] && saved=$(sed -n 's/^flavor=//p' "$DIR/sandbox.conf")
    printf '%s\n' "${WANT[flavor]:-${saved:-openldap}}"
}

# The servers of the other flavours are not everyday packages: as root,
# missing ones are installed (contrib/scripts/install-deps.sh) rather than
# only named.
install_flavour_packages() { # PROGRAM
    PATH="$PATH:/usr/sbin:/sbin" command -v "$1" >/dev/null && return 0
    [[ $(id -u) == 0 && -x $SCRIPT_DIR/../scripts/install-deps.sh ]] || return 0
    info "sandbox: $1 is missing; installing the Debian packages of contrib/scripts/install-deps.sh"
    "$SCRIPT_DIR/../scripts/install-deps.sh" >&2 || die "installing the packages failed"
}

require_server_tools() {
    case $(flavor_in_use) in
        389ds) install_flavour_packages ns-slapd ;;
        ad) install_flavour_packages samba ;;
    esac
    case $(flavor_in_use) in
        389ds) require_389ds_tools && return ;;
        ad) require_ad_tools && return ;;
    esac
    SLAPD=$(find_tool slapd slapd)
    SLAPADD=$(find_tool slapadd slapd)
    SLAPPASSWD=$(find_tool slappasswd slapd)
    LDAPWHOAMI=$(find_tool ldapwhoami ldap-utils)
    find_tool openssl openssl >/dev/null
    find_tool setsid util-linux >/dev/null
    find_tool flock util-linux >/dev/null
    local module
    for module in back_mdb ppolicy pw-sha2; do
        [[ -e $MODULE_DIR/$module.so || -e $MODULE_DIR/$module.la ]] ||
            die "slapd module $MODULE_DIR/$module.so not found (Debian packages: slapd, slapd-contrib for pw-sha2)"
    done
    require_python
}

NS_SLAPD="" DSCREATE="" LDAPMODIFY=""

require_389ds_tools() {
    NS_SLAPD=$(find_tool ns-slapd 389-ds-base)
    DSCREATE=$(find_tool dscreate 389-ds-base)
    LDAPMODIFY=$(find_tool ldapmodify ldap-utils)
    LDAPWHOAMI=$(find_tool ldapwhoami ldap-utils)
    [[ -d /etc/dirsrv/schema && -r /usr/share/dirsrv/inf/defaults.inf ]] ||
        die "389-ds-base is not installed completely (/etc/dirsrv/schema, /usr/share/dirsrv/inf/defaults.inf)"
    find_tool setsid util-linux >/dev/null
    find_tool flock util-linux >/dev/null
    require_python
}

is_389ds() { [[ ${CFG[flavor]} == 389ds ]]; }
is_ad() { [[ ${CFG[flavor]} == ad ]]; }

SAMBA="" SAMBA_TOOL="" SOCAT="" LDAPSEARCH=""

require_ad_tools() {
    SAMBA=$(find_tool samba samba-ad-dc)
    SAMBA_TOOL=$(find_tool samba-tool samba-ad-provision)
    SOCAT=$(find_tool socat socat)
    LDAPMODIFY=$(find_tool ldapmodify ldap-utils)
    LDAPSEARCH=$(find_tool ldapsearch ldap-utils)
    LDAPWHOAMI=$(find_tool ldapwhoami ldap-utils)
    find_tool ip iproute2 >/dev/null
    find_tool iconv libc-bin >/dev/null
    find_tool openssl openssl >/dev/null
    find_tool setsid util-linux >/dev/null
    find_tool flock util-linux >/dev/null
    [[ $(id -u) == 0 ]] || die "--flavor ad needs root (a network namespace for samba's fixed ports)"
    require_python
}

require_python() {
    [[ -x $PYTHON ]] || die "$PYTHON not found (Debian package: python3)"
    "$PYTHON" -c 'import aiosmtpd' 2>/dev/null ||
        die "$PYTHON cannot import aiosmtpd (Debian package: python3-aiosmtpd)"
    [[ -r $SMTPD_PY ]] || die "$SMTPD_PY is missing"
}

# ---------------------------------------------------------------- layout

derive_names() {
    SUFFIX=${CFG[suffix]}
    ADMIN_DN="cn=admin,$SUFFIX"
    BIND_DN="cn=ldapenroll,ou=services,$SUFFIX"
    POLICY_DN="cn=portal,ou=policies,$SUFFIX"
    SERVICE_POLICY_DN="cn=services,ou=policies,$SUFFIX"
    CONF_FILE="$DIR/sandbox.conf"
    SECRETS="$DIR/secrets"
    TLS="$DIR/tls"
    CA_PEM="$TLS/ca.pem"
    MAILDIR="$DIR/mail"
    SMTPD_PID="$DIR/smtpd.pid"
    SMTPD_READY="$DIR/smtpd.ready"
    SMTPD_LOG="$DIR/smtpd.log"
    SMTP_URL="smtp://localhost:${CFG[smtp_port]}"
    DS_HOME="$DIR/389ds"
    DS_INSTANCE="$DS_HOME/etc/dirsrv/slapd-sandbox"
    AD_HOME="$DIR/ad"
    if is_389ds; then
        ADMIN_DN="cn=Directory Manager"
        POLICY_DN="" # the server's global policy: passwordMustChange on
    elif is_ad; then
        ADMIN_DN="cn=Administrator,cn=Users,$SUFFIX"
        POLICY_DN="" # the domain's password settings
    fi
    use_provider 1
    LDAP_URI=$P_LDAP_URI LDAPS_URI=$P_LDAPS_URI LDAPI_URI=$P_LDAPI_URI
}

providers() { seq 1 "${CFG[providers]}"; }

# The providers ldap-related commands act on: --provider N, or all.
chosen_providers() {
    if [[ -n $ONLY_PROVIDER ]]; then
        ((ONLY_PROVIDER <= CFG[providers])) || die "$DIR has ${CFG[providers]} provider(s), not $ONLY_PROVIDER"
        echo "$ONLY_PROVIDER"
    else
        providers
    fi
}

# Makes provider N (1 or 2) the one the slapd functions work on. The first
# keeps the paths of a single-provider sandbox; the second lives in DIR/p2.
use_provider() {
    PROVIDER=$1
    local home=$DIR
    ((PROVIDER == 1)) || home=$DIR/p$PROVIDER
    P_HOME=$home
    SLAPD_D="$home/slapd.d"
    SLAPD_DATA="$home/data"
    SLAPD_PID="$home/slapd.pid"
    SLAPD_LOG="$home/slapd.log"
    P_LDAP_PORT=${CFG[ldap_port]} P_LDAPS_PORT=${CFG[ldaps_port]}
    if ((PROVIDER == 2)); then P_LDAP_PORT=${CFG[ldap_port_2]} P_LDAPS_PORT=${CFG[ldaps_port_2]}; fi
    P_LDAP_URI="ldap://localhost:$P_LDAP_PORT"
    P_LDAPS_URI="ldaps://localhost:$P_LDAPS_PORT"
    P_LDAPI_URI="ldapi://${home//\//%2F}%2Fldapi"
    P_NAME=slapd
    ((CFG[providers] == 1)) || P_NAME="slapd $PROVIDER"
    if is_389ds; then
        # ns-slapd names its instance directory on its command line (the
        # marker stop_process looks for) and writes its own pid file.
        SLAPD_D=$DS_INSTANCE
        SLAPD_PID="$DS_HOME/run/slapd-sandbox.pid"
        SLAPD_LOG="$DS_HOME/log/slapd-sandbox/errors"
        P_LDAPI_URI="ldapi://${DS_HOME//\//%2F}%2Frun%2Fslapd-sandbox.socket"
        P_NAME=ns-slapd
    elif is_ad; then
        SLAPD_PID="$AD_HOME/run/samba.pid"
        SLAPD_LOG="$AD_HOME/log/log.samba"
        P_LDAPI_URI=""
        P_NAME="samba AD DC"
    fi
}

is_initialized() { [[ -f $DIR/$MARKER && -f $DIR/sandbox.conf ]]; }

load_conf() {
    local key value
    for key in "${SETTING_KEYS[@]}"; do CFG[$key]=${DEFAULTS[$key]}; done
    while IFS='=' read -r key value; do
        if [[ -n ${DEFAULTS[$key]+set} ]]; then CFG[$key]=$value; fi
    done <"$DIR/sandbox.conf"
    derive_names
}

save_conf() {
    local key
    for key in "${SETTING_KEYS[@]}"; do printf '%s=%s\n' "$key" "${CFG[$key]}"; done >"$CONF_FILE.tmp"
    mv -f -- "$CONF_FILE.tmp" "$CONF_FILE"
}

# A sandbox keeps the settings it was created with; silently running with
# other ones (say, with fsync while a benchmark asked for --nosync) would be
# worse than refusing.
check_wanted_matches_conf() {
    local key
    for key in "${!WANT[@]}"; do
        [[ ${WANT[$key]} == "${CFG[$key]}" ]] && continue
        [[ $key == *_port* && ${WANT[$key]} == auto ]] && continue
        die "$DIR was created with $key=${CFG[$key]}, not ${WANT[$key]}; run 'stop --purge' first to recreate it"
    done
}

# Lock the directory against a concurrent start/stop. The lock descriptor
# (9) is closed for the servers, otherwise they would hold it forever.
lock_dir() {
    exec 9>>"$DIR/.lock"
    flock -w 60 9 || die "$DIR is locked by another sandbox.sh"
}

# ---------------------------------------------------------------- helpers

shell_quote() { # POSIX single quoting, so DIR/env can be sourced by sh too
    local s=${1//\'/\'\\\'\'}
    printf "'%s'" "$s"
}

# Run a setup step, keeping its chatter in DIR/init.log and showing it only
# on failure.
run_logged() {
    local what=$1
    shift
    if ! "$@" >>"$DIR/init.log" 2>&1; then
        tail -n 20 "$DIR/init.log" >&2 || true
        die "$what failed (full log: $DIR/init.log)"
    fi
}

new_secret() { # FILE: random password, mode 0600, no trailing newline
    (umask 077 && openssl rand -base64 18 | tr '+/' '-_' | tr -d '\n' >"$1")
}

new_link_keys() { # FILE: one set-password link key (passwords.link_key_file), mode 0600
    (umask 077 && printf '1 %s\n' "$(openssl rand -hex 32)" >"$1")
}

# Ports are chosen below the kernel's ephemeral range so that the client
# connections of a benchmark cannot occupy them between runs.
pick_free_ports() { # COUNT -> COUNT distinct free ports, one per line
    "$PYTHON" - "$1" <<'EOF'
import random, socket, sys
count = int(sys.argv[1])
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
candidates = list(range(15000, max(low, 16000)))
random.shuffle(candidates)
found = []
for port in candidates:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
    found.append(port)
    if len(found) == count:
        break
print("\n".join(map(str, found)))
EOF
}

require_ports_free() { # PORT... : die naming the first busy one
    local busy
    busy=$("$PYTHON" - "$@" <<'EOF'
import socket, sys
for port in map(int, sys.argv[1:]):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            print(port)
            break
EOF
    )
    [[ -z $busy ]] || die "127.0.0.1:$busy is already in use (another sandbox? try --ldap-port/--ldaps-port/--smtp-port auto)"
}

# ---------------------------------------------------------------- processes

# Print the PID recorded in PIDFILE if that process is alive and really the
# one we started: one of its arguments must be exactly MARKER_ARG, a path
# inside this sandbox. Stale files or recycled PIDs yield failure. Zombies
# have an empty command line, so they count as gone.
live_pid() { # PIDFILE MARKER_ARG
    local pidfile=$1 marker=$2 pid arg
    [[ -s $pidfile ]] || return 1
    pid=$(<"$pidfile")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    local -a args=()
    mapfile -d '' -t args 2>/dev/null <"/proc/$pid/cmdline" || return 1
    for arg in "${args[@]}"; do
        if [[ $arg == "$marker" ]]; then
            printf '%s\n' "$pid"
            return 0
        fi
    done
    return 1
}

# Whether PID exists and is not a zombie. Used right after forking, when the
# child may not have exec'd yet and so does not show its final command line.
pid_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat%% *} != [ZX] ]]
}

wait_gone() { # PIDFILE MARKER_ARG SECONDS
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        live_pid "$1" "$2" >/dev/null || return 0
        sleep 0.1
    done
    return 1
}

# Stop one server: TERM (or KILL), wait, then KILL if needed. Only a PID that
# passes live_pid is ever signalled.
stop_process() { # NAME PIDFILE MARKER_ARG
    local name=$1 pidfile=$2 marker=$3 pid signal=TERM
    if ! pid=$(live_pid "$pidfile" "$marker"); then
        if [[ -e $pidfile ]]; then
            info "$name: not running (removing stale pid file)"
            rm -f -- "$pidfile"
        else
            info "$name: not running"
        fi
        return 0
    fi
    ((KILL_NOW)) && signal=KILL
    kill -s "$signal" "$pid" 2>/dev/null || true
    if ! wait_gone "$pidfile" "$marker" "$STOP_TIMEOUT"; then
        warn "$name (pid $pid) still running ${STOP_TIMEOUT}s after SIG$signal; sending SIGKILL"
        kill -s KILL "$pid" 2>/dev/null || true
        wait_gone "$pidfile" "$marker" 5 || die "$name (pid $pid) survived SIGKILL"
    fi
    rm -f -- "$pidfile"
    info "$name: stopped (pid $pid, SIG$signal)"
}

slapd_pid() { if is_ad; then ad_pid; else live_pid "$SLAPD_PID" "$SLAPD_D"; fi; }
smtpd_pid() { live_pid "$SMTPD_PID" "$DIR"; }
smtp_enabled() { [[ ${CFG[no_smtp]} == 0 ]]; }

# ---------------------------------------------------------------- creation

# When a URI names "localhost", libldap checks the server certificate against
# the machine's own host name instead, so that name goes into the SAN too.
server_san() {
    local names=(localhost) name list=""
    for name in "$(uname -n)" "$(timeout 5 hostname -f 2>/dev/null || true)"; do
        [[ $name =~ ^[A-Za-z0-9.-]+$ && " ${names[*]} " != *" $name "* ]] && names+=("$name")
    done
    for name in "${names[@]}"; do list+="DNS:$name,"; done
    printf '%sIP:127.0.0.1,IP:::1' "$list"
}

make_tls() {
    mkdir -m 0700 -- "$TLS"
    run_logged "creating the CA" openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 \
        -keyout "$TLS/ca.key" -out "$CA_PEM" -days 3650 \
        -subj "/O=ldapenroll sandbox/CN=ldapenroll sandbox CA $(basename -- "$DIR")" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign"
    run_logged "creating the server key" openssl req -new -newkey rsa:2048 -nodes -sha256 \
        -keyout "$TLS/server.key" -out "$TLS/server.csr" -subj "/O=ldapenroll sandbox/CN=localhost"
    cat >"$TLS/server.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = $(server_san)
EOF
    run_logged "signing the server certificate" openssl x509 -req -sha256 -days 825 \
        -in "$TLS/server.csr" -CA "$CA_PEM" -CAkey "$TLS/ca.key" \
        -set_serial "0x$(openssl rand -hex 8)" -extfile "$TLS/server.ext" -out "$TLS/server.pem"
    rm -f -- "$TLS/server.csr" "$TLS/server.ext"
    chmod 0600 -- "$TLS/ca.key" "$TLS/server.key"
}

# olcLimits for the data DB. Unpaged searches stop at N; paged ones are not
# capped (prtotal defaults to the hard limit otherwise, which would truncate
# paged searches too). The rootdn is never limited.
limits_line() {
    if [[ ${CFG[size_limit]} == unlimited ]]; then
        printf 'olcLimits: {0}* size=unlimited\n'
    else
        printf 'olcLimits: {0}* size.soft=%s size.hard=%s size.prtotal=unlimited\n' \
            "${CFG[size_limit]}" "${CFG[size_limit]}"
    fi
}

config_ldif() { # ROOTPW_HASH
    local peercred
    peercred="gidNumber=$(id -g)+uidNumber=$(id -u),cn=peercred,cn=external,cn=auth"
    cat <<EOF
dn: cn=config
objectClass: olcGlobal
cn: config
olcArgsFile: $P_HOME/slapd.args
olcLogLevel: none
olcTLSCACertificateFile: $CA_PEM
olcTLSCertificateFile: $TLS/server.pem
olcTLSCertificateKeyFile: $TLS/server.key
olcAuthzRegexp: {0}"^${peercred//+/\\+}$" "$ADMIN_DN"$(server_ids)

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: $MODULE_DIR
olcModuleLoad: {0}back_mdb
olcModuleLoad: {1}ppolicy
olcModuleLoad: {2}pw-sha2$(((CFG[providers] > 1)) && printf '\nolcModuleLoad: {3}syncprov')

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://$SCHEMA_DIR/core.ldif

include: file://$SCHEMA_DIR/cosine.ldif

include: file://$SCHEMA_DIR/nis.ldif

include: file://$SCHEMA_DIR/inetorgperson.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by dn.exact="$ADMIN_DN" manage by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $SUFFIX
olcRootDN: $ADMIN_DN
olcRootPW: $1
olcDbDirectory: $SLAPD_DATA
olcDbMaxSize: $DB_MAX_SIZE
olcDbNoSync: $([[ ${CFG[nosync]} == 1 ]] && echo TRUE || echo FALSE)
olcDbIndex: objectClass eq
olcDbIndex: uid eq
olcDbIndex: cn eq
olcDbIndex: member eq
olcDbIndex: uniqueMember eq
olcDbIndex: mail eq
olcDbIndex: ou eq
olcDbIndex: entryUUID eq
$(limits_line)$(replication_lines)
olcAccess: {0}to attrs=userPassword by self write by dn.exact="$BIND_DN" manage by anonymous auth by * none
olcAccess: {1}to * by dn.exact="$BIND_DN" manage by self read by users read by * none

dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config
objectClass: olcOverlayConfig
objectClass: olcPPolicyConfig
olcOverlay: {0}ppolicy
olcPPolicyDefault: $POLICY_DN
olcPPolicyHashCleartext: FALSE
olcPPolicyUseLockout: TRUE$(syncprov_overlay)
EOF
}

# Multi-provider replication (--providers 2): each server knows both by
# their URL (slapd takes the ID whose URL it listens on), replicates from
# the other with refreshAndPersist, and serves changes with syncprov. These
# print their lines each after a newline, so that with one provider they
# add nothing, not even an empty line, to config_ldif.
server_ids() {
    ((CFG[providers] > 1)) || return 0
    local n
    for n in $(providers); do
        printf '\nolcServerID: %s ldap://127.0.0.1:%s/' "$n" "$(provider_port "$n")"
    done
}

provider_port() { # N -> its LDAP port
    if (($1 == 1)); then echo "${CFG[ldap_port]}"; else echo "${CFG[ldap_port_2]}"; fi
}

replication_lines() {
    ((CFG[providers] > 1)) || return 0
    local n credentials
    credentials=$(<"$SECRETS/admin.secret")
    printf '\nolcDbIndex: entryCSN eq'
    for n in $(providers); do
        ((n == PROVIDER)) && continue
        printf '\nolcSyncrepl: {%d}rid=%03d provider=ldap://127.0.0.1:%s/ bindmethod=simple binddn="%s" credentials="%s" searchbase="%s" type=refreshAndPersist retry="1 +" timeout=5 network-timeout=5' \
            "$((n - 1))" "$n" "$(provider_port "$n")" "$ADMIN_DN" "$credentials" "$SUFFIX"
    done
    printf '\nolcMultiProvider: TRUE'
}

syncprov_overlay() {
    ((CFG[providers] > 1)) || return 0
    printf '\n\ndn: olcOverlay={1}syncprov,olcDatabase={1}mdb,cn=config'
    printf '\nobjectClass: olcOverlayConfig\nobjectClass: olcSyncProvConfig'
    printf '\nolcOverlay: {1}syncprov\nolcSpCheckpoint: 100 1'
}

# The suffix entry's object classes follow from its first RDN.
suffix_entry_ldif() {
    local rdn=${SUFFIX%%,*}
    local attr=${rdn%%=*} value=${rdn#*=}
    printf 'dn: %s\n' "$SUFFIX"
    case $attr in
        dc) printf 'objectClass: dcObject\nobjectClass: organization\ndc: %s\no: %s\n' "$value" "$value" ;;
        o) printf 'objectClass: organization\no: %s\n' "$value" ;;
        ou) printf 'objectClass: organizationalUnit\nou: %s\n' "$value" ;;
    esac
}

# The service account gets its own policy without lockout: the default
# policy locks an account after 5 failures, and a test suite probing wrong
# passwords must not lock out the provisioning account for everyone else.
data_ldif() { # SERVICE_PASSWORD_HASH
    suffix_entry_ldif
    cat <<EOF

dn: ou=policies,$SUFFIX
objectClass: organizationalUnit
ou: policies

dn: $POLICY_DN
objectClass: organizationalRole
objectClass: pwdPolicy
cn: portal
description: default policy: users must change the temporary password
pwdAttribute: userPassword
pwdMustChange: TRUE
pwdLockout: TRUE
pwdMaxFailure: 5
pwdAllowUserChange: TRUE
pwdSafeModify: FALSE
pwdCheckQuality: 1
pwdMinLength: 8

dn: $SERVICE_POLICY_DN
objectClass: organizationalRole
objectClass: pwdPolicy
cn: services
description: service accounts: no lockout
pwdAttribute: userPassword
pwdLockout: FALSE
pwdMustChange: FALSE

dn: ou=services,$SUFFIX
objectClass: organizationalUnit
ou: services

dn: $BIND_DN
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: ldapenroll
description: ldapenroll provisioning service account
userPassword: $1
pwdPolicySubentry: $SERVICE_POLICY_DN

dn: ou=portal,$SUFFIX
objectClass: organizationalUnit
ou: portal

dn: ou=roles,ou=portal,$SUFFIX
objectClass: organizationalUnit
ou: roles
EOF
}

# Both databases are loaded offline with slapadd: faster than ldapadd, and
# no window in which a half-configured server is listening.
# A second provider gets the first one's data as slapcat writes it, entryUUID
# and entryCSN included, so that replication starts from the same state.
make_ldap() {
    local admin_hash bind_hash n
    admin_hash=$("$SLAPPASSWD" -h '{SSHA}' -T "$SECRETS/admin.secret")
    bind_hash=$("$SLAPPASSWD" -h '{SSHA}' -T "$SECRETS/bind.secret")
    mkdir -m 0700 -- "$DIR/ldif"
    data_ldif "$bind_hash" >"$DIR/ldif/data.ldif"
    for n in $(providers); do
        use_provider "$n"
        mkdir -p -m 0700 -- "$P_HOME"
        mkdir -m 0700 -- "$SLAPD_D" "$SLAPD_DATA"
        config_ldif "$admin_hash" >"$DIR/ldif/config$n.ldif"
        run_logged "loading the slapd configuration" "$SLAPADD" -n0 -F "$SLAPD_D" -l "$DIR/ldif/config$n.ldif"
        if ((n == 1)); then
            run_logged "loading the initial directory data" "$SLAPADD" -n1 -F "$SLAPD_D" -w -l "$DIR/ldif/data.ldif"
        else
            run_logged "copying the data to provider $n" sh -c \
                '"$1" -n1 -F "$2" -l "$3" && "$4" -n1 -F "$5" -w -l "$3"' sh \
                "$(find_tool slapcat slapd)" "$DIR/slapd.d" "$DIR/ldif/data$n.ldif" "$SLAPADD" "$SLAPD_D"
        fi
    done
    use_provider 1
}

# A 389 Directory Server instance under DIR/389ds, created with dscreate
# and lib389's PREFIX (every path under DIR, no systemd), running as root
# inside the private sandbox directory. The server's self-signed CA joins
# the sandbox's CA file. Before passwordMustChange goes on, the service account
# is created (else its own password would have to be changed first), with
# rights over the whole suffix and passwordAdminDN (so it may write hashed
# passwords and its resets expire the password).
make_389ds() {
    local d
    for d in share/dirsrv/inf etc/dirsrv/config etc/dirsrv/schema etc/default etc/tmpfiles.d var run lock log lib; do
        mkdir -p -- "$DS_HOME/$d"
    done
    cp -- /etc/dirsrv/config/* "$DS_HOME/etc/dirsrv/config/"
    cp -- /etc/dirsrv/schema/* "$DS_HOME/etc/dirsrv/schema/"
    sed -e "s|^with_systemd = .*|with_systemd = 0|" \
        -e "s|^sysconf_dir = .*|sysconf_dir = $DS_HOME/etc|" \
        -e "s|^initconfig_dir = .*|initconfig_dir = $DS_HOME/etc/default|" \
        -e "s|^tmpfiles_d = .*|tmpfiles_d = $DS_HOME/etc/tmpfiles.d|" \
        -e "s|^local_state_dir = .*|local_state_dir = $DS_HOME/var|" \
        -e "s|= /etc/dirsrv/|= $DS_HOME/etc/dirsrv/|" \
        -e "s|= /run/dirsrv|= $DS_HOME/run|" \
        -e "s|^ldapi = .*|ldapi = $DS_HOME/run/slapd-{instance_name}.socket|" \
        -e "s|^inst_dir = .*|inst_dir = $DS_HOME/lib/slapd-{instance_name}|" \
        -e "s|^lock_dir = .*|lock_dir = $DS_HOME/lock/slapd-{instance_name}|" \
        -e "s|= /var/log/dirsrv/|= $DS_HOME/log/|" \
        -e "s|= /var/lib/dirsrv/|= $DS_HOME/var/|" \
        -e "s|^db_home_dir = .*|db_home_dir = $DS_HOME/var/slapd-{instance_name}/db|" \
        /usr/share/dirsrv/inf/defaults.inf >"$DS_HOME/share/dirsrv/inf/defaults.inf"
    # libldap checks a certificate for "localhost" against this machine's
    # host name, so that is the name the server's certificate carries.
    (
        umask 077
        cat >"$DS_HOME/instance.inf" <<EOF
[general]
config_version = 2
full_machine_name = $(uname -n)
strict_host_checking = False
selinux = False
systemd = False
start = True

[slapd]
instance_name = sandbox
user = root
group = root
port = ${CFG[ldap_port]}
secure_port = ${CFG[ldaps_port]}
root_dn = $ADMIN_DN
root_password = $(<"$SECRETS/admin.secret")
self_sign_cert = True

[backend-userroot]
suffix = $SUFFIX
create_suffix_entry = True
sample_entries = no
EOF
    )
    run_logged "creating the 389-ds instance (dscreate)" env PREFIX="$DS_HOME" "$DSCREATE" from-file "$DS_HOME/instance.inf"
    rm -f -- "$DS_HOME/instance.inf" # it holds the root password
    use_provider 1
    local bind_pw admin=(-x -H "ldap://127.0.0.1:${CFG[ldap_port]}" -D "$ADMIN_DN" -y "$SECRETS/admin.secret")
    bind_pw=$(<"$SECRETS/bind.secret")
    mkdir -m 0700 -- "$DIR/ldif"
    cat >"$DIR/ldif/389ds-base.ldif" <<EOF
dn: ou=services,$SUFFIX
changetype: add
objectClass: organizationalUnit
ou: services

dn: $BIND_DN
changetype: add
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: ldapenroll
description: ldapenroll provisioning service account
userPassword: $bind_pw

dn: ou=portal,$SUFFIX
changetype: add
objectClass: organizationalUnit
ou: portal

dn: ou=roles,ou=portal,$SUFFIX
changetype: add
objectClass: organizationalUnit
ou: roles

dn: $SUFFIX
changetype: modify
add: aci
aci: (targetattr="*")(version 3.0; acl "ldapenroll manages the directory"; allow (read,search,compare,add,write,delete) userdn="ldap:///$BIND_DN";)
aci: (targetattr="userPassword")(version 3.0; acl "people change their own password"; allow (write) userdn="ldap:///self";)

dn: cn=config
changetype: modify
replace: nsslapd-listenhost
nsslapd-listenhost: 127.0.0.1
-
replace: nsslapd-securelistenhost
nsslapd-securelistenhost: 127.0.0.1
-
replace: passwordMustChange
passwordMustChange: on
-
replace: passwordAdminDN
passwordAdminDN: $BIND_DN
EOF
    chmod 0600 -- "$DIR/ldif/389ds-base.ldif"
    LDAPNOINIT=1 run_logged "loading the base entries and the configuration" "$LDAPMODIFY" "${admin[@]}" \
        -f "$DIR/ldif/389ds-base.ldif"
    rm -f -- "$DIR/ldif/389ds-base.ldif" # it holds the service password
    # The sandbox CA (the SMTP server's) and the server's own, in one file.
    cat -- "$DS_INSTANCE/ca.crt" >>"$CA_PEM"
    # dscreate started it; the listen addresses take effect at the next start.
    stop_process "$P_NAME" "$SLAPD_PID" "$SLAPD_D"
}

# An Active Directory domain controller: Samba AD DC, provisioned under
# DIR/ad (no DNS, only the LDAP service). Its ports are fixed (389, 636),
# so it runs in a network namespace of its own, and socat forwards the
# sandbox's loopback ports into it. TLS uses the sandbox CA's certificate.
# The service account is a user in ou=services and a member of Domain
# Admins: Account Operators may create, reset and disable users and groups,
# but not the organizational units of people.accounts.
ad_netns() { printf 'ldapenroll-%s\n' "$(printf '%s' "$DIR" | sha256sum | cut -c1-10)"; }
ad_realm() { # dc=example,dc=com -> EXAMPLE.COM
    local rdn out=
    IFS=, read -r -a rdns <<<"$SUFFIX"
    for rdn in "${rdns[@]}"; do out+=${out:+.}${rdn#*=}; done
    printf '%s\n' "${out^^}"
}

make_ad() {
    local realm domain
    realm=$(ad_realm)
    domain=${realm%%.*}
    mkdir -p -- "$AD_HOME/run" "$AD_HOME/log"
    run_logged "provisioning the Samba AD domain $realm" "$SAMBA_TOOL" domain provision --targetdir="$AD_HOME" \
        --realm="$realm" --domain="$domain" --adminpass="$(<"$SECRETS/admin.secret")" \
        --server-role=dc --dns-backend=NONE --use-rfc2307 --host-ip=127.0.0.1 \
        --option="netbios name=DC1" --option="interfaces=lo" --option="bind interfaces only=yes" \
        --option="server services=ldap" --option="pid directory=$AD_HOME/run" \
        --option="ncalrpc dir=$AD_HOME/run/ncalrpc" --option="winbindd socket directory=$AD_HOME/run/winbindd" \
        --option="log file=$AD_HOME/log/log.samba"
    # provision keeps only some --option values; TLS goes into [global].
    sed -i "/^\[global\]/a\\
\ttls enabled = yes\n\ttls keyfile = $TLS/server.key\n\ttls certfile = $TLS/server.pem\n\ttls cafile = $CA_PEM" \
        "$AD_HOME/etc/smb.conf"
    use_provider 1
    start_ad
    local upw admin=(-x -H "$LDAP_URI" -ZZ -D "$ADMIN_DN" -y "$SECRETS/admin.secret")
    upw=$(printf '"%s"' "$(<"$SECRETS/bind.secret")" | iconv -f UTF-8 -t UTF-16LE | base64 -w0)
    mkdir -m 0700 -- "$DIR/ldif"
    cat >"$DIR/ldif/ad-base.ldif" <<EOF
dn: ou=services,$SUFFIX
changetype: add
objectClass: organizationalUnit

dn: $BIND_DN
changetype: add
objectClass: user
sAMAccountName: ldapenroll
description: ldapenroll provisioning service account
unicodePwd:: $upw
userAccountControl: 66048

dn: CN=Domain Admins,CN=Users,$SUFFIX
changetype: modify
add: member
member: $BIND_DN

dn: ou=portal,$SUFFIX
changetype: add
objectClass: organizationalUnit

dn: ou=roles,ou=portal,$SUFFIX
changetype: add
objectClass: organizationalUnit
EOF
    chmod 0600 -- "$DIR/ldif/ad-base.ldif"
    LDAPTLS_CACERT=$CA_PEM run_logged "loading the base entries" "$LDAPMODIFY" "${admin[@]}" \
        -f "$DIR/ldif/ad-base.ldif"
    rm -f -- "$DIR/ldif/ad-base.ldif"
}

ad_pid() { # the samba root process, when it runs (it renames itself, so by its program)
    local pid
    [[ -s $AD_HOME/run/samba.pid ]] || return 1
    pid=$(<"$AD_HOME/run/samba.pid")
    [[ $pid =~ ^[0-9]+$ ]] && pid_running "$pid" && [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */samba ]] ||
        return 1
    printf '%s\n' "$pid"
}

socat_marker() { printf 'TCP-LISTEN:%s,bind=127.0.0.1,reuseaddr,fork\n' "$1"; }

# samba in its namespace, and a socat per port: the sandbox's LDAP port to
# the namespace's 389, the LDAPS port to 636.
start_ad() {
    local ns pid i port inner
    ns=$(ad_netns)
    require_ports_free "$P_LDAP_PORT" "$P_LDAPS_PORT"
    ip netns add "$ns" 2>/dev/null || ip netns list | grep -q "^$ns\b" || die "cannot create the network namespace $ns"
    ip netns exec "$ns" ip link set lo up
    rm -f -- "$AD_HOME/run/samba.pid"
    ip netns exec "$ns" "$SAMBA" -D -s "$AD_HOME/etc/smb.conf" </dev/null >>"$AD_HOME/samba.out" 2>&1 9>&- ||
        die "samba did not start (see $AD_HOME/samba.out and $AD_HOME/log/log.samba)"
    for port in "$P_LDAP_PORT:389" "$P_LDAPS_PORT:636"; do
        inner=${port#*:}
        setsid "$SOCAT" "$(socat_marker "${port%%:*}")" \
            "EXEC:ip netns exec $ns $SOCAT STDIO TCP\:127.0.0.1\:$inner" </dev/null >>"$AD_HOME/socat.log" 2>&1 9>&- &
        printf '%s\n' "$!" >"$AD_HOME/run/socat$inner.pid"
    done
    # Samba's first start prepares its databases: it may take a while.
    for ((i = 0; i < AD_READY_TIMEOUT * 10; i++)); do
        # AD has no whoami: its root DSE, read over StartTLS, says it is up.
        if pid=$(ad_pid) && LDAPTLS_CACERT=$CA_PEM "$LDAPSEARCH" -x -ZZ -H "ldap://localhost:$P_LDAP_PORT" \
            -b "" -s base dn >/dev/null 2>&1; then
            info "samba AD DC: started (pid $pid, namespace $ns)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 -- "$AD_HOME/log/log.samba" >&2 || true
    die "samba AD DC did not answer within ${AD_READY_TIMEOUT}s (log: $AD_HOME/log/log.samba)"
}

stop_ad() {
    local pid i
    stop_process "socat (LDAP)" "$AD_HOME/run/socat389.pid" "$(socat_marker "$P_LDAP_PORT")"
    stop_process "socat (LDAPS)" "$AD_HOME/run/socat636.pid" "$(socat_marker "$P_LDAPS_PORT")"
    if pid=$(ad_pid); then
        kill -s "$( ((KILL_NOW)) && echo KILL || echo TERM)" "$pid" 2>/dev/null || true
        for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do pid_running "$pid" || break; sleep 0.1; done
        pid_running "$pid" && kill -s KILL "$pid" 2>/dev/null
        info "samba AD DC: stopped (pid $pid)"
    else
        info "samba AD DC: not running"
    fi
    rm -f -- "$AD_HOME/run/samba.pid"
    ip netns del "$(ad_netns)" 2>/dev/null || true
}

# Make DIR a fresh, empty, private directory carrying our marker.
prepare_dir() {
    if [[ -e $DIR && ! -d $DIR ]]; then die "$DIR exists and is not a directory"; fi
    if [[ ! -d $DIR ]]; then
        mkdir -p -- "$(dirname -- "$DIR")"
        # A concurrent start may win the race; the lock sorts out the rest.
        mkdir -m 0700 -- "$DIR" 2>/dev/null || [[ -d $DIR ]] || die "cannot create $DIR"
    elif [[ ! -e $DIR/$MARKER && -n $(ls -A -- "$DIR") ]]; then
        die "$DIR exists, is not empty and is not a sandbox; choose another --dir"
    fi
    chmod 0700 -- "$DIR"
    touch -- "$DIR/$MARKER"
}

# A previous creation that failed half-way leaves the marker but no
# sandbox.conf; nothing runs there yet, so start over.
wipe_incomplete() {
    local leftover
    leftover=$(find "$DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" ! -name .lock -print -quit)
    [[ -n $leftover ]] || return 0
    info "sandbox: $DIR holds an incomplete sandbox; recreating it"
    stop_leftovers
    find "$DIR" -mindepth 1 -maxdepth 1 ! -name "$MARKER" ! -name .lock -exec rm -rf -- {} +
}

resolve_settings() {
    local key autos=() ports=()
    for key in "${SETTING_KEYS[@]}"; do CFG[$key]=${WANT[$key]-${DEFAULTS[$key]}}; done
    local port_keys=(ldap_port ldaps_port smtp_port)
    ((CFG[providers] > 1)) && port_keys+=(ldap_port_2 ldaps_port_2)
    for key in "${port_keys[@]}"; do
        if [[ ${CFG[$key]} == auto ]]; then autos+=("$key"); fi
    done
    if ((${#autos[@]})); then
        mapfile -t ports < <(pick_free_ports "${#autos[@]}")
        ((${#ports[@]} == ${#autos[@]})) || die "could not find free ports on 127.0.0.1"
        for key in "${!autos[@]}"; do CFG[${autos[$key]}]=${ports[$key]}; done
    fi
    [[ ${CFG[flavor]} == openldap || ${CFG[providers]} == 1 ]] || die "--providers 2 is for --flavor openldap only"
    local used=()
    for key in "${port_keys[@]}"; do used+=("${CFG[$key]}"); done
    (($(printf '%s\n' "${used[@]}" | sort -u | wc -l) == ${#used[@]})) || die "the ports must differ"
}

create_sandbox() {
    resolve_settings
    derive_names
    # Fail before the slow setup, and before saving ports we cannot use.
    local ports=("${CFG[ldap_port]}" "${CFG[ldaps_port]}")
    ((CFG[providers] > 1)) && ports+=("${CFG[ldap_port_2]}" "${CFG[ldaps_port_2]}")
    smtp_enabled && ports+=("${CFG[smtp_port]}")
    require_ports_free "${ports[@]}"
    info "sandbox: creating $DIR"
    mkdir -m 0700 -- "$SECRETS" "$MAILDIR"
    new_secret "$SECRETS/admin.secret"
    new_secret "$SECRETS/bind.secret"
    new_secret "$SECRETS/smtp.secret"
    new_link_keys "$SECRETS/link.keys"
    make_tls
    if is_389ds; then make_389ds; elif is_ad; then make_ad; else make_ldap; fi
    save_conf # last: its presence means "complete"
}

# ---------------------------------------------------------------- servers

slapd_urls() {
    printf 'ldap://127.0.0.1:%s/ ldaps://127.0.0.1:%s/ %s/' "$P_LDAP_PORT" "$P_LDAPS_PORT" "$P_LDAPI_URI"
}

# ns-slapd detaches itself and writes its pid file (-i); ready when it
# answers a bind.
start_ns_slapd() {
    require_ports_free "$P_LDAP_PORT" "$P_LDAPS_PORT"
    rm -f -- "$SLAPD_PID"
    setsid "$NS_SLAPD" -D "$DS_INSTANCE" -i "$SLAPD_PID" </dev/null >>"$DS_HOME/ns-slapd.out" 2>&1 9>&- ||
        die "ns-slapd did not start (see $DS_HOME/ns-slapd.out and $SLAPD_LOG)"
    local i pid
    for ((i = 0; i < LDAP_READY_TIMEOUT * 10; i++)); do
        if pid=$(slapd_pid) && LDAPNOINIT=1 "$LDAPWHOAMI" -x -H "ldap://127.0.0.1:$P_LDAP_PORT" >/dev/null 2>&1; then
            info "$P_NAME: started (pid $pid)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 -- "$SLAPD_LOG" >&2 || true
    die "$P_NAME did not answer within ${LDAP_READY_TIMEOUT}s (log: $SLAPD_LOG)"
}

# slapd runs in the foreground (-d keeps it from detaching) under setsid, so
# $! is slapd itself and it does not die with the caller's terminal.
# LDAPNOINIT keeps the caller's ldap.conf/LDAP* variables out of the probe.
start_slapd() {
    require_ports_free "$P_LDAP_PORT" "$P_LDAPS_PORT"
    rm -f -- "$SLAPD_PID"
    printf '\n=== %s starting slapd\n' "$(date -Is)" >>"$SLAPD_LOG"
    setsid "$SLAPD" -F "$SLAPD_D" -h "$(slapd_urls)" -d "${LDAPENROLL_SANDBOX_SLAPD_DEBUG:-0}" \
        </dev/null >>"$SLAPD_LOG" 2>&1 9>&- &
    local pid=$! i
    printf '%s\n' "$pid" >"$SLAPD_PID"
    for ((i = 0; i < LDAP_READY_TIMEOUT * 10; i++)); do
        if ! pid_running "$pid"; then
            tail -n 20 -- "$SLAPD_LOG" >&2 || true
            die "$P_NAME exited during startup (log: $SLAPD_LOG)"
        fi
        if slapd_pid >/dev/null &&
            LDAPNOINIT=1 "$LDAPWHOAMI" -x -H "ldap://127.0.0.1:$P_LDAP_PORT" >/dev/null 2>&1; then
            info "$P_NAME: started (pid $pid)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 -- "$SLAPD_LOG" >&2 || true
    KILL_NOW=1 stop_process "$P_NAME" "$SLAPD_PID" "$SLAPD_D"
    die "$P_NAME did not answer within ${LDAP_READY_TIMEOUT}s (log: $SLAPD_LOG)"
}

# smtpd.py writes DIR/smtpd.ready once it listens; probing the port instead
# would consume CONNECT fault rules.
start_smtpd() {
    require_python
    require_ports_free "${CFG[smtp_port]}"
    rm -f -- "$SMTPD_PID" "$SMTPD_READY"
    local args=(--dir "$DIR" --port "${CFG[smtp_port]}")
    [[ ${CFG[smtp_no_tls]} == 1 ]] && args+=(--no-tls)
    setsid "$PYTHON" "$SMTPD_PY" "${args[@]}" </dev/null >>"$SMTPD_LOG" 2>&1 9>&- &
    local pid=$! i
    printf '%s\n' "$pid" >"$SMTPD_PID"
    for ((i = 0; i < SMTP_READY_TIMEOUT * 10; i++)); do
        if ! pid_running "$pid"; then
            tail -n 20 -- "$SMTPD_LOG" >&2 || true
            die "SMTP server exited during startup (log: $SMTPD_LOG)"
        fi
        if [[ -s $SMTPD_READY && $(<"$SMTPD_READY") == "$pid" ]] && smtpd_pid >/dev/null; then
            info "smtpd: started (pid $pid)"
            return 0
        fi
        sleep 0.1
    done
    tail -n 20 -- "$SMTPD_LOG" >&2 || true
    KILL_NOW=1 stop_process smtpd "$SMTPD_PID" "$DIR"
    die "SMTP server did not start within ${SMTP_READY_TIMEOUT}s (log: $SMTPD_LOG)"
}

ensure_slapd() {
    local pid n
    for n in $(chosen_providers); do
        use_provider "$n"
        if pid=$(slapd_pid); then
            info "$P_NAME: already running (pid $pid)"
        elif is_389ds; then
            start_ns_slapd
        elif is_ad; then
            start_ad
        else
            start_slapd
        fi
    done
    use_provider 1
}

stop_slapds() {
    local n
    for n in $(chosen_providers); do
        use_provider "$n"
        if is_ad; then stop_ad; else stop_process "$P_NAME" "$SLAPD_PID" "$SLAPD_D"; fi
    done
    use_provider 1
}

ensure_smtpd() {
    local pid
    if pid=$(smtpd_pid); then info "smtpd: already running (pid $pid)"; else start_smtpd; fi
}

# ---------------------------------------------------------------- output

env_lines() {
    local name value
    local -a pairs=(
        LDAPENROLL_SANDBOX "$DIR"
        LDAPENROLL_SANDBOX_LDAP_URI "$LDAP_URI"
        LDAPENROLL_SANDBOX_LDAPS_URI "$LDAPS_URI"
        LDAPENROLL_SANDBOX_LDAPI_URI "$LDAPI_URI"
        LDAPENROLL_SANDBOX_PROVIDERS "${CFG[providers]}"
        LDAPENROLL_SANDBOX_SUFFIX "$SUFFIX"
        LDAPENROLL_SANDBOX_ADMIN_DN "$ADMIN_DN"
        LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE "$SECRETS/admin.secret"
        LDAPENROLL_SANDBOX_BIND_DN "$BIND_DN"
        LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE "$SECRETS/bind.secret"
        LDAPENROLL_SANDBOX_POLICY_DN "$POLICY_DN"
        LDAPENROLL_SANDBOX_CA "$CA_PEM"
        LDAPENROLL_SANDBOX_SMTP_URL "$SMTP_URL"
        LDAPENROLL_SANDBOX_SMTP_USER "$SMTP_USER"
        LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE "$SECRETS/smtp.secret"
        LDAPENROLL_SANDBOX_MAILDIR "$MAILDIR"
        LDAPENROLL_SANDBOX_LINK_KEYS "$SECRETS/link.keys"
        LDAPTLS_CACERT "$CA_PEM"
    )
    if ((CFG[providers] > 1)); then
        use_provider 2
        pairs+=(LDAPENROLL_SANDBOX_LDAP_URI_2 "$P_LDAP_URI" LDAPENROLL_SANDBOX_LDAPS_URI_2 "$P_LDAPS_URI"
            LDAPENROLL_SANDBOX_LDAPI_URI_2 "$P_LDAPI_URI")
        use_provider 1
    fi
    while ((${#pairs[@]})); do
        name=${pairs[0]} value=${pairs[1]}
        pairs=("${pairs[@]:2}")
        printf 'export %s=%s\n' "$name" "$(shell_quote "$value")"
    done
}

write_env_file() {
    env_lines >"$DIR/env.tmp"
    mv -f -- "$DIR/env.tmp" "$DIR/env"
}

print_summary() {
    local me smtp_line policy_line="$POLICY_DN (default)"
    is_389ds && policy_line="the server's own: passwordMustChange on"
    is_ad && policy_line="the domain's password settings (complexity, length 7, history 24)"
    me="$0 --dir $DIR"
    if smtp_enabled; then
        if [[ ${CFG[smtp_no_tls]} == 1 ]]; then
            smtp_line="$SMTP_URL (no STARTTLS, no AUTH)"
        else
            smtp_line="$SMTP_URL (STARTTLS and AUTH required) user $SMTP_USER, password in $SECRETS/smtp.secret"
        fi
    else
        smtp_line="not started (--no-smtp)"
    fi
    cat >&2 <<EOF

ldapenroll sandbox in $DIR
  LDAP      $LDAP_URI (StartTLS)  $LDAPS_URI  $LDAPI_URI$(second_provider_line)  CA        $CA_PEM
  suffix    $SUFFIX  (demo base ou=portal,$SUFFIX, roles ou=roles,ou=portal,$SUFFIX)
  admin     $ADMIN_DN  password in $SECRETS/admin.secret
  service   $BIND_DN  password in $SECRETS/bind.secret
  policy    $policy_line
  SMTP      $smtp_line
  mailbox   $MAILDIR  (list: $me mail)
  env vars  eval "\$($me env)"   (also in $DIR/env)
EOF
}

second_provider_line() {
    ((CFG[providers] > 1)) || return 0
    use_provider 2
    printf '\n  LDAP 2    %s (StartTLS)  %s  %s  (multi-provider replication)' \
        "$P_LDAP_URI" "$P_LDAPS_URI" "$P_LDAPI_URI"
    use_provider 1
}

# ---------------------------------------------------------------- commands

# Load an existing sandbox or die; for commands that need one.
need_sandbox() {
    is_initialized || die "no sandbox in $DIR (run '$0 --dir $DIR start' first)"
    load_conf
}

cmd_start() {
    require_server_tools
    prepare_dir
    lock_dir
    if is_initialized; then
        load_conf
        check_wanted_matches_conf
    else
        wipe_incomplete
        create_sandbox
    fi
    ensure_slapd
    smtp_enabled && ensure_smtpd
    write_env_file
    print_summary
    ((PRINT_ENV)) && env_lines
    return 0
}

cmd_start_ldap() {
    require_server_tools
    need_sandbox
    lock_dir
    check_wanted_matches_conf
    ensure_slapd
}

cmd_start_smtp() {
    need_sandbox
    smtp_enabled || die "$DIR was created with --no-smtp"
    lock_dir
    check_wanted_matches_conf
    ensure_smtpd
}

# A creation that failed half-way may have left servers running that only
# their pid files know of (dscreate starts ns-slapd, make_ad starts samba
# and socat): stopped by program name, never anything else.
stop_leftovers() {
    local f pid exe
    for f in "$DIR"/389ds/run/slapd-sandbox.pid "$DIR"/ad/run/samba.pid "$DIR"/ad/run/socat*.pid; do
        [[ -s $f ]] || continue
        pid=$(<"$f")
        [[ $pid =~ ^[0-9]+$ ]] && pid_running "$pid" || continue
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
        case ${exe##*/} in
            ns-slapd | samba | socat)
                kill -s KILL "$pid" 2>/dev/null || true
                info "sandbox: stopped a leftover ${exe##*/} (pid $pid)" ;;
        esac
    done
    [[ -d $DIR/ad ]] && ip netns del "$(ad_netns)" 2>/dev/null || true
    if [[ -e $DIR/smtpd.pid ]]; then stop_process smtpd "$DIR/smtpd.pid" "$DIR"; fi
}

cmd_stop() {
    if ! is_initialized; then
        info "sandbox: no sandbox in $DIR"
        if [[ -e $DIR/$MARKER ]]; then stop_leftovers; fi
        if ((PURGE)) && [[ -e $DIR/$MARKER ]]; then rm -rf -- "$DIR"; fi
        return 0
    fi
    load_conf
    lock_dir
    stop_slapds
    if smtp_enabled || [[ -e $SMTPD_PID ]]; then stop_process smtpd "$SMTPD_PID" "$DIR"; fi
    rm -f -- "$SMTPD_READY"
    if ((PURGE)); then
        rm -rf -- "$DIR"
        info "sandbox: removed $DIR"
    fi
}

cmd_stop_ldap() {
    need_sandbox
    lock_dir
    stop_slapds
}

# The contextCSN values of the suffix, one per server ID, sorted: equal on
# both providers once each holds every change of the other.
context_csn() {
    LDAPNOINIT=1 "$(find_tool ldapsearch ldap-utils)" -LLL -o ldif-wrap=no -x -H "$P_LDAPI_URI" \
        -D "$ADMIN_DN" -y "$SECRETS/admin.secret" -b "$SUFFIX" -s base contextCSN 2>/dev/null |
        sed -n 's/^contextCSN: //p' | sort
}

cmd_replication_wait() {
    need_sandbox
    ((CFG[providers] > 1)) || die "$DIR has one provider; nothing replicates"
    local i a b
    for ((i = 0; i < WAIT_SECONDS * 10; i++)); do
        use_provider 1
        a=$(context_csn)
        use_provider 2
        b=$(context_csn)
        if [[ -n $a && $a == "$b" ]]; then
            info "replication: both providers are at the same state"
            return 0
        fi
        sleep 0.1
    done
    die "the providers did not converge within ${WAIT_SECONDS}s (provider 1: ${a:-unreachable}; provider 2: ${b:-unreachable})"
}

cmd_stop_smtp() {
    need_sandbox
    lock_dir
    stop_process smtpd "$SMTPD_PID" "$DIR"
    rm -f -- "$SMTPD_READY"
}

cmd_status() {
    if ! is_initialized; then
        echo "no sandbox in $DIR"
        return 1
    fi
    load_conf
    local pid rc=0 n
    for n in $(providers); do
        use_provider "$n"
        if pid=$(slapd_pid); then
            echo "$P_NAME: running (pid $pid) $P_LDAP_URI $P_LDAPS_URI"
        else
            echo "$P_NAME: stopped"
            rc=1
        fi
    done
    if ! smtp_enabled; then
        echo "smtpd: disabled (--no-smtp)"
    elif pid=$(smtpd_pid); then
        echo "smtpd: running (pid $pid) $SMTP_URL"
    else
        echo "smtpd: stopped"
        rc=1
    fi
    return "$rc"
}

cmd_env() {
    need_sandbox
    env_lines
}

cmd_mail() {
    need_sandbox
    require_python
    if [[ -n $SHOW ]]; then
        "$PYTHON" "$SMTPD_PY" --dir "$DIR" --show "$SHOW"
    else
        "$PYTHON" "$SMTPD_PY" --dir "$DIR" --list
    fi
}

main() {
    parse_args "$@"
    resolve_dir
    case $COMMAND in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        env) cmd_env ;;
        mail) cmd_mail ;;
        start-ldap) cmd_start_ldap ;;
        stop-ldap) cmd_stop_ldap ;;
        start-smtp) cmd_start_smtp ;;
        stop-smtp) cmd_stop_smtp ;;
        replication-wait) cmd_replication_wait ;;
        *) usage_error "unknown command '$COMMAND'" ;;
    esac
}

main "$@"

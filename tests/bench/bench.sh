#!/usr/bin/env bash
# The benchmark. Nothing here asserts on time: it measures, in one run and on
# identical data, and prints figures and ratios.
#
#   tests/bench/bench.sh [--rows N] [--preview-rows "100000 1000000"] [--window W]
#                        [--modes "fsync nosync"] [--repeat R] [--mail N] [--build DIR]
#                        [--steady-rows "200000 1000000"] [--only create|steady|mail]
#                        [--connections "1 2 4 8"] [--results DIR]
#
# For each mode (slapd with fsync, and with olcDbNoSync), R times (default 3,
# the median is reported), each on a fresh sandbox:
#   (a) ldapadd -c of the equivalent LDIF (people with {SSHA512} passwords and
#       pwdReset, the account containers, the role groups with their members);
#   (b) the server's limit: bench_addclient, a minimal asynchronous add client
#       sending the same LDIF with W adds in flight;
#   (c) ldapenroll sync --apply from the CSV, messages to the sandbox's SMTP
#       server (the directory phase and the mail phase are timed apart);
#       (messages in the first round only: they take longer than the rest);
# then (d) the preview (sync --format json) of larger CSVs: time and peak RSS;
# and (e) mail: the messages/s of (c)'s one reused SMTP connection against
# one curl process (one connection) per message; (f) the hourly run: the
# directory already holds everyone (loaded with slapadd), and sync --format
# json finds nothing to do, then 1% changed, against a paged ldapsearch of
# the same subtree and attributes: time and peak RSS per person, and the 1%
# applied (sync --apply, once, its final must-change check apart); (g) mail
# over notify.connections 1, 2, 4, 8 SMTP connections at once: messages/s.
# The steady state's figures also go to DIR/steady.dat with a plot,
# DIR/steady.svg (gnuplot), of time and memory against the number of people.
# --only create, steady or mail runs (a)-(c), (f) or (g) alone.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=10000
preview_rows="100000 1000000"
window=64
modes="fsync nosync"
repeat=3
mail_n=300
steady_rows="200000"
only=
connections="1 2 4 8"
results=$root/tests/bench/results
build=$root/build-bench

while [ $# -gt 0 ]; do
	case $1 in
	--rows) rows=$2; shift 2 ;;
	--preview-rows) preview_rows=$2; shift 2 ;;
	--window) window=$2; shift 2 ;;
	--modes) modes=$2; shift 2 ;;
	--repeat) repeat=$2; shift 2 ;;
	--mail) mail_n=$2; shift 2 ;;
	--build) build=$2; shift 2 ;;
	--steady-rows) steady_rows=$2; shift 2 ;;
	--only) only=$2; shift 2 ;;
	--connections) connections=$2; shift 2 ;;
	--results) results=$2; shift 2 ;;
	-h | --help) sed -n '2,29p' "$0"; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
done

"$root/contrib/scripts/install-deps.sh"
if [ ! -x "$build/ldapenroll" ] || [ ! -x "$build/tests/bench_addclient" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target ldapenroll bench_addclient >/dev/null
le=$build/ldapenroll
addclient=$build/tests/bench_addclient
sandbox=$root/contrib/sandbox/sandbox.sh
py=/usr/bin/python3
work=$(mktemp -d /tmp/ldapenroll-bench.XXXXXX)
sb=$work/sandbox
trap '"$sandbox" --dir "$sb" stop --purge >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

base=ou=portal,dc=example,dc=com
policy=cn=portal,ou=policies,dc=example,dc=com

fresh_sandbox() { # MODE
	"$sandbox" --dir "$sb" stop --purge >/dev/null 2>&1 || true
	local opts=()
	[ "$1" = nosync ] && opts+=(--nosync)
	"$sandbox" --dir "$sb" --ldap-port auto --ldaps-port auto --smtp-port auto "${opts[@]}" start 2>/dev/null
	eval "$("$sandbox" --dir "$sb" env)"
}

field() { # NAME TEXT: the value of NAME=... in TEXT
	sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -n 1
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.0f", n / s; else print "n/a" }'; }

config() { # FILE CSV NOTIFY(0|1)
	cat >"$1" <<YAML
directory:
  uri: $LDAPENROLL_SANDBOX_LDAP_URI
  ca_file: $LDAPENROLL_SANDBOX_CA
  bind_dn: $LDAPENROLL_SANDBOX_BIND_DN
  bind_password_file: $LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE
  base: $base
  password_policy: $policy
  window: $window
  timeout: 60s
source:
  path: $2
  key: Username
accounts:
  dn: "ou={Account},{base}"
people:
  dn: "uid={Username},ou={Account},{base}"
  required: [Username, LastName, Account]
  attributes:
    uid: "{Username}"
    cn: "{FirstName} {LastName}"
    givenName: "{FirstName}"
    sn: "{LastName}"
    mail: "{Email}"
    displayName: "{FirstName} {LastName}"
    preferredLanguage: "{LanguageLocaleKey}"
roles:
  column: Role
  dn: "cn={role},ou=roles,{base}"
  map:
    "Customer Manager": "{Account} Customer Manager"
    "Partner User": "{Account} Partner User"
  default: "{Account} Standard User"
limits:
  max_create: 10000000
state_dir: $work/state-$RANDOM
YAML
	if [ "$3" = 1 ]; then
		cat >>"$1" <<YAML
notify:
  smtp:
    url: $LDAPENROLL_SANDBOX_SMTP_URL
    ca_file: $LDAPENROLL_SANDBOX_CA
    username: $LDAPENROLL_SANDBOX_SMTP_USER
    password_file: $LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE
    timeout: 60s
  from: "Bench IT <it@example.com>"
  login_url: https://portal.example.com/login
YAML
	fi
}

# (a)-(c): creating people into an empty directory, per mode.
creation() {
	local mode round as bs cs dirs a_s b_s dir_s c_s summary
	echo "ldapenroll benchmark: $rows rows, window $window, $(nproc) cores, $(uname -r)"
	echo "slapd $(/usr/sbin/slapd -VV 2>&1 | sed -n 's/.*slapd \([0-9.]*\).*/\1/p' | head -n 1), data in $work"
	"$py" "$here/gen.py" "$rows" "$work" "$base" "$policy"
	entries=$(grep -c '^dn:' "$work/users.ldif")
	echo "$entries entries to add ($rows people, the rest containers and role groups)"
	mail_rate=
	for mode in $modes; do
		echo
		echo "== slapd with $([ "$mode" = nosync ] && echo "olcDbNoSync (no fsync)" || echo "fsync"), $repeat rounds (median)"
		as=() bs=() cs=() dirs=()
		for round in $(seq "$repeat"); do
			fresh_sandbox "$mode"
			m=$("$py" "$here/measure.py" "$work/a.out" "$work/a.err" ldapadd -c -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" \
				-D "$LDAPENROLL_SANDBOX_BIND_DN" -y "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" -f "$work/users.ldif")
			[ "$(field rc "$m")" = 0 ] || { echo "ldapadd failed:" >&2; tail -n 5 "$work/a.err" >&2; exit 1; }
			as+=("$(field seconds "$m")")

			fresh_sandbox "$mode"
			out=$("$addclient" "$LDAPENROLL_SANDBOX_LDAP_URI" "$LDAPENROLL_SANDBOX_CA" "$LDAPENROLL_SANDBOX_BIND_DN" \
				"$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" "$work/users.ldif" "$window")
			[ "$(field failed "$out")" = 0 ] || { echo "the add client had failures: $out" >&2; exit 1; }
			bs+=("$(field seconds "$out")")

			fresh_sandbox "$mode"
			config "$work/c.yaml" "$work/users.csv" "$([ "$round" = 1 ] && echo 1 || echo 0)"
			m=$("$py" "$here/measure.py" "$work/c.out" "$work/c.err" "$le" --log-format logfmt -c "$work/c.yaml" sync --apply)
			summary=$(grep 'msg=finished' "$work/c.err" || true)
			[ "$(field rc "$m")" = 0 ] && [ -n "$summary" ] || { echo "ldapenroll failed:" >&2; tail -n 5 "$work/c.err" >&2; exit 1; }
			dirs+=("$(field directory_seconds "$summary")")
			cs+=("$(awk -v a="$(field seconds "$m")" -v b="$(field mail_seconds "$summary")" 'BEGIN { print a - b }')")
			if [ "$round" = 1 ]; then
				mail_s=$(field mail_seconds "$summary")
				sent=$(field messages_sent "$summary")
				rss=$(field maxrss_mb "$m")
			fi
			printf '   round %s: (a) %.2f s  (b) %.2f s  (c) directory %.2f s, whole %.2f s:  (a)/(c) %s  (c)/(b) %s\n' "$round" \
				"${as[-1]}" "${bs[-1]}" "${dirs[-1]}" "${cs[-1]}" "$(ratio "${as[-1]}" "${dirs[-1]}")" "$(ratio "${dirs[-1]}" "${bs[-1]}")"
		done
		a_s=$(echo "${as[*]}" | median)
		b_s=$(echo "${bs[*]}" | median)
		dir_s=$(echo "${dirs[*]}" | median)
		c_s=$(echo "${cs[*]}" | median)
		printf '(a) ldapadd -c            %8.2f s  %7s entries/s\n' "$a_s" "$(rate "$entries" "$a_s")"
		printf '(b) async client (w=%-4s) %8.2f s  %7s entries/s\n' "$window" "$b_s" "$(rate "$entries" "$b_s")"
		printf '(c) ldapenroll sync --apply: directory %.2f s: %s entries/s (whole command without mail %.2f s)\n' \
			"$dir_s" "$(rate "$entries" "$dir_s")" "$c_s"
		printf '    mail (first round) %.2f s: %s messages/s; peak RSS %s MB\n' "$mail_s" "$(rate "$sent" "$mail_s")" "$rss"
		printf '    ratios: (c) directory throughput / (a) = %s (target >= 1.5); (c) directory time / (b) = %s (target <= 1.15)\n' \
			"$(ratio "$a_s" "$dir_s")" "$(ratio "$dir_s" "$b_s")"
		printf '            (a) time / (c) whole command without mail = %s\n' "$(ratio "$a_s" "$c_s")"
		mail_rate=$(rate "$sent" "$mail_s")
	done
}

# (f): the steady state, and 1% changed. The directory is loaded offline
# (slapadd) from gen.py's LDIF; the CSV is the same people. Per size and
# mode, R rounds of: the baseline (ldapsearch -E pr=500 of the subtree with
# the attributes the agent reads), the agent's no-change preview, and the
# preview of a CSV where 1% of the people changed their first name, 0.1% are
# new and 0.1% are gone.
steady() {
	local n mode round sd ss ls ps rs cs applied=()
	echo
	echo "== (f) the hourly run: the directory holds everyone; sync --format json"
	printf '%9s %7s %13s %13s %7s %11s %13s %7s   %s
' people mode "ldapsearch s" "no change s" ratio "RSS B/pers" "1% changed s" ratio "each round's no change / ldapsearch"
	for n in $steady_rows; do
		mkdir -p "$work/s$n"
		"$py" "$here/gen.py" "$n" "$work/s$n" "$base" "$policy"
		# 1%: another first name; 0.1% new people; 0.1% gone.
		awk -F, -v OFS=, -v n="$n" 'NR == 1 { print; next }
			(NR - 2) % 100 == 7 { $1 = $1 "-Changed" }
			(NR - 2) % 1000 == 3 { next }
			{ print }
			END { for (i = 0; i < n / 1000; i++) printf "New,Person,new%07d@bench.example,new%07d@bench.example,n%07d,Account 0000,,Europe/Paris,fr_FR,UTF-8,fr\r\n", i, i, i }' \
			"$work/s$n/users.csv" >"$work/s$n/changed.csv"
		for mode in $modes; do
			fresh_sandbox "$mode"
			"$sandbox" --dir "$sb" stop-ldap >/dev/null 2>&1
			/usr/sbin/slapadd -n1 -F "$sb/slapd.d" -q -l "$work/s$n/users.ldif" >/dev/null 2>&1 ||
				{ echo "slapadd of $n people failed" >&2; exit 1; }
			"$sandbox" --dir "$sb" start-ldap >/dev/null 2>&1
			# What an hourly sync keeps: updates and disables of the absent.
			config "$work/s.yaml" "$work/s$n/users.csv" 0
			sed -i -e 's/^    preferredLanguage: .*/&\n  update: [cn, givenName, sn, mail, displayName]\n  absent: disable/' \
				-e 's/^  max_create: 10000000$/&\n  max_disable: 10000000\n  max_disable_percent: 100/' "$work/s.yaml"
			sed "s|$work/s$n/users.csv|$work/s$n/changed.csv|" "$work/s.yaml" >"$work/c.yaml"
			ls=() ps=() rs=() cs=()
			for round in $(seq "$repeat"); do
				m=$("$py" "$here/measure.py" /dev/null "$work/l.err" env LDAPTLS_CACERT="$LDAPENROLL_SANDBOX_CA" \
					ldapsearch -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$LDAPENROLL_SANDBOX_BIND_DN" \
					-y "$LDAPENROLL_SANDBOX_BIND_PASSWORD_FILE" -E pr=500/noprompt -b "$base" '(objectClass=*)' \
					objectClass pwdAccountLockedTime pwdReset pwdPolicySubentry description uid member cn \
					givenName sn mail displayName)
				[ "$(field rc "$m")" = 0 ] || { echo "ldapsearch failed" >&2; tail -n 3 "$work/l.err" >&2; exit 1; }
				ls+=("$(field seconds "$m")")
				lrss=$(field maxrss_mb "$m")
				m=$("$py" "$here/measure.py" "$work/p.json" "$work/p.err" "$le" -q -c "$work/s.yaml" sync --format json)
				[ "$(field rc "$m")" = 0 ] || { echo "the steady preview failed" >&2; tail -n 3 "$work/p.err" >&2; exit 1; }
				"$py" -c 'import json,sys; s=json.load(open(sys.argv[1]))["summary"]; sys.exit(any(s[k] for k in ("create_person","update_person","disable_person","enable_person")))' "$work/p.json" ||
					{ echo "the steady state is not: the preview plans changes" >&2; exit 1; }
				ps+=("$(field seconds "$m")")
				rs+=("$(field maxrss_mb "$m")")
				m=$("$py" "$here/measure.py" /dev/null "$work/p.err" "$le" -q -c "$work/c.yaml" sync --format json --output "$work/c.json")
				[ "$(field rc "$m")" = 0 ] || { echo "the 1% preview failed" >&2; tail -n 3 "$work/p.err" >&2; exit 1; }
				cs+=("$(field seconds "$m")")
			done
			# The 1% applied, once, after the rounds (it changes the
			# directory): the hourly run that writes.
			m=$("$py" "$here/measure.py" /dev/null "$work/a.err" "$le" -v --log-format logfmt -c "$work/c.yaml" sync --apply)
			summary=$(grep 'msg=finished' "$work/a.err" || true)
			[ "$(field rc "$m")" = 0 ] && [ -n "$summary" ] || { echo "the 1% apply failed" >&2; tail -n 3 "$work/a.err" >&2; exit 1; }
			applied+=("$(printf '%9s %7s %10.2f %12.2f %14.3f' "$n" "$mode" "$(field seconds "$m")" \
				"$(field directory_seconds "$summary")" "$(sed -n 's/.*verifying \([0-9.]*\)s.*/\1/p' "$work/a.err" | head -n 1)")")
			sd=$(echo "${ls[*]}" | median)
			ss=$(echo "${ps[*]}" | median)
			local rss cd
			rss=$(echo "${rs[*]}" | median)
			cd=$(echo "${cs[*]}" | median)
			# The search and the agent back to back: their ratio in each
			# round shows how much of the spread is the machine's.
			local rounds="" k
			for k in "${!ls[@]}"; do rounds+=" $(ratio "${ps[$k]}" "${ls[$k]}")"; done
			printf '%9s %7s %13.2f %13.2f %7s %11.0f %13.2f %7s  %s\n' "$n" "$mode" "$sd" "$ss" "$(ratio "$ss" "$sd")" \
				"$(awk -v r="$rss" -v n="$n" 'BEGIN { print r * 1048576 / n }')" "$cd" "$(ratio "$cd" "$ss")" "$rounds"
			printf '%s %s %s %s %s %s %s\n' "$n" "$mode" "$sd" "$ss" "$cd" "$rss" "${lrss:-0}" >>"$results/steady.dat"
		done
		rm -rf "$work/s$n"
	done
	echo "targets: no change <= 1.2x ldapsearch, <= 600 B per person; 1% changed <= 1.3x no change"
	echo
	echo "the 1% changed applied (sync --apply, once per size and mode, after the rounds):"
	printf '%9s %7s %10s %12s %14s\n' people mode "whole s" "directory s" "final check s"
	printf '%s\n' "${applied[@]}"
	plot_steady
}

# The plot of (f): seconds and peak RSS against people, the agent against
# ldapsearch, per mode (gnuplot, installed when missing).
plot_steady() {
	local mode
	if ! command -v gnuplot >/dev/null; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gnuplot-nox >/dev/null 2>&1 ||
			{ echo "(no plot: gnuplot-nox could not be installed)"; return 0; }
	fi
	for mode in fsync nosync; do
		awk -v m="$mode" '$2 == m' "$results/steady.dat" | sort -n >"$work/steady-$mode.dat"
	done
	gnuplot <<GNUPLOT
set terminal svg size 960,440 font "sans,11"
set output "$results/steady.svg"
set multiplot layout 1,2 title "ldapenroll sync (nothing to do) vs ldapsearch -E pr=500 of the same subtree and attributes"
set key top left
set xlabel "people in the directory"
set format x "%.0s%c"
set offsets graph 0.05, graph 0.05, graph 0.05, 0
set yrange [0:*]
set ylabel "seconds (median)"
plot "$work/steady-fsync.dat" using 1:4 with linespoints lw 2 title "ldapenroll, fsync", \\
     "$work/steady-fsync.dat" using 1:3 with linespoints dt 2 title "ldapsearch, fsync", \\
     "$work/steady-nosync.dat" using 1:4 with linespoints lw 2 title "ldapenroll, no fsync", \\
     "$work/steady-nosync.dat" using 1:3 with linespoints dt 2 title "ldapsearch, no fsync"
set ylabel "peak RSS, MB"
plot "$work/steady-nosync.dat" using 1:6 with linespoints lw 2 title "ldapenroll", \\
     "$work/steady-nosync.dat" using 1:7 with linespoints dt 2 title "ldapsearch", \\
     "$work/steady-nosync.dat" using 1:(\$1 * 600 / 1048576) with lines dt 3 title "target: 600 B per person"
unset multiplot
GNUPLOT
	echo "plot: $results/steady.svg (data: $results/steady.dat)"
}

# (g) mail over several connections: sync --apply of mail_n people (3
# messages each) on a fresh sandbox per setting; the mail phase's rate.
mail_curve() {
	local k m summary base_rate=
	echo
	echo "== (g) mail: notify.connections (3 messages per person, $mail_n people, the sandbox's SMTP server)"
	mkdir -p "$work/mc"
	"$py" "$here/gen.py" "$mail_n" "$work/mc" "$base" "$policy" --csv-only
	printf '%12s %12s %10s %7s\n' connections messages "msgs/s" ratio
	for k in $connections; do
		fresh_sandbox nosync
		config "$work/mc.yaml" "$work/mc/users.csv" 1
		printf '  connections: %s\n' "$k" >>"$work/mc.yaml"
		m=$("$py" "$here/measure.py" /dev/null "$work/mc.err" "$le" --log-format logfmt -c "$work/mc.yaml" sync --apply)
		summary=$(grep 'msg=finished' "$work/mc.err" || true)
		[ "$(field rc "$m")" = 0 ] && [ -n "$summary" ] || { echo "ldapenroll failed:" >&2; tail -n 5 "$work/mc.err" >&2; exit 1; }
		local sent rate
		sent=$(field messages_sent "$summary")
		rate=$(rate "$sent" "$(field mail_seconds "$summary")")
		base_rate=${base_rate:-$rate}
		printf '%12s %12s %10s %7s\n' "$k" "$sent" "$rate" "$(ratio "$rate" "$base_rate")"
	done
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

mkdir -p "$results"
if [ "$only" = steady ]; then
	echo "ldapenroll benchmark (steady state only): $(nproc) cores, $(uname -r)"
	: >"$results/steady.dat"
	steady
	exit 0
fi
if [ "$only" = create ]; then
	creation
	exit 0
fi
if [ "$only" = mail ]; then
	echo "ldapenroll benchmark (mail only): $(nproc) cores, $(uname -r)"
	mail_curve
	exit 0
fi
: >"$results/steady.dat"

creation
echo
echo "== (d) the preview: sync --format json against an empty directory"
fresh_sandbox nosync
for n in $preview_rows; do
	mkdir -p "$work/p$n"
	"$py" "$here/gen.py" "$n" "$work/p$n" "$base" "$policy" --csv-only
	config "$work/p$n.yaml" "$work/p$n/users.csv" 0
	m=$("$py" "$here/measure.py" /dev/null "$work/p.err" "$le" -q -c "$work/p$n.yaml" sync --format json --output "$work/p$n.json")
	[ "$(field rc "$m")" = 0 ] || { echo "the preview failed:" >&2; tail -n 5 "$work/p.err" >&2; exit 1; }
	printf '%8s rows: %6.2f s, peak RSS %s MB, plan %s MB (targets for 1,000,000: < 30 s, < 1024 MB)\n' "$n" \
		"$(field seconds "$m")" "$(field maxrss_mb "$m")" "$(($(stat -c %s "$work/p$n.json") / 1048576))"
	rm -rf "$work/p$n" "$work/p$n.json"
done

echo
echo "== (e) mail: one reused connection vs one connection (a curl process) per message"
printf 'From: it@example.com\r\nTo: x@bench.example\r\nSubject: bench\r\n\r\nHello\r\n' >"$work/msg.eml"
# The SMTP password goes to curl in a netrc file, not on its command line.
(umask 077 && printf 'machine localhost login %s password %s\n' "$LDAPENROLL_SANDBOX_SMTP_USER" \
	"$(cat "$LDAPENROLL_SANDBOX_SMTP_PASSWORD_FILE")" >"$work/netrc")
t0=$(date +%s.%N)
for i in $(seq "$mail_n"); do
	curl -s --ssl-reqd --cacert "$LDAPENROLL_SANDBOX_CA" --netrc-file "$work/netrc" \
		--mail-from it@example.com --mail-rcpt "m$i@bench.example" -T "$work/msg.eml" "$LDAPENROLL_SANDBOX_SMTP_URL" ||
		{ echo "curl failed" >&2; exit 1; }
done
t1=$(date +%s.%N)
curl_rate=$(awk -v n="$mail_n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')
printf 'curl per message: %s messages/s (%s messages); ldapenroll, one connection: %s messages/s; ratio %s (target >= 10)\n' \
	"$curl_rate" "$mail_n" "$mail_rate" "$(ratio "$mail_rate" "$curl_rate")"

mail_curve
steady

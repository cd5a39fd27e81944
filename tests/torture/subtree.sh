# Subtrees of the sandbox for the torture modes that write (sourced by
# torture.sh, with $top, $work and the sandbox's variables set). Sourcing
# makes $top afresh.
[ -n "${LDAPENROLL_SANDBOX_ADMIN_DN:-}" ] ||
	{ echo "FAIL: this mode needs a running sandbox (LDAPENROLL_SANDBOX)" >&2; exit 1; }

admin() {
	local tool=$1
	shift
	"$tool" -x -ZZ -H "$LDAPENROLL_SANDBOX_LDAP_URI" -D "$LDAPENROLL_SANDBOX_ADMIN_DN" \
		-y "$LDAPENROLL_SANDBOX_ADMIN_PASSWORD_FILE" "$@"
}

# setup N: a subtree of its own for run N (with ou=roles), and cfg.N.yaml,
# the example config writing there with its state in state.N.
setup() {
	printf 'dn: ou=a%s,%s\nobjectClass: organizationalUnit\nou: a%s\n\n' "$1" "$top" "$1" >"subtree.$1.ldif"
	printf 'dn: ou=roles,ou=a%s,%s\nobjectClass: organizationalUnit\nou: roles\n' "$1" "$top" >>"subtree.$1.ldif"
	admin ldapadd -f "subtree.$1.ldif" >/dev/null || return 1
	rm -f "subtree.$1.ldif"
	sed -e "s|^  base: .*|  base: ou=a$1,$top|" -e "s|^state_dir: .*|state_dir: $work/state.$1|" \
		-e "s|retry_delay: .*|retry_delay: 100ms|" ldapenroll.yaml >"cfg.$1.yaml"
}

top_ou=${top%%,*}
admin ldapdelete -r "$top" >/dev/null 2>&1 || true
printf 'dn: %s\nobjectClass: organizationalUnit\nou: %s\n' "$top" "${top_ou#ou=}" | admin ldapadd >/dev/null

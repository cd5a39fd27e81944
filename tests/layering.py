#!/usr/bin/env python3
"""The layering test: the sources and the built libraries follow the table
of layers that CMakeLists.txt declares (written to BUILD/layers.txt as
"name folder uses,... libraries,..." lines, "-" for none).

It fails when
  - a source file of agent/, config/ or connectors/ lies outside every layer
    folder, or a unit test outside tests/unit/LAYER/;
  - a file includes a header of a layer its own layer may not use (directly
    or through the layers it uses), names a header by a relative path
    ("../agent/...") or by a path that does not exist from the top of the
    tree;
  - a file includes a third-party header (OpenSSL, libldap, libcurl, libyaml)
    that its layer does not declare itself (tests may use any to cross-check
    results), or a layer other than the
    connectors uses libldap's session functions (only its pure string
    helpers are shared);
  - one library's objects need a symbol that a library of a layer it may not
    use defines (a back-edge), or the libraries need each other in a cycle;
  - two or more files of one layer need each other in a cycle.

    tests/layering.py BUILD_DIR SOURCE_DIR
"""
import collections
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)
# Third-party headers, by the package a layer declares to use them.
PACKAGES = [
    (re.compile(r'^openssl/'), 'OpenSSL'),
    (re.compile(r'^(ldap|lber|ldif)\.h$'), 'LDAP'),
    (re.compile(r'^curl/'), 'CURL'),
    (re.compile(r'^yaml\.h$'), 'YAML'),
    (re.compile(r'^microhttpd\.h$'), 'MHD'),
]
# libldap functions that open no session: filter escaping, LDIF, freeing.
LDAP_PURE = re.compile(r'^(ldap_bv2escaped_filter_value\w*|ldif_\w+|ber_memfree\w*|ber_bvfree\w*)$')
LDAP_SYMBOL = re.compile(r'^(ldap_|ber_|ldif_)')


def read_layers(build):
    layers = collections.OrderedDict()
    with open(os.path.join(build, 'layers.txt')) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            name, folder = parts[0], parts[1]
            uses = parts[2].split(',') if parts[2] != '-' else []
            # PkgConfig::LDAP -> LDAP, OpenSSL::Crypto -> OpenSSL
            libs = [l.split('::')[1] if l.startswith('PkgConfig::') else l.split('::')[0]
                    for l in (parts[3].split(',') if parts[3] != '-' else [])]
            layers[name] = {'folder': folder, 'uses': uses, 'libs': libs}
    return layers


def closure(layers):
    """What each layer may use: the layers it names and, through them, theirs.
    Fails on a table with a cycle."""
    done = {}

    def visit(name, path):
        if name in path:
            raise SystemExit('layering: the table of layers has a cycle: %s' % ' -> '.join(path + [name]))
        if name not in done:
            s = set()
            for u in layers[name]['uses']:
                if u not in layers:
                    raise SystemExit('layering: layer %s uses %s, which is not a layer' % (name, u))
                s.add(u)
                s |= visit(u, path + [name])
            done[name] = s
        return done[name]

    for name in layers:
        visit(name, [])
    return done


def layer_of(path, layers):
    """The layer of a file (a path from the top of the tree), or None."""
    best = None
    for name, l in layers.items():
        folder = l['folder'] + '/'
        if path.startswith(folder) and (best is None or len(folder) > len(layers[best]['folder']) + 1):
            best = name
    if best is None and path.startswith('tests/unit/'):
        parts = path.split('/')
        if len(parts) == 4 and parts[2] in layers:
            return parts[2]
    return best


def source_files(src):
    for top in ('agent', 'config', 'connectors', 'tests/unit'):
        for dirpath, _, files in os.walk(os.path.join(src, top)):
            for f in files:
                if f.endswith(('.c', '.h')):
                    yield os.path.relpath(os.path.join(dirpath, f), src)


def check_sources(src, layers, may, problems):
    for path in sorted(source_files(src)):
        layer = layer_of(path, layers)
        if path.startswith('tests/unit/'):
            if os.path.dirname(path) == 'tests/unit':
                continue  # helpers shared by every unit test (scratch.h, columns.h)
            if layer is None:
                problems.append('%s: a unit test lies outside tests/unit/LAYER/' % path)
                continue
        elif layer is None:
            problems.append('%s: not in the folder of any layer' % path)
            continue
        with open(os.path.join(src, path), encoding='utf-8') as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            line = text.count('\n', 0, m.start()) + 1
            kind, name = m.group(1), m.group(2)
            where = '%s:%d' % (path, line)
            if kind == '<':
                # Tests may cross-check against any library.
                for rx, package in PACKAGES if not path.startswith('tests/') else ():
                    if rx.search(name) and package not in layers[layer]['libs']:
                        problems.append('%s: includes <%s>, but layer %s does not use %s' % (where, name, layer, package))
                continue
            if name.startswith('.') or '/../' in name:
                problems.append('%s: includes "%s": name headers from the top of the tree' % (where, name))
                continue
            if not os.path.exists(os.path.join(src, name)):
                problems.append('%s: includes "%s", which is not a path from the top of the tree' % (where, name))
                continue
            if name.startswith('tests/'):
                if not path.startswith('tests/'):
                    problems.append('%s: includes the test header "%s"' % (where, name))
                continue
            target = layer_of(name, layers)
            if target is None:
                problems.append('%s: includes "%s", which belongs to no layer' % (where, name))
            elif target != layer and target not in may[layer]:
                problems.append('%s: includes "%s": layer %s may not use layer %s (it may use: %s)'
                                % (where, name, layer, target, ', '.join(sorted(may[layer])) or 'nothing'))


def nm(archive):
    """{object: (defined, undefined)} of a static library."""
    out = subprocess.run(['nm', '-A', archive], check=True, capture_output=True, text=True).stdout
    objs = collections.defaultdict(lambda: (set(), set()))
    for line in out.splitlines():
        fields = line.split(':', 2)
        if len(fields) < 3:
            continue
        obj = fields[1]
        parts = fields[2].split()
        if len(parts) == 3 and parts[1] in 'TDBRCVWG':
            objs[obj][0].add(parts[2])
        elif len(parts) == 2 and parts[0] == 'U':
            objs[obj][1].add(parts[1])
    return objs


def cycles(graph):
    """The strongly connected components of more than one node."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def check_libraries(build, layers, may, problems):
    symbols = {}
    defined_in = {}
    for name in layers:
        archive = os.path.join(build, 'libldapenroll_%s.a' % name)
        if not os.path.exists(archive):
            problems.append('%s: missing; build the project first' % archive)
            return
        symbols[name] = nm(archive)
        for obj, (defs, _) in symbols[name].items():
            for s in defs:
                defined_in[s] = (name, obj)
    lib_graph = collections.defaultdict(set)
    for name, objs in symbols.items():
        obj_graph = collections.defaultdict(set)
        for obj, (_, undefs) in sorted(objs.items()):
            for s in sorted(undefs):
                if s in defined_in:
                    target, tobj = defined_in[s]
                    if target == name:
                        if tobj != obj:
                            obj_graph[obj].add(tobj)
                        continue
                    lib_graph[name].add(target)
                    if target not in may[name]:
                        problems.append('libldapenroll_%s.a(%s) needs %s from libldapenroll_%s.a(%s): layer %s may not use layer %s'
                                        % (name, obj, s, target, tobj, name, target))
                elif LDAP_SYMBOL.match(s) and name != 'connectors':
                    if 'LDAP' not in layers[name]['libs']:
                        problems.append('libldapenroll_%s.a(%s) uses %s, but layer %s does not use LDAP' % (name, obj, s, name))
                    elif not LDAP_PURE.match(s):
                        problems.append('libldapenroll_%s.a(%s) uses %s: only the connectors talk to servers' % (name, obj, s))
        for comp in cycles(obj_graph):
            problems.append('layer %s: these files need each other: %s' % (name, ' <-> '.join(comp)))
    for comp in cycles(lib_graph):
        problems.append('these libraries need each other: %s' % ' <-> '.join('libldapenroll_%s.a' % c for c in comp))


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    build, src = sys.argv[1], sys.argv[2]
    layers = read_layers(build)
    may = closure(layers)
    problems = []
    check_sources(src, layers, may, problems)
    check_libraries(build, layers, may, problems)
    for p in problems:
        print('layering: %s' % p)
    if problems:
        print('layering: %d problem%s; the table is in CMakeLists.txt (ldapenroll_layer)'
              % (len(problems), '' if len(problems) == 1 else 's'))
        return 1
    print('layering: %d layers, %d files, no back-edge and no cycle'
          % (len(layers), sum(1 for _ in source_files(src))))
    return 0


if __name__ == '__main__':
    sys.exit(main())

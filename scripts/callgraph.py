#!/usr/bin/env python3
"""The layers of src/, checked: each folder of src/ is one layer, and a file
may depend only on its own layer and the layers below it.  A dependency is
any of

  - a call or a table: a function or table a file defines without `static`
    (mcg_*), named in another file;
  - an include: `#include "LAYER/name.h"`;
  - a type: a struct or enum defined in a header, named in another file.

Within a layer, the files (a .c with its .h) must not depend on each other
in a circle, so that they too have an order.  Headers named private here
(the core's journal, the managers' table, the policy engine's state) are
included only inside their layer, and each manager's own state is named
only by that manager.  The README's Layout table lists the same layers,
in the same order, and docs/layout.md names every file under its layer.

    scripts/callgraph.py [-v]      (-v: each file's dependencies too)

scripts/test.sh runs it; it exits 1 on the first kind of breach it finds,
naming each."""
import glob
import os
import re
import sys

# Lowest first: what each layer is for (the README's Layout table says the
# same, in this order).
LAYERS = [
    ("base", "errors, value parsers, mountinfo, unit names, helpers' output, user lookups: nothing of a run"),
    ("core", "the cgroup core: a run, discovery, the managers (cgroupfs, systemd), joins, the undo journal, the signal guard"),
    ("settings", "the table of settings, each one's v1 file and v2 mapping, a policy's values to a file's text"),
    ("policy", "the policy engine: the mruby VM, module Cgroup and its classes, reading the policy file"),
    ("render", "a record drawn: the SVG picture; nothing of a run"),
    ("supervisor", "starting COMMAND and staying beside it: --wait, --rm, --timeout, --stats, --record"),
    ("cli", "the command line, the order of work, exit statuses"),
]
# Headers only their own layer may include.
PRIVATE = {"core/run-internal.h", "core/cgroup-manager.h", "policy/policy-internal.h"}
# Each manager's own state (struct mcg_run's member) and the one file that
# may name it.
OWNED = {"cgroupfs": "core/cgroupfs.c", "systemd": "core/systemd.c"}

top = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
src = os.path.join(top, "src")
rank = {name: i for i, (name, _) in enumerate(LAYERS)}
paths = sorted(glob.glob(os.path.join(src, "*", "*.[ch]")))
rel = lambda p: os.path.relpath(p, src)
layer = lambda r: r.split("/")[0]
module = lambda r: r[:-2]  # a .c and its .h are one module
breaches = []

stray = [rel(p) for p in glob.glob(os.path.join(src, "*.[ch]"))]
stray += [rel(p) for p in paths if layer(rel(p)) not in rank]
for r in stray:
    breaches.append("%s is in no layer (the layers: %s)" % (r, " ".join(rank)))

raw = {rel(p): open(p).read() for p in paths}
text = {r: re.sub(r"/\*.*?\*/|//[^\n]*", "", s, flags=re.S) for r, s in raw.items()}
text = {r: re.sub(r'"(?:\\.|[^"\\\n])*"', '""', s) if r.endswith(".c") else s
        for r, s in text.items()}

# what each file defines for others: functions and tables, types
defined = {}
for r, s in text.items():
    if r.endswith(".c"):
        for m in re.finditer(r"^(?!static)[A-Za-z][^\n;(=]*?\b(mcg_\w+)\s*\(", s, flags=re.M):
            defined.setdefault(m.group(1), r)
        for m in re.finditer(r"^(?!static)(?:const )?struct \w+ (mcg_\w+)\s*(?:=|\[)", s, flags=re.M):
            defined.setdefault(m.group(1), r)
types = {}
for r, s in text.items():
    if r.endswith(".h"):
        for m in re.finditer(r"^(?:typedef )?(struct|enum) (\w+) \{", s, flags=re.M):
            types.setdefault("%s %s" % m.groups(), r)

deps = {r: {} for r in text}  # file -> {file it depends on: why}
for r, s in text.items():
    # a header declares what several files define: its own dependencies
    # are its includes and types
    for name, g in (defined.items() if r.endswith(".c") else ()):
        if module(g) != module(r) and re.search(r"(?<!enum )(?<!struct )\b%s\b" % name, s):
            deps[r].setdefault(g, "calls %s" % name)
    for t, g in types.items():
        if module(g) != module(r) and re.search(r"\b%s\b" % t.replace(" ", r"\s+"), s):
            deps[r].setdefault(g, "names %s" % t)
for r, s in raw.items():
    for m in re.finditer(r'^\s*#\s*include "([^"]+)"', s, flags=re.M):
        h = m.group(1)
        if h not in raw:
            if "/" in h:
                breaches.append("%s includes %s, which is not in src/" % (r, h))
            continue
        if module(h) != module(r):
            deps[r].setdefault(h, "includes %s" % h)
        if h in PRIVATE and layer(h) != layer(r):
            breaches.append("%s includes %s, which is private to the %s layer" % (r, h, layer(h)))

for r, d in sorted(deps.items()):
    for g, why in sorted(d.items()):
        if layer(g) in rank and layer(r) in rank and rank[layer(g)] > rank[layer(r)]:
            breaches.append("%s (%s) %s: a dependency on the %s layer above it"
                            % (r, layer(r), why, layer(g)))

for member, owner in OWNED.items():
    for r, s in text.items():
        if r != owner and re.search(r"(->|\.)%s\." % member, s):
            breaches.append("%s names the %s manager's own state (run->%s), which only %s may"
                            % (r, member, member, owner))

# circles between modules (a .c with its .h); a header with no .c of its
# own declares a layer's shared types and functions, and is no module
mods = sorted({module(r) for r in text})
shared = {m for m in mods if m + ".c" not in text}
mdeps = {m: set() for m in mods}
for r, d in deps.items():
    for g in d:
        if module(g) != module(r) and module(g) not in shared and module(r) not in shared:
            mdeps[module(r)].add(module(g))
index, low, stack, on, circles = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in mdeps[v]:
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
            circles.append(comp)
sys.setrecursionlimit(10000)
for m in mods:
    if m not in index:
        visit(m)
if "-m" in sys.argv:
    for m in mods:
        print("module %s -> %s" % (m, " ".join(sorted(mdeps[m]))))
for c in circles:
    breaches.append("these files depend on each other in a circle: %s" % " ".join(sorted(c)))

# the README's Layout table and docs/layout.md say the same
readme = open(os.path.join(top, "README.md")).read()
sec = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, flags=re.M | re.S)
listed = re.findall(r"^\| `src/(\w+)/` \|", sec.group(1), flags=re.M) if sec else []
if listed != [n for n, _ in LAYERS]:
    breaches.append("README.md's Layout table lists %s; the layers are %s"
                    % (listed or "nothing", [n for n, _ in LAYERS]))
doc = open(os.path.join(top, "docs", "layout.md")).read()
for m in mods:
    where = re.search(r"^### `src/(\w+)/`(?:(?!^### ).)*^\| `src/%s\.[ch]`" % re.escape(m), doc,
                      flags=re.M | re.S)
    if not where or where.group(1) != layer(m):
        breaches.append("docs/layout.md does not name src/%s.c (or .h) under its layer (src/%s/)"
                        % (m, layer(m)))

if "-v" in sys.argv:
    for r in sorted(deps):
        print("%s -> %s" % (r, ", ".join("%s (%s)" % (g, w) for g, w in sorted(deps[r].items()))))
if breaches:
    for b in breaches:
        print("callgraph:", b)
    sys.exit(1)

if "-v" in sys.argv:
    for r in sorted(deps):
        print("%s -> %s" % (r, " ".join(sorted(deps[r]))))
for name, _ in LAYERS:
    print("%-10s %s" % (name, " ".join(sorted(rel.split("/")[1] for rel in text
                                                if layer(rel) == name))))
print("callgraph: %d files in %d layers, no dependency runs up, no circle" % (len(text), len(LAYERS)))

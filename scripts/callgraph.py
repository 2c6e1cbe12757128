#!/usr/bin/env python3
"""Which C file of src/ calls which: every function or table a file defines
without `static` (mcg_*), and the other files that name it.  Prints the
files by level (a file calls only files of lower levels) and exits 1 if any
files call each other in a circle, which would leave no such order.

    scripts/callgraph.py [-v]      (-v: each file's callees too)

scripts/test.sh runs it: the layering of the cgroup core (run, guard,
hierarchy, undo, the managers, manager.c, join) and of the policy engine
above it is checked, not only described."""
import glob
import os
import re
import sys

files = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "src", "*.c")))
text = {f: re.sub(r"/\*.*?\*/", "", open(f).read(), flags=re.S) for f in files}
defined = {}
for f, s in text.items():
    for m in re.finditer(r"^(?!static)[A-Za-z][^\n;(=]*?\b(mcg_\w+)\s*\(", s, flags=re.M):
        defined.setdefault(m.group(1), f)
    for m in re.finditer(r"^(?!static)(?:const )?struct \w+ (mcg_\w+)\s*(?:=|\[)", s, flags=re.M):
        defined.setdefault(m.group(1), f)
calls = {f: {g for name, g in defined.items() if g != f and re.search(r"\b%s\b" % name, s)}
         for f, s in text.items()}

# circles: the strongly connected components with more than one file
index, low, stack, on, circles = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in calls[v]:
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
for f in files:
    if f not in index:
        visit(f)
name = lambda f: os.path.basename(f)
if circles:
    for c in circles:
        print("callgraph: these files call each other in a circle:", " ".join(sorted(map(name, c))))
    sys.exit(1)

level = {}
def lv(f):
    if f not in level:
        level[f] = 1 + max((lv(g) for g in calls[f]), default=-1)
    return level[f]
for f in files:
    lv(f)
for n in range(max(level.values()) + 1):
    print("level %d: %s" % (n, " ".join(name(f) for f in files if level[f] == n)))
if "-v" in sys.argv:
    for f in files:
        print("%s -> %s" % (name(f), " ".join(sorted(map(name, calls[f])))))
print("callgraph: %d files, no circle" % len(files))

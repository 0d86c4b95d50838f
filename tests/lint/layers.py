#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The shape of src/: layers that point one way, no include cycle inside a module, short files.

Fails (exit 1, one line per finding) when
- a file of module M includes "X/..." and M -> X is not an edge of ALLOWED below (an include
  that points up or sideways, docs/design.md "Modules and layers");
- the files of one module depend on each other in a cycle. A node is a component: a .c and
  its own .h. A header with no .c of its own (a module's internal.h, a backend's ops table) is
  no node: what includes it depends on what it includes;
- a source file is longer than MAX_LINES.
Usage: layers.py SRC_DIR
"""
import os
import re
import sys

MAX_LINES = 800

# Who may include whom. A module includes only modules below it; the one sideways edge is
# cfn -> client (the custom-resource handler is a client of the broker's HTTP API).
ALLOWED = {
    "core": set(),
    "addr": {"core"},
    "registry": {"addr", "core"},
    "aws": {"core"},
    "broker": {"registry", "aws", "addr", "core"},
    "proof": {"broker", "registry", "aws", "addr", "core"},
    "api": {"proof", "broker", "registry", "aws", "addr", "core"},
    "client": {"proof", "broker", "registry", "aws", "addr", "core"},
    "probe": {"core"},
    "cfn": {"client", "probe", "proof", "broker", "registry", "aws", "addr", "core"},
    "cli": {"api", "client", "cfn", "probe", "proof", "broker", "registry", "aws", "addr", "core"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def source_files(src):
    for root, _, names in os.walk(src):
        for name in sorted(names):
            if name.endswith((".c", ".h")):
                path = os.path.join(root, name)
                yield os.path.relpath(path, src), path


def node_of(rel):
    """A file's component: a .c and its own .h are one."""
    return os.path.splitext(rel)[0]


def component_graph(includes, components):
    """Edges between components of one module; header-only files are looked through."""
    graph = {}

    def reach(node, seen):
        for target in includes.get(node, ()):
            if target in components:
                yield target
            elif target not in seen:
                seen.add(target)
                yield from reach(target, seen)

    for node in components:
        graph[node] = {t for t in reach(node, {node}) if t != node}
    return graph


def find_cycles(graph):
    """Strongly connected components with more than one node (Tarjan, iterative)."""
    index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], [0]
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: layers.py SRC_DIR", file=sys.stderr)
        return 2
    src = argv[1]
    findings = []
    includes = {}  # component or header-only file -> same-module nodes it includes
    components = set()
    for rel, path in source_files(src):
        module = rel.split(os.sep)[0] if os.sep in rel else None
        with open(path, encoding="utf-8", errors="replace") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) > MAX_LINES:
            findings.append(f"{rel}: {len(lines)} lines (at most {MAX_LINES}: split it by its seams)")
        if module is None:
            continue
        if module not in ALLOWED:
            findings.append(f"{rel}: module '{module}' is not in the layer table of {argv[0]}")
            continue
        me = node_of(rel)
        includes.setdefault(me, set())
        if rel.endswith(".c"):
            components.add(me)
        for number, line in enumerate(lines, 1):
            m = INCLUDE.match(line)
            if not m or "/" not in m.group(1):
                continue
            target = m.group(1).split("/")[0]
            if target == module:
                other = node_of(m.group(1))
                if other != me:
                    includes[me].add(other)
            elif target in ALLOWED and target not in ALLOWED[module]:
                findings.append(f"{rel}:{number}: {module} -> {target} points up or sideways "
                                f"(includes \"{m.group(1)}\")")
    for cycle in find_cycles(component_graph(includes, components)):
        findings.append("include cycle: " + " -> ".join(cycle) + " -> " + cycle[0])
    for finding in findings:
        print(finding)
    if findings:
        print(f"{len(findings)} finding(s): see docs/design.md, 'Modules and layers'")
        return 1
    print("layers: every include points down, no cycle, no file over "
          f"{MAX_LINES} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Code written twice in src/: runs of MIN_LINES or more lines that stand in two places.

Two kinds of twin are found: the same lines (blank lines, comments and punctuation-only
lines aside, whitespace ignored), and lines of the same shape (the same code with other
names, numbers and strings) over SHAPE_MIN_LINES or more. #include lines do not count, and
rows of a table (no call, no statement) count only as the same lines, not as a shape. A twin that is alike by accident
goes in twins.allow with its reason; every other one fails the check, so a new copy is
mended into one piece of code (or explained) when it is written.
Usage: twins.py SRC_DIR ALLOW_FILE        (prints the allow-file line of each twin it finds)
"""
import hashlib
import os
import re
import sys

MIN_LINES = 6
SHAPE_MIN_LINES = 12
COMMON = 8  # a run standing in more places than this is an idiom, not a copy

KEYWORDS = set("""auto break case char const continue default do double else enum extern float
for goto if inline int long register restrict return short signed sizeof static struct switch
typedef union unsigned void volatile while bool true false NULL size_t""".split())
TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|[A-Za-z_]\w*|\d[\w.]*|\S')


def code_lines(path):
    """(line number, text) of the lines that count: no blanks, comments or lone punctuation."""
    out, in_comment = [], False
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, raw in enumerate(f, 1):
            line = raw.strip()
            if in_comment:
                if "*/" not in line:
                    continue
                line, in_comment = line.split("*/", 1)[1].strip(), False
            line = re.sub(r"/\*.*?\*/", "", line).strip()
            if "/*" in line:
                line, in_comment = line.split("/*", 1)[0].strip(), True
            line = line.split("//", 1)[0].strip() if not line.startswith('"') else line
            if not re.search(r"\w", line) or line.startswith("#include"):
                continue
            out.append((number, " ".join(line.split())))
    return out


def shape(text):
    parts = []
    for tok in TOKEN.findall(text):
        if tok[0] in "\"'":
            parts.append("S")
        elif tok[0].isdigit():
            parts.append("N")
        elif (tok[0].isalpha() or tok[0] == "_") and tok not in KEYWORDS:
            parts.append("I")
        else:
            parts.append(tok)
    return " ".join(parts)


def data_line(text):
    """A row of a table (strings, names, numbers and commas only): shape says nothing of it."""
    return not any(c in text for c in "(;=")


def runs(files, key, width, skip=None):
    """Maximal runs of `width`+ equal keys between two places: (a, ia, b, ib, length)."""
    buckets = {}
    for name, lines in files.items():
        keys = [None if skip and skip(t) else key(t) for _, t in lines]
        for i in range(len(keys) - width + 1):
            if None in keys[i:i + width]:
                continue
            buckets.setdefault("\n".join(keys[i:i + width]), []).append((name, i))
    diagonals = {}
    for places in buckets.values():
        if len(places) < 2 or len(places) > COMMON:
            continue
        for x in range(len(places)):
            for y in range(x + 1, len(places)):
                (a, ia), (b, ib) = sorted((places[x], places[y]))
                if a == b and abs(ia - ib) < width:
                    continue  # a run overlapping itself (a repeated line)
                diagonals.setdefault((a, b, ia - ib), []).append(ia)
    found = []
    for (a, b, diag), starts in diagonals.items():
        starts.sort()
        first = prev = starts[0]
        for s in starts[1:] + [None]:
            if s is not None and s == prev + 1:
                prev = s
                continue
            found.append((a, first, b, first - diag, prev - first + width))
            if s is not None:
                first = prev = s
    return found


def main(argv):
    if len(argv) != 3:
        print("usage: twins.py SRC_DIR ALLOW_FILE", file=sys.stderr)
        return 2
    src, allow_path = argv[1], argv[2]
    files = {}
    for root, _, names in os.walk(src):
        for n in sorted(names):
            if n.endswith((".c", ".h")):
                path = os.path.join(root, n)
                files[os.path.relpath(path, src)] = code_lines(path)
    allowed = {}
    with open(allow_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                allowed[line.split()[0]] = line
    twins = {}
    kept = []  # (a, b, a_first, a_last, b_first, b_last) of each twin reported
    for kind, key, width, skip in (("same", lambda t: t, MIN_LINES, None),
                                   ("shape", shape, SHAPE_MIN_LINES, data_line)):
        # Longest first: a shorter run overlapping a reported one of the same pair is part of it.
        for a, ia, b, ib, length in sorted(runs(files, key, width, skip), key=lambda r: -r[4]):
            box = (a, b, ia, ia + length - 1, ib, ib + length - 1)
            if any(k[0] == a and k[1] == b and k[2] <= box[3] and box[2] <= k[3] and
                   k[4] <= box[5] and box[4] <= k[5] for k in kept):
                continue
            kept.append(box)
            text = "\n".join(key(t) for _, t in files[a][ia:ia + length])
            fp = hashlib.sha1(text.encode()).hexdigest()[:12]
            where = (f"{a}:{files[a][ia][0]}-{files[a][ia + length - 1][0]} ~ "
                     f"{b}:{files[b][ib][0]}-{files[b][ib + length - 1][0]}")
            twins[fp] = (box, kind, length, where)
    new = [(fp, t) for fp, t in twins.items() if fp not in allowed]
    stale = [line for fp, line in allowed.items() if fp not in twins]
    for fp, (_, kind, length, where) in sorted(new, key=lambda x: -x[1][2]):
        print(f"{fp} {kind} {length} lines: {where}")
    for line in stale:
        print(f"stale entry in {os.path.basename(allow_path)} (no such twin any more): {line}")
    if new or stale:
        print(f"{len(new)} twin(s) not in {allow_path}, {len(stale)} stale entr(ies): make the "
              "code one piece, or add the line above with the reason it is alike by accident")
        return 1
    print(f"twins: {len(twins)} known twin(s), all explained in {os.path.basename(allow_path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""merge-check.py MERGED A B...: is MERGED's "valid" exactly the intersection
of the "valid" ranges of A, B, ... ?  A trivial model with Python integers:
walk every boundary of every input and test membership of each piece."""
import json
import sys


def ranges(path):
    with open(path) as f:
        return [(int(r["start"], 16), int(r["last"], 16)) for r in json.load(f)["valid"]]


def member(rs, x):
    return any(s <= x <= l for s, l in rs)


merged = ranges(sys.argv[1])
inputs = [ranges(p) for p in sys.argv[2:]]
points = {0, 2**64}
for rs in inputs + [merged]:
    for s, l in rs:
        points.update((s, l + 1))
points = sorted(points)
bad = [hex(p) for p in points[:-1]
       if member(merged, p) != all(member(rs, p) for rs in inputs)]
if bad:
    print("merge differs from the intersection at", ", ".join(bad[:5]))
    sys.exit(1)
print("merge of %d hosts equals the intersection (%d ranges)" % (len(inputs), len(merged)))

#!/usr/bin/env python3
"""What the linter is asked, by program length: every lint call of a one-worker run
(seed 1) on the inputs of benches/scaling.py, sorted by the kind of state it lints and
weighted by the bytes of that state.

A call's cost grows with the state it is given, and states shrink along a trajectory, so
counting calls misleads: the states that matter are the long ones, early in the
trajectory. This script sizes what an incremental linter could save before it is built:

- kind of call: a state with a syntax error (E0001), or a valid state after a clean one
  (one block of lines taken out, or some other change; clean again, or with a finding),
  after a state with a finding, after a syntax error;
- for valid states (the only ones that get a tree, a model and the checks): where the
  lines that changed since the row's last valid state are: inside one def body (of a
  top-level function, or of a method of a top-level class: the unit that
  `docs/incremental-analysis.md` proposes to re-analyse alone), in one other statement
  (top-level, or in a class body: some of its lines, or all of it), inside several def
  bodies, or elsewhere (a def's or class's header, several kinds of unit).

It builds lintseq with the `trace-calls` feature (every call written to the file named by
LINTSEQ_TRACE, src/trace.rs) into target/trace, unless --binary names such a build.

    python3 benches/call_taxonomy.py [--corpus out/corpus.jsonl] [--binary PATH]
"""

import argparse
import ast
import collections
import difflib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scaling  # noqa: E402
from throughput import REPO  # noqa: E402

SIZES = (25, 100, 400, 1600)
ELSEWHERE = "elsewhere (a header, several kinds of unit)"


def build():
    target = os.path.join(REPO, "target", "trace")
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    subprocess.run(["cargo", "build", "--release", "--quiet", "--features", "trace-calls", "--bin", "lintseq"], cwd=REPO, env=env, check=True)
    return os.path.join(target, "release", "lintseq")


def trace(binary, rows, tmp, tag):
    """The lint calls of a run on `rows`, grouped by (row, path), each in call order."""
    inp = os.path.join(tmp, f"{tag}.jsonl")
    with open(inp, "w") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    out = os.path.join(tmp, f"{tag}.trace")
    env = dict(os.environ, LINTSEQ_TRACE=out)
    cmd = [binary, "-q", "-p", inp, "-d", os.path.join(tmp, f"{tag}_out"), "-c", "1", "-s", "1", "--seed", "1"]
    subprocess.run(cmd, env=env, check=True)
    calls = collections.defaultdict(list)
    with open(out) as f:
        for line in f:
            call = json.loads(line)
            calls[(call["row"], call["path"])].append((call["source"], [code for _, code in call["found"]]))
    return calls


def units(source):
    """(first line, last line, first line of the body, kind) of each unit, 1-based: the
    top-level functions, the methods of top-level classes (decorators included), each
    class's other lines, and the other top-level statements."""
    out = []
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            out.append((first, node.end_lineno, node.body[0].lineno, "def"))
        elif isinstance(node, ast.ClassDef):
            first = node.decorator_list[0].lineno if node.decorator_list else node.lineno
            out.append((first, node.body[0].lineno - 1, node.end_lineno + 1, "class header"))
            for member in node.body:
                start = member.decorator_list[0].lineno if getattr(member, "decorator_list", None) else member.lineno
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out.append((start, member.end_lineno, member.body[0].lineno, "def"))
                else:
                    out.append((start, member.end_lineno, start, "statement"))
        else:
            out.append((node.lineno, node.end_lineno, node.lineno, "statement"))
    return out


def where_changed(before, after):
    """Where the lines that differ between two valid states are, in `before`'s units."""
    old, new = before.split("\n"), after.split("\n")
    changed = set()
    for tag, i1, i2, _, _ in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            changed.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    try:
        found = units(before)
    except SyntaxError:
        return ELSEWHERE
    touched = set()
    for line in changed:
        unit = next((u for u in found if u[0] <= line <= u[1]), None)
        if unit is None:
            continue  # a blank or comment line between units
        touched.add((unit, line >= unit[2]))
    kinds = {unit for unit, _ in touched}
    in_bodies = all(body for _, body in touched)
    if len(kinds) == 1 and in_bodies:
        return {"def": "inside one def body", "statement": "one other statement"}.get(next(iter(kinds))[3], ELSEWHERE)
    if kinds and in_bodies and all(u[3] == "def" for u in kinds):
        return "inside several def bodies"
    return ELSEWHERE


def classify(calls):
    """Counts and bytes per kind of call, and of valid calls per place of the change."""
    kinds, places = collections.Counter(), collections.Counter()
    kind_bytes, place_bytes = collections.Counter(), collections.Counter()
    for sequence in calls.values():
        last, last_valid = None, None
        for source, found in sequence:
            if "E0001" in found:
                kind = "syntax error"
            elif last is None:
                kind = "valid, first"
            elif "E0001" in last[1]:
                kind = "valid, after a syntax error"
            elif last[1]:
                kind = "valid, after a finding"
            else:
                old, new = last[0].split("\n"), source.split("\n")
                ops = [o for o in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if o[0] != "equal"]
                cut = "one block taken out" if len(ops) == 1 and ops[0][0] == "delete" else "other change"
                kind = f"valid, after a clean one, {cut}, {'a finding' if found else 'clean'}"
            kinds[kind] += 1
            kind_bytes[kind] += len(source)
            if "E0001" not in found:
                place = where_changed(last_valid, source) if last_valid is not None else "first"
                places[place] += 1
                place_bytes[place] += len(source)
                last_valid = source
            last = (source, found)
    return kinds, kind_bytes, places, place_bytes


def table(title, counts, weights, share):
    total = sum(weights.values())
    print(f"| {title} | calls | share of {share} |")
    print("| --- | --- | --- |")
    for key in sorted(counts, key=lambda k: -weights[k]):
        print(f"| {key} | {counts[key]} | {100 * weights[key] / total:.1f}% |")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="out/corpus.jsonl")
    ap.add_argument("--short", type=int, default=100)
    ap.add_argument("--binary", help="a lintseq built with --features trace-calls")
    args = ap.parse_args()
    binary = args.binary or build()
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            rows = scaling.rows_for(size, args)
            calls = trace(binary, rows, tmp, f"len{size}")
            kinds, kind_bytes, places, place_bytes = classify(calls)
            n_calls = sum(kinds.values())
            print(f"## ~{size} lines: {len(rows)} programs, {n_calls / len(calls):.1f} lint calls and "
                  f"{sum(kind_bytes.values()) / len(calls) / 1e3:.1f} kB linted per sample\n")
            table("kind of call", kinds, kind_bytes, "all bytes linted")
            table("valid state: what changed since the last valid one", places, place_bytes, "valid bytes")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate linter probes: corpus programs with 1-3 lines deleted, labelled by pylint.

A probe is what LintSeq's linter sees on the first steps of a backward trajectory:
take a clean corpus program, draw 1-3 lines the way the sampler does (candidates and
weights as in SPEC section 2), delete each with its indentation children, and label
the result with

- ``pylint``: pylintseq 0.0.2's own ``file_linter`` (imported, not copied, so the
  flags and the filtering are exactly the reference's: ``--disable=C,R``, Error and
  Fatal messages, W0311 and W0231 of the warnings, and for E0001 "... on line N" the
  line N), as ``[[line, code, message], ...]`` sorted by line;
- ``pyflakes``: its undefined-name / unbound-local / undefined-export messages as
  ``[[line, message], ...]`` (empty when the probe does not parse);
- ``parses``: whether ``ast.parse`` accepts the probe; ``compiles``: whether
  ``compile`` does too (it also rejects e.g. ``return`` outside a function).

Programs whose untouched version pylint already flags (an E0401 for a module that is
not installed here, a no-member on a C type, ...) are skipped, so every label is
caused by the deletion. Each probe's random choices come from (seed, program index),
and results are collected in order, so the output does not depend on --jobs.

Usage:
  python3 benches/probes.py --count 400 --out fixtures/probes/python_probes.jsonl
  python3 benches/probes.py --count 1500 --seed 1 --out out/probes/python_probes_large.jsonl
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import multiprocessing
import os
import random
import re
import shutil
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import corpus  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CORPUS = os.path.join(REPO, "out", "corpus", "stdlib.jsonl")


# --- the sampler's view of a program (SPEC section 2) -------------------------------


def candidate_lines(lines: list[str]) -> list[int]:
    """Candidates with the CLI defaults: no blank or comment lines, no continuation
    lines of an upper-case multi-line global definition."""
    base = [i for i, l in enumerate(lines) if l.strip() and not l.lstrip().startswith("#")]
    out, open_kind = [], None
    for i in base:
        line = lines[i]
        if open_kind is None:
            out.append(i)
            lhs = line[: line.find("=")].replace(" ", "") if "=" in line else ""
            if lhs and lhs.isupper() and line.rstrip()[-1] in "([":
                open_kind = ")" if line.rstrip()[-1] == "(" else "]"
        elif line.rstrip()[-1] == open_kind:
            open_kind = None
    return out


def indentation(lines: list[str]) -> tuple[list[int], int | None]:
    indents, tab_width, current = [], None, 0
    for line in lines:
        if len(line.lstrip()) > 1:
            current = len(line) - len(line.lstrip())
        indents.append(current)
        if tab_width is None and current > 0:
            tab_width = current
    return indents, tab_width


def children(t: int, indents: list[int]) -> list[int]:
    if t == len(indents) - 1 or indents[t] >= indents[t + 1]:
        return []
    out = []
    for j in range(t + 1, len(indents)):
        if indents[j] <= indents[t]:
            break
        out.append(j)
    return out


def make_probe_deletion(code: str, rng: random.Random, max_deletions: int) -> tuple[list[int], list[int]]:
    """Draw 1..max_deletions lines (SPEC weights), each with its children.
    Returns (drawn lines, all deleted lines), original 0-based indices."""
    lines = code.split("\n")
    indents, tab_width = indentation(lines)
    cands = candidate_lines(lines)
    weight = {i: 1.0 if indents[i] == 0 else indents[i] / tab_width for i in cands}
    k = rng.randint(1, max_deletions)
    drawn: list[int] = []
    deleted: set[int] = set()
    for _ in range(k):
        remaining = [i for i in cands if i not in deleted]
        if not remaining:
            break
        c = rng.choices(remaining, weights=[weight[i] for i in remaining])[0]
        drawn.append(c)
        deleted.add(c)
        deleted.update(children(c, indents))
    return drawn, sorted(deleted)


# --- labelling -------------------------------------------------------------------------

_WORKDIR: str | None = None


def _init_worker(parent: str) -> None:
    global _WORKDIR
    warnings.filterwarnings("ignore")
    # A private directory: pylint puts the linted file's directory on sys.path, so a
    # stray `json.py` in a shared /tmp would change what it resolves.
    _WORKDIR = tempfile.mkdtemp(dir=parent)


_LINT_CALLS = 0


def pylint_messages(code: str) -> list[list]:
    """pylintseq's verdict on `code`, as sorted [line, code, message] lists."""
    from astroid import MANAGER
    from pylintseq.utils import file_linter

    global _LINT_CALLS
    assert _WORKDIR is not None
    _LINT_CALLS += 1
    # A new module name per call, like pylintseq's temp files: astroid caches modules
    # by name, and reusing one would return the previous program's verdict.
    modname = f"probe_{os.getpid()}_{_LINT_CALLS}"
    path = os.path.join(_WORKDIR, modname + ".py")
    with open(path, "w", encoding="utf-8") as f:
        f.write(code)
    try:
        traces = file_linter(path)
    finally:
        MANAGER.astroid_cache.pop(modname, None)
        os.remove(path)
    out = []
    for msg_id, line_id, _column, msg in traces:
        # Parse errors name the module; keep the label independent of the file name.
        out.append([int(line_id), msg_id, msg.replace(modname, "probe")])
    return sorted(out, key=lambda m: (m[0], m[1], m[2]))


def pyflakes_messages(code: str) -> tuple[bool, bool, list[list]]:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False, False, []
    try:
        compile(code, "<probe>", "exec", dont_inherit=True)
        compiles = True
    except (SyntaxError, ValueError):
        compiles = False
    return True, compiles, [[line, msg] for line, msg in corpus.undefined_names(code, tree)]


def label_program(task: tuple) -> dict | None:
    """Worker: skip a program pylint flags as is, else make and label its probes."""
    prog_index, instruction, code, seed, per_program, max_deletions = task
    untouched = pylint_messages(code)
    if untouched:
        return {"skipped": sorted({m[1] for m in untouched})}
    probes = []
    for k in range(per_program):
        rng = random.Random(f"{seed}:{prog_index}:{k}")
        drawn, deleted = make_probe_deletion(code, rng, max_deletions)
        gone = set(deleted)
        program = "\n".join(l for i, l in enumerate(code.split("\n")) if i not in gone)
        parses, compiles, flakes = pyflakes_messages(program)
        probes.append(
            {
                "source": instruction,
                "source_index": prog_index,
                "drawn": drawn,
                "deleted": deleted,
                "program": program,
                "pylint": pylint_messages(program),
                "pyflakes": flakes,
                "parses": parses,
                "compiles": compiles,
            }
        )
    return {"probes": probes}


def generate(rows: list[dict], count: int, seed: int, jobs: int, per_program: int, max_deletions: int):
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    tasks = (
        (i, rows[i]["instruction"], corpus.code_of(rows[i]), seed, per_program, max_deletions)
        for i in order
    )
    probes: list[dict] = []
    skipped = collections.Counter()
    parent = tempfile.mkdtemp(prefix="lintseq-probes-")
    pool = multiprocessing.get_context("spawn").Pool(jobs, initializer=_init_worker, initargs=(parent,))
    try:
        for result in pool.imap(label_program, tasks, chunksize=2):
            if "skipped" in result:
                skipped["programs"] += 1
                skipped.update(result["skipped"])
                continue
            probes.extend(result["probes"])
            if len(probes) >= count:
                break
            if len(probes) % 100 < per_program:
                print(f"  {len(probes)} probes ...", file=sys.stderr)
    finally:
        pool.terminate()
        pool.join()
        shutil.rmtree(parent, ignore_errors=True)
    probes = probes[:count]
    for n, p in enumerate(probes):
        p["id"] = f"s{seed}-{n:05d}"
    key_order = ["id", "source", "source_index", "drawn", "deleted", "program", "pylint", "pyflakes", "parses", "compiles"]
    return [{k: p[k] for k in key_order} for p in probes], skipped


# --- reporting --------------------------------------------------------------------------

_NUM = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'")


def message_stem(code: str, msg: str) -> str:
    if code == "E0001":
        msg = re.sub(r"^Parsing failed: '", "", msg).rstrip("'")
        msg = re.sub(r"\s*\((?:<unknown>|probe), line \d+\)\s*$", "", msg)
        msg = re.sub(r"\s*\(detected at line \d+\)", "", msg)
        return _NUM.sub("N", msg)
    return _NUM.sub("N", _QUOTED.sub("'X'", msg))


def frequency_table(probes: list[dict]) -> str:
    msgs = collections.Counter()
    probe_has = collections.Counter()
    stems = collections.Counter()
    for p in probes:
        seen = set()
        for line, code, msg in p["pylint"]:
            msgs[code] += 1
            seen.add(code)
            if code == "E0001":
                stems[message_stem(code, msg)] += 1
        for code in seen:
            probe_has[code] += 1
    total = sum(msgs.values())
    out = [
        f"pylint on {len(probes)} probes: {total} messages, "
        f"{sum(1 for p in probes if p['pylint'])} probes flagged, "
        f"{sum(1 for p in probes if not p['parses'])} probes ast.parse rejects",
        f"{'code':<7} {'messages':>8} {'share':>6} {'probes':>6}",
    ]
    for code, n in msgs.most_common():
        out.append(f"{code:<7} {n:>8} {100 * n / total:>5.1f}% {probe_has[code]:>6}")
    out.append("E0001 messages (numbers as N):")
    for stem, n in stems.most_common(15):
        out.append(f"  {n:>5}  {stem}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=DEFAULT_CORPUS, help="corpus JSONL (benches/corpus.py); built if missing")
    ap.add_argument("--count", type=int, default=400)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    ap.add_argument("--jobs", type=int, default=2, help="pylint processes (default 2)")
    ap.add_argument("--per-program", type=int, default=1, help="probes per corpus program")
    ap.add_argument("--max-deletions", type=int, default=3)
    ap.add_argument("--table", action="store_true", help="only print the table of an existing --out file")
    args = ap.parse_args(argv)
    if args.table:
        print(frequency_table(corpus.read_jsonl(args.out)))
        return 0
    if not os.path.exists(args.corpus):
        print(f"building the corpus at {args.corpus}", file=sys.stderr)
        corpus.write_jsonl(corpus.build_corpus(), args.corpus)
    rows = corpus.read_jsonl(args.corpus)
    probes, skipped = generate(rows, args.count, args.seed, args.jobs, args.per_program, args.max_deletions)
    if len(probes) < args.count:
        print(f"warning: only {len(probes)} probes (corpus exhausted)", file=sys.stderr)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        for p in probes:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    reasons = ", ".join(f"{c} {n}" for c, n in skipped.most_common() if c != "programs")
    print(
        f"wrote {len(probes)} probes to {args.out}; skipped {skipped['programs']} programs "
        f"pylint flags untouched (programs per code: {reasons})",
        file=sys.stderr,
    )
    print(frequency_table(probes))
    return 0


if __name__ == "__main__":
    sys.exit(main())

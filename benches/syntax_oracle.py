#!/usr/bin/env python3
"""Compares lintseq's Python syntax check with CPython's `ast.parse` on deletion probes.

A probe is a real top-level function or class (5-80 lines) from the standard library
with 1-3 random lines deleted, sometimes together with their indentation children (as
LintSeq deletes them), sometimes alone. CPython's verdict is `ast.parse`'s SyntaxError
line, or for messages ending in "on line N" the line N (what pylintseq deletes).

Usage:
    python3 benches/syntax_oracle.py [--probes 3000] [--seed 1] [--clean] [--show 20]
        [--bin target/debug/lintseq]

Ours is read from `lintseq lint --format json` when that binary exists, otherwise from
the ignored test `lang::python::syntax::tests::probe_files` (run through cargo).
"""

import argparse
import ast
import collections
import glob
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import warnings

STDLIB = "/root/.pyenv/versions/3.11.7/lib/python3.11"
ON_LINE = re.compile(r"on line (\d+)$")


def cpython_verdict(source):
    """None when ast.parse accepts `source`, else (1-based line, message)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source)
        return None
    except SyntaxError as e:
        msg = e.msg or ""
        m = ON_LINE.search(msg)
        line = int(m.group(1)) if m else (e.lineno or 1)
        return (line, msg)
    except (ValueError, MemoryError, RecursionError) as e:  # null bytes and the like
        return (1, type(e).__name__)


def indents(lines):
    """LintSeq's indentation: leading spaces; lines with stripped length <= 1 inherit."""
    out, current = [], 0
    for line in lines:
        stripped = line.lstrip()
        if len(stripped) > 1:
            current = len(line) - len(stripped)
        out.append(current)
    return out


def children_end(ind, t):
    n = len(ind)
    if t + 1 >= n or ind[t + 1] <= ind[t]:
        return t + 1
    j = t + 1
    while j < n and ind[j] > ind[t]:
        j += 1
    return j


def snippets(paths, min_lines=5, max_lines=80):
    """Top-level functions and classes of 5-80 lines, as source text."""
    out = []
    for path in paths:
        try:
            text = open(path, encoding="utf-8").read()
            tree = ast.parse(text)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        lines = text.split("\n")
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
                end = node.end_lineno
                if min_lines <= end - start <= max_lines:
                    out.append("\n".join(lines[start:end]))
    return out


def reindent(code, unit):
    """Replaces each leading group of 4 spaces by `unit` (tab or 2 spaces)."""
    out = []
    for line in code.split("\n"):
        stripped = line.lstrip(" ")
        n = len(line) - len(stripped)
        out.append(unit * (n // 4) + " " * (n % 4) + stripped)
    return "\n".join(out)


def make_probe(rng, code, hard=False, max_deletions=None):
    if hard:
        style = rng.random()
        if style < 0.25:
            code = reindent(code, "\t")
        elif style < 0.5:
            code = reindent(code, "  ")
    lines = code.split("\n")
    ind = indents(lines)
    deleted = set()
    for _ in range(rng.randint(1, max_deletions or (8 if hard else 3))):
        candidates = [i for i, l in enumerate(lines) if i not in deleted and l.strip() and not l.strip().startswith("#")]
        if not candidates:
            break
        t = rng.choice(candidates)
        deleted.add(t)
        if rng.random() < 0.5:
            deleted.update(range(t + 1, children_end(ind, t)))
    kept = [l for i, l in enumerate(lines) if i not in deleted]
    newline = "\r\n" if hard and rng.random() < 0.2 else "\n"
    return newline.join(kept)


def run_ours(programs, binary, cargo_dir):
    """Our verdict per program: None or (1-based line, message)."""
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, prog in enumerate(programs):
            p = os.path.join(tmp, f"p{i:06d}.py")
            with open(p, "w", encoding="utf-8", newline="") as f:
                f.write(prog)
            paths.append(p)
        verdicts = {p: None for p in paths}
        if binary and os.path.exists(binary):
            listing = os.path.join(tmp, "files.txt")
            chunk = 500
            out_lines = []
            for k in range(0, len(paths), chunk):
                r = subprocess.run([binary, "lint", "--format", "json"] + paths[k : k + chunk], capture_output=True, text=True)
                out_lines.extend(r.stdout.splitlines())
        else:
            listing = os.path.join(tmp, "files.txt")
            with open(listing, "w") as f:
                f.write("\n".join(paths))
            env = dict(os.environ, LINTSEQ_SYNTAX_PROBES=listing)
            r = subprocess.run(
                ["cargo", "test", "-q", "--lib", "lang::python::syntax::tests::probe_files", "--", "--ignored", "--nocapture"],
                capture_output=True, text=True, env=env, cwd=cargo_dir,
            )
            if r.returncode != 0:
                sys.exit("cargo test failed:\n" + r.stderr[-3000:] + r.stdout[-3000:])
            out_lines = r.stdout.splitlines()
        for line in out_lines:
            if not line.startswith("{"):
                continue
            d = json.loads(line)
            if d.get("code") == "E0001" and verdicts.get(d["path"]) is None:
                verdicts[d["path"]] = (d["line"], d["message"])
        return [verdicts[p] for p in paths]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--probes", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--clean", action="store_true", help="check the unmodified snippets instead")
    ap.add_argument("--clean-all", action="store_true", help="check every top-level def/class and every whole stdlib file")
    ap.add_argument("--show", type=int, default=20)
    ap.add_argument("--bin", default="")
    ap.add_argument("--cargo-dir", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                    help="crate whose ignored test probe_files prints our verdicts (when --bin is not given)")
    ap.add_argument("--max-deletions", type=int, default=None, help="delete up to this many lines (default 3, or 8 with --hard)")
    ap.add_argument("--root", default=STDLIB, help="directory whose *.py files (recursively) are sampled")
    ap.add_argument("--hard", action="store_true", help="up to 8 deletions; tab, 2-space and CRLF variants")
    ap.add_argument("--stats", action="store_true", help="only print CPython's message distribution")
    args = ap.parse_args()

    rng = random.Random(args.seed)
    pattern = os.path.join(args.root, "*.py") if args.root == STDLIB else os.path.join(args.root, "**", "*.py")
    pool = snippets(sorted(glob.glob(pattern, recursive=True)))
    if args.clean_all:
        paths = sorted(glob.glob(os.path.join(STDLIB, "**", "*.py"), recursive=True))
        programs = snippets(paths, 0, 10**9)
        for path in paths:
            try:
                programs.append(open(path, encoding="utf-8").read())
            except (UnicodeDecodeError, OSError):
                pass
    elif args.clean:
        programs = pool
    else:
        programs = [make_probe(rng, rng.choice(pool), args.hard, args.max_deletions) for _ in range(args.probes)]
    theirs = [cpython_verdict(p) for p in programs]
    if args.stats:
        c = collections.Counter(ON_LINE.sub("on line N", t[1]) if t else "OK" for t in theirs)
        for msg, n in c.most_common():
            print(f"{n:6d} {msg}")
        return
    ours = run_ours(programs, args.bin, args.cargo_dir)
    agree_any = agree_line = 0
    misses = []
    by_msg = collections.Counter()
    for prog, t, o in zip(programs, theirs, ours):
        same_any = (t is None) == (o is None)
        same_line = same_any and (t is None or t[0] == o[0])
        agree_any += same_any
        agree_line += same_line
        if not same_line:
            misses.append((prog, t, o))
            by_msg[ON_LINE.sub("on line N", t[1]) if t else "OK"] += 1
    n = len(programs)
    print(f"programs: {n}  syntax errors (CPython): {sum(t is not None for t in theirs)}")
    print(f"agree on error/no error: {agree_any}/{n} = {100 * agree_any / n:.2f}%")
    print(f"agree on line:           {agree_line}/{n} = {100 * agree_line / n:.2f}%")
    for msg, k in by_msg.most_common():
        print(f"  misses with CPython message {msg!r}: {k}")
    for prog, t, o in misses[: args.show]:
        print("=" * 70)
        for i, l in enumerate(prog.split("\n"), 1):
            print(f"{i:3d}| {l}")
        print(f"CPython: {t}\nours:    {o}")


if __name__ == "__main__":
    main()

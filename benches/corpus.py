#!/usr/bin/env python3
"""Build a corpus of real Python programs (not written by us) from the CPython stdlib.

Each program is one stdlib module's top-level absolute import statements followed by
one top-level function or class of that module, so it is real code written by the
CPython developers. A program is kept when:

- the function/class (with its decorators) spans 8-80 lines,
- the whole program compiles (``ast.parse`` and ``compile``),
- pyflakes reports no undefined name / unbound local / undefined export in it (so
  the program is clean and self-contained: anything that relied on a module global,
  a relative import, a star import or a conditional import is dropped),
- every indentation is made of spaces (no tabs), and no character other than "\\n"
  breaks lines for ``str.splitlines`` (form feeds etc. would make pylintseq's
  ``splitlines``-based diffs disagree with its ``split("\\n")``-based line indices).

Output is JSONL in the LintSeq dataset layout::

    {"instruction": "...", "response": "```python\\n<code>\\n```"}

The walk is sorted, and ``--limit``/``--seed`` choose a seeded sample whose rows keep
the corpus order, so the output is a pure function of (stdlib, limit, seed).

Usage: python3 benches/corpus.py --out out/corpus/stdlib.jsonl [--limit N] [--seed S]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import sys
import sysconfig
from typing import Iterator

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

MIN_DEF_LINES = 8
MAX_DEF_LINES = 80
# Supporting module-level statements (constants, helpers, conditional imports) that
# a definition needs are pulled in while they total at most this many lines.
MAX_DEP_LINES = 40
MAX_DEP_ROUNDS = 6

# Directories that are not stdlib Python programs: third-party installs, build
# config, data, lib2to3's Python 2 test data, and the parts of the test suite that are
# deliberately broken, crash the interpreter or are tokenizer data.
EXCLUDED_DIRS = {
    "site-packages",
    "__pycache__",
    "pydoc_data",
    "ensurepip",
    os.path.join("lib2to3", "tests"),
    os.path.join("idlelib", "idle_test"),
    os.path.join("test", "crashers"),
    os.path.join("test", "leakers"),
    os.path.join("test", "tokenizedata"),
    os.path.join("test", "encoded_modules"),
    os.path.join("test", "test_tools"),
}
# CPython's own test suite ("test" package). Present in a full CPython install (this
# pyenv build has it); slim images (Debian's python3-minimal, the python:3.11 Docker
# image) remove it, hence --no-test-suite. Its programs come after the library's.
TEST_SUITE_DIR = "test"

UNDEFINED_MESSAGE_TYPES = (
    pyflakes_messages.UndefinedName,
    pyflakes_messages.UndefinedLocal,
    pyflakes_messages.UndefinedExport,
)

# Characters that str.splitlines() treats as line breaks besides "\n".
EXTRA_LINE_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def stdlib_dir() -> str:
    return sysconfig.get_paths()["stdlib"]


def iter_stdlib_files(root: str, test_suite: bool) -> Iterator[tuple[str, str]]:
    """Yield (relative path, dotted module name) for stdlib .py files: the library
    first, then (if wanted) the test suite, each in sorted walk order."""
    yield from _walk(root, skip_test_suite=True)
    if test_suite and os.path.isdir(os.path.join(root, TEST_SUITE_DIR)):
        yield from _walk(root, only=TEST_SUITE_DIR)


def _walk(root: str, skip_test_suite: bool = False, only: str | None = None):
    start = os.path.join(root, only) if only else root
    for dirpath, dirnames, filenames in os.walk(start):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir != ".":
            # Only importable packages below the top level.
            if not os.path.exists(os.path.join(dirpath, "__init__.py")):
                dirnames[:] = []
                continue
        dirnames[:] = [
            d
            for d in dirnames
            if os.path.normpath(os.path.join(rel_dir, d)) not in EXCLUDED_DIRS
            and d not in EXCLUDED_DIRS
            and not (skip_test_suite and rel_dir == "." and d == TEST_SUITE_DIR)
            and "-" not in d
        ]
        for name in sorted(filenames):
            if not name.endswith(".py"):
                continue
            rel = os.path.normpath(os.path.join(rel_dir, name))
            parts = rel[: -len(".py")].split(os.sep)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            yield rel, ".".join(parts)


def undefined_names_raw(tree: ast.AST) -> list:
    """pyflakes' undefined-name / unbound-local / undefined-export message objects."""
    w = pyflakes_checker.Checker(tree, filename="<program>")
    return [
        m
        for m in sorted(w.messages, key=lambda m: (m.lineno, m.col))
        if isinstance(m, UNDEFINED_MESSAGE_TYPES)
    ]


def undefined_names(code: str, tree: ast.AST | None = None) -> list[tuple[int, str]]:
    """pyflakes' undefined-name / unbound-local messages as (line, message)."""
    if tree is None:
        tree = ast.parse(code)
    return [(m.lineno, m.message % m.message_args) for m in undefined_names_raw(tree)]


def absolute_module(modname: str, is_package: bool, level: int, module: str | None) -> str:
    """The absolute module a relative import names (`from ..x import y` in a.b.c)."""
    parts = modname.split(".")
    if not is_package:
        parts = parts[:-1]
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    return ".".join(parts + ([module] if module else []))


def top_level_imports(
    tree: ast.Module, lines: list[str], modname: str = "", is_package: bool = False
) -> list[str]:
    """Source text of the module body's non-star import statements. Relative imports
    are rewritten to the absolute module they name (the only edit we make to the
    CPython source), so a program taken out of its package still resolves."""
    out = []
    for node in tree.body:
        if isinstance(node, ast.Import):
            pass
        elif isinstance(node, ast.ImportFrom):
            if any(alias.name == "*" for alias in node.names):
                continue
        else:
            continue
        seg = lines[node.lineno - 1 : node.end_lineno]
        if isinstance(node, ast.ImportFrom) and node.level:
            dotted = "." * node.level + (node.module or "")
            head = f"from {dotted} import"
            if not modname or not seg[0].startswith(head):
                continue
            absolute = absolute_module(modname, is_package, node.level, node.module)
            seg = [f"from {absolute} import" + seg[0][len(head) :]] + seg[1:]
            out_node_end = len(seg[-1]) - (len(lines[node.end_lineno - 1]) - node.end_col_offset)
        else:
            out_node_end = node.end_col_offset
        rest = seg[-1][out_node_end:].strip()
        if node.col_offset != 0 or (rest and not rest.startswith("#")):
            continue
        out.extend(seg)
    return out


def bound_names(stmt: ast.stmt) -> set[str]:
    """Module-level names a top-level statement binds (not descending into defs)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            if isinstance(node, ast.ImportFrom) and node.level:
                return
            for alias in node.names:
                if alias.name != "*":
                    names.add(alias.asname or alias.name.split(".")[0])
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
            return
        if isinstance(node, (ast.Lambda, ast.expr)) and not isinstance(
            node, (ast.Tuple, ast.List, ast.Starred, ast.Name, ast.NamedExpr)
        ):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(stmt)
    return names


def stmt_span(node: ast.stmt) -> tuple[int, int]:
    """1-based inclusive line span of a statement, decorators included."""
    start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return start, node.end_lineno


def render_program(imports: list[str], blocks: list[list[str]]) -> str:
    """Imports, then each block; blocks of more than one line get two blank lines
    around them (PEP 8 spacing between top-level definitions)."""
    out: list[str] = list(imports)
    prev_multi = True
    for block in blocks:
        multi = len(block) > 1
        if out:
            gap = 2 if (multi or prev_multi or out is imports) else 0
            if out and out[-1] != "" and gap:
                out.extend([""] * gap)
        out.extend(block)
        prev_multi = multi
    return "\n".join(out)


def programs_of_module(rel: str, modname: str, source: str) -> Iterator[dict]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return
    lines = source.split("\n")
    is_package = os.path.basename(rel) == "__init__.py"
    imports = top_level_imports(tree, lines, modname, is_package)
    if any(line[: len(line) - len(line.lstrip())].count("\t") for line in imports):
        return
    binders: dict[str, list[int]] = {}
    for idx, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)) and stmt.col_offset == 0:
            continue  # top-level imports are always in the program already
        for name in bound_names(stmt):
            binders.setdefault(name, []).append(idx)

    def block_of(idx: int) -> list[str] | None:
        start, end = stmt_span(tree.body[idx])
        block = lines[start - 1 : end]
        if tree.body[idx].col_offset != 0 or block[0][:1].isspace():
            return None
        if any(line[: len(line) - len(line.lstrip())].count("\t") for line in block):
            return None
        rest = block[-1][tree.body[idx].end_col_offset :].strip()
        if rest and not rest.startswith("#"):
            return None  # shares its last line with another statement
        if any(
            isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree.body[idx])
        ):
            return None
        return [line.rstrip() for line in block]

    for target_idx, node in enumerate(tree.body):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        start, end = stmt_span(node)
        if not (MIN_DEF_LINES <= end - start + 1 <= MAX_DEF_LINES):
            continue
        target = block_of(target_idx)
        if target is None:
            continue
        # Pull in the module-level statements that bind the names the definition
        # needs, transitively, while they stay small.
        deps: set[int] = set()
        code = None
        for _ in range(MAX_DEP_ROUNDS):
            blocks = [block_of(i) for i in sorted(deps)]
            if any(b is None for b in blocks):
                code = None
                break
            code = render_program(imports, blocks + [target])
            if any(ch in code for ch in EXTRA_LINE_BREAKS):
                code = None
                break
            try:
                prog_tree = ast.parse(code)
                compile(code, "<program>", "exec", dont_inherit=True)
            except (SyntaxError, ValueError):
                code = None
                break
            missing = undefined_names_raw(prog_tree)
            if not missing:
                break
            new = set()
            for m in missing:
                if not isinstance(m, pyflakes_messages.UndefinedName):
                    new = None
                    break
                name = m.message_args[0]
                idxs = [i for i in binders.get(name, []) if i != target_idx]
                if not idxs:
                    new = None
                    break
                new.update(idxs)
            if not new or new <= deps:
                code = None
                break
            deps |= new
            if sum(len(block_of(i) or []) for i in deps) > MAX_DEP_LINES:
                code = None
                break
        else:
            code = None
        if code is None:
            continue
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        extra = f" with {len(deps)} supporting module-level statement(s)" if deps else ""
        yield {
            "instruction": f"Python stdlib module `{modname}` ({rel}): {kind} `{node.name}`{extra}.",
            "response": f"```python\n{code}\n```",
        }


def build_corpus(root: str | None = None, test_suite: bool = True) -> list[dict]:
    root = root or stdlib_dir()
    rows: list[dict] = []
    seen_codes: set[str] = set()
    for rel, modname in iter_stdlib_files(root, test_suite):
        try:
            with open(os.path.join(root, rel), encoding="utf-8") as f:
                source = f.read()
        except (UnicodeDecodeError, OSError):
            continue
        for row in programs_of_module(rel, modname, source):
            if row["response"] in seen_codes:  # e.g. the same helper in two modules
                continue
            seen_codes.add(row["response"])
            rows.append(row)
    return rows


def sample_rows(rows: list[dict], limit: int | None, seed: int) -> list[dict]:
    if limit is None or limit >= len(rows):
        return list(rows)
    keep = sorted(random.Random(seed).sample(range(len(rows)), limit))
    return [rows[i] for i in keep]


def write_jsonl(rows: list[dict], path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def code_of(row: dict) -> str:
    """The program inside a corpus row's ```python fence."""
    resp = row["response"]
    assert resp.startswith("```python\n") and resp.endswith("\n```")
    return resp[len("```python\n") : -len("\n```")]


def read_jsonl(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output JSONL path")
    ap.add_argument("--limit", type=int, default=None, help="keep a seeded sample of N programs")
    ap.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    ap.add_argument("--stdlib", default=None, help="stdlib directory (default: sysconfig's)")
    ap.add_argument(
        "--no-test-suite",
        action="store_true",
        help="leave out CPython's test suite (the `test` package)",
    )
    args = ap.parse_args(argv)
    rows = build_corpus(args.stdlib, test_suite=not args.no_test_suite)
    total = len(rows)
    rows = sample_rows(rows, args.limit, args.seed)
    write_jsonl(rows, args.out)
    lines = [code_of(r).count("\n") + 1 for r in rows]
    print(
        f"corpus: {total} programs found in {args.stdlib or stdlib_dir()}; wrote {len(rows)} "
        f"to {args.out} (lines per program: min {min(lines)}, mean {sum(lines)/len(lines):.1f}, "
        f"max {max(lines)})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

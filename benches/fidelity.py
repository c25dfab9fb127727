#!/usr/bin/env python3
"""Rebuild every intermediate program of LintSeq edit paths and measure their quality.

Reads lintseq's (or pylintseq's) output JSONL: rows with ``edit_path`` (a list of
zero-context unified diffs without the ---/+++ lines, SPEC section 4) and
``source_<code field>``. Each path is replayed from the empty program; the program
after each diff is one "intermediate program" (the last one is the full program).

Reports, per file:
- the share of intermediate programs CPython parses (``ast.parse``) and compiles;
- how many intermediate programs have a pyflakes undefined name / unbound local
  (by name) that the full program does not have: states that would raise NameError
  or UnboundLocalError and that the linter let through (SPEC section 5);
- the share of diffs that are insertion-only (no ``-`` lines);
- the share of paths whose last state is exactly the (chain-of-thought stripped)
  program, and of diffs that do not apply;
- mean edits per path and mean inserted lines per edit.

On pylintseq 0.0.2's HumanEval output (shared/data, seed 1) an exact replay finds every
one of the 985 intermediate programs parsable and 24 with new undefined names; with
--insertions-only (the 3 non-insertion diffs' "-" lines ignored, so a line is doubled)
it finds 14 unparsable and 29 with new undefined names, the figures quoted for it.

Usage:
  python3 benches/fidelity.py OUTPUT.jsonl [MORE.jsonl ...] [--code-field response]
         [--dump out/fidelity/problems.jsonl]
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import re
import sys
import warnings

from pyflakes import checker as pyflakes_checker
from pyflakes import messages as pyflakes_messages

HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
NAME_MESSAGES = (pyflakes_messages.UndefinedName, pyflakes_messages.UndefinedLocal)


class DiffError(ValueError):
    pass


def closing_fence(body: str) -> int:
    """Where a fence closes (lintseq's rule, README "How it differs"): the first line of
    only backticks (3 or more, indented by at most 3 spaces), else the first "```"."""
    offset = 0
    for line in body.split("\n"):
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        rest = stripped.rstrip()
        if offset > 0 and indent <= 3 and len(rest) >= 3 and set(rest) == {"`"}:
            return offset + indent
        offset += len(line) + 1
    return body.find("```")


def strip_chain_of_thought(text: str, tag: str = "python") -> str:
    """SPEC section 4: the contents of all ```python fences joined by "\\n" and
    stripped; the field as is when there is no such fence. A fence closes as
    `closing_fence` says; an unclosed one runs to the end of the text."""
    fence = "```" + tag
    chunks = []
    rest = text
    while fence in rest:
        rest = rest[rest.find(fence) + len(fence) :]
        end = closing_fence(rest)
        chunks.append(rest[:end] if end >= 0 else rest)
        rest = rest[end + 3 :] if end >= 0 else ""
    return "\n".join(chunks).strip() if chunks else text


def parse_diff(diff: str) -> list[tuple[int, int, int, int, list[str]]]:
    """Hunks as (old start, old length, new start, new length, body lines)."""
    hunks = []
    for line in diff.split("\n"):
        m = HUNK.match(line)
        if m:
            a, n, b, mlen = m.groups()
            hunks.append((int(a), 1 if n is None else int(n), int(b), 1 if mlen is None else int(mlen), []))
        elif hunks and line[:1] in ("+", "-", " "):
            hunks[-1][4].append(line)
        else:
            raise DiffError(f"unexpected diff line {line!r}")
    return hunks


def apply_insertions_only(old: list[str], diff: str) -> tuple[list[str], int, int]:
    """Replay a diff as a consumer that trusts diffs to be insertion-only would:
    put each hunk's "+" lines at its new-side start and ignore "-" lines."""
    new = list(old)
    inserted = deleted = 0
    for _a, _n, b, _m, body in parse_diff(diff):
        plus = [line[1:] for line in body if line[0] == "+"]
        deleted += sum(1 for line in body if line[0] == "-")
        new[b - 1 : b - 1] = plus
        inserted += len(plus)
    return new, inserted, deleted


def apply_diff(old: list[str], diff: str) -> tuple[list[str], int, int]:
    """Apply one diff; returns (new lines, inserted lines, deleted lines)."""
    new: list[str] = []
    pos = 0
    inserted = deleted = 0
    for a, n, b, m, body in parse_diff(diff):
        copy_to = a if n == 0 else a - 1
        if copy_to < pos or copy_to > len(old):
            raise DiffError(f"hunk @@ -{a},{n} +{b},{m} @@ out of range (state has {len(old)} lines)")
        new.extend(old[pos:copy_to])
        pos = copy_to
        if m and len(new) + 1 != b:
            raise DiffError(f"hunk @@ -{a},{n} +{b},{m} @@ lands at new line {len(new) + 1}")
        for line in body:
            kind, text = line[0], line[1:]
            if kind == "+":
                new.append(text)
                inserted += 1
            else:
                if pos >= len(old) or old[pos] != text:
                    raise DiffError(f"line {pos + 1} is {old[pos] if pos < len(old) else None!r}, diff says {text!r}")
                if kind == " ":
                    new.append(text)
                else:
                    deleted += 1
                pos += 1
    new.extend(old[pos:])
    return new, inserted, deleted


def name_problems(tree: ast.AST) -> set[tuple[str, str]]:
    w = pyflakes_checker.Checker(tree, filename="<state>")
    return {
        (type(m).__name__, str(m.message_args[0]))
        for m in w.messages
        if isinstance(m, NAME_MESSAGES)
    }


def analyse_state(code: str) -> tuple[bool, bool, set | None]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return False, False, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(code, "<state>", "exec", dont_inherit=True)
        compiles = True
    except (SyntaxError, ValueError):
        compiles = False
    return True, compiles, name_problems(tree)


def code_field_of(row: dict, code_field: str) -> str:
    key = f"source_{code_field}"
    if key not in row:
        raise SystemExit(f"row has no {key!r} column (columns: {sorted(row)}); pass --code-field")
    return row[key]


def measure(
    rows: list[dict], code_field: str, lang_tag: str = "python", insertions_only: bool = False
) -> tuple[collections.Counter, list[dict]]:
    s = collections.Counter()
    apply = apply_insertions_only if insertions_only else apply_diff
    problems = []
    for row_no, row in enumerate(rows):
        program = strip_chain_of_thought(code_field_of(row, code_field), lang_tag)
        full = analyse_state(program)
        full_names = full[2] or set()
        lines: list[str] = []
        s["paths"] += 1
        s["edits"] += len(row["edit_path"])
        broken = False
        row_problems = []
        for k, diff in enumerate(row["edit_path"]):
            try:
                lines, ins, dele = apply(lines, diff)
            except DiffError as e:
                s["diffs_not_applying"] += 1
                row_problems.append({"edit": k, "problem": f"diff does not apply: {e}"})
                broken = True
                break
            s["diffs"] += 1
            s["inserted_lines"] += ins
            s["deleted_lines"] += dele
            s["insertion_only"] += dele == 0
            if dele:
                row_problems.append({"edit": k, "problem": "not insertion-only", "diff": diff})
            state = "\n".join(lines)
            parses, compiles, names = analyse_state(state)
            s["states"] += 1
            s["states_parse"] += parses
            s["states_compile"] += compiles
            if not parses:
                row_problems.append({"edit": k, "problem": "does not parse", "state": state})
            elif names - full_names:
                s["states_new_names"] += 1
                row_problems.append(
                    {"edit": k, "problem": "new undefined names", "names": sorted(names - full_names), "state": state}
                )
        rebuilt = not broken and "\n".join(lines) == program
        s["rebuilt"] += rebuilt
        if not rebuilt and not broken:
            row_problems.append({"problem": "does not rebuild the program"})
        if row_problems:
            problems.append({"row": row_no, "index": row.get("index"), "problems": row_problems})
    return s, problems


def summary(path: str, s: collections.Counter) -> str:
    def pct(a: int, b: int) -> str:
        return f"{100 * a / b:.1f}%" if b else "n/a"

    return "\n".join(
        [
            f"{path}",
            f"  paths {s['paths']}, edits {s['edits']}, intermediate programs {s['states']}",
            f"  parse (ast.parse):        {s['states_parse']}/{s['states']} ({pct(s['states_parse'], s['states'])});"
            f" unparsable {s['states'] - s['states_parse']}",
            f"  compile:                  {s['states_compile']}/{s['states']} ({pct(s['states_compile'], s['states'])})",
            f"  new undefined names / unbound locals (pyflakes): {s['states_new_names']} programs",
            f"  insertion-only diffs:     {s['insertion_only']}/{s['diffs']} ({pct(s['insertion_only'], s['diffs'])});"
            f" not insertion-only {s['diffs'] - s['insertion_only']}; not applying {s['diffs_not_applying']}",
            f"  paths rebuilding exactly: {s['rebuilt']}/{s['paths']} ({pct(s['rebuilt'], s['paths'])})",
            f"  mean edits per path {s['edits'] / max(s['paths'], 1):.2f};"
            f" mean inserted lines per edit {s['inserted_lines'] / max(s['diffs'], 1):.2f}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="lintseq / pylintseq output JSONL files")
    ap.add_argument("--code-field", default="response", help="code field of the source dataset (default response)")
    ap.add_argument("--dump", default=None, help="write the rows with problems to this JSONL (first file only)")
    ap.add_argument("--json", action="store_true", help="print the counters as JSON")
    ap.add_argument(
        "--insertions-only",
        action="store_true",
        help="replay only the '+' lines of each hunk (what a consumer that assumes "
        "insertion-only diffs rebuilds); default: apply diffs exactly",
    )
    args = ap.parse_args(argv)
    for n, path in enumerate(args.files):
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
        s, problems = measure(rows, args.code_field, insertions_only=args.insertions_only)
        print(json.dumps({"file": path, **s}) if args.json else summary(path, s))
        if args.dump and n == 0:
            os.makedirs(os.path.dirname(os.path.abspath(args.dump)), exist_ok=True)
            with open(args.dump, "w", encoding="utf-8") as f:
                for p in problems:
                    f.write(json.dumps(p, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""How often does our linter flag the same lines as pylintseq's pylint verdict?

Runs ``lintseq lint --format json`` on every probe of a probe file (benches/probes.py)
and compares, per probe, the set of flagged lines with pylint's, leaving out pylint's
E0401 (import-error), E0402 (relative import beyond top level), E0611 (no-name-in-
module) and W0311 (bad-indentation): those depend on the machine or on a style choice
that SPEC section 5 asks us not to copy.

Reports:
- the share of probes whose flagged-line sets are equal (and the share with the same
  clean/flagged verdict, which is all a LintSeq trajectory needs to end in a clean state);
- missed lines (pylint flags, we do not) grouped by pylint's code, extra lines (we flag,
  pylint does not) grouped by our code, and for syntax errors, by CPython's message;
- whether every extra line is an undefined name / unbound local that pyflakes also
  reports on that line (the states pylint misses, SPEC section 5).

Usage:
  python3 benches/agreement.py fixtures/probes/python_probes.jsonl [--bin target/debug/lintseq]
         [--dump out/agreement/disagreements.jsonl]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probes import message_stem  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXCLUDED_PYLINT_CODES = {"E0401", "E0402", "E0611", "W0311"}
# Our codes for "a name that is not bound when read": pyflakes reports the same states.
NAME_CODES = {"E0602", "E0601", "E0606", "E0603", "E0116"}


def read_probes(path: str) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_linter(binary: str, probes: list[dict], batch: int, lang: str | None) -> dict[str, list[dict]]:
    """Our diagnostics per probe id: [{"line", "column", "code", "message"}, ...]."""
    tmp = tempfile.mkdtemp(prefix="lintseq-agreement-")
    try:
        path_to_id = {}
        paths = []
        for p in probes:
            path = os.path.join(tmp, f"{p['id']}.py")
            with open(path, "w", encoding="utf-8") as f:
                f.write(p["program"])
            path_to_id[path] = p["id"]
            paths.append(path)
        out: dict[str, list[dict]] = {p["id"]: [] for p in probes}
        for start in range(0, len(paths), batch):
            cmd = [binary, "lint", "--format", "json"]
            if lang:
                cmd += ["--lang", lang]
            cmd += paths[start : start + batch]
            proc = subprocess.run(cmd, capture_output=True, text=True)
            if proc.returncode not in (0, 1):
                raise SystemExit(
                    f"{binary} lint exited {proc.returncode} on files {start}..{start + batch}: "
                    f"{proc.stderr.strip()[:500]}"
                )
            for line in proc.stdout.splitlines():
                if not line.strip():
                    continue
                d = json.loads(line)
                out[path_to_id[d["path"]]].append(d)
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def compare(probes: list[dict], ours: dict[str, list[dict]]) -> dict:
    stats = collections.Counter()
    missed_by_code = collections.Counter()
    extra_by_code = collections.Counter()
    missed_syntax = collections.Counter()
    extra_syntax = collections.Counter()
    extra_unjustified = collections.Counter()
    code_pairs = collections.Counter()
    disagreements = []
    for p in probes:
        theirs = [m for m in p["pylint"] if m[1] not in EXCLUDED_PYLINT_CODES]
        mine = [d for d in ours[p["id"]] if d["code"] not in EXCLUDED_PYLINT_CODES]
        their_lines = {m[0] for m in theirs}
        my_lines = {d["line"] for d in mine}
        stats["probes"] += 1
        stats["pylint_flagged"] += bool(their_lines)
        stats["ours_flagged"] += bool(my_lines)
        stats["same_verdict"] += bool(their_lines) == bool(my_lines)
        if their_lines == my_lines:
            stats["same_lines"] += 1
        pyflakes_lines = {line for line, _msg in p["pyflakes"]}
        missed = sorted(their_lines - my_lines)
        extra = sorted(my_lines - their_lines)
        for line in their_lines & my_lines:
            tc = {m[1] for m in theirs if m[0] == line}
            mc = {d["code"] for d in mine if d["line"] == line}
            code_pairs["same code" if tc & mc else f"pylint {'/'.join(sorted(tc))} vs ours {'/'.join(sorted(mc))}"] += 1
        for line in missed:
            for m in theirs:
                if m[0] == line:
                    missed_by_code[m[1]] += 1
                    if m[1] == "E0001":
                        missed_syntax[message_stem("E0001", m[2])] += 1
        unjustified = []
        for line in extra:
            for d in mine:
                if d["line"] != line:
                    continue
                extra_by_code[d["code"]] += 1
                if d["code"] == "E0001":
                    extra_syntax[message_stem("E0001", d["message"])] += 1
            codes = {d["code"] for d in mine if d["line"] == line}
            if not (codes <= NAME_CODES and line in pyflakes_lines):
                unjustified.append(line)
                for c in codes:
                    extra_unjustified[c] += 1
        stats["missed_lines"] += len(missed)
        stats["extra_lines"] += len(extra)
        stats["extra_lines_unjustified"] += len(unjustified)
        stats["probes_with_unjustified_extra"] += bool(unjustified)
        if missed or extra:
            disagreements.append(
                {
                    "id": p["id"],
                    "missed": missed,
                    "extra": extra,
                    "extra_unjustified": unjustified,
                    "pylint": p["pylint"],
                    "ours": [[d["line"], d["code"], d["message"]] for d in ours[p["id"]]],
                    "pyflakes": p["pyflakes"],
                    "parses": p["parses"],
                    "program": p["program"],
                }
            )
    return {
        "stats": stats,
        "missed_by_code": missed_by_code,
        "extra_by_code": extra_by_code,
        "missed_syntax": missed_syntax,
        "extra_syntax": extra_syntax,
        "extra_unjustified": extra_unjustified,
        "code_pairs": code_pairs,
        "disagreements": disagreements,
    }


def summary(result: dict) -> str:
    s = result["stats"]
    n = max(s["probes"], 1)
    out = [
        f"probes: {s['probes']}  (pylint flags {s['pylint_flagged']}, we flag {s['ours_flagged']};"
        f" leaving out pylint's {', '.join(sorted(EXCLUDED_PYLINT_CODES))})",
        f"same flagged lines:   {s['same_lines']:>5} ({100 * s['same_lines'] / n:.1f}%)",
        f"same verdict:         {s['same_verdict']:>5} ({100 * s['same_verdict'] / n:.1f}%)",
        f"missed lines:         {s['missed_lines']:>5}   extra lines: {s['extra_lines']}",
        f"extra lines that are not a pyflakes-confirmed undefined name / unbound local: "
        f"{s['extra_lines_unjustified']} (in {s['probes_with_unjustified_extra']} probes)"
        + ("  -> every extra line is justified" if s["extra_lines_unjustified"] == 0 else ""),
    ]

    def table(title: str, counter: collections.Counter, limit: int = 20) -> None:
        if not counter:
            return
        out.append(title)
        for key, count in counter.most_common(limit):
            out.append(f"  {count:>5}  {key}")

    table("missed lines by pylint code:", result["missed_by_code"])
    table("  missed E0001 by message:", result["missed_syntax"], 12)
    table("extra lines by our code:", result["extra_by_code"])
    table("  extra E0001 by our message:", result["extra_syntax"], 12)
    table("unjustified extra lines by our code:", result["extra_unjustified"])
    table("lines both flag, by code agreement:", result["code_pairs"], 10)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("probes", help="probe JSONL from benches/probes.py")
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "debug", "lintseq"), help="lintseq binary")
    ap.add_argument("--lang", default=None, help="passed as --lang to `lintseq lint` if given")
    ap.add_argument("--batch", type=int, default=256, help="files per `lintseq lint` call")
    ap.add_argument("--dump", default=None, help="write the disagreeing probes to this JSONL")
    ap.add_argument("--json", action="store_true", help="print the stats as one JSON object")
    args = ap.parse_args(argv)
    if not os.path.exists(args.bin):
        print(f"{args.bin} does not exist: build it with `cargo build` or pass --bin", file=sys.stderr)
        return 2
    probes = read_probes(args.probes)
    result = compare(probes, run_linter(args.bin, probes, args.batch, args.lang))
    if args.json:
        print(json.dumps({k: v for k, v in result.items() if k != "disagreements"}, indent=1))
    else:
        print(summary(result))
    if args.dump:
        os.makedirs(os.path.dirname(os.path.abspath(args.dump)), exist_ok=True)
        with open(args.dump, "w", encoding="utf-8") as f:
            for d in result["disagreements"]:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")
        print(f"wrote {len(result['disagreements'])} disagreeing probes to {args.dump}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

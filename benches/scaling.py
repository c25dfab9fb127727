#!/usr/bin/env python3
"""Cost per sample against program length, for lintseq and pylintseq 0.0.2.

Programs are real code not written by us: whole CPython stdlib modules of about 100,
400 and 1,600 lines, and for about 25 lines the 25-line programs of the stdlib corpus
(benches/corpus.py, first --short rows of 23-27 lines). Every program is one JSONL row
(a fenced `response`); each tool runs on one worker with seed 1, and the CPU time of
the process (os.wait4), less the tool's fixed cost, divided by the samples written is
the cost per sample. The fixed cost (process start, imports, thread pool, output file)
is the CPU time of a run on one one-line program; without it, sizes with few programs
would carry a few milliseconds of start-up per sample. lintseq
is timed --repeat times (min kept), on the programs repeated in turn (p1 p2 .. pk p1 p2 ..)
until a run does about --work rows' worth of work, so that its CPU time is far above the
kernel's accounting granularity (a few ms): a 100-row run of 25-line programs takes
about 20 ms, too short to time on its own. pylintseq is measured only for the sizes in
--pylintseq-sizes (a 1,600-line module costs it tens of minutes of CPU) and its results
are cached in out/throughput/ (keyed by the input's SHA-256).

    python3 benches/scaling.py [--corpus out/corpus.jsonl] [--pylintseq-sizes 25,100,400]
"""

import argparse
import hashlib
import json
import math
import os
import sys
import sysconfig
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from throughput import CACHE, REPO, count_rows, run  # noqa: E402

MODULES = {
    100: ["bisect.py", "_sitebuiltins.py", "signal.py"],
    400: ["cmd.py", "_markupbase.py", "csv.py"],
    1600: ["optparse.py", "imaplib.py", "configparser.py"],
}


def fenced(code):
    return {"instruction": "", "response": f"```python\n{code}\n```"}


def rows_for(size, args):
    if size == 25:
        out = []
        with open(args.corpus) as f:
            for line in f:
                row = json.loads(line)
                body = row["response"].split("\n")[1:-1]
                if 23 <= len(body) <= 27:
                    out.append(row)
                if len(out) >= args.short:
                    break
        return out
    lib = sysconfig.get_paths()["stdlib"]
    return [fenced(open(os.path.join(lib, m), encoding="utf-8").read().rstrip("\n")) for m in MODULES[size]]


def lines_of(row):
    return len(row["response"].split("\n")) - 2


def time_tool(cmd_base, path, tmp, tag, repeat):
    best = None
    for i in range(repeat):
        out = os.path.join(tmp, f"{tag}_{i}")
        r = run([*cmd_base, "-p", path, "-d", out, "-c", "1", "-s", "1", "--seed", "1"], tmp)
        name = os.path.basename(path).rsplit(".", 1)[0]
        r["samples"] = count_rows(os.path.join(out, f"{name}_all_1_1_vec.jsonl"))
        if best is None or r["cpu"] < best["cpu"]:
            best = r
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="out/corpus.jsonl")
    ap.add_argument("--short", type=int, default=100, help="how many ~25-line corpus programs")
    ap.add_argument("--lintseq", default="target/release/lintseq")
    ap.add_argument("--pylintseq", default="pylintseq")
    ap.add_argument("--pylintseq-sizes", default="25,100,400")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--copies", default="20,200,40,4",
                    help="how many times lintseq's input repeats the programs, per size (25,100,400,1600)")
    args = ap.parse_args()
    py_sizes = {int(s) for s in args.pylintseq_sizes.split(",") if s}
    lintseq = os.path.abspath(args.lintseq)
    copies = dict(zip((25, 100, 400, 1600), (int(c) for c in args.copies.split(","))))
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        trivial = os.path.join(tmp, "fixed.jsonl")
        with open(trivial, "w") as f:
            f.write(json.dumps(fenced("x = 1")) + "\n")
        fixed = time_tool([lintseq, "-q"], trivial, tmp, "rsfixed", max(args.repeat, 5))["cpu"]
        print(f"lintseq fixed cost (one one-line program): {1000 * fixed:.1f} ms of CPU", flush=True)
        py_fixed = None
        for size in (25, 100, 400, 1600):
            rows = rows_for(size, args)
            path = os.path.join(tmp, f"len{size}.jsonl")
            with open(path, "w") as f:
                for row in rows:
                    f.write(json.dumps(row) + "\n")
            mean_lines = sum(map(lines_of, rows)) / len(rows)
            repeated = os.path.join(tmp, f"len{size}_x{copies[size]}.jsonl")
            with open(repeated, "w") as f:
                for _ in range(copies[size]):
                    for row in rows:
                        f.write(json.dumps(row) + "\n")
            ours = time_tool([lintseq, "-q"], repeated, tmp, f"rs{size}", args.repeat)
            entry = {"size": size, "programs": len(rows), "mean_lines": mean_lines,
                     "lintseq_ms_per_sample": 1000 * max(ours["cpu"] - fixed, 0) / max(ours["samples"], 1), "lintseq_samples": ours["samples"]}
            if size in py_sizes and py_fixed is None:
                py_fixed = time_tool([args.pylintseq], trivial, tmp, "pyfixed", 1)["cpu"]
                print(f"pylintseq fixed cost (one one-line program): {1000 * py_fixed:.0f} ms of CPU", flush=True)
            if size in py_sizes:
                digest = hashlib.sha256(open(path, "rb").read()).hexdigest()
                cached = os.path.join(CACHE, f"scaling_pylintseq_{digest[:16]}.json")
                if os.path.exists(cached):
                    theirs = json.load(open(cached))
                else:
                    try:
                        theirs = time_tool([args.pylintseq], path, tmp, f"py{size}", 1)
                    except SystemExit as e:  # pylintseq's own IndexError on some programs
                        theirs = {"failed": str(e)[-300:]}
                    os.makedirs(CACHE, exist_ok=True)
                    json.dump(theirs, open(cached, "w"), indent=1)
                if "failed" not in theirs:
                    entry["pylintseq_ms_per_sample"] = 1000 * max(theirs["cpu"] - py_fixed, 0) / max(theirs["samples"], 1)
                    entry["pylintseq_samples"] = theirs["samples"]
            table.append(entry)
            print(json.dumps(entry), flush=True)
    print()
    print(f"{'lines':>7} {'programs':>8} {'lintseq ms/sample':>18} {'pylintseq ms/sample':>20} {'ratio':>7}")
    for e in table:
        py = e.get("pylintseq_ms_per_sample")
        ratio = f"{py / e['lintseq_ms_per_sample']:.0f}x" if py else "-"
        py_s = f"{py:.0f}" if py else "-"
        print(f"{e['mean_lines']:>7.0f} {e['programs']:>8} {e['lintseq_ms_per_sample']:>18.3f} {py_s:>20} {ratio:>7}")
    base = table[0]
    print("\ngrowth of lintseq cost vs n log n from the ~25-line point:")
    for e in table[1:]:
        k = e["mean_lines"] / base["mean_lines"]
        grow = e["lintseq_ms_per_sample"] / base["lintseq_ms_per_sample"]
        nlogn = k * math.log(e["mean_lines"]) / math.log(base["mean_lines"])
        print(f"  x{k:.0f} lines: cost x{grow:.1f}  (n log n: x{nlogn:.1f}, n^2: x{k * k:.0f})")


if __name__ == "__main__":
    main()

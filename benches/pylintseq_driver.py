#!/usr/bin/env python3
"""Runs pylintseq 0.0.2's generation loop in-process, row by row, surviving its crashes.

`pylintseq` (the command) dies on the whole run when one row trips an IndexError inside
pylintseq (`rm[int(line_id) - 1]`, a pylint line past the end of the program); on the
stdlib corpus some rows do. This driver does exactly what `generate.subprocess_task`
does with `-c 1 -s 1` (same global seeding by `set_seed_everywhere(seed)`, same
`lintseq_backward_sampling_pythonic` settings, same `inflate_edit_path`), but catches the
exception per row. It writes:

- OUT.jsonl: one line per row that produced a sample: {"index", "edit_path", "cpu"}, and
  one per crashed row: {"index", "crashed", "cpu"} (usable while the run is going on),
- OUT.json: rows, samples, crashed row indices, and the CPU seconds spent in the rows
  that produced a sample (time.process_time around each row).

    python3 benches/pylintseq_driver.py INPUT.jsonl ROWS OUT [--seed 1]
"""

import argparse
import json
import time

import pandas as pd
from pylintseq.utils import inflate_edit_path, lintseq_backward_sampling_pythonic, strip_chain_of_thought
from pylintseq.generate import set_seed_everywhere


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("input")
    ap.add_argument("rows", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--code-field", default="response")
    args = ap.parse_args()
    set_seed_everywhere(args.seed)
    df = pd.read_json(args.input, lines=True, dtype={args.code_field: "string"})
    df = df.iloc[: args.rows]
    crashed, cpu_ok, cpu_all, samples = [], 0.0, 0.0, 0
    with open(args.out + ".jsonl", "w") as out:
        for index in range(len(df)):
            code = strip_chain_of_thought(df[args.code_field].iloc[index])
            start = time.process_time()
            try:
                edit_path = lintseq_backward_sampling_pythonic(
                    code, children_per_round=1, top_k=1, max_population_size=1, max_depth=512,
                    indent_bias_sampling_factor=1, ignore_imports=False, ignore_comments=True,
                    ignore_global_defs=True, ignore_init_errors=False,
                )
                if edit_path is not None:
                    _, diff_seq = inflate_edit_path(code, edit_path[0][0])
            except Exception as e:  # noqa: BLE001 - pylintseq's own bugs
                crashed.append({"index": index, "error": f"{type(e).__name__}: {e}"})
                cpu_all += time.process_time() - start
                out.write(json.dumps({"index": index, "crashed": crashed[-1]["error"], "cpu": time.process_time() - start}) + "\n")
                out.flush()
                continue
            spent = time.process_time() - start
            cpu_all += spent
            if edit_path is None:
                continue
            cpu_ok += spent
            samples += 1
            out.write(json.dumps({"index": index, "edit_path": diff_seq, "cpu": spent}) + "\n")
            out.flush()
    with open(args.out + ".json", "w") as f:
        json.dump({"input": args.input, "rows": len(df), "seed": args.seed, "samples": samples, "crashed": crashed,
                   "cpu_rows_with_sample": cpu_ok, "cpu_all_rows": cpu_all}, f, indent=1)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Generate Parquet inputs for lintseq: a large benchmark file or the small fixture.

Benchmark (benches/memory.sh): real-ish code rows, >= --size-gb on disk. Programs are
top-level functions and classes of the CPython stdlib (5-80 lines, with their
module's top-level imports), each repeated with small perturbations (a renamed
definition, a leading comment) until the file is big enough. Rows are written one row
group at a time, so the generator itself needs little memory. Columns: `instruction`,
`response` (the program inside a ```python fence, as in LintSeq datasets), `id`.

    python3 benches/gen_parquet.py --out /tmp/big.parquet --size-gb 2
    python3 benches/gen_parquet.py --fixture     # rewrites fixtures/parquet/humaneval

The output is a pure function of (stdlib, arguments).
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import sysconfig
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]


def stdlib_programs() -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    programs = []
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts or "test" in path.parts or "tests" in path.parts:
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            continue
        if "\t" in source or "\f" in source:
            continue
        lines = source.split("\n")
        imports = [
            "\n".join(lines[node.lineno - 1 : node.end_lineno])
            for node in tree.body
            if isinstance(node, (ast.Import, ast.ImportFrom)) and node.col_offset == 0
        ]
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            if not 5 <= node.end_lineno - start + 1 <= 80:
                continue
            body = "\n".join(lines[start - 1 : node.end_lineno])
            programs.append(("\n".join(imports) + "\n\n\n" + body).strip() + "\n")
    return programs


def perturb(program: str, variant: int, rng: random.Random) -> str:
    if variant == 0:
        return program
    tree_name = None
    for line in program.split("\n"):
        stripped = line.lstrip()
        if line == stripped and stripped.startswith(("def ", "class ", "async def ")):
            tree_name = stripped.split("def ", 1)[-1].split("class ", 1)[-1].split("(")[0].split(":")[0].strip()
            break
    if tree_name and tree_name.isidentifier():
        program = program.replace(tree_name, f"{tree_name}_v{variant}")
    if rng.random() < 0.5:
        program = f"# variant {variant}\n" + program
    return program


def generate(out: Path, size_gb: float, row_group_rows: int, compression: str, seed: int) -> None:
    programs = stdlib_programs()
    rng = random.Random(seed)
    schema = pa.schema([("id", pa.int64()), ("instruction", pa.string()), ("response", pa.string())])
    target = int(size_gb * (1 << 30))
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    written = 0
    with pq.ParquetWriter(tmp, schema, compression=compression) as writer:
        variant = 0
        while True:
            order = list(range(len(programs)))
            rng.shuffle(order)
            for start in range(0, len(order), row_group_rows):
                chunk = order[start : start + row_group_rows]
                responses = [
                    "Here is the implementation:\n\n```python\n" + perturb(programs[i], variant, rng) + "```\n"
                    for i in chunk
                ]
                instructions = [f"Implement program {i} (variant {variant})." for i in chunk]
                ids = list(range(written, written + len(chunk)))
                writer.write_table(pa.table({"id": ids, "instruction": instructions, "response": responses}, schema=schema))
                written += len(chunk)
                tmp_size = tmp.stat().st_size
                if tmp_size >= target:
                    break
            else:
                variant += 1
                continue
            break
    os.replace(tmp, out)
    print(f"{out}: {written} rows, {out.stat().st_size / (1 << 30):.2f} GiB, {len(programs)} distinct programs")


def fixture() -> None:
    """fixtures/parquet/humaneval: fixtures/humaneval.jsonl as two Hub-style shards."""
    rows = [json.loads(line) for line in (ROOT / "fixtures" / "humaneval.jsonl").read_text(encoding="utf-8").splitlines()]
    half = (len(rows) + 1) // 2
    data = ROOT / "fixtures" / "parquet" / "humaneval" / "data"
    data.mkdir(parents=True, exist_ok=True)
    for k, (start, chunk) in enumerate([(0, rows[:half]), (half, rows[half:])]):
        table = pa.table({
            "task_id": pa.array([f"HumanEval/{start + i}" for i in range(len(chunk))], pa.string()),
            "instruction": pa.array([r["instruction"] for r in chunk], pa.string()),
            "response": pa.array([r["response"] for r in chunk], pa.string()),
            "prompt_lines": pa.array([r["instruction"].count("\n") for r in chunk], pa.int32()),
        })
        pq.write_table(table, data / f"train-{k:05d}-of-00002.parquet", compression="zstd")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, help="Parquet file to write")
    parser.add_argument("--size-gb", type=float, default=2.0, help="minimum size on disk, GiB")
    parser.add_argument("--row-group-rows", type=int, default=20_000)
    parser.add_argument("--compression", default="none", help="none (size on disk = data size), snappy, zstd")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fixture", action="store_true", help="rewrite fixtures/parquet/humaneval")
    args = parser.parse_args()
    if args.fixture:
        fixture()
    elif args.out:
        generate(args.out, args.size_gb, args.row_group_rows, args.compression, args.seed)
    else:
        parser.error("give --out or --fixture")


if __name__ == "__main__":
    main()

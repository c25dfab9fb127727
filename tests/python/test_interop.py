"""lintseq's outputs read by the usual dataframe and dataset libraries.

Runs the debug binary (`cargo build --bins` first) on the fixtures, then reads the
Parquet and JSON Lines outputs with pyarrow, pandas, polars and datasets, checking
that `edit_path` arrives as a list of strings and the source columns match the input.
"""

import json
import os
import subprocess
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "lintseq"
HUMANEVAL = ROOT / "fixtures" / "humaneval.jsonl"
SHARDS = ROOT / "fixtures" / "parquet" / "humaneval"

COLUMNS = ["edit_path", "index", "source_file", "source_response", "source_instruction"]


def run_lintseq(*args):
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (cargo build --bins)")
    subprocess.run([str(BINARY), *map(str, args)], check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def inputs():
    rows = [json.loads(line) for line in HUMANEVAL.read_text(encoding="utf-8").splitlines()]
    return rows


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    dest = tmp_path_factory.mktemp("out")
    run_lintseq("-p", HUMANEVAL, "-d", dest / "jsonl", "-c", "2", "-s", "2", "--seed", "3")
    run_lintseq("-p", HUMANEVAL, "-d", dest / "parquet", "-c", "2", "-s", "2", "--seed", "3",
                "--format", "parquet")
    run_lintseq("-p", SHARDS, "-d", dest / "shards", "-c", "2", "--keep-columns")
    return {
        "jsonl": dest / "jsonl" / "humaneval_all_2_3_vec.jsonl",
        "parquet": dest / "parquet" / "humaneval_all_2_3_vec.parquet",
        "shards": sorted((dest / "shards" / "data").glob("*.parquet")),
    }


def check_rows(records, inputs):
    """records: list of dicts with the output columns."""
    assert len(records) > 0
    for record in records:
        assert list(record)[:5] == COLUMNS
        path = list(record["edit_path"])
        assert len(path) > 0
        assert all(isinstance(diff, str) and diff.startswith("@@ ") for diff in path)
        source = inputs[int(record["index"])]
        assert record["source_response"] == source["response"]
        assert record["source_instruction"] == source["instruction"]


def test_pyarrow_reads_parquet(outputs, inputs):
    table = pq.read_table(outputs["parquet"])
    assert table.column_names == COLUMNS
    assert str(table.schema.field("edit_path").type) in ("list<item: string>", "list<element: string>")
    assert str(table.schema.field("index").type) == "int64"
    metadata = table.schema.metadata or {}
    file_metadata = pq.ParquetFile(outputs["parquet"]).metadata.metadata
    assert b"lintseq.config" in file_metadata, (metadata.keys(), file_metadata.keys())
    check_rows(table.to_pylist(), inputs)


def test_parquet_and_jsonl_hold_the_same_rows(outputs):
    from_parquet = pq.read_table(outputs["parquet"]).to_pylist()
    with open(outputs["jsonl"], encoding="utf-8") as f:
        from_jsonl = [json.loads(line) for line in f]
    assert from_parquet == from_jsonl


def test_jsonl_is_python_json_dumps(outputs):
    with open(outputs["jsonl"], encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            assert json.dumps(json.loads(line), ensure_ascii=False) == line


def test_pandas_reads_both(outputs, inputs):
    frame = pd.read_parquet(outputs["parquet"])
    assert list(frame.columns) == COLUMNS
    check_rows(frame.to_dict("records"), inputs)
    lines = pd.read_json(outputs["jsonl"], lines=True)
    assert list(lines.columns) == COLUMNS
    assert isinstance(lines["edit_path"].iloc[0], list)
    check_rows(lines.to_dict("records"), inputs)


def test_polars_reads_both(outputs, inputs):
    frame = pl.read_parquet(outputs["parquet"])
    assert frame.schema["edit_path"] == pl.List(pl.String)
    assert frame.schema["index"] == pl.Int64
    check_rows(frame.to_dicts(), inputs)
    lines = pl.read_ndjson(outputs["jsonl"])
    assert lines.schema["edit_path"] == pl.List(pl.String)
    check_rows(lines.to_dicts(), inputs)


def test_datasets_loads_both(outputs, inputs, tmp_path):
    datasets = pytest.importorskip("datasets")
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    for builder, path in (("parquet", outputs["parquet"]), ("json", outputs["jsonl"])):
        ds = datasets.load_dataset(builder, data_files=str(path), split="train", cache_dir=str(tmp_path / builder))
        assert ds.column_names == COLUMNS
        feature = ds.features["edit_path"]
        inner = getattr(feature, "feature", None) or feature[0]
        assert getattr(inner, "dtype", None) == "string", feature
        check_rows(list(ds), inputs)


def test_shards_keep_their_columns(outputs, inputs):
    assert [p.name for p in outputs["shards"]] == ["train-00000-of-00002.parquet", "train-00001-of-00002.parquet"]
    frame = pl.concat([pl.read_parquet(p) for p in outputs["shards"]])
    assert frame.columns == COLUMNS + ["source_task_id", "source_prompt_lines"]
    assert frame.schema["source_prompt_lines"] == pl.Int32
    offset = 0
    for shard in outputs["shards"]:
        part = pl.read_parquet(shard)
        for record in part.to_dicts():
            assert record["source_task_id"] == f"HumanEval/{offset + record['index']}"
        offset += pq.ParquetFile(SHARDS / "data" / shard.name).metadata.num_rows
    # Shard-local indices: map them back to the whole file for the value check.
    first = pl.read_parquet(outputs["shards"][0]).to_dicts()
    check_rows(first, inputs)

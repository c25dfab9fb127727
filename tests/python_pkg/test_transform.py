"""`lintseq.transform` writes what the command line writes, row for row."""

import threading
import time

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import lintseq
from conftest import FIXTURES, jsonl_table, replay, run_cli

HUMANEVAL = "fixtures/humaneval.jsonl"
STDLIB = "fixtures/corpus/stdlib_sample.jsonl"


def cli_output(cli, tmp_path, input_path, *flags):
    """The command line's Parquet output for `input_path` (relative to the repository,
    as written in its source_file column)."""
    out = tmp_path / "cli"
    run_cli(cli, "-p", input_path, "-d", str(out), "-q", "--format", "parquet", *flags)
    (written,) = out.glob("*.parquet")
    return pq.read_table(written)


def assert_same_rows(got: pa.Table, want: pa.Table):
    assert got.schema.equals(want.schema, check_metadata=False), f"{got.schema}\n!=\n{want.schema}"
    assert got.num_rows == want.num_rows
    assert got.to_pylist() == want.to_pylist()


@pytest.mark.parametrize("fixture,flags,kwargs", [
    (HUMANEVAL, ["--seed", "1"], {"seed": 1}),
    (HUMANEVAL, ["--seed", "5", "-s", "2", "--emit-edit-lines"], {"seed": 5, "paths_per_sample": 2, "emit_edit_lines": True}),
    (STDLIB, ["--seed", "1", "--sampler", "random", "--max-depth", "7"], {"seed": 1, "sampler": "random", "max_depth": 7}),
    (STDLIB, ["--seed", "2", "--prompt_data_field", "None", "--ignore-imports", "--indent-bias-sampling-factor", "none"],
     {"seed": 2, "prompt_field": None, "ignore_imports": True, "indent_bias_sampling_factor": None}),
])
def test_transform_equals_the_command_line(cli, repo, tmp_path, fixture, flags, kwargs):
    want = cli_output(cli, tmp_path, fixture, *flags)
    got = lintseq.transform(jsonl_table(repo / fixture), source_file=fixture, **kwargs)
    assert_same_rows(got, want)
    for edit_path, code in zip(got["edit_path"].to_pylist()[:20], got["source_response"].to_pylist()):
        assert replay(edit_path) in code  # the program, as the fence held it


def test_parquet_shards_with_every_column_kept(cli, repo, tmp_path):
    shards = "fixtures/parquet/humaneval"
    out = tmp_path / "cli"
    run_cli(cli, "-p", shards, "-d", str(out), "-q", "--keep-columns", "--seed", "3")
    files = sorted((repo / shards).rglob("*.parquet"))
    assert len(files) == 2
    for file in files:
        source_file = str(file.relative_to(repo))
        want = pq.read_table(out / file.relative_to(repo / shards))
        got = lintseq.transform(pq.read_table(file), source_file=source_file, keep_columns=True, seed=3)
        assert "source_task_id" in got.column_names and got.schema.field("source_prompt_lines").type == pa.int32()
        assert_same_rows(got, want)


def test_pandas_polars_batches_and_readers_give_the_same_rows(repo):
    table = jsonl_table(repo / HUMANEVAL)
    want = lintseq.transform(table, seed=4)
    assert_same_rows(lintseq.transform(table.to_pandas(), seed=4), want)
    assert_same_rows(lintseq.transform(pl.from_arrow(table), seed=4), want)  # string_view columns
    assert_same_rows(lintseq.transform(table.combine_chunks().to_batches()[0], seed=4), want)
    assert_same_rows(lintseq.transform(pa.RecordBatchReader.from_batches(table.schema, table.to_batches()), seed=4), want)
    large = table.cast(pa.schema([pa.field(f.name, pa.large_string()) for f in table.schema]))
    assert_same_rows(lintseq.transform(large, seed=4), want)


def test_output_does_not_depend_on_chunks_threads_or_slicing(repo):
    table = jsonl_table(repo / STDLIB)
    want = lintseq.transform(table, seed=9, num_threads=1)
    rechunked = pa.Table.from_batches(table.to_batches(max_chunksize=7))
    assert rechunked.column("response").num_chunks > 1
    assert_same_rows(lintseq.transform(rechunked, seed=9, num_threads=2), want)
    # A slice knows its offset: its rows are the whole table's rows at those indices.
    tail = lintseq.transform(table.slice(25), seed=9, index_offset=25)
    assert_same_rows(tail, want.filter(pc.field("index") >= 25))
    # Or each row says where it comes from.
    shuffled = table.append_column("row", pa.array(range(table.num_rows))).take(list(reversed(range(table.num_rows))))
    got = lintseq.transform(shuffled, seed=9, index_field="row")
    assert_same_rows(got.sort_by("index"), want)


def test_rows_without_a_path_are_counted_as_rejects():
    table = pa.table({
        "response": ["x = 1\ny = x\n", None, "# just a comment\n", "def f(:\n"],
        "instruction": ["a", "b", "c", "d"],
        "file": ["a.jsonl", "a.jsonl", "b.jsonl", "b.jsonl"],
        "row": [10, 11, 0, 1],
    })
    out, rejects = lintseq.transform(
        table, index_field="row", source_file_field="file", paths_per_sample=2, keep_columns=True, return_rejects=True
    )
    assert out["index"].to_pylist()[:2] == [10, 10]
    assert out["source_file"].to_pylist()[:2] == ["a.jsonl", "a.jsonl"]
    # The columns that say where rows come from are not copied as source_<name>.
    assert out.column_names == ["edit_path", "index", "source_file", "source_response", "source_instruction"]
    listed = [(r["source_file"], r["index"], r["path"], r["reason"]) for r in rejects.to_pylist()]
    assert listed[:4] == [("a.jsonl", 11, 0, "no_code"), ("a.jsonl", 11, 1, "no_code"),
                          ("b.jsonl", 0, 0, "nothing_deletable"), ("b.jsonl", 0, 1, "nothing_deletable")]
    assert len(listed) + out.num_rows == table.num_rows * 2
    empty = lintseq.transform(table.slice(0, 0))
    assert empty.num_rows == 0 and empty.column_names[:3] == ["edit_path", "index", "source_file"]


def test_bad_input_is_a_clear_error(repo):
    table = jsonl_table(repo / HUMANEVAL)
    with pytest.raises(ValueError, match='no code column "code"'):
        lintseq.transform(table, code_field="code")
    with pytest.raises(ValueError, match="not text"):
        lintseq.transform(pa.table({"response": [1, 2], "instruction": ["a", "b"]}))
    with pytest.raises(ValueError, match="negative row index"):
        lintseq.transform(pa.table({"response": ["x = 1"], "instruction": ["a"], "i": [-1]}), index_field="i")
    with pytest.raises(TypeError, match="pyarrow Table"):
        lintseq.transform([{"response": "x = 1"}])
    with pytest.raises(ValueError, match="paths_per_sample"):
        lintseq.transform(table, paths_per_sample=0)


def test_input_is_not_copied_through_pyarrow(repo):
    table = jsonl_table(repo / STDLIB)
    table = pa.concat_tables([table] * 4).slice(0, 8)  # small work, large input buffers
    before = pa.total_allocated_bytes()
    out = lintseq.transform(table.select(["response", "instruction"]))
    assert out.num_rows == 8
    # The output lives in Rust's memory; pyarrow allocated nothing close to the input.
    assert pa.total_allocated_bytes() - before < table.nbytes // 4


def test_the_gil_is_released_while_the_kernel_runs(repo):
    """While a thread is inside `transform`, the main thread keeps taking the GIL
    (`time.sleep(0)` hands it over and takes it back) until the worker is done. Were the
    GIL held while the rows are sampled, the main thread could take it only in the
    moments the worker spends outside Rust, a handful of turns (checked with a C loop
    holding the GIL in its place); released, it takes it thousands of times. The count
    does not depend on how fast the kernel is, only on its holding the GIL or not."""
    table = pa.concat_tables([jsonl_table(repo / STDLIB)] * 4)
    started = threading.Event()
    result = {}

    def work():
        started.set()
        result["table"] = lintseq.transform(table, num_threads=1)

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    turns = 0
    while worker.is_alive():
        turns += 1
        time.sleep(0)
    worker.join()
    assert turns >= 50, f"the main thread ran only {turns} times while transform ran"
    assert result["table"].num_rows == table.num_rows

"""LintSeq on Ray Data, row for row identical to the `lintseq` command line.

Every path is drawn from (seed, row index in its file, path number), so a row must
know its index in its file. `ray.data.read_parquet` does not say it (its blocks hold
rows of a file, but not which ones), so `read_parquet` here reads the shards itself:
one read task per run of consecutive row groups, the Parquet footer giving each run's
first row. It adds two columns, `SOURCE_FILE_COLUMN` (the input file, spelt as the
command line spells it in its `source_file` column) and `INDEX_COLUMN` (the row's
index in that file), and `transform` hands them to `lintseq.transform`. Any
repartitioning, shuffling or batch size in between leaves the output rows unchanged.

    import ray
    import lintseq.ray

    ds = lintseq.ray.read_parquet("data/")   # the directory `lintseq -p data/` reads
    out = ds.map_batches(lintseq.ray.transform, batch_format="pyarrow", fn_kwargs={"seed": 1})
    out.write_parquet("out/")

The paths must be readable from every node of the cluster (a local directory on a
one-machine cluster, a shared mount otherwise).
"""

from __future__ import annotations

import os
from typing import Any, Iterator, Optional, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

import lintseq
from lintseq import _lintseq

__all__ = ["INDEX_COLUMN", "SOURCE_FILE_COLUMN", "plan", "read_parquet", "transform"]

INDEX_COLUMN = "__lintseq_index"
SOURCE_FILE_COLUMN = "__lintseq_source_file"


def plan(path: str, *, rows_per_block: int = 10_000) -> list[dict]:
    """The read tasks of `read_parquet`: for each input file (found as `lintseq -p
    path` finds them, in the same order), runs of consecutive row groups of about
    `rows_per_block` rows, each as a dict with `path`, `source_file`, `row_groups`
    and `first_row` (the index of its first row in the file)."""
    if rows_per_block < 1:
        raise ValueError("rows_per_block must be at least 1")
    tasks = []
    for file, source_file, file_format in _lintseq.discover(path):
        if file_format != "parquet":
            raise ValueError(f"{file}: lintseq.ray.read_parquet reads Parquet files only")
        metadata = pq.ParquetFile(file).metadata
        first_row = 0
        groups: list[int] = []
        rows = 0
        for group in range(metadata.num_row_groups):
            groups.append(group)
            rows += metadata.row_group(group).num_rows
            if rows >= rows_per_block or group + 1 == metadata.num_row_groups:
                tasks.append({
                    # Opened by workers, whose working directory is not ours.
                    "path": os.path.abspath(file),
                    "source_file": source_file,
                    "row_groups": groups,
                    "first_row": first_row,
                })
                first_row += rows
                groups, rows = [], 0
    return tasks


def _read(tasks: pa.Table, columns: Optional[Sequence[str]]) -> Iterator[pa.Table]:
    for task in tasks.to_pylist():
        table = pq.ParquetFile(task["path"]).read_row_groups(task["row_groups"], columns=columns)
        first = task["first_row"]
        yield table.append_column(
            SOURCE_FILE_COLUMN, pa.array([task["source_file"]] * table.num_rows, pa.string())
        ).append_column(INDEX_COLUMN, pa.array(range(first, first + table.num_rows), pa.int64()))


def read_parquet(
    path: str,
    *,
    columns: Optional[Sequence[str]] = None,
    rows_per_block: int = 10_000,
    **ray_remote_args: Any,
):
    """A Ray Dataset of the Parquet shards under `path` (a file, a directory or a glob,
    as `lintseq -p` takes it), with the columns `SOURCE_FILE_COLUMN` and
    `INDEX_COLUMN` added. `columns`: read only these (for example the code and prompt
    columns). Blocks hold about `rows_per_block` rows, never parts of a row group;
    `ray_remote_args` go to the read tasks."""
    import ray.data

    tasks = plan(path, rows_per_block=rows_per_block)
    if not tasks:
        raise ValueError(f"{path}: no rows to read")
    return ray.data.from_items(tasks, override_num_blocks=len(tasks)).map_batches(
        _read,
        batch_size=1,
        batch_format="pyarrow",
        fn_kwargs={"columns": list(columns) if columns is not None else None},
        **ray_remote_args,
    )


def transform(batch: pa.Table, **kwargs: Any) -> pa.Table:
    """`lintseq.transform` on a batch of `read_parquet`'s rows, each row keeping its
    source file and index: use with `map_batches(..., batch_format="pyarrow")`,
    passing `transform`'s settings in `fn_kwargs`."""
    return lintseq.transform(batch, index_field=INDEX_COLUMN, source_file_field=SOURCE_FILE_COLUMN, **kwargs)

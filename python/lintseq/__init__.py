"""LintSeq synthetic edit sequences for code datasets.

The Python face of the `lintseq` Rust crate: every function here hands its work to
the compiled extension `lintseq._lintseq`, so the package samples exactly what the
`lintseq` command line samples.

- `sample(code)`: one edit path of a program (a list of insertion-only diffs).
- `lint(code)`: the built-in linter's findings.
- `transform(table)`: a whole table of programs, with the columns the command line
  writes (`edit_path`, `index`, `source_file`, `source_<code field>`, ...).
- `lintseq.ray`: the same on Ray Data, row for row identical to the command line.
"""

from __future__ import annotations

from typing import Any, Optional

import pyarrow as pa

from lintseq import _lintseq
from lintseq._lintseq import RejectError, __version__

__all__ = ["RejectError", "__version__", "languages", "lint", "sample", "transform"]


def sample(code: str, *, lang: str = "python", seed: int = 0, index: int = 0, **config: Any) -> list[str]:
    """One edit path of `code`: insertion-only unified diffs from the empty program to
    the full one.

    The path is the one `transform` (and the command line) samples for a row at
    position `index` of its file under `seed`; a Markdown fence is stripped first, as
    there. `config` takes the sampler settings (`sampler="random"`, `max_depth=...`,
    see `transform`). Raises `RejectError` (its `reason` says why) when the program
    yields no path, for example when it has no line the sampler may delete.
    """
    return _lintseq.sample(code, lang=lang, seed=seed, index=index, config=config)


def lint(code: str, *, lang: str = "python") -> list[dict]:
    """The built-in linter's findings for `code`: dicts with `line` (1-based),
    `column`, `code` (the pylint message id, such as "E0602") and `message`, as
    `lintseq lint --format json` prints them."""
    return _lintseq.lint(code, lang=lang)


def languages() -> list[str]:
    """The names `lang=` accepts (besides "auto", which picks each row's language from
    its Markdown fence tag)."""
    return _lintseq.languages()


def _arrow_stream(data: Any) -> Any:
    """`data` as an object exporting an Arrow C stream, without copying Arrow data."""
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, (pa.Table, pa.RecordBatchReader)):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        # The pandas index is a label, not data: never a column of the output.
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars" and hasattr(data, "to_arrow"):
        return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        return data
    raise TypeError(
        f"transform takes a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or polars "
        f"DataFrame, or an object with __arrow_c_stream__, not {type(data).__name__}"
    )


def transform(
    data: Any,
    *,
    code_field: str = "response",
    prompt_field: Optional[str] = "instruction",
    seed: int = 1,
    paths_per_sample: int = 1,
    lang: str = "python",
    index_field: Optional[str] = None,
    source_file_field: Optional[str] = None,
    source_file: str = "",
    index_offset: int = 0,
    keep_columns: bool = False,
    emit_edit_lines: bool = False,
    num_threads: Optional[int] = None,
    return_rejects: bool = False,
    **config: Any,
):
    """LintSeq over a table of programs: one output row per sampled edit path, with the
    columns `lintseq run` writes.

    `data`: a pyarrow Table, RecordBatch or RecordBatchReader, a pandas or polars
    DataFrame, or anything exporting `__arrow_c_stream__`. Arrow data crosses into
    Rust through the Arrow C data interface without a copy (a column that is not plain
    `string` is converted); the GIL is released while the rows are sampled, on
    `num_threads` threads (default: one per CPU this process may use).

    Output columns: `edit_path` (list<string>), `index` (int64), `source_file`
    (string), `source_<code_field>`, `source_<prompt_field>` (unless `prompt_field` is
    None), with `keep_columns` every other input column as `source_<name>`, and with
    `emit_edit_lines` the `edit_lines` column. Rows that yield no path are left out;
    with `return_rejects=True` the result is `(table, rejects)`, `rejects` listing them
    as the command line's `.rejects.jsonl` does (`source_file`, `index`, `path`,
    `reason`, `detail`).

    Each path is drawn from (seed, row index, path number) alone, so a row gives the
    command line's paths when it has its index in its file: input row `i` has index
    `index_offset + i` and comes from `source_file`, unless `index_field` and
    `source_file_field` name columns saying so per row (what `lintseq.ray` adds).

    `config`: the sampler settings, named as the command line's flags:
    `sampler` ("linter" or "random"), `children_per_round`, `top_k`,
    `max_population_size`, `max_depth`, `indent_bias_sampling_factor` (None samples
    uniformly), `ignore_imports`, `ignore_comments`, `ignore_global_defs`,
    `ignore_init_errors`, `max_lint_calls`, `max_lint_lines`.
    """
    if prompt_field == "None":  # pylintseq's spelling of "no prompt column"
        prompt_field = None
    rows, rejects = _lintseq.transform(
        _arrow_stream(data),
        code_field=code_field,
        prompt_field=prompt_field,
        index_field=index_field,
        source_file_field=source_file_field,
        source_file=source_file,
        index_offset=index_offset,
        keep_columns=keep_columns,
        emit_edit_lines=emit_edit_lines,
        seed=seed,
        paths_per_sample=paths_per_sample,
        lang=lang,
        num_threads=num_threads or 0,
        config=config,
    )
    table = rows.read_all()
    if return_rejects:
        return table, rejects.read_all()
    return table

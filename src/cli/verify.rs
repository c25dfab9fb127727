//! `lintseq verify`: rebuilds every program of an output file from its edit path and
//! checks that every diff is insertion-only, the rebuild is exact, and every
//! intermediate program is clean under our linter.

use std::fs::File;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::path::Path;

use arrow::array::{Array, AsArray};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::args::{resolve_lang, VerifyArgs};
use crate::lang::Language;
use crate::lintseq::edit_path::apply_diff;
use crate::lintseq::fence::strip_chain_of_thought;

/// One output row: where it is, its edit path and its source code field.
struct Row {
    /// 1-based line (JSONL) or 0-based row (Parquet), for messages.
    at: String,
    edit_path: Vec<String>,
    source: String,
}

#[derive(Default)]
struct Tally {
    rows: usize,
    diffs: usize,
    insertion_only: usize,
    exact: usize,
    intermediate: usize,
    clean_intermediate: usize,
    failures: Vec<String>,
}

fn jsonl_rows(path: &Path, column: &str) -> Result<Vec<Row>, String> {
    let file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        let value: serde_json::Value =
            serde_json::from_str(&line).map_err(|e| format!("{}:{}: malformed JSON: {e}", path.display(), i + 1))?;
        let at = format!("{}:{}", path.display(), i + 1);
        let edit_path = value["edit_path"]
            .as_array()
            .and_then(|a| a.iter().map(|d| d.as_str().map(String::from)).collect::<Option<Vec<_>>>())
            .ok_or_else(|| format!("{at}: column edit_path is not a list of strings"))?;
        let source = value[column].as_str().ok_or_else(|| format!("{at}: column {column} is missing or not a string"))?.to_string();
        rows.push(Row { at, edit_path, source });
    }
    Ok(rows)
}

fn parquet_rows(path: &Path, column: &str) -> Result<Vec<Row>, String> {
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = File::open(path).map_err(|e| err(&e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| err(&e))?.build().map_err(|e| err(&e))?;
    let mut rows = Vec::new();
    for batch in reader {
        let batch = batch.map_err(|e| err(&e))?;
        let paths = batch.column_by_name("edit_path").ok_or_else(|| err(&"no column edit_path"))?;
        let sources = batch.column_by_name(column).ok_or_else(|| err(&format!("no column {column}")))?;
        let paths = paths.as_list_opt::<i32>().ok_or_else(|| err(&"edit_path is not list<utf8>"))?;
        let sources = sources.as_string_opt::<i32>().ok_or_else(|| err(&format!("{column} is not utf8")))?;
        for i in 0..batch.num_rows() {
            let at = format!("{} row {}", path.display(), rows.len());
            let diffs = paths.value(i);
            let diffs = diffs.as_string_opt::<i32>().ok_or_else(|| format!("{at}: edit_path is not list<utf8>"))?;
            let edit_path = (0..diffs.len()).map(|j| diffs.value(j).to_string()).collect();
            let source = if sources.is_null(i) { String::new() } else { sources.value(i).to_string() };
            rows.push(Row { at, edit_path, source });
        }
    }
    Ok(rows)
}

fn check_row(lang: &dyn Language, row: &Row, tally: &mut Tally) {
    let program = strip_chain_of_thought(&row.source, lang.fence_tags());
    let context = lang.program_context(&program);
    let mut state: Vec<String> = Vec::new();
    let last = row.edit_path.len().saturating_sub(1);
    for (k, diff) in row.edit_path.iter().enumerate() {
        tally.diffs += 1;
        let applied = match apply_diff(&state, diff) {
            Ok(applied) => applied,
            Err(e) => {
                tally.failures.push(format!("{}: diff {k} does not apply: {e}", row.at));
                return;
            }
        };
        if applied.insertion_only {
            tally.insertion_only += 1;
        } else {
            tally.failures.push(format!("{}: diff {k} is not insertion-only", row.at));
        }
        state = applied.lines;
        if k < last {
            tally.intermediate += 1;
            let findings = lang.lint_in_context(&state.join("\n"), &context);
            match findings.first() {
                None => tally.clean_intermediate += 1,
                Some(d) => tally.failures.push(format!(
                    "{}: intermediate program {} is not clean: line {} {} {}",
                    row.at,
                    k + 1,
                    d.line + 1,
                    d.code,
                    d.message
                )),
            }
        }
    }
    if state.join("\n") == program {
        tally.exact += 1;
    } else {
        tally.failures.push(format!("{}: the edit path does not rebuild the program exactly", row.at));
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "n/a".into()
    } else {
        format!("{:.2}%", 100.0 * part as f64 / whole as f64)
    }
}

pub fn verify(args: &VerifyArgs) -> Result<u8, String> {
    let lang = resolve_lang(&args.lang)?;
    let column = format!("source_{}", args.code_data_field);
    let is_parquet = args.file.extension().is_some_and(|e| e == "parquet");
    let rows = if is_parquet { parquet_rows(&args.file, &column)? } else { jsonl_rows(&args.file, &column)? };
    let mut tally = Tally { rows: rows.len(), ..Tally::default() };
    for row in &rows {
        check_row(lang, row, &mut tally);
    }
    let mut report = String::new();
    let _ = writeln!(report, "rows:                        {}", tally.rows);
    let _ = writeln!(report, "diffs insertion-only:        {}/{} ({})", tally.insertion_only, tally.diffs, percent(tally.insertion_only, tally.diffs));
    let _ = writeln!(report, "paths rebuilt exactly:       {}/{} ({})", tally.exact, tally.rows, percent(tally.exact, tally.rows));
    let _ = writeln!(report, 
        "clean intermediate programs: {}/{} ({})",
        tally.clean_intermediate,
        tally.intermediate,
        percent(tally.clean_intermediate, tally.intermediate)
    );
    let shown = if args.all_failures { tally.failures.len() } else { tally.failures.len().min(20) };
    for failure in &tally.failures[..shown] {
        let _ = writeln!(report, "FAIL {failure}");
    }
    if shown < tally.failures.len() {
        let _ = writeln!(report, "... {} more failures (--all-failures shows them)", tally.failures.len() - shown);
    }
    // A reader that went away (`| head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(report.as_bytes());
    Ok(if tally.failures.is_empty() { 0 } else { 1 })
}

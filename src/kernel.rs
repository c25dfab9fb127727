//! The LintSeq kernel: a column-to-column function. A code column (with each row's
//! index in its file) goes in; `edit_path`, `edit_lines` and `index` columns come out,
//! one output row per sampled path, plus the input position each output row copies its
//! source columns from. Rows run in parallel on a rayon pool and are assembled in row
//! order; every random draw depends on (seed, row index, path) alone, so the output is
//! the same whatever the thread count or batch size.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Once};

use arrow::array::{
    Array, Int32Builder, Int64Array, ListArray, ListBuilder, StringArray, StringBuilder, UInt32Array,
};
use rayon::prelude::*;
use rayon::ThreadPool;

use crate::lang::{self, Language};
use crate::lintseq::{fence, sample_edit_path, EditPath, Reject, SamplerConfig};
use crate::pipeline::LangChoice;

/// Drop reason: the code cell is null or not a string.
pub const NO_CODE: &str = "no_code";
/// Drop reason: sampling the path panicked (a bug; the run goes on).
pub const PANIC: &str = "panic";

/// Why one path of one row was not written, with what the user needs to find out more
/// (the panic message and place, or the budget that ran out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowReject {
    pub reason: &'static str,
    pub detail: Option<String>,
}

impl RowReject {
    fn new(reason: &'static str) -> Self {
        RowReject { reason, detail: None }
    }
}

thread_local! {
    /// Set while this thread runs code whose panics are caught and recorded as rejects.
    static QUIET_PANICS: Cell<bool> = const { Cell::new(false) };
    /// The message and place of the last panic caught quietly on this thread.
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs (once per process) a panic hook that stays silent on threads inside
/// [`catch_quietly`] and records the message there instead; elsewhere the previous hook
/// runs, so a bug outside a row still reports as usual.
fn install_quiet_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET_PANICS.with(Cell::get) {
                let message = panic_message(info.payload());
                let detail = match info.location() {
                    Some(at) => format!("{message} at {}:{}", at.file(), at.line()),
                    None => message,
                };
                LAST_PANIC.with(|last| *last.borrow_mut() = Some(detail));
            } else {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

/// Runs `f`, turning a panic into `Err(message at file:line)` without printing it.
pub fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_quiet_panic_hook();
    let was_quiet = QUIET_PANICS.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET_PANICS.with(|q| q.set(was_quiet));
    result.map_err(|payload| {
        LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_else(|| panic_message(payload.as_ref()))
    })
}

/// What the kernel needs from the run's settings.
#[derive(Clone)]
pub struct KernelConfig {
    pub lang: LangChoice,
    pub sampler: SamplerConfig,
    pub seed: u64,
    pub paths_per_sample: usize,
    pub emit_edit_lines: bool,
}

/// The kernel's result for one batch.
#[derive(Debug)]
pub struct KernelOutput {
    /// `list<utf8>`: the diffs of each path.
    pub edit_path: ListArray,
    /// `list<list<int32>>`: per diff, the 0-based original lines it inserts.
    pub edit_lines: Option<ListArray>,
    /// Each output row's index in its source file.
    pub index: Int64Array,
    /// Each output row's position in the input batch.
    pub take: UInt32Array,
    /// Row-paths not written, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Every row-path not written: (position in the batch, path number, why).
    pub rejects: Vec<(u32, u64, RowReject)>,
    pub lint_calls: u64,
}

/// The language of a program under `choice`: the fixed one, or for `Auto` the first
/// Markdown fence tag in the text that names a registered language (else Python).
pub fn pick_language(choice: LangChoice, text: &str) -> &'static dyn Language {
    match choice {
        LangChoice::Fixed(lang) => lang,
        LangChoice::Auto => {
            let mut rest = text;
            while let Some(start) = rest.find("```") {
                rest = &rest[start + 3..];
                let tag_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "+-_#.".contains(c)))
                    .unwrap_or(rest.len());
                if let Some(lang) = lang::by_name(&rest[..tag_len]) {
                    return lang;
                }
            }
            lang::by_name("python").expect("python is registered")
        }
    }
}

/// Every path of one row, in path order; `Err` holds why a path is dropped. A panic
/// anywhere in the row (fence stripping, language pick, sampling) drops the row, quietly.
pub fn process_row(cfg: &KernelConfig, code: Option<&str>, row: u64) -> Vec<Result<EditPath, RowReject>> {
    let Some(text) = code else {
        return vec![Err(RowReject::new(NO_CODE)); cfg.paths_per_sample];
    };
    let prepared = catch_quietly(|| {
        let lang = pick_language(cfg.lang, text);
        (lang, fence::strip_chain_of_thought(text, lang.fence_tags()))
    });
    let (lang, program) = match prepared {
        Ok(prepared) => prepared,
        Err(message) => {
            return vec![Err(RowReject { reason: PANIC, detail: Some(message) }); cfg.paths_per_sample];
        }
    };
    (0..cfg.paths_per_sample as u64)
        .map(|path| {
            // With the `trace-calls` feature every lint call is recorded (`src/trace.rs`).
            #[cfg(feature = "trace-calls")]
            let lang = &crate::trace::Traced { inner: lang, row, path };
            catch_quietly(|| sample_edit_path(lang, &program, &cfg.sampler, cfg.seed, row, path))
        })
        .map(|sampled| match sampled {
            Ok(Ok(edit_path)) => Ok(edit_path),
            Ok(Err(Reject::Budget)) => Err(RowReject {
                reason: Reject::Budget.reason(),
                detail: Some(format!(
                    "over {} lint calls or {} lines linted",
                    cfg.sampler.max_lint_calls, cfg.sampler.max_lint_lines
                )),
            }),
            Ok(Err(reject)) => Err(RowReject::new(reject.reason())),
            Err(message) => Err(RowReject { reason: PANIC, detail: Some(message) }),
        })
        .collect()
}

/// Runs the kernel over a code column; `rows[i]` is row `i`'s index in its file.
pub fn run(pool: &ThreadPool, cfg: &KernelConfig, code: &StringArray, rows: &[u64]) -> KernelOutput {
    assert_eq!(code.len(), rows.len(), "one row index per code cell");
    let results: Vec<Vec<Result<EditPath, RowReject>>> = pool.install(|| {
        (0..code.len())
            .into_par_iter()
            .with_max_len(1)
            .map(|i| process_row(cfg, code.is_valid(i).then(|| code.value(i)), rows[i]))
            .collect()
    });
    assemble(cfg, &results, rows)
}

fn assemble(cfg: &KernelConfig, results: &[Vec<Result<EditPath, RowReject>>], rows: &[u64]) -> KernelOutput {
    let item = Arc::new(arrow::datatypes::Field::new("item", arrow::datatypes::DataType::Utf8, true));
    let mut edit_path = ListBuilder::new(StringBuilder::new()).with_field(item);
    let mut edit_lines = cfg.emit_edit_lines.then(|| ListBuilder::new(ListBuilder::new(Int32Builder::new())));
    let mut index = Vec::new();
    let mut take = Vec::new();
    let mut dropped = BTreeMap::new();
    let mut rejects = Vec::new();
    let mut lint_calls = 0;
    for (position, paths) in results.iter().enumerate() {
        for (path_number, result) in paths.iter().enumerate() {
            match result {
                Ok(path) => {
                    lint_calls += path.lint_calls as u64;
                    for diff in &path.diffs {
                        edit_path.values().append_value(diff);
                    }
                    edit_path.append(true);
                    if let Some(builder) = &mut edit_lines {
                        for lines in &path.inserted_lines {
                            for &line in lines {
                                builder.values().values().append_value(line as i32);
                            }
                            builder.values().append(true);
                        }
                        builder.append(true);
                    }
                    index.push(rows[position] as i64);
                    take.push(position as u32);
                }
                Err(reject) => {
                    *dropped.entry(reject.reason).or_insert(0) += 1;
                    rejects.push((position as u32, path_number as u64, reject.clone()));
                }
            }
        }
    }
    KernelOutput {
        edit_path: edit_path.finish(),
        edit_lines: edit_lines.map(|mut b| b.finish()),
        index: Int64Array::from(index),
        take: UInt32Array::from(take),
        dropped,
        rejects,
        lint_calls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(paths: usize) -> KernelConfig {
        KernelConfig {
            lang: LangChoice::Auto,
            sampler: SamplerConfig::default(),
            seed: 1,
            paths_per_sample: paths,
            emit_edit_lines: true,
        }
    }

    #[test]
    fn auto_language_defaults_to_python() {
        assert_eq!(pick_language(LangChoice::Auto, "no fences").name(), "python");
        assert_eq!(pick_language(LangChoice::Auto, "```py\nx = 1\n```").name(), "python");
    }

    #[test]
    fn rows_come_out_in_order_with_drops_counted() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let code = StringArray::from(vec![Some("x = 1\ny = x"), None, Some("# only a comment"), Some("z = 2")]);
        let out = run(&pool, &config(2), &code, &[10, 11, 12, 13]);
        assert_eq!(out.take.values().to_vec(), vec![0, 0, 3, 3]);
        assert_eq!(out.index.values().to_vec(), vec![10, 10, 13, 13]);
        assert_eq!(out.dropped.get(NO_CODE), Some(&2));
        assert_eq!(out.dropped.get("nothing_deletable"), Some(&2));
        assert_eq!(out.edit_lines.unwrap().len(), 4);
        let reasons: Vec<(u32, u64, &str)> = out.rejects.iter().map(|(p, n, r)| (*p, *n, r.reason)).collect();
        assert_eq!(reasons, vec![(1, 0, NO_CODE), (1, 1, NO_CODE), (2, 0, "nothing_deletable"), (2, 1, "nothing_deletable")]);
    }

    #[test]
    fn a_panic_becomes_a_quiet_reject_with_its_message() {
        let caught = catch_quietly(|| -> u32 { panic!("row {} is cursed", 7) });
        let message = caught.unwrap_err();
        assert!(message.starts_with("row 7 is cursed at "), "{message}");
        assert!(message.contains("kernel.rs"), "{message}");
        assert_eq!(catch_quietly(|| 5), Ok(5));
    }
}

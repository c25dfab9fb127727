//! The run: sources -> record batches -> the LintSeq kernel (in parallel) -> sink.
//! (Being written; `RunConfig` is the contract with the command line.)

use std::path::PathBuf;

use crate::lang::Language;
use crate::lintseq::SamplerConfig;

/// Output format of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    Jsonl,
    Parquet,
}

/// Which language a row is in.
#[derive(Clone, Copy)]
pub enum LangChoice {
    Fixed(&'static dyn Language),
    /// Picked per row from its Markdown fence tag (rows without a known tag: python).
    Auto,
}

/// Progress reporting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// A bar on a terminal, a periodic line otherwise.
    Auto,
    Quiet,
}

/// Everything a run needs, resolved from the command line.
#[derive(Clone)]
pub struct RunConfig {
    /// `-p`: a file, a directory or a glob.
    pub input: String,
    /// `-d`: where outputs go.
    pub dest_dir: PathBuf,
    /// `-n`: rows to sample without replacement; `None` for all.
    pub num_samples: Option<usize>,
    /// `-n` as given ("all" or the number), for pylintseq's output name.
    pub num_samples_label: String,
    /// `-c`: worker threads.
    pub num_workers: usize,
    /// `-s`: edit paths per row.
    pub paths_per_sample: usize,
    pub seed: u64,
    pub code_field: String,
    /// `None` when the prompt field is given as `None`.
    pub prompt_field: Option<String>,
    pub lang: LangChoice,
    pub sampler: SamplerConfig,
    /// `None`: the input's format.
    pub format: Option<OutputFormat>,
    pub keep_columns: bool,
    pub emit_edit_lines: bool,
    /// Rows per record batch.
    pub batch_size: usize,
    pub overwrite: bool,
    pub progress: Progress,
    /// Abort on the first bad row instead of skipping and counting it.
    pub strict: bool,
}

//! The run: sources -> record batches -> the LintSeq kernel (in parallel) -> sink.
//!
//! A reader thread per input file decodes record batches ahead (a bounded channel);
//! the main thread hands each batch to the kernel on a rayon pool, a few batches in
//! flight so workers stay busy across batch boundaries, and writes the results in input
//! order. [`RunConfig`] is the contract with the command line.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use arrow::array::{ArrayRef, RecordBatch, StringArray};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};

use crate::io::input::{classify, InputKind};
use crate::io::sink::{companion_path, partial_path, CommitPoint, JsonlSink, ParquetSink, RejectsSink, Sink};
use crate::io::{self, Columns, InputFile, InputFormat, ReadAhead, ReadOptions, SourceBatch};
use crate::kernel::{self, KernelConfig, KernelOutput};
use crate::lang::Language;
use crate::lintseq::SamplerConfig;

pub use crate::io::Error;

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
    /// Parquet output: most rows in a row group (also the resume granularity).
    pub row_group_rows: usize,
    pub overwrite: bool,
    pub progress: Progress,
    /// Abort on the first bad row instead of skipping and counting it.
    pub strict: bool,
    /// Continue an interrupted run from its last commit point; outputs already complete
    /// are kept.
    pub resume: bool,
}

/// Drop reason: a JSON Lines row that is not a JSON object.
pub const BAD_JSON: &str = "bad_json";

/// What a run did. Drops are counted in row-paths (an input row yields
/// `paths_per_sample` output rows), so `rows_read * paths_per_sample ==
/// rows_written + sum(dropped)`.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Input rows looked at (after `-n`), malformed ones included.
    pub rows_read: u64,
    pub rows_written: u64,
    /// Row-paths not written, by reason (`no_code`, `bad_json`, `nothing_deletable`,
    /// `budget`, `panic`).
    pub dropped: BTreeMap<String, u64>,
    pub paths_per_sample: usize,
    pub input_files: usize,
    pub outputs: Vec<PathBuf>,
    /// The `<output>.rejects.jsonl` files written (one line per dropped row-path).
    pub rejects_files: Vec<PathBuf>,
    /// With `--resume`: outputs found complete and kept (their rows are not counted).
    pub outputs_already_complete: usize,
    pub lint_calls: u64,
    pub elapsed: Duration,
}

impl Summary {
    pub fn rows_dropped(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// Input rows per second of wall time.
    pub fn rows_per_second(&self) -> f64 {
        self.rows_read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn add_dropped(&mut self, reason: &str, count: u64) {
        if count > 0 {
            *self.dropped.entry(reason.to_string()).or_insert(0) += count;
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files = if self.input_files == 1 { "1 file".to_string() } else { format!("{} files", self.input_files) };
        write!(
            f,
            "read {} rows from {files}, wrote {} rows ({} path{} per row) in {:.1} s ({:.1} rows/s)",
            self.rows_read,
            self.rows_written,
            self.paths_per_sample,
            if self.paths_per_sample == 1 { "" } else { "s" },
            self.elapsed.as_secs_f64(),
            self.rows_per_second(),
        )?;
        if self.lint_calls > 0 {
            let per_row = self.lint_calls as f64 / self.rows_written.max(1) as f64;
            write!(f, "\nlinter calls: {} ({per_row:.1} per row written)", self.lint_calls)?;
        }
        if !self.dropped.is_empty() {
            let reasons: Vec<String> = self.dropped.iter().map(|(r, n)| format!("{r} {n}")).collect();
            write!(f, "\ndropped {}: {}", self.rows_dropped(), reasons.join(", "))?;
            match self.rejects_files.as_slice() {
                [] => {}
                [one] => write!(f, " (listed in {})", one.display())?,
                many => write!(f, " (listed in {} .rejects.jsonl files)", many.len())?,
            }
        }
        if self.outputs_already_complete > 0 {
            write!(f, "\nresumed: {} output(s) were already complete and kept", self.outputs_already_complete)?;
        }
        match self.outputs.as_slice() {
            [] => Ok(()),
            [one] => write!(f, "\noutput: {}", one.display()),
            many => write!(f, "\noutputs: {} files under {}", many.len(), common_dir(many).display()),
        }
    }
}

fn common_dir(paths: &[PathBuf]) -> PathBuf {
    let mut common = paths[0].parent().map(Path::to_path_buf).unwrap_or_default();
    for path in &paths[1..] {
        while !path.starts_with(&common) {
            if !common.pop() {
                break;
            }
        }
    }
    common
}

/// One input file and where its output goes.
struct Job {
    input: InputFile,
    output: PathBuf,
    format: OutputFormat,
    /// Sorted rows to read under `-n`.
    selection: Option<Vec<u64>>,
}

fn extension(format: OutputFormat) -> &'static str {
    match format {
        OutputFormat::Jsonl => "jsonl",
        OutputFormat::Parquet => "parquet",
    }
}

/// pylintseq's name for a single input: `<stem>_<n>_<paths>_<seed>_vec.<ext>`, the stem
/// being the file name up to its first dot.
pub fn single_output_name(input: &str, cfg: &RunConfig, format: OutputFormat) -> String {
    let name = input.rsplit('/').next().unwrap_or(input);
    let stem = name.find('.').map_or(name, |dot| &name[..dot]);
    format!(
        "{stem}_{}_{}_{}_vec.{}",
        cfg.num_samples_label,
        cfg.paths_per_sample,
        cfg.seed,
        extension(format)
    )
}

fn plan(cfg: &RunConfig) -> Result<Vec<Job>, Error> {
    let inputs = io::discover(&cfg.input)?;
    let mut jobs = Vec::new();
    for input in inputs.files {
        let format = cfg.format.unwrap_or(match input.format {
            InputFormat::Jsonl => OutputFormat::Jsonl,
            InputFormat::Parquet => OutputFormat::Parquet,
        });
        let output = match inputs.kind {
            InputKind::SingleFile => cfg.dest_dir.join(single_output_name(&cfg.input, cfg, format)),
            InputKind::Sharded => {
                let name = input.rel_path.file_name().unwrap_or_default().to_string_lossy().into_owned();
                let suffix = classify(&name).map_or(0, |c| c.2);
                let renamed = format!("{}.{}", &name[..name.len() - suffix], extension(format));
                cfg.dest_dir.join(input.rel_path.with_file_name(renamed))
            }
        };
        jobs.push(Job { input, output, format, selection: None });
    }
    let mut seen = HashSet::new();
    let inputs: HashSet<PathBuf> = jobs.iter().filter_map(|j| j.input.path.canonicalize().ok()).collect();
    for job in &jobs {
        if !seen.insert(job.output.clone()) {
            return Err(Error::Input {
                input: cfg.input.clone(),
                reason: format!("two inputs would both be written to {}", job.output.display()),
            });
        }
        if job.output.canonicalize().is_ok_and(|p| inputs.contains(&p)) {
            return Err(Error::Input {
                input: cfg.input.clone(),
                reason: format!("the output {} would replace an input", job.output.display()),
            });
        }
        if !cfg.overwrite && !cfg.resume && job.output.exists() {
            return Err(Error::OutputExists { path: job.output.clone() });
        }
    }
    Ok(jobs)
}

/// Draws `-n` rows uniformly without replacement across all inputs, from the seed
/// alone, and hands each file its sorted share.
fn select_rows(jobs: &mut [Job], wanted: usize, seed: u64) -> Result<(), Error> {
    let mut counts = Vec::with_capacity(jobs.len());
    for job in jobs.iter() {
        counts.push(io::count_rows(&job.input)?);
    }
    let total: u64 = counts.iter().sum();
    if wanted as u64 > total {
        return Err(Error::TooManySamples { requested: wanted, available: total });
    }
    let mut rng = crate::lintseq::rng::dataset_rng(seed);
    let mut drawn: Vec<u64> =
        rand::seq::index::sample(&mut rng, total as usize, wanted).into_iter().map(|i| i as u64).collect();
    drawn.sort_unstable();
    let mut start = 0u64;
    let mut drawn = drawn.into_iter().peekable();
    for (job, count) in jobs.iter_mut().zip(counts) {
        let end = start + count;
        let mut mine = Vec::new();
        while let Some(row) = drawn.next_if(|&row| row < end) {
            mine.push(row - start);
        }
        job.selection = Some(mine);
        start = end;
    }
    Ok(())
}

fn string_list(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

fn output_schema(cfg: &RunConfig, other_fields: &[FieldRef]) -> SchemaRef {
    output_columns(&cfg.code_field, cfg.prompt_field.as_deref(), other_fields, cfg.emit_edit_lines)
}

/// The output columns, in order: `edit_path`, `index`, `source_file`, the code and
/// prompt fields and the other kept fields as `source_<name>`, then `edit_lines`.
/// Shared by the run and the Python bindings, so both write the same layout.
pub fn output_columns(
    code_field: &str,
    prompt_field: Option<&str>,
    other_fields: &[FieldRef],
    emit_edit_lines: bool,
) -> SchemaRef {
    let mut fields = vec![
        Field::new("edit_path", string_list(DataType::Utf8), false),
        Field::new("index", DataType::Int64, false),
        Field::new("source_file", DataType::Utf8, false),
        Field::new(format!("source_{code_field}"), DataType::Utf8, true),
    ];
    if let Some(prompt) = prompt_field {
        fields.push(Field::new(format!("source_{prompt}"), DataType::Utf8, true));
    }
    for field in other_fields {
        fields.push(field.as_ref().clone().with_name(format!("source_{}", field.name())));
    }
    if emit_edit_lines {
        fields.push(Field::new("edit_lines", string_list(string_list(DataType::Int32)), false));
    }
    Arc::new(Schema::new(fields))
}

fn lang_label(lang: LangChoice) -> &'static str {
    match lang {
        LangChoice::Fixed(lang) => lang.name(),
        LangChoice::Auto => "auto",
    }
}

/// The Parquet key-value metadata: what produced the file. Only settings that change
/// the output are recorded, so the bytes stay the same across worker counts.
fn parquet_metadata(cfg: &RunConfig, source_file: &str) -> Vec<(String, String)> {
    vec![
        ("lintseq.version".to_string(), env!("CARGO_PKG_VERSION").to_string()),
        ("lintseq.seed".to_string(), cfg.seed.to_string()),
        ("lintseq.config".to_string(), output_config(cfg, source_file).to_string()),
    ]
}

/// The settings that change an output's bytes.
fn output_config(cfg: &RunConfig, source_file: &str) -> serde_json::Value {
    serde_json::json!({
        "lintseq_version": env!("CARGO_PKG_VERSION"),
        "seed": cfg.seed,
        "paths_per_sample": cfg.paths_per_sample,
        "num_samples": cfg.num_samples_label,
        "code_field": cfg.code_field,
        "prompt_field": cfg.prompt_field,
        "lang": lang_label(cfg.lang),
        "keep_columns": cfg.keep_columns,
        "emit_edit_lines": cfg.emit_edit_lines,
        "source_file": source_file,
        "sampler": cfg.sampler,
    })
}

/// Counters the progress reporter reads.
#[derive(Default)]
struct Counters {
    rows_done: AtomicU64,
    rows_written: AtomicU64,
}

/// Progress while the run goes on: a bar with rows/s and ETA when stderr is a terminal,
/// a line every few seconds otherwise (logs, CI).
struct ProgressReporter {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ProgressReporter {
    const EVERY: Duration = Duration::from_secs(5);

    /// `total`: rows the run will read, when known without reading the data.
    fn start(mode: Progress, counters: Arc<Counters>, total: Option<u64>) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = (mode == Progress::Auto).then(|| {
            let stop = stop.clone();
            if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                std::thread::spawn(move || Self::bar(&stop, &counters, total))
            } else {
                std::thread::spawn(move || Self::lines(&stop, &counters))
            }
        });
        ProgressReporter { stop, thread }
    }

    fn bar(stop: &AtomicBool, counters: &Counters, total: Option<u64>) {
        let bar = match total {
            Some(total) => indicatif::ProgressBar::new(total).with_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  ETA {eta}  {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            ),
            None => indicatif::ProgressBar::new_spinner().with_style(
                indicatif::ProgressStyle::with_template("{spinner} {pos} rows  {per_sec}  {elapsed}  {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            ),
        };
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(200));
            bar.set_position(counters.rows_done.load(Ordering::Relaxed));
            bar.set_message(format!("{} written", counters.rows_written.load(Ordering::Relaxed)));
        }
        bar.finish_and_clear();
    }

    fn lines(stop: &AtomicBool, counters: &Counters) {
        let start = Instant::now();
        let mut next = Self::EVERY;
        while !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            let elapsed = start.elapsed();
            if elapsed >= next {
                next += Self::EVERY;
                let done = counters.rows_done.load(Ordering::Relaxed);
                let written = counters.rows_written.load(Ordering::Relaxed);
                eprintln!(
                    "lintseq: {done} rows done, {written} written, {:.1} rows/s, {:.0} s",
                    done as f64 / elapsed.as_secs_f64(),
                    elapsed.as_secs_f64()
                );
            }
        }
    }
}

/// Rows the run will read, when that is known without a pass over the data: the `-n`
/// selection, or Parquet metadata. `None` for JSONL inputs read whole.
fn known_total_rows(jobs: &[Job]) -> Option<u64> {
    let mut total = 0;
    for job in jobs {
        total += match (&job.selection, job.input.format) {
            (Some(rows), _) => rows.len() as u64,
            (None, InputFormat::Parquet) => io::count_rows(&job.input).ok()?,
            (None, _) => return None,
        };
    }
    Some(total)
}

impl Drop for ProgressReporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Runs LintSeq over the configured input and writes the outputs.
pub fn run(cfg: &RunConfig) -> Result<Summary, Error> {
    let started = Instant::now();
    if cfg.num_workers == 0 {
        return Err(Error::Config("the number of workers (-c) must be at least 1".into()));
    }
    if cfg.row_group_rows == 0 {
        return Err(Error::Config("the row group size must be at least 1".into()));
    }
    if cfg.batch_size == 0 {
        return Err(Error::Config("the batch size must be at least 1".into()));
    }
    let mut jobs = plan(cfg)?;
    if let Some(wanted) = cfg.num_samples {
        select_rows(&mut jobs, wanted, cfg.seed)?;
    }
    std::fs::create_dir_all(&cfg.dest_dir).map_err(|e| Error::io(&cfg.dest_dir, e))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.num_workers)
        .thread_name(|i| format!("lintseq-worker-{i}"))
        // Deeply nested programs recurse deeply in the linter; room is reserved, not used.
        .stack_size(WORKER_STACK_BYTES)
        .build()
        .map_err(|e| Error::Config(format!("cannot start {} worker threads: {e}", cfg.num_workers)))?;
    let pool = Arc::new(pool);
    let kernel_cfg = Arc::new(KernelConfig {
        lang: cfg.lang,
        sampler: cfg.sampler.clone(),
        seed: cfg.seed,
        paths_per_sample: cfg.paths_per_sample,
        emit_edit_lines: cfg.emit_edit_lines,
    });
    let counters = Arc::new(Counters::default());
    let total = if cfg.progress == Progress::Auto && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        known_total_rows(&jobs)
    } else {
        None
    };
    let _progress = ProgressReporter::start(cfg.progress, counters.clone(), total);
    let mut summary = Summary { paths_per_sample: cfg.paths_per_sample, input_files: jobs.len(), ..Summary::default() };
    for job in jobs {
        let progress_path = companion_path(&job.output, ".progress");
        let output = job.output.clone();
        let result = run_file(cfg, &pool, &kernel_cfg, job, &counters, &mut summary);
        if result.is_err() {
            // The partial output is gone with the error; a progress file would point at it.
            let _ = std::fs::remove_file(&progress_path);
            let _ = std::fs::remove_file(companion_path(&output, ".recover"));
        }
        summary.outputs.push(result?);
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Stack of each worker thread.
pub const WORKER_STACK_BYTES: usize = 64 << 20;

/// Batches being sampled at once: enough that a slow row at the end of one batch does
/// not leave workers idle, few enough to bound memory.
fn batches_in_flight(cfg: &RunConfig) -> usize {
    cfg.num_workers.clamp(2, 4) + 1
}

type KernelResult = (usize, SourceBatch, Result<KernelOutput, Error>);

/// The counts of one output, as saved in its progress file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
struct Counts {
    rows_read: u64,
    rows_written: u64,
    dropped: BTreeMap<String, u64>,
    lint_calls: u64,
}

impl Counts {
    fn add_dropped(&mut self, reason: &str, count: u64) {
        if count > 0 {
            *self.dropped.entry(reason.to_string()).or_insert(0) += count;
        }
    }

    fn add_to(&self, summary: &mut Summary) {
        summary.rows_read += self.rows_read;
        summary.rows_written += self.rows_written;
        summary.lint_calls += self.lint_calls;
        for (reason, count) in &self.dropped {
            summary.add_dropped(reason, *count);
        }
    }
}

/// An output's progress file (`.<name>.progress`, JSON): enough to continue an
/// interrupted run from its last commit point. Input batch `next_batch` is the first
/// not fully in the output; its first `skip_output_rows` output rows are.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    /// The settings and input the output comes from; a resume must match.
    fingerprint: String,
    /// Set just before the renames of a finished output.
    complete: bool,
    next_batch: u64,
    skip_output_rows: u64,
    output_rows: u64,
    output_bytes: u64,
    /// Parquet: the footer of the committed row groups, in hex.
    footer_hex: Option<String>,
    rejects_bytes: u64,
    rejects_lines: u64,
    /// Counts up to `next_batch`.
    counts: Counts,
}

impl Checkpoint {
    fn load(path: &Path) -> Result<Option<Checkpoint>, Error> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
                Error::format(path.display(), format!("unreadable progress file ({e}); run without --resume to start over"))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(path, e)),
        }
    }

    /// Replaces the progress file atomically (write, fsync, rename, fsync the folder).
    fn save(&self, path: &Path) -> Result<(), Error> {
        use std::io::Write as _;
        let temp = companion_path(path, ".tmp");
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&temp)?;
            file.write_all(&serde_json::to_vec(self).expect("serializable"))?;
            file.sync_data()?;
            std::fs::rename(&temp, path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::File::open(dir)?.sync_all()?;
            }
            Ok(())
        };
        write().map_err(|e| Error::io(path, e))
    }

    fn commit_point(&self) -> Result<CommitPoint, Error> {
        let footer = match &self.footer_hex {
            None => None,
            Some(hex) => Some(from_hex(hex).ok_or_else(|| Error::Config("the progress file holds a bad footer".into()))?),
        };
        Ok(CommitPoint { rows: self.output_rows, bytes: self.output_bytes, footer })
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

/// What an output depends on: the settings that change its bytes, its format, the batch
/// size (commit points count batches) and the input file's path and size.
fn fingerprint(cfg: &RunConfig, job: &Job) -> String {
    let input_len = std::fs::metadata(&job.input.path).map(|m| m.len()).unwrap_or(0);
    serde_json::json!({
        "config": output_config(cfg, &job.input.source_file),
        "format": extension(job.format),
        "batch_size": cfg.batch_size,
        "row_group_rows": cfg.row_group_rows,
        "input": job.input.path,
        "input_len": input_len,
    })
    .to_string()
}

/// Where an output stands before its run: to do from the start, to continue, or done.
enum Start {
    Fresh,
    Resume(Checkpoint),
    Complete,
}

fn starting_point(cfg: &RunConfig, job: &Job, fingerprint: &str, progress_path: &Path) -> Result<Start, Error> {
    if !cfg.resume {
        return Ok(Start::Fresh);
    }
    match Checkpoint::load(progress_path)? {
        Some(checkpoint) if checkpoint.fingerprint != fingerprint => Err(Error::Config(format!(
            "{}: cannot resume, the interrupted run had other settings or input; run without --resume to start over",
            job.output.display()
        ))),
        Some(checkpoint) if checkpoint.complete => {
            // Killed among the final renames: finish them.
            for path in [job.output.clone(), RejectsSink::path_for(&job.output)] {
                let partial = partial_path(&path);
                if partial.exists() {
                    std::fs::rename(&partial, &path).map_err(|e| Error::io(&path, e))?;
                }
            }
            std::fs::remove_file(progress_path).map_err(|e| Error::io(progress_path, e))?;
            Ok(Start::Complete)
        }
        Some(checkpoint) if partial_path(&job.output).exists() || companion_path(&job.output, ".recover").exists() => {
            Ok(Start::Resume(checkpoint))
        }
        _ if job.output.exists() => Ok(Start::Complete),
        _ => Ok(Start::Fresh),
    }
}

/// Where each input batch not yet committed starts: in the output, in the rejects file,
/// and in the counts.
struct BatchStart {
    batch: u64,
    output_rows: u64,
    rejects: (u64, u64),
    counts: Counts,
}

fn run_file(
    cfg: &RunConfig,
    pool: &Arc<rayon::ThreadPool>,
    kernel_cfg: &Arc<KernelConfig>,
    job: Job,
    counters: &Arc<Counters>,
    summary: &mut Summary,
) -> Result<PathBuf, Error> {
    let progress_path = companion_path(&job.output, ".progress");
    let fingerprint = fingerprint(cfg, &job);
    let checkpoint = match starting_point(cfg, &job, &fingerprint, &progress_path)? {
        Start::Complete => {
            summary.outputs_already_complete += 1;
            let rejects = RejectsSink::path_for(&job.output);
            if rejects.exists() {
                summary.rejects_files.push(rejects);
            }
            return Ok(job.output);
        }
        Start::Resume(checkpoint) => checkpoint,
        Start::Fresh => {
            // A stale progress file must never point into the new partial output.
            for stale in [progress_path.clone(), companion_path(&job.output, ".recover")] {
                match std::fs::remove_file(&stale) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(&stale, e)),
                    _ => {}
                }
            }
            Checkpoint { fingerprint: fingerprint.clone(), ..Checkpoint::default() }
        }
    };
    let options = ReadOptions {
        columns: Columns {
            code: cfg.code_field.clone(),
            prompt: cfg.prompt_field.clone(),
            keep_others: cfg.keep_columns,
        },
        batch_size: cfg.batch_size,
        strict: cfg.strict,
    };
    let source = io::open_source(&job.input, &options, job.selection)?;
    let schema = output_schema(cfg, source.other_fields());
    let resume_at = if checkpoint.output_rows > 0 || checkpoint.next_batch > 0 {
        Some(checkpoint.commit_point()?)
    } else {
        None
    };
    let mut sink: Box<dyn Sink> = match job.format {
        OutputFormat::Jsonl => Box::new(JsonlSink::open(&job.output, cfg.overwrite, resume_at.as_ref())?),
        OutputFormat::Parquet => Box::new(ParquetSink::open(
            &job.output,
            schema.clone(),
            parquet_metadata(cfg, &job.input.source_file),
            cfg.row_group_rows,
            cfg.overwrite,
            resume_at.as_ref(),
        )?),
    };
    let mut rejects = RejectsSink::open(&job.output, resume_at.as_ref().map(|_| (checkpoint.rejects_bytes, checkpoint.rejects_lines)))?;
    let source_file = job.input.source_file.as_str();
    let paths = cfg.paths_per_sample as u64;
    let mut counts = checkpoint.counts.clone();
    let mut starts = VecDeque::from([BatchStart {
        batch: checkpoint.next_batch,
        output_rows: checkpoint.output_rows - checkpoint.skip_output_rows,
        rejects: (checkpoint.rejects_bytes, checkpoint.rejects_lines),
        counts: counts.clone(),
    }]);
    let mut batches = ReadAhead::spawn(source, 2);
    let mut batches_read = 0u64;
    let (results_tx, results_rx) = mpsc::channel::<KernelResult>();
    let mut ready: BTreeMap<usize, (SourceBatch, Result<KernelOutput, Error>)> = BTreeMap::new();
    let (mut submitted, mut written, mut exhausted) = (0usize, 0usize, false);
    let mut output_rows = starts[0].output_rows;
    loop {
        while !exhausted && submitted - written - ready.len() < batches_in_flight(cfg) {
            let Some(batch) = batches.next() else {
                exhausted = true;
                break;
            };
            let batch = batch?;
            batches_read += 1;
            if batches_read <= checkpoint.next_batch {
                continue; // committed by the interrupted run
            }
            let (pool_ref, kernel_cfg, sender, seq) = (pool.clone(), kernel_cfg.clone(), results_tx.clone(), submitted);
            pool.spawn(move || {
                let output = kernel::catch_quietly(|| kernel::run(&pool_ref, &kernel_cfg, &batch.code, &batch.rows))
                    .map_err(|message| Error::Config(format!("internal error: the kernel panicked outside a row: {message}")));
                let _ = sender.send((seq, batch, output));
            });
            submitted += 1;
        }
        if written == submitted {
            break;
        }
        if !ready.contains_key(&written) {
            let (seq, batch, output) = results_rx.recv().expect("a worker holds a sender");
            ready.insert(seq, (batch, output));
            continue;
        }
        let (batch, output) = ready.remove(&written).expect("checked");
        let output = output?;
        let batch_number = checkpoint.next_batch + written as u64;
        counts.rows_read += batch.rows.len() as u64 + batch.bad_rows.len() as u64;
        counts.add_dropped(BAD_JSON, batch.bad_rows.len() as u64 * paths);
        counters.rows_done.fetch_add(batch.rows.len() as u64 + batch.bad_rows.len() as u64, Ordering::Relaxed);
        let record_batch = output_batch(&schema, &batch, &output, SourceFiles::Same(source_file))
            .map_err(|e| Error::format(job.output.display(), e))?;
        let rows = record_batch.num_rows();
        let already = if written == 0 { (checkpoint.skip_output_rows as usize).min(rows) } else { 0 };
        sink.write(&record_batch.slice(already, rows - already))?;
        output_rows += rows as u64;
        counts.rows_written += rows as u64;
        counters.rows_written.fetch_add(rows as u64, Ordering::Relaxed);
        for (reason, count) in &output.dropped {
            counts.add_dropped(reason, *count);
        }
        counts.lint_calls += output.lint_calls;
        write_rejects(&mut rejects, source_file, &batch, &output, paths)?;
        written += 1;
        starts.push_back(BatchStart {
            batch: batch_number + 1,
            output_rows,
            rejects: rejects.position(),
            counts: counts.clone(),
        });
        if let Some(point) = sink.commit_point()? {
            // The last batch that starts at or before the commit point.
            while starts.len() > 1 && starts[1].output_rows <= point.rows {
                starts.pop_front();
            }
            let start = &starts[0];
            rejects.sync()?;
            Checkpoint {
                fingerprint: fingerprint.clone(),
                complete: false,
                next_batch: start.batch,
                skip_output_rows: point.rows - start.output_rows,
                output_rows: point.rows,
                output_bytes: point.bytes,
                footer_hex: point.footer.as_deref().map(to_hex),
                rejects_bytes: start.rejects.0,
                rejects_lines: start.rejects.1,
                counts: start.counts.clone(),
            }
            .save(&progress_path)?;
        }
    }
    drop(batches);
    let output = sink.close()?;
    let rejects = rejects.close()?;
    Checkpoint { fingerprint, complete: true, ..Checkpoint::default() }.save(&progress_path)?;
    let output = output.commit()?;
    if let Some(rejects) = rejects {
        summary.rejects_files.push(rejects.commit()?);
    }
    std::fs::remove_file(&progress_path).map_err(|e| Error::io(&progress_path, e))?;
    counts.add_to(summary);
    Ok(output)
}

/// One line per dropped row-path of a batch, in row then path order.
fn write_rejects(
    rejects: &mut RejectsSink,
    source_file: &str,
    batch: &SourceBatch,
    output: &KernelOutput,
    paths: u64,
) -> Result<(), Error> {
    let mut lines: Vec<(u64, u64, &str, Option<String>)> = Vec::new();
    for bad in &batch.bad_rows {
        let detail = format!("line {}: {}", bad.line, bad.reason);
        for path in 0..paths {
            lines.push((bad.row, path, BAD_JSON, Some(detail.clone())));
        }
    }
    for (position, path, reject) in &output.rejects {
        lines.push((batch.rows[*position as usize], *path, reject.reason, reject.detail.clone()));
    }
    lines.sort_by_key(|line| (line.0, line.1));
    for (index, path, reason, detail) in lines {
        rejects.write(source_file, index, path, reason, detail.as_deref())?;
    }
    Ok(())
}

/// Where the `source_file` column of an output batch comes from.
pub enum SourceFiles<'a> {
    /// Every row of the batch comes from this file.
    Same(&'a str),
    /// Input row `i` comes from file `files[i]`.
    PerRow(&'a StringArray),
}

/// One output batch: the kernel's columns, then the source columns of the rows that
/// produced a path (repeated once per path).
pub fn output_batch(
    schema: &SchemaRef,
    batch: &SourceBatch,
    output: &KernelOutput,
    source_files: SourceFiles,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let rows = output.take.len();
    let source_file: ArrayRef = match source_files {
        SourceFiles::Same(name) => Arc::new(StringArray::from_iter_values(std::iter::repeat_n(name, rows))),
        SourceFiles::PerRow(files) => take(files, &output.take, None)?,
    };
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(output.edit_path.clone()),
        Arc::new(output.index.clone()),
        source_file,
        take(&batch.code, &output.take, None)?,
    ];
    if let Some(prompt) = &batch.prompt {
        columns.push(take(prompt, &output.take, None)?);
    }
    for other in &batch.others {
        columns.push(take(other.as_ref(), &output.take, None)?);
    }
    if let Some(edit_lines) = &output.edit_lines {
        columns.push(Arc::new(edit_lines.clone()));
    }
    RecordBatch::try_new(schema.clone(), columns)
}

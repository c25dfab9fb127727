//! Every flag, defined once. pylintseq's flag names are kept verbatim (with kebab-case
//! aliases); raw flags are resolved into a [`RunConfig`] by [`RunArgs::resolve`].

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::lang;
use crate::lintseq::{SamplerConfig, Strategy};
use crate::pipeline::{LangChoice, OutputFormat, Progress, RunConfig};

#[derive(Parser, Debug)]
#[command(
    name = "lintseq",
    version,
    about = "Turn code datasets into synthetic insertion-only edit sequences with LintSeq",
    long_about = "Turn code datasets into synthetic insertion-only edit sequences with LintSeq.\n\n\
                  Without a subcommand, `lintseq` runs like `lintseq run` and takes pylintseq's flags unchanged.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Sample edit paths for every row of a dataset (the default command).
    Run(RunArgs),
    /// Lint source files with the built-in linter.
    Lint(LintArgs),
    /// Check an output file: insertion-only diffs, exact rebuilds, clean intermediate programs.
    Verify(VerifyArgs),
    /// List the languages and their checks.
    Languages,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    Jsonl,
    Parquet,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum SamplerArg {
    /// LintSeq: delete a line and whatever the linter then blames.
    Linter,
    /// The paper's ablation: random chunks of lines, no linter.
    Random,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Source data: a .jsonl/.jsonl.gz/.jsonl.zst or .parquet file, a directory of shards, or a glob.
    #[arg(short = 'p', long = "name_or_path", alias = "name-or-path", help_heading = "pylintseq flags")]
    pub name_or_path: Option<String>,
    /// Destination directory (default: the current directory).
    #[arg(short = 'd', long = "dest_dir", alias = "dest-dir", help_heading = "pylintseq flags")]
    pub dest_dir: Option<PathBuf>,
    /// Rows to sample without replacement, or "all".
    #[arg(short = 'n', long = "num_samples", alias = "num-samples", default_value = "all", help_heading = "pylintseq flags")]
    pub num_samples: String,
    /// Worker threads (output does not depend on it).
    #[arg(short = 'c', long = "num_workers", alias = "num-workers", default_value_t = 8, help_heading = "pylintseq flags")]
    pub num_workers: usize,
    /// Edit paths sampled independently per row.
    #[arg(short = 's', long = "num_edit_paths_per_sample", alias = "num-edit-paths-per-sample", default_value_t = 1, help_heading = "pylintseq flags")]
    pub num_edit_paths_per_sample: usize,
    /// Random seed; with the same seed the output is byte-identical on any machine.
    #[arg(long, default_value_t = 1, help_heading = "pylintseq flags")]
    pub seed: u64,
    /// Name of the code field.
    #[arg(long = "code_data_field", alias = "code-data-field", default_value = "response", help_heading = "pylintseq flags")]
    pub code_data_field: String,
    /// Name of the prompt field, or None.
    #[arg(long = "prompt_data_field", alias = "prompt-data-field", default_value = "instruction", help_heading = "pylintseq flags")]
    pub prompt_data_field: String,

    /// Language of the code: a name from `lintseq languages`, or auto (from the Markdown fence tag).
    #[arg(long, default_value = "python", help_heading = "Data")]
    pub lang: String,
    /// Output format (default: the input's).
    #[arg(long, value_enum, help_heading = "Data")]
    pub format: Option<FormatArg>,
    /// Keep every input column as source_<name>, not only the code and prompt.
    #[arg(long, help_heading = "Data")]
    pub keep_columns: bool,
    /// Add edit_lines: for each diff, the 0-based lines of the program it inserts.
    #[arg(long, help_heading = "Data")]
    pub emit_edit_lines: bool,
    /// Rows per record batch (small enough that two workers share the last batches of a
    /// run evenly; the output is the same for any size).
    #[arg(long, default_value_t = 256, help_heading = "Data")]
    pub batch_size: usize,
    /// Parquet output: most rows per row group (a killed run resumes from the last complete one).
    #[arg(long, default_value_t = 10000, help_heading = "Data")]
    pub row_group_size: usize,
    /// Replace an existing output.
    #[arg(long, help_heading = "Data")]
    pub overwrite: bool,
    /// Abort on the first bad row instead of skipping and counting it.
    #[arg(long, help_heading = "Data")]
    pub strict: bool,
    /// No progress output.
    #[arg(short = 'q', long, help_heading = "Data")]
    pub quiet: bool,
    /// Continue an interrupted run (killed at any point) from its last commit point; complete outputs are kept.
    #[arg(long, help_heading = "Data")]
    pub resume: bool,

    /// How deletions are chosen.
    #[arg(long, value_enum, default_value = "linter", help_heading = "Sampler")]
    pub sampler: SamplerArg,
    /// Deletions drawn per live trajectory per round.
    #[arg(long, alias = "children_per_round", default_value_t = 1, help_heading = "Sampler")]
    pub children_per_round: usize,
    /// Children kept per trajectory per round (largest induced deletion first).
    #[arg(long, alias = "top_k", default_value_t = 1, help_heading = "Sampler")]
    pub top_k: usize,
    /// Trajectories kept.
    #[arg(long, alias = "max_population_size", default_value_t = 1, help_heading = "Sampler")]
    pub max_population_size: usize,
    /// Maximum edits per path.
    #[arg(long, alias = "max_depth", default_value_t = 512, help_heading = "Sampler")]
    pub max_depth: usize,
    /// Weight of an indented line relative to a top-level one, per indentation level; "none" samples uniformly.
    #[arg(long, alias = "indent_bias_sampling_factor", default_value = "1", help_heading = "Sampler")]
    pub indent_bias_sampling_factor: String,
    /// Never draw lines containing "import".
    #[arg(long, alias = "ignore_imports", help_heading = "Sampler")]
    pub ignore_imports: bool,
    /// Let blank and comment lines be drawn.
    #[arg(long, alias = "no_ignore_comments", help_heading = "Sampler")]
    pub no_ignore_comments: bool,
    /// Let continuation lines of UPPER_CASE = ( / [ global definitions be drawn.
    #[arg(long, alias = "no_ignore_global_defs", help_heading = "Sampler")]
    pub no_ignore_global_defs: bool,
    /// Findings already in the untouched program never count.
    #[arg(long, alias = "ignore_init_errors", help_heading = "Sampler")]
    pub ignore_init_errors: bool,
    /// Work budget per program in lint calls; a program that needs more is rejected (reason: budget).
    #[arg(long, default_value_t = SamplerConfig::default().max_lint_calls, help_heading = "Sampler")]
    pub max_lint_calls: usize,
    /// Work budget per program in lines handed to the linter, summed over lint calls (reason: budget).
    #[arg(long, default_value_t = SamplerConfig::default().max_lint_lines, help_heading = "Sampler")]
    pub max_lint_lines: usize,
}

#[derive(Args, Debug)]
pub struct LintArgs {
    /// Files to lint ("-" for standard input).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Language (default: from each file's extension, else python).
    #[arg(long)]
    pub lang: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: LintFormat,
    /// Print the tree-sitter syntax tree instead of linting.
    #[arg(long)]
    pub dump_tree: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// An output file of `lintseq run` (JSONL or Parquet) or of pylintseq.
    pub file: PathBuf,
    /// The code field the output was made from (its column is source_<field>).
    #[arg(long = "code_data_field", alias = "code-data-field", default_value = "response")]
    pub code_data_field: String,
    #[arg(long, default_value = "python")]
    pub lang: String,
    /// Print every failure, not only the first few.
    #[arg(long)]
    pub all_failures: bool,
}

pub fn resolve_lang(name: &str) -> Result<&'static dyn lang::Language, String> {
    lang::by_name(name).ok_or_else(|| {
        let known: Vec<&str> = lang::registry().iter().map(|l| l.name()).collect();
        format!("unknown language {name:?}; known: {}", known.join(", "))
    })
}

impl RunArgs {
    /// The sampler settings these flags ask for.
    pub fn sampler_config(&self) -> Result<SamplerConfig, String> {
        let factor = match self.indent_bias_sampling_factor.to_ascii_lowercase().as_str() {
            "none" => None,
            text => Some(
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite() && *f >= 0.0)
                    .ok_or_else(|| format!("--indent-bias-sampling-factor takes a non-negative number or none, not {text:?}"))?,
            ),
        };
        for (flag, value) in [("--children-per-round", self.children_per_round), ("--top-k", self.top_k), ("--max-population-size", self.max_population_size), ("--max-depth", self.max_depth)] {
            if value == 0 {
                return Err(format!("{flag} must be at least 1"));
            }
        }
        Ok(SamplerConfig {
            strategy: match self.sampler {
                SamplerArg::Linter => Strategy::Linter,
                SamplerArg::Random => Strategy::Random,
            },
            children_per_round: self.children_per_round,
            top_k: self.top_k,
            max_population_size: self.max_population_size,
            max_depth: self.max_depth,
            indent_bias_sampling_factor: factor,
            ignore_imports: self.ignore_imports,
            ignore_comments: !self.no_ignore_comments,
            ignore_global_defs: !self.no_ignore_global_defs,
            ignore_init_errors: self.ignore_init_errors,
            max_lint_calls: self.max_lint_calls,
            max_lint_lines: self.max_lint_lines,
        })
    }

    /// Resolves the raw flags into the settings a run uses.
    pub fn resolve(&self) -> Result<RunConfig, String> {
        let input = self.name_or_path.clone().ok_or("Please specify a source file of code data with -p/--name_or_path")?;
        let num_samples = match self.num_samples.as_str() {
            "all" => None,
            n => Some(n.parse::<usize>().map_err(|_| format!("-n/--num_samples takes a whole number or \"all\", not {n:?}"))?),
        };
        if self.num_edit_paths_per_sample == 0 {
            return Err("-s/--num_edit_paths_per_sample must be at least 1".into());
        }
        if self.batch_size == 0 {
            return Err("--batch-size must be at least 1".into());
        }
        let lang = if self.lang.eq_ignore_ascii_case("auto") { LangChoice::Auto } else { LangChoice::Fixed(resolve_lang(&self.lang)?) };
        Ok(RunConfig {
            input,
            dest_dir: self.dest_dir.clone().unwrap_or_else(|| PathBuf::from(".")),
            num_samples,
            num_samples_label: self.num_samples.clone(),
            num_workers: self.num_workers.max(1),
            paths_per_sample: self.num_edit_paths_per_sample,
            seed: self.seed,
            code_field: self.code_data_field.clone(),
            prompt_field: if self.prompt_data_field == "None" { None } else { Some(self.prompt_data_field.clone()) },
            lang,
            sampler: self.sampler_config()?,
            format: self.format.map(|f| match f {
                FormatArg::Jsonl => OutputFormat::Jsonl,
                FormatArg::Parquet => OutputFormat::Parquet,
            }),
            keep_columns: self.keep_columns,
            emit_edit_lines: self.emit_edit_lines,
            batch_size: self.batch_size,
            row_group_rows: self.row_group_size,
            overwrite: self.overwrite,
            progress: if self.quiet { Progress::Quiet } else { Progress::Auto },
            strict: self.strict,
            resume: self.resume,
        })
    }
}

//! Sampler settings, with the defaults pylintseq's command line passes.

use serde::Serialize;

/// How deletions are chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// LintSeq: a drawn line plus everything the linter says depends on it.
    #[default]
    Linter,
    /// The paper's linter ablation: random chunks of lines, no linter.
    Random,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SamplerConfig {
    pub strategy: Strategy,
    pub children_per_round: usize,
    pub top_k: usize,
    pub max_population_size: usize,
    pub max_depth: usize,
    /// `None` samples every candidate line with weight 1.
    pub indent_bias_sampling_factor: Option<f64>,
    pub ignore_imports: bool,
    pub ignore_comments: bool,
    pub ignore_global_defs: bool,
    pub ignore_init_errors: bool,
    /// Work budget per program, in lint calls; a program that needs more is rejected
    /// with reason `budget` (counted in work, not time, so every machine agrees).
    pub max_lint_calls: usize,
    /// Work budget per program, in lines handed to the linter (summed over lint calls),
    /// so that a huge program is rejected after a bounded amount of parsing.
    pub max_lint_lines: usize,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            strategy: Strategy::Linter,
            children_per_round: 1,
            top_k: 1,
            max_population_size: 1,
            max_depth: 512,
            indent_bias_sampling_factor: Some(1.0),
            ignore_imports: false,
            ignore_comments: true,
            ignore_global_defs: true,
            ignore_init_errors: false,
            max_lint_calls: 20_000,
            max_lint_lines: 5_000_000,
        }
    }
}

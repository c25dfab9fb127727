//! The language-agnostic algorithm: candidate lines, the sampler, edit paths and
//! chain-of-thought stripping. Nothing here does I/O.

pub mod config;
pub mod edit_path;
pub mod fence;
pub mod rng;
pub mod sampler;
pub mod text;

pub use config::{SamplerConfig, Strategy};
pub use sampler::{Deletions, Reject};

use crate::lang::Language;

/// One sampled edit path of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditPath {
    /// Insertion-only unified diffs, from the empty program to the full one.
    pub diffs: Vec<String>,
    /// For each diff, the 0-based lines of the original program it inserts.
    pub inserted_lines: Vec<Vec<usize>>,
    /// Lint calls spent sampling it.
    pub lint_calls: usize,
}

/// Samples path number `path` of row `row` under `seed` for `code`, which must already
/// be stripped of chain of thought. Every random draw comes from (seed, row, path).
pub fn sample_edit_path(
    lang: &dyn Language,
    code: &str,
    cfg: &SamplerConfig,
    seed: u64,
    row: u64,
    path: u64,
) -> Result<EditPath, Reject> {
    let mut rng = rng::path_rng(seed, row, path);
    let deletions = sampler::sample_deletions(lang, code, cfg, &mut rng)?;
    Ok(edit_path_from_deletions(code, &deletions.edits, deletions.lint_calls))
}

/// Turns a deletion sequence (in sampling order) into its edit path.
pub fn edit_path_from_deletions(code: &str, deletions: &[Vec<usize>], lint_calls: usize) -> EditPath {
    let lines: Vec<&str> = code.split('\n').collect();
    let growth = edit_path::growth_order(lines.len(), &lines, deletions);
    let diffs = edit_path::insertion_diffs(&lines, &growth);
    EditPath { diffs, inserted_lines: growth, lint_calls }
}

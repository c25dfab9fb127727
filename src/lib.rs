//! lintseq: LintSeq synthetic edit sequences for code datasets.
//!
//! Data flows one way: source -> batch -> kernel (per row: strip fence, sample, diff)
//! -> batch -> sink. [`lintseq`] is the algorithm, [`lang`] the languages and their
//! linters, [`io`] the data sources and sinks, [`cli`] the command line.

pub mod cli;
pub mod io;
pub mod kernel;
pub mod lang;
pub mod lintseq;
pub mod pipeline;
#[cfg(feature = "trace-calls")]
pub mod trace;
#[cfg(feature = "python")]
mod python;

pub use lang::{Diagnostic, Language};
pub use lintseq::{sample_edit_path, EditPath, SamplerConfig};

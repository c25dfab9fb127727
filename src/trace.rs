//! A record of every lint call, for measuring what the linter is asked (built only with
//! the `trace-calls` feature; `benches/call_taxonomy.py` reads it). With the feature, a
//! run whose environment sets `LINTSEQ_TRACE` appends one JSON line per lint call to
//! that file: the row, the path, the state linted and what was found in it
//! (`[[line, code], ...]`). With several workers the rows' lines interleave; each row's
//! calls stay in order.

use std::fs::File;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

use crate::lang::{CheckInfo, Diagnostic, Language, ProgramContext};

/// `inner`, with every lint call of one path written to the trace.
pub struct Traced {
    pub inner: &'static dyn Language,
    pub row: u64,
    pub path: u64,
}

/// The trace file, opened on first use; `None` when `LINTSEQ_TRACE` is not set.
fn sink() -> Option<&'static Mutex<File>> {
    static SINK: OnceLock<Option<Mutex<File>>> = OnceLock::new();
    SINK.get_or_init(|| {
        let path = std::env::var_os("LINTSEQ_TRACE")?;
        let file = File::options().create(true).append(true).open(&path);
        Some(Mutex::new(file.unwrap_or_else(|e| panic!("LINTSEQ_TRACE {}: {e}", path.to_string_lossy()))))
    })
    .as_ref()
}

impl Traced {
    fn record(&self, source: &str, found: &[Diagnostic]) {
        let Some(sink) = sink() else { return };
        let found: Vec<(usize, &str)> = found.iter().map(|d| (d.line, d.code)).collect();
        let line = serde_json::json!({ "row": self.row, "path": self.path, "source": source, "found": found });
        let mut file = sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        writeln!(file, "{line}").expect("the trace file takes a line");
    }
}

impl Language for Traced {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.inner.aliases()
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        self.inner.fence_tags()
    }
    fn extensions(&self) -> &'static [&'static str] {
        self.inner.extensions()
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        self.inner.comment_prefixes()
    }
    fn checks(&self) -> &'static [CheckInfo] {
        self.inner.checks()
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        let found = self.inner.lint(source);
        self.record(source, &found);
        found
    }
    fn program_context(&self, original: &str) -> ProgramContext {
        self.inner.program_context(original)
    }
    fn lint_in_context(&self, source: &str, ctx: &ProgramContext) -> Vec<Diagnostic> {
        let found = self.inner.lint_in_context(source, ctx);
        self.record(source, &found);
        found
    }
    fn grammar(&self) -> tree_sitter::Language {
        self.inner.grammar()
    }
    fn dump_tree(&self, source: &str) -> String {
        self.inner.dump_tree(source)
    }
    fn dependent_ends(&self, lines: &[&str]) -> Vec<usize> {
        self.inner.dependent_ends(lines)
    }
}

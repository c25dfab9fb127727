//! `lintseq lint`: the built-in linter on files.

use std::io::{Read, Write};
use std::path::Path;

use super::args::{resolve_lang, LintArgs, LintFormat};
use crate::lang::{self, Language};

fn read_source(path: &Path) -> Result<String, String> {
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin().read_to_end(&mut buf).map_err(|e| format!("standard input: {e}"))?;
        buf
    } else {
        std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?
    };
    String::from_utf8(bytes).map_err(|e| format!("{}: not UTF-8 (byte {})", path.display(), e.utf8_error().valid_up_to()))
}

fn language_for(path: &Path, explicit: Option<&str>) -> Result<&'static dyn Language, String> {
    if let Some(name) = explicit {
        return resolve_lang(name);
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    Ok(lang::registry().iter().copied().find(|l| l.extensions().contains(&ext)).unwrap_or(lang::registry()[0]))
}

pub fn lint(args: &LintArgs) -> Result<u8, String> {
    let mut found = false;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for path in &args.files {
        let language = language_for(path, args.lang.as_deref())?;
        let source = read_source(path)?;
        if args.dump_tree {
            if writeln!(out, "{}", language.dump_tree(&source)).is_err() {
                return Ok(0); // the reader went away (e.g. `| head`)
            }
            continue;
        }
        for diag in language.lint(&source) {
            found = true;
            let written = match args.format {
                LintFormat::Text => writeln!(out, "{}:{}:{}: {} {}", path.display(), diag.line + 1, diag.column, diag.code, diag.message),
                LintFormat::Json => writeln!(
                    out,
                    "{}",
                    serde_json::json!({
                        "path": path.display().to_string(),
                        "line": diag.line + 1,
                        "column": diag.column,
                        "code": diag.code,
                        "message": diag.message,
                    })
                ),
            };
            if written.is_err() {
                return Ok(1); // the reader went away (e.g. `| head`)
            }
        }
    }
    let _ = out.flush();
    Ok(if found { 1 } else { 0 })
}

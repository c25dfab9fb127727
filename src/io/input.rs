//! Resolving `-p` into input files: one file, a directory walked recursively (the
//! Hugging Face Hub layout `data/train-00000-of-00042.parquet`), or a glob.

use std::path::{Component, Path, PathBuf};

use super::Error;

/// The format of an input file, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    Jsonl,
    Parquet,
}

/// How a JSON Lines file is compressed, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// One input file.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    /// What the `source_file` column says for its rows.
    pub source_file: String,
    /// Its path relative to the directory or glob base (its file name for a single file).
    pub rel_path: PathBuf,
    pub format: InputFormat,
    pub compression: Compression,
}

/// How `-p` was given, which decides how outputs are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    SingleFile,
    /// A directory or a glob: one output shard per input shard.
    Sharded,
}

#[derive(Debug, Clone)]
pub struct Inputs {
    pub kind: InputKind,
    pub files: Vec<InputFile>,
}

const JSONL_SUFFIXES: [(&str, Compression); 6] = [
    (".jsonl", Compression::None),
    (".jsonlines", Compression::None),
    (".jsonl.gz", Compression::Gzip),
    (".jsonlines.gz", Compression::Gzip),
    (".jsonl.zst", Compression::Zstd),
    (".jsonlines.zst", Compression::Zstd),
];

/// The format and compression of a file name, and the length of the suffix that says so.
pub fn classify(name: &str) -> Option<(InputFormat, Compression, usize)> {
    if name.ends_with(".parquet") {
        return Some((InputFormat::Parquet, Compression::None, ".parquet".len()));
    }
    JSONL_SUFFIXES
        .iter()
        .find(|(suffix, _)| name.ends_with(suffix))
        .map(|(suffix, compression)| (InputFormat::Jsonl, *compression, suffix.len()))
}

fn input_file(path: PathBuf, source_file: String, rel_path: PathBuf) -> Option<InputFile> {
    let name = path.file_name()?.to_str()?;
    let (format, compression, _) = classify(name)?;
    Some(InputFile { path, source_file, rel_path, format, compression })
}

fn is_glob(input: &str) -> bool {
    input.contains(['*', '?', '['])
}

/// Resolves `-p`.
pub fn discover(input: &str) -> Result<Inputs, Error> {
    let path = Path::new(input);
    if path.is_file() {
        let name = path.file_name().map(PathBuf::from).unwrap_or_default();
        let file = input_file(path.to_path_buf(), input.to_string(), name).ok_or_else(|| Error::Input {
            input: input.to_string(),
            reason: "not a .jsonl, .jsonlines (optionally .gz or .zst) or .parquet file".into(),
        })?;
        return Ok(Inputs { kind: InputKind::SingleFile, files: vec![file] });
    }
    let files = if path.is_dir() {
        let mut found = Vec::new();
        walk(path, Path::new(""), &mut found)?;
        found.sort_by(|a: &InputFile, b| a.rel_path.cmp(&b.rel_path));
        found
    } else if is_glob(input) {
        glob_files(input)?
    } else {
        return Err(Error::Input { input: input.to_string(), reason: "no such file or directory".into() });
    };
    if files.is_empty() {
        return Err(Error::Input {
            input: input.to_string(),
            reason: "holds no .jsonl, .jsonlines or .parquet files".into(),
        });
    }
    Ok(Inputs { kind: InputKind::Sharded, files })
}

/// Walks `root/rel` recursively, skipping hidden entries (such as `.cache`).
fn walk(root: &Path, rel: &Path, found: &mut Vec<InputFile>) -> Result<(), Error> {
    let dir = root.join(rel);
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(&dir, e))?;
        let name = entry.file_name();
        let Some(name_str) = name.to_str() else { continue };
        if name_str.starts_with('.') {
            continue;
        }
        let child_rel = rel.join(&name);
        let child = root.join(&child_rel);
        if child.is_dir() {
            walk(root, &child_rel, found)?;
        } else if let Some(file) =
            input_file(child.clone(), child.to_string_lossy().into_owned(), child_rel)
        {
            found.push(file);
        }
    }
    Ok(())
}

/// The leading components of a glob that hold no wildcard: outputs mirror the paths
/// below it.
fn glob_base(pattern: &str) -> PathBuf {
    let mut base = PathBuf::new();
    let components: Vec<Component> = Path::new(pattern).components().collect();
    for (i, component) in components.iter().enumerate() {
        let text = component.as_os_str().to_string_lossy();
        if is_glob(&text) || i + 1 == components.len() {
            break;
        }
        base.push(component);
    }
    base
}

fn glob_files(pattern: &str) -> Result<Vec<InputFile>, Error> {
    let bad = |reason: String| Error::Input { input: pattern.to_string(), reason };
    let base = glob_base(pattern);
    let mut files = Vec::new();
    for entry in glob::glob(pattern).map_err(|e| bad(format!("not a valid glob: {e}")))? {
        let path = entry.map_err(|e| bad(e.to_string()))?;
        if !path.is_file() {
            continue;
        }
        let rel = path.strip_prefix(&base).map(Path::to_path_buf).unwrap_or_else(|_| path.clone());
        if let Some(file) = input_file(path.clone(), path.to_string_lossy().into_owned(), rel) {
            files.push(file);
        }
    }
    files.sort_by(|a, b| a.rel_path.cmp(&b.rel_path));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_by_suffix() {
        assert_eq!(classify("a.jsonl.gz").map(|c| c.0), Some(InputFormat::Jsonl));
        assert_eq!(classify("a.jsonl.zst").map(|c| c.1), Some(Compression::Zstd));
        assert_eq!(classify("train-00000-of-00002.parquet").map(|c| c.2), Some(8));
        assert!(classify("a.csv").is_none());
    }

    #[test]
    fn glob_base_stops_at_the_first_wildcard() {
        assert_eq!(glob_base("data/hf/*/train-*.parquet"), PathBuf::from("data/hf"));
        assert_eq!(glob_base("*.jsonl"), PathBuf::new());
    }
}

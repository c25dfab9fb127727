//! The pipeline's error: one value per failure, shown to the user as one sentence that
//! names the file (and the line, row or column when there is one).

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Reading or writing a file failed.
    Io { path: PathBuf, source: std::io::Error },
    /// `-p` named nothing usable.
    Input { input: String, reason: String },
    /// A line of a JSON Lines file is not a JSON object (only fatal with `--strict`).
    BadJson { file: String, line: u64, reason: String },
    /// The code or prompt column is not in the input.
    MissingColumn { file: String, column: String, available: Vec<String> },
    /// A column has a type the pipeline cannot use.
    ColumnType { file: String, column: String, found: String, expected: &'static str },
    /// An output file is already there and `--overwrite` was not given.
    OutputExists { path: PathBuf },
    /// `-n` asks for more rows than the inputs hold.
    TooManySamples { requested: usize, available: u64 },
    /// Decoding or encoding Arrow / Parquet data failed.
    Format { file: String, reason: String },
    /// A setting is out of range.
    Config(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io { path: path.into(), source }
    }

    pub fn format(file: impl fmt::Display, reason: impl fmt::Display) -> Self {
        Error::Format { file: file.to_string(), reason: reason.to_string() }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Input { input, reason } => write!(f, "{input}: {reason}"),
            Error::BadJson { file, line, reason } => {
                write!(f, "{file}:{line}: not a JSON object ({reason})")
            }
            Error::MissingColumn { file, column, available } => write!(
                f,
                "{file}: no column {column:?}; the columns are: {}",
                if available.is_empty() { "(none)".to_string() } else { available.join(", ") }
            ),
            Error::ColumnType { file, column, found, expected } => {
                write!(f, "{file}: column {column:?} has type {found}, expected {expected}")
            }
            Error::OutputExists { path } => write!(
                f,
                "{}: the output already exists; remove it or pass --overwrite",
                path.display()
            ),
            Error::TooManySamples { requested, available } => write!(
                f,
                "-n {requested} asks for more rows than the input holds ({available})"
            ),
            Error::Format { file, reason } => write!(f, "{file}: {reason}"),
            Error::Config(reason) => write!(f, "{reason}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

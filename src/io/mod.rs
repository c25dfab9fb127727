//! Sources and sinks. A source turns one input file into [`SourceBatch`]es (Arrow
//! arrays of the columns the run needs, plus each row's index in its file); a sink
//! writes output record batches to a temporary file and renames it when complete.

pub mod error;
pub mod input;
pub mod json_format;
pub mod jsonl;
pub mod parquet;
pub mod sink;

use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::FieldRef;

pub use error::Error;
pub use input::{discover, InputFile, InputFormat, InputKind, Inputs};

/// Which input columns a run reads.
#[derive(Debug, Clone)]
pub struct Columns {
    pub code: String,
    pub prompt: Option<String>,
    /// Every other column too (`--keep_columns`).
    pub keep_others: bool,
}

impl Columns {
    /// Whether `name` is one of the other columns kept by `--keep_columns`.
    pub fn is_other(&self, name: &str) -> bool {
        name != self.code && self.prompt.as_deref() != Some(name)
    }
}

/// A slice of one input file: the columns a run needs, row by row.
#[derive(Debug, Clone)]
pub struct SourceBatch {
    /// The code column as text (null where a row has no string there).
    pub code: StringArray,
    pub prompt: Option<StringArray>,
    /// The other kept columns, in the order of [`Source::other_fields`].
    pub others: Vec<ArrayRef>,
    /// Each row's 0-based index among the rows of its file.
    pub rows: Vec<u64>,
    /// Rows skipped as malformed while reading this batch.
    pub bad_rows: Vec<BadRow>,
}

/// A row that could not be read (a JSON Lines line that is not a JSON object).
#[derive(Debug, Clone)]
pub struct BadRow {
    /// Its 0-based index among the rows of its file.
    pub row: u64,
    /// Its 1-based line in the file.
    pub line: u64,
    pub reason: String,
}

/// An open input file.
pub trait Source: Iterator<Item = Result<SourceBatch, Error>> + Send {
    /// The other input columns kept (types unchanged), empty without `--keep_columns`.
    fn other_fields(&self) -> &[FieldRef];
}

/// Options shared by the readers.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    pub columns: Columns,
    pub batch_size: usize,
    /// Abort on a malformed row instead of skipping it.
    pub strict: bool,
}

/// Opens one input file. `selection`: the sorted row indices to read (`-n`), or all.
pub fn open_source(
    file: &InputFile,
    options: &ReadOptions,
    selection: Option<Vec<u64>>,
) -> Result<Box<dyn Source>, Error> {
    match file.format {
        InputFormat::Jsonl => Ok(Box::new(jsonl::JsonlSource::open(file, options, selection)?)),
        InputFormat::Parquet => Ok(Box::new(parquet::ParquetSource::open(file, options, selection)?)),
    }
}

/// How many rows a file holds (for `-n`): Parquet metadata, or a counting pass over a
/// JSON Lines file (non-blank lines).
pub fn count_rows(file: &InputFile) -> Result<u64, Error> {
    match file.format {
        InputFormat::Jsonl => jsonl::count_rows(file),
        InputFormat::Parquet => parquet::count_rows(file),
    }
}

/// Batches read ahead on their own thread, at most `depth` waiting.
pub struct ReadAhead {
    receiver: Receiver<Result<SourceBatch, Error>>,
    thread: Option<JoinHandle<()>>,
}

impl ReadAhead {
    pub fn spawn(mut source: Box<dyn Source>, depth: usize) -> Self {
        let (sender, receiver) = sync_channel(depth);
        let thread = std::thread::Builder::new()
            .name("lintseq-reader".into())
            .spawn(move || {
                for item in source.by_ref() {
                    let failed = item.is_err();
                    if sender.send(item).is_err() || failed {
                        break;
                    }
                }
            })
            .expect("spawning the reader thread");
        ReadAhead { receiver, thread: Some(thread) }
    }
}

impl Iterator for ReadAhead {
    type Item = Result<SourceBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.receiver.recv().ok()
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        // Unblock the reader (its sends now fail) before joining it.
        let (_, dead) = sync_channel(0);
        drop(std::mem::replace(&mut self.receiver, dead));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

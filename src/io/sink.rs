//! Output files. Each is written under a temporary name in its final directory
//! (`.<name>.partial`) and renamed when complete, so an interrupted run leaves nothing
//! under the final name. The temporary name is fixed (not per process) so that
//! `--resume` finds it: a sink reports commit points (all bytes up to there fsynced),
//! and a resumed sink continues from one.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Int16Type, Int32Type, Int64Type, Int8Type, SchemaRef};
use arrow::datatypes::{UInt16Type, UInt32Type, UInt64Type, UInt8Type};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{add_encoded_arrow_schema_to_metadata, ArrowSchemaConverter, ArrowWriter};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::{FileMetaData, KeyValue, ParquetMetaData, ParquetMetaDataWriter};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::SchemaDescPtr;
use serde_json::{Map, Value};

use super::json_format::{write_str, write_value};
use super::Error;

/// `dir/.<name><suffix>`: the hidden companions of an output file.
pub fn companion_path(final_path: &Path, suffix: &str) -> PathBuf {
    let dir = final_path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = final_path.file_name().unwrap_or_default().to_string_lossy();
    dir.join(format!(".{name}{suffix}"))
}

/// Where an output is written until it is complete.
pub fn partial_path(final_path: &Path) -> PathBuf {
    companion_path(final_path, ".partial")
}

/// A file being written under a temporary name.
struct TempFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    overwrite: bool,
    committed: bool,
}

impl TempFile {
    /// Starts the file afresh, or (`resume_at`) keeps its first bytes and continues there.
    fn open(final_path: &Path, overwrite: bool, resume_at: Option<u64>) -> Result<(Self, File), Error> {
        let dir = final_path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let temp_path = partial_path(final_path);
        let file = match resume_at {
            None | Some(0) => File::create(&temp_path),
            Some(len) => OpenOptions::new().write(true).open(&temp_path).and_then(|mut file| {
                if file.metadata()?.len() < len {
                    return Err(std::io::Error::other(format!(
                        "holds fewer bytes than the {len} its progress file recorded"
                    )));
                }
                file.set_len(len)?;
                file.seek(SeekFrom::Start(len))?;
                Ok(file)
            }),
        }
        .map_err(|e| Error::io(&temp_path, e))?;
        let temp = TempFile { final_path: final_path.to_path_buf(), temp_path, overwrite, committed: false };
        Ok((temp, file))
    }

    fn commit(mut self) -> Result<PathBuf, Error> {
        if !self.overwrite && self.final_path.exists() {
            return Err(Error::OutputExists { path: self.final_path.clone() });
        }
        std::fs::rename(&self.temp_path, &self.final_path).map_err(|e| Error::io(&self.final_path, e))?;
        self.committed = true;
        Ok(self.final_path.clone())
    }

    /// Removes the file instead of committing it.
    fn discard(mut self) {
        let _ = std::fs::remove_file(&self.temp_path);
        self.committed = true;
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// A point up to which an output is durable: its first `rows` rows are the file's first
/// `bytes` bytes, fsynced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitPoint {
    pub rows: u64,
    pub bytes: u64,
    /// Parquet: the footer that makes those bytes a readable file (the row groups so far).
    pub footer: Option<Vec<u8>>,
}

/// Where output record batches go.
pub trait Sink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error>;
    /// Makes everything up to the last unit boundary durable and returns that boundary,
    /// if it moved since the last call (JSON Lines: every written row; Parquet: the last
    /// completed row group).
    fn commit_point(&mut self) -> Result<Option<CommitPoint>, Error>;
    /// Completes the file, fsynced, under its temporary name.
    fn close(self: Box<Self>) -> Result<ClosedFile, Error>;
}

/// A complete file under its temporary name, ready to be renamed.
pub struct ClosedFile(TempFile);

impl ClosedFile {
    /// Moves it to its final name.
    pub fn commit(self) -> Result<PathBuf, Error> {
        self.0.commit()
    }
}

fn flush_and_sync(out: &mut BufWriter<File>, path: &Path) -> Result<(), Error> {
    out.flush().map_err(|e| Error::io(path, e))?;
    out.get_ref().sync_data().map_err(|e| Error::io(path, e))
}

/// The rejects of an output, one JSON object a line, next to it as
/// `<output>.rejects.jsonl`; only kept when there is at least one.
pub struct RejectsSink {
    temp: TempFile,
    out: BufWriter<File>,
    bytes: u64,
    lines: u64,
}

impl RejectsSink {
    pub fn path_for(output: &Path) -> PathBuf {
        let name = output.file_name().unwrap_or_default().to_string_lossy();
        output.with_file_name(format!("{name}.rejects.jsonl"))
    }

    /// `resume_at`: (bytes, lines) to keep from an interrupted run.
    pub fn open(output: &Path, resume_at: Option<(u64, u64)>) -> Result<Self, Error> {
        let (temp, file) = TempFile::open(&Self::path_for(output), true, resume_at.map(|r| r.0))?;
        let (bytes, lines) = resume_at.unwrap_or((0, 0));
        Ok(RejectsSink { temp, out: BufWriter::new(file), bytes, lines })
    }

    /// Appends one reject.
    pub fn write(&mut self, source_file: &str, index: u64, path: u64, reason: &str, detail: Option<&str>) -> Result<(), Error> {
        let mut line = Vec::new();
        write_value(
            &mut line,
            &serde_json::json!({
                "source_file": source_file,
                "index": index,
                "path": path,
                "reason": reason,
                "detail": detail,
            }),
        );
        line.push(b'\n');
        self.out.write_all(&line).map_err(|e| Error::io(&self.temp.temp_path, e))?;
        self.bytes += line.len() as u64;
        self.lines += 1;
        Ok(())
    }

    /// (bytes, lines) written so far.
    pub fn position(&self) -> (u64, u64) {
        (self.bytes, self.lines)
    }

    pub fn sync(&mut self) -> Result<(), Error> {
        flush_and_sync(&mut self.out, &self.temp.temp_path)
    }

    /// Completes the file under its temporary name; `None` (and no file) when empty.
    pub fn close(mut self) -> Result<Option<ClosedFile>, Error> {
        self.sync()?;
        let RejectsSink { temp, out, lines, .. } = self;
        drop(out);
        if lines == 0 {
            // A rejects file from an earlier run would now describe another output.
            let _ = std::fs::remove_file(&temp.final_path);
            temp.discard();
            return Ok(None);
        }
        Ok(Some(ClosedFile(temp)))
    }
}

/// JSON Lines in pylintseq's layout (see [`super::json_format`]).
pub struct JsonlSink {
    temp: TempFile,
    out: BufWriter<File>,
    line: Vec<u8>,
    rows: u64,
    bytes: u64,
    last_commit: Option<u64>,
}

impl JsonlSink {
    /// `resume_at`: a commit point of an interrupted run to continue from.
    pub fn open(path: &Path, overwrite: bool, resume_at: Option<&CommitPoint>) -> Result<Self, Error> {
        let (temp, file) = TempFile::open(path, overwrite, resume_at.map(|c| c.bytes))?;
        let (rows, bytes) = resume_at.map_or((0, 0), |c| (c.rows, c.bytes));
        Ok(JsonlSink {
            temp,
            out: BufWriter::with_capacity(1 << 20, file),
            line: Vec::new(),
            rows,
            bytes,
            last_commit: resume_at.map(|c| c.rows),
        })
    }
}

/// How one column becomes JSON.
enum JsonColumn<'a> {
    Direct(&'a dyn Array),
    /// Types without a direct encoding, through arrow's JSON writer.
    Values(Vec<Value>),
}

fn has_direct_encoding(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Boolean => true,
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => true,
        DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => true,
        DataType::List(item) => has_direct_encoding(item.data_type()),
        _ => false,
    }
}

fn write_direct(out: &mut Vec<u8>, array: &dyn Array, row: usize) {
    if array.is_null(row) {
        out.extend_from_slice(b"null");
        return;
    }
    macro_rules! number {
        ($t:ty) => {{
            let value = array.as_primitive::<$t>().value(row);
            out.extend_from_slice(value.to_string().as_bytes());
        }};
    }
    match array.data_type() {
        DataType::Utf8 => write_str(out, array.as_string::<i32>().value(row)),
        DataType::LargeUtf8 => write_str(out, array.as_string::<i64>().value(row)),
        DataType::Boolean => {
            out.extend_from_slice(if array.as_boolean().value(row) { b"true" } else { b"false" })
        }
        DataType::Int8 => number!(Int8Type),
        DataType::Int16 => number!(Int16Type),
        DataType::Int32 => number!(Int32Type),
        DataType::Int64 => number!(Int64Type),
        DataType::UInt8 => number!(UInt8Type),
        DataType::UInt16 => number!(UInt16Type),
        DataType::UInt32 => number!(UInt32Type),
        DataType::UInt64 => number!(UInt64Type),
        DataType::List(_) => {
            let items: ArrayRef = array.as_list::<i32>().value(row);
            out.push(b'[');
            for i in 0..items.len() {
                if i > 0 {
                    out.extend_from_slice(b", ");
                }
                write_direct(out, items.as_ref(), i);
            }
            out.push(b']');
        }
        other => unreachable!("no direct JSON encoding for {other}"),
    }
}

/// Rows of `columns` as JSON objects, through arrow's JSON writer.
fn json_rows(batch: &RecordBatch, columns: &[usize]) -> Result<Vec<Map<String, Value>>, Error> {
    let projected = batch.project(columns).map_err(|e| Error::format("output", e))?;
    let mut buffer = Vec::new();
    {
        let mut writer = arrow::json::WriterBuilder::new()
            .with_explicit_nulls(true)
            .build::<_, arrow::json::writer::LineDelimited>(&mut buffer);
        writer.write(&projected).map_err(|e| Error::format("output", e))?;
        writer.finish().map_err(|e| Error::format("output", e))?;
    }
    buffer
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice(line).map_err(|e| Error::format("output", e)))
        .collect()
}

impl Sink for JsonlSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        let schema = batch.schema();
        let indirect: Vec<usize> =
            (0..batch.num_columns()).filter(|&i| !has_direct_encoding(schema.field(i).data_type())).collect();
        let mut indirect_rows = if indirect.is_empty() { Vec::new() } else { json_rows(batch, &indirect)? };
        let mut columns: Vec<JsonColumn> = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            if indirect.contains(&i) {
                let values = indirect_rows
                    .iter_mut()
                    .map(|row| row.remove(field.name()).unwrap_or(Value::Null))
                    .collect();
                columns.push(JsonColumn::Values(values));
            } else {
                columns.push(JsonColumn::Direct(batch.column(i).as_ref()));
            }
        }
        for row in 0..batch.num_rows() {
            let line = &mut self.line;
            line.clear();
            line.push(b'{');
            for (i, (field, column)) in schema.fields().iter().zip(&columns).enumerate() {
                if i > 0 {
                    line.extend_from_slice(b", ");
                }
                write_str(line, field.name());
                line.extend_from_slice(b": ");
                match column {
                    JsonColumn::Direct(array) => write_direct(line, *array, row),
                    JsonColumn::Values(values) => write_value(line, &values[row]),
                }
            }
            line.extend_from_slice(b"}\n");
            self.out.write_all(line).map_err(|e| Error::io(&self.temp.temp_path, e))?;
            self.bytes += line.len() as u64;
            self.rows += 1;
        }
        Ok(())
    }

    fn commit_point(&mut self) -> Result<Option<CommitPoint>, Error> {
        if self.last_commit == Some(self.rows) {
            return Ok(None);
        }
        flush_and_sync(&mut self.out, &self.temp.temp_path)?;
        self.last_commit = Some(self.rows);
        Ok(Some(CommitPoint { rows: self.rows, bytes: self.bytes, footer: None }))
    }

    fn close(mut self: Box<Self>) -> Result<ClosedFile, Error> {
        flush_and_sync(&mut self.out, &self.temp.temp_path)?;
        let JsonlSink { temp, out, .. } = *self;
        drop(out);
        Ok(ClosedFile(temp))
    }
}

/// Rows per write into the Parquet writer. Feeding it fixed-size chunks (whatever the
/// batch size) makes page and row-group boundaries, and so the file's bytes, depend
/// only on the rows.
const PARQUET_CHUNK_ROWS: usize = 1024;
/// A row group is closed at `--row-group-size` rows (default 10,000) or when the
/// writer holds this many bytes for it, whichever comes first: large enough for
/// readers, small enough to bound memory.
const ROW_GROUP_MAX_BYTES: usize = 64 << 20;

/// The file under a Parquet writer, counting the bytes that reached it (the writer
/// buffers a few KiB of its own on top).
struct CountingFile {
    out: BufWriter<File>,
    reached: u64,
}

impl Write for CountingFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.reached += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Zero bytes written after each completed row group. The Parquet writer keeps the end
/// of a row group in a buffer of its own that only more bytes push out; the padding
/// does, so that a row group is on disk as soon as it is complete. Readers skip it (they
/// seek to the column chunks), and it is written the same way in every run, so the
/// bytes stay deterministic.
const ROW_GROUP_PADDING: [u8; 8192] = [0; 8192];

/// Parquet with zstd, the run's settings in the file's key-value metadata.
pub struct ParquetSink {
    temp: TempFile,
    writer: ArrowWriter<CountingFile>,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    schema: SchemaRef,
    /// What a commit point's footer needs: the Parquet schema and the key-value metadata
    /// (the Arrow schema included).
    schema_descr: SchemaDescPtr,
    key_value_metadata: Vec<KeyValue>,
    /// Row groups already reported by [`Sink::commit_point`].
    reported_groups: usize,
    /// Row groups already followed by padding.
    padded_groups: usize,
}

impl ParquetSink {
    /// A new file; `resume_at`: first rebuild the part an interrupted run committed.
    pub fn open(
        path: &Path,
        schema: SchemaRef,
        metadata: Vec<(String, String)>,
        row_group_rows: usize,
        overwrite: bool,
        resume_at: Option<&CommitPoint>,
    ) -> Result<Self, Error> {
        let recovered = match resume_at {
            Some(point) => Some(recover_committed_part(path, point)?),
            None => None,
        };
        let (temp, file) = TempFile::open(path, overwrite, None)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("valid level")))
            .set_max_row_group_size(row_group_rows)
            .set_statistics_truncate_length(Some(64))
            .set_key_value_metadata(Some(metadata.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect()))
            .build();
        let fail = |e: parquet::errors::ParquetError| Error::format(path.display(), e);
        let schema_descr = Arc::new(ArrowSchemaConverter::new().convert(&schema).map_err(fail)?);
        let mut with_arrow_schema = props.clone();
        add_encoded_arrow_schema_to_metadata(&schema, &mut with_arrow_schema);
        let key_value_metadata = with_arrow_schema.key_value_metadata().cloned().unwrap_or_default();
        let file = CountingFile { out: BufWriter::with_capacity(1 << 20, file), reached: 0 };
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(fail)?;
        let mut sink = ParquetSink {
            temp,
            writer,
            pending: Vec::new(),
            pending_rows: 0,
            schema,
            schema_descr,
            key_value_metadata,
            reported_groups: 0,
            padded_groups: 0,
        };
        if let Some(recovered) = recovered {
            sink.replay(&recovered)?;
            let _ = std::fs::remove_file(&recovered);
        }
        Ok(sink)
    }

    /// Writes the rows of a recovered file again. The rows go through the same chunking
    /// as in the interrupted run, so the bytes come out the same.
    fn replay(&mut self, recovered: &Path) -> Result<(), Error> {
        let fail = |e: &dyn std::fmt::Display| Error::format(recovered.display(), e);
        let file = File::open(recovered).map_err(|e| Error::io(recovered, e))?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .map_err(|e| fail(&e))?
            .with_batch_size(PARQUET_CHUNK_ROWS)
            .build()
            .map_err(|e| fail(&e))?;
        for batch in reader {
            let batch = batch.map_err(|e| fail(&e))?;
            let batch = RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec()).map_err(|e| fail(&e))?;
            self.write(&batch)?;
        }
        self.reported_groups = self.writer.flushed_row_groups().len();
        Ok(())
    }

    /// The footer that turns the row groups written so far into a complete file.
    fn footer(&self) -> Result<Vec<u8>, Error> {
        let groups = self.writer.flushed_row_groups().to_vec();
        let rows = groups.iter().map(|g| g.num_rows()).sum();
        let file_metadata = FileMetaData::new(
            1,
            rows,
            None,
            Some(self.key_value_metadata.clone()),
            self.schema_descr.clone(),
            None,
        );
        let metadata = ParquetMetaData::new(file_metadata, groups);
        let mut footer = Vec::new();
        ParquetMetaDataWriter::new(&mut footer, &metadata).finish().map_err(|e| self.fail(e))?;
        Ok(footer)
    }

    fn fail(&self, e: impl std::fmt::Display) -> Error {
        Error::format(self.temp.final_path.display(), e)
    }

    fn write_chunk(&mut self, chunk: &RecordBatch) -> Result<(), Error> {
        self.writer.write(chunk).map_err(|e| self.fail(e))?;
        if self.writer.memory_size() >= ROW_GROUP_MAX_BYTES {
            self.writer.flush().map_err(|e| self.fail(e))?;
        }
        let groups = self.writer.flushed_row_groups().len();
        if groups > self.padded_groups {
            self.padded_groups = groups;
            while self.writer.inner().reached < self.writer.bytes_written() as u64 {
                self.writer.write_all(&ROW_GROUP_PADDING).map_err(|e| self.fail(e))?;
            }
        }
        Ok(())
    }

    /// Writes whole chunks from the pending rows (and the remainder when `all`).
    fn drain(&mut self, all: bool) -> Result<(), Error> {
        if self.pending_rows < PARQUET_CHUNK_ROWS && !(all && self.pending_rows > 0) {
            return Ok(());
        }
        let merged = concat_batches(&self.schema, &self.pending).map_err(|e| self.fail(e))?;
        self.pending.clear();
        let mut offset = 0;
        while merged.num_rows() - offset >= PARQUET_CHUNK_ROWS {
            self.write_chunk(&merged.slice(offset, PARQUET_CHUNK_ROWS))?;
            offset += PARQUET_CHUNK_ROWS;
        }
        let rest = merged.num_rows() - offset;
        if rest > 0 {
            if all {
                self.write_chunk(&merged.slice(offset, rest))?;
            } else {
                self.pending.push(merged.slice(offset, rest));
            }
        }
        self.pending_rows = if all { 0 } else { rest };
        Ok(())
    }
}

impl Sink for ParquetSink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        self.pending_rows += batch.num_rows();
        self.pending.push(batch.clone());
        self.drain(false)
    }

    fn commit_point(&mut self) -> Result<Option<CommitPoint>, Error> {
        let groups = self.writer.flushed_row_groups();
        if groups.len() == self.reported_groups {
            return Ok(None);
        }
        self.reported_groups = groups.len();
        let rows = groups.iter().map(|g| g.num_rows() as u64).sum();
        let footer = self.footer()?;
        let bytes = self.writer.bytes_written() as u64;
        debug_assert_eq!(bytes, self.writer.inner().reached, "the row group is padded out");
        flush_and_sync(&mut self.writer.inner_mut().out, &self.temp.temp_path)?;
        Ok(Some(CommitPoint { rows, bytes, footer: Some(footer) }))
    }

    fn close(mut self: Box<Self>) -> Result<ClosedFile, Error> {
        self.drain(true)?;
        let ParquetSink { temp, writer, .. } = *self;
        let out = writer.into_inner().map_err(|e| Error::format(temp.final_path.display(), e))?;
        let file = out.out.into_inner().map_err(|e| Error::io(&temp.temp_path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&temp.temp_path, e))?;
        drop(file);
        Ok(ClosedFile(temp))
    }
}

/// Turns the committed part of an interrupted Parquet output into a file of its own
/// (`.<name>.recover`: its first `bytes` bytes plus the recorded footer) and returns
/// its path. Every step can be repeated if this run is killed too.
fn recover_committed_part(path: &Path, point: &CommitPoint) -> Result<PathBuf, Error> {
    let partial = partial_path(path);
    let recovered = companion_path(path, ".recover");
    if !recovered.exists() {
        std::fs::rename(&partial, &recovered).map_err(|e| Error::io(&partial, e))?;
    }
    let footer = point.footer.as_deref().ok_or_else(|| {
        Error::format(recovered.display(), "the progress file has no Parquet footer to resume from")
    })?;
    let mut file = OpenOptions::new().write(true).open(&recovered).map_err(|e| Error::io(&recovered, e))?;
    let result = (|| {
        if file.metadata()?.len() < point.bytes {
            return Err(std::io::Error::other(format!(
                "holds fewer bytes than the {} its progress file recorded",
                point.bytes
            )));
        }
        file.set_len(point.bytes)?;
        file.seek(SeekFrom::Start(point.bytes))?;
        file.write_all(footer)?;
        file.sync_data()
    })();
    result.map_err(|e| Error::io(&recovered, e))?;
    Ok(recovered)
}

//! Output files. Each is written under a temporary name in its final directory
//! (`.<name>.tmp-<pid>`) and renamed when complete, so an interrupted run leaves
//! nothing under the final name.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Int16Type, Int32Type, Int64Type, Int8Type, SchemaRef};
use arrow::datatypes::{UInt16Type, UInt32Type, UInt64Type, UInt8Type};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use serde_json::{Map, Value};

use super::json_format::{write_str, write_value};
use super::Error;

/// A file being written under a temporary name.
struct TempFile {
    final_path: PathBuf,
    temp_path: PathBuf,
    overwrite: bool,
    committed: bool,
}

impl TempFile {
    fn create(final_path: &Path, overwrite: bool) -> Result<(Self, File), Error> {
        let dir = final_path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let name = final_path.file_name().unwrap_or_default().to_string_lossy();
        let temp_path = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let file = File::create(&temp_path).map_err(|e| Error::io(&temp_path, e))?;
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
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.temp_path);
        }
    }
}

/// Where output record batches go.
pub trait Sink {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), Error>;
    /// Completes the file and moves it to its final name.
    fn finish(self: Box<Self>) -> Result<PathBuf, Error>;
}

/// JSON Lines in pylintseq's layout (see [`super::json_format`]).
pub struct JsonlSink {
    temp: TempFile,
    out: BufWriter<File>,
    line: Vec<u8>,
}

impl JsonlSink {
    pub fn create(path: &Path, overwrite: bool) -> Result<Self, Error> {
        let (temp, file) = TempFile::create(path, overwrite)?;
        Ok(JsonlSink { temp, out: BufWriter::with_capacity(1 << 20, file), line: Vec::new() })
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
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<PathBuf, Error> {
        self.out.flush().map_err(|e| Error::io(&self.temp.temp_path, e))?;
        self.out.get_ref().sync_all().map_err(|e| Error::io(&self.temp.temp_path, e))?;
        let JsonlSink { temp, out, .. } = *self;
        drop(out);
        temp.commit()
    }
}

/// Rows per write into the Parquet writer. Feeding it fixed-size chunks (whatever the
/// batch size) makes page and row-group boundaries, and so the file's bytes, depend
/// only on the rows.
const PARQUET_CHUNK_ROWS: usize = 1024;
/// A row group is closed at this many rows or when the writer holds this many bytes
/// for it, whichever comes first: large enough for readers, small enough to bound
/// memory.
const ROW_GROUP_MAX_ROWS: usize = 10000;
const ROW_GROUP_MAX_BYTES: usize = 64 << 20;

/// Parquet with zstd, the run's settings in the file's key-value metadata.
pub struct ParquetSink {
    temp: TempFile,
    writer: ArrowWriter<BufWriter<File>>,
    pending: Vec<RecordBatch>,
    pending_rows: usize,
    schema: SchemaRef,
}

impl ParquetSink {
    pub fn create(path: &Path, schema: SchemaRef, metadata: Vec<(String, String)>, overwrite: bool) -> Result<Self, Error> {
        let (temp, file) = TempFile::create(path, overwrite)?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).expect("valid level")))
            .set_max_row_group_size(ROW_GROUP_MAX_ROWS)
            .set_statistics_truncate_length(Some(64))
            .set_key_value_metadata(Some(metadata.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect()))
            .build();
        let writer = ArrowWriter::try_new(BufWriter::with_capacity(1 << 20, file), schema.clone(), Some(props))
            .map_err(|e| Error::format(path.display(), e))?;
        Ok(ParquetSink { temp, writer, pending: Vec::new(), pending_rows: 0, schema })
    }

    fn fail(&self, e: impl std::fmt::Display) -> Error {
        Error::format(self.temp.final_path.display(), e)
    }

    fn write_chunk(&mut self, chunk: &RecordBatch) -> Result<(), Error> {
        self.writer.write(chunk).map_err(|e| self.fail(e))?;
        if self.writer.memory_size() >= ROW_GROUP_MAX_BYTES {
            self.writer.flush().map_err(|e| self.fail(e))?;
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

    fn finish(mut self: Box<Self>) -> Result<PathBuf, Error> {
        self.drain(true)?;
        let ParquetSink { temp, writer, .. } = *self;
        let out = writer.into_inner().map_err(|e| Error::format(temp.final_path.display(), e))?;
        let file = out.into_inner().map_err(|e| Error::io(&temp.temp_path, e.into_error()))?;
        file.sync_all().map_err(|e| Error::io(&temp.temp_path, e))?;
        drop(file);
        temp.commit()
    }
}

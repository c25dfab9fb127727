//! JSON Lines input (optionally gzip or zstd compressed). A row is a non-blank line
//! (pandas' `read_json(lines=True)` skips blank lines too), so a row's index is its
//! position among the non-blank lines and a malformed line still takes its index.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use arrow::array::{ArrayRef, StringBuilder};
use arrow::datatypes::{FieldRef, Schema, SchemaRef};
use arrow::json::ReaderBuilder;
use serde_json::{Map, Value};

use super::input::{Compression, InputFile};
use super::{BadRow, Error, ReadOptions, Source, SourceBatch};

/// Malformed lines reported one by one per file before the rest are only counted.
const MAX_WARNINGS: u64 = 10;

fn open_reader(file: &InputFile) -> Result<Box<dyn BufRead + Send>, Error> {
    let raw = File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
    let capacity = 1 << 20;
    let reader: Box<dyn Read + Send> = match file.compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw))),
        Compression::Zstd => {
            Box::new(zstd::stream::read::Decoder::new(raw).map_err(|e| Error::io(&file.path, e))?)
        }
    };
    Ok(Box::new(BufReader::with_capacity(capacity, reader)))
}

fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// Reads one line (without its line break) into `buf`; false at the end of the file.
fn read_line(reader: &mut dyn BufRead, buf: &mut Vec<u8>, file: &InputFile) -> Result<bool, Error> {
    buf.clear();
    let n = reader.read_until(b'\n', buf).map_err(|e| Error::io(&file.path, e))?;
    if n == 0 {
        return Ok(false);
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Ok(true)
}

fn parse_object(line: &[u8]) -> Result<Map<String, Value>, String> {
    match serde_json::from_slice::<Value>(line) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("a JSON {}, not an object", json_kind(&other))),
        Err(e) => Err(e.to_string()),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Counts the rows (non-blank lines) of a JSON Lines file.
pub fn count_rows(file: &InputFile) -> Result<u64, Error> {
    let mut reader = open_reader(file)?;
    let mut rows = 0;
    let mut buf = Vec::new();
    while read_line(&mut *reader, &mut buf, file)? {
        if !is_blank(&buf) {
            rows += 1;
        }
    }
    Ok(rows)
}

/// The types of the other columns, inferred from every well-formed row of the file.
fn infer_other_fields(file: &InputFile, options: &ReadOptions) -> Result<Vec<FieldRef>, Error> {
    let mut reader = open_reader(file)?;
    let mut buf = Vec::new();
    let mut values = Vec::new();
    let mut inferred: Option<Schema> = None;
    let mut merge = |values: &mut Vec<Value>| -> Result<(), Error> {
        let schema = arrow::json::reader::infer_json_schema_from_iterator(values.drain(..).map(Ok))
            .map_err(|e| Error::format(file.path.display(), e))?;
        inferred = Some(match inferred.take() {
            None => schema,
            Some(old) => Schema::try_merge([old, schema]).map_err(|e| Error::format(file.path.display(), e))?,
        });
        Ok(())
    };
    while read_line(&mut *reader, &mut buf, file)? {
        if is_blank(&buf) {
            continue;
        }
        if let Ok(mut map) = parse_object(&buf) {
            map.retain(|name, _| options.columns.is_other(name));
            values.push(Value::Object(map));
            if values.len() >= 4096 {
                merge(&mut values)?;
            }
        }
    }
    merge(&mut values)?;
    Ok(inferred.map(|s| s.fields().iter().cloned().collect()).unwrap_or_default())
}

pub struct JsonlSource {
    file: InputFile,
    reader: Box<dyn BufRead + Send>,
    options: ReadOptions,
    other_fields: Vec<FieldRef>,
    other_schema: SchemaRef,
    /// Sorted row indices to read, and how many of them are done.
    selection: Option<(Vec<u64>, usize)>,
    line: u64,
    row: u64,
    warnings: u64,
    checked_columns: bool,
    done: bool,
    buf: Vec<u8>,
}

impl JsonlSource {
    pub fn open(file: &InputFile, options: &ReadOptions, selection: Option<Vec<u64>>) -> Result<Self, Error> {
        let other_fields =
            if options.columns.keep_others { infer_other_fields(file, options)? } else { Vec::new() };
        let other_schema = Arc::new(Schema::new(other_fields.clone()));
        Ok(JsonlSource {
            file: file.clone(),
            reader: open_reader(file)?,
            options: options.clone(),
            other_fields,
            other_schema,
            selection: selection.map(|rows| (rows, 0)),
            line: 0,
            row: 0,
            warnings: 0,
            checked_columns: false,
            done: false,
            buf: Vec::new(),
        })
    }

    fn name(&self) -> String {
        self.file.path.display().to_string()
    }

    /// Whether row `row` is selected; also notes when no selected row is left.
    fn selected(&mut self, row: u64) -> bool {
        let Some((rows, next)) = &mut self.selection else { return true };
        while *next < rows.len() && rows[*next] < row {
            *next += 1;
        }
        if *next >= rows.len() {
            self.done = true;
            return false;
        }
        rows[*next] == row
    }

    fn check_columns(&mut self, map: &Map<String, Value>) -> Result<(), Error> {
        self.checked_columns = true;
        let columns = &self.options.columns;
        for wanted in std::iter::once(&columns.code).chain(columns.prompt.as_ref()) {
            if !map.contains_key(wanted) {
                return Err(Error::MissingColumn {
                    file: self.name(),
                    column: wanted.clone(),
                    available: map.keys().cloned().collect(),
                });
            }
        }
        Ok(())
    }

    fn read_batch(&mut self) -> Result<Option<SourceBatch>, Error> {
        let batch_size = self.options.batch_size.max(1);
        let mut code = StringBuilder::new();
        let mut prompt = self.options.columns.prompt.as_ref().map(|_| StringBuilder::new());
        let mut others: Vec<Value> = Vec::new();
        let mut rows = Vec::new();
        let mut bad_rows = Vec::new();
        while rows.len() < batch_size && !self.done {
            if !read_line(&mut *self.reader, &mut self.buf, &self.file)? {
                self.done = true;
                break;
            }
            self.line += 1;
            if is_blank(&self.buf) {
                continue;
            }
            let row = self.row;
            self.row += 1;
            if !self.selected(row) {
                continue;
            }
            let mut map = match parse_object(&self.buf) {
                Ok(map) => map,
                Err(reason) => {
                    if self.options.strict {
                        return Err(Error::BadJson { file: self.name(), line: self.line, reason });
                    }
                    self.warnings += 1;
                    if self.warnings <= MAX_WARNINGS {
                        eprintln!("lintseq: warning: {}:{}: skipped, not a JSON object ({reason})", self.name(), self.line);
                    }
                    bad_rows.push(BadRow { row, line: self.line, reason });
                    if self.warnings == MAX_WARNINGS + 1 {
                        eprintln!("lintseq: warning: {}: more malformed lines are skipped without a warning", self.name());
                    }
                    continue;
                }
            };
            if !self.checked_columns {
                self.check_columns(&map)?;
            }
            match map.get(&self.options.columns.code) {
                Some(Value::String(text)) => code.append_value(text),
                _ => code.append_null(),
            }
            if let (Some(builder), Some(field)) = (&mut prompt, &self.options.columns.prompt) {
                match map.get(field) {
                    None | Some(Value::Null) => builder.append_null(),
                    Some(Value::String(text)) => builder.append_value(text),
                    Some(other) => builder.append_value(other.to_string()),
                }
            }
            if !self.other_fields.is_empty() {
                let columns = &self.options.columns;
                map.retain(|name, _| columns.is_other(name));
                others.push(Value::Object(map));
            }
            rows.push(row);
        }
        if rows.is_empty() && bad_rows.is_empty() {
            return Ok(None);
        }
        let others = self.decode_others(&others)?;
        Ok(Some(SourceBatch {
            code: code.finish(),
            prompt: prompt.map(|mut b| b.finish()),
            others,
            rows,
            bad_rows,
        }))
    }

    fn decode_others(&self, values: &[Value]) -> Result<Vec<ArrayRef>, Error> {
        if self.other_fields.is_empty() {
            return Ok(Vec::new());
        }
        let fail = |e: arrow::error::ArrowError| Error::format(self.name(), e);
        let mut decoder = ReaderBuilder::new(self.other_schema.clone())
            .with_coerce_primitive(true)
            .with_batch_size(values.len().max(1))
            .build_decoder()
            .map_err(fail)?;
        decoder.serialize(values).map_err(fail)?;
        match decoder.flush().map_err(fail)? {
            Some(batch) => Ok(batch.columns().to_vec()),
            None => Ok(self
                .other_fields
                .iter()
                .map(|f| arrow::array::new_empty_array(f.data_type()))
                .collect()),
        }
    }
}

impl Iterator for JsonlSource {
    type Item = Result<SourceBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let result = self.read_batch();
        if result.is_err() {
            self.done = true;
        }
        result.transpose()
    }
}

impl Source for JsonlSource {
    fn other_fields(&self) -> &[FieldRef] {
        &self.other_fields
    }
}

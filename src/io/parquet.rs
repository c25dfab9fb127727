//! Parquet input, read with a projection onto the columns the run needs and, for `-n`,
//! a row selection, so unneeded columns and rows are never decoded.

use std::fs::File;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::compute::{can_cast_types, cast};
use arrow::datatypes::{DataType, FieldRef};
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder, RowSelection};
use parquet::arrow::ProjectionMask;

use super::input::InputFile;
use super::{Error, ReadOptions, Source, SourceBatch};

fn builder(file: &InputFile) -> Result<ParquetRecordBatchReaderBuilder<File>, Error> {
    let raw = File::open(&file.path).map_err(|e| Error::io(&file.path, e))?;
    ParquetRecordBatchReaderBuilder::try_new(raw).map_err(|e| Error::format(file.path.display(), e))
}

/// The row count from the file's metadata.
pub fn count_rows(file: &InputFile) -> Result<u64, Error> {
    Ok(builder(file)?.metadata().file_metadata().num_rows().max(0) as u64)
}

fn is_string_type(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_string_type(value),
        _ => false,
    }
}

/// Which rows the batches hold.
enum RowIds {
    /// All rows, from this one on.
    Sequential(u64),
    /// The selected rows, from this position on.
    Selected(Vec<u64>, usize),
}

impl RowIds {
    fn take(&mut self, n: usize) -> Vec<u64> {
        match self {
            RowIds::Sequential(next) => {
                let rows = (*next..*next + n as u64).collect();
                *next += n as u64;
                rows
            }
            RowIds::Selected(rows, position) => {
                let end = (*position + n).min(rows.len());
                let taken = rows[*position..end].to_vec();
                *position = end;
                taken
            }
        }
    }
}

pub struct ParquetSource {
    name: String,
    reader: ParquetRecordBatchReader,
    options: ReadOptions,
    other_fields: Vec<FieldRef>,
    rows: RowIds,
}

impl ParquetSource {
    pub fn open(file: &InputFile, options: &ReadOptions, selection: Option<Vec<u64>>) -> Result<Self, Error> {
        let name = file.path.display().to_string();
        let mut builder = builder(file)?;
        let schema = builder.schema().clone();
        let columns = &options.columns;
        for wanted in std::iter::once(&columns.code).chain(columns.prompt.as_ref()) {
            if schema.field_with_name(wanted).is_err() {
                return Err(Error::MissingColumn {
                    file: name,
                    column: wanted.clone(),
                    available: schema.fields().iter().map(|f| f.name().clone()).collect(),
                });
            }
        }
        let code_type = schema.field_with_name(&columns.code).expect("checked").data_type();
        if !is_string_type(code_type) {
            return Err(Error::ColumnType {
                file: name,
                column: columns.code.clone(),
                found: code_type.to_string(),
                expected: "a string type",
            });
        }
        if let Some(prompt) = &columns.prompt {
            let prompt_type = schema.field_with_name(prompt).expect("checked").data_type();
            if !can_cast_types(prompt_type, &DataType::Utf8) {
                return Err(Error::ColumnType {
                    file: name,
                    column: prompt.clone(),
                    found: prompt_type.to_string(),
                    expected: "a type that converts to text",
                });
            }
        }
        let wanted: Vec<usize> = schema
            .fields()
            .iter()
            .enumerate()
            .filter(|(_, f)| columns.keep_others || !columns.is_other(f.name()))
            .map(|(i, _)| i)
            .collect();
        let other_fields = if columns.keep_others {
            schema.fields().iter().filter(|f| columns.is_other(f.name())).cloned().collect()
        } else {
            Vec::new()
        };
        let total_rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
        let mask = ProjectionMask::roots(builder.parquet_schema(), wanted);
        builder = builder.with_projection(mask).with_batch_size(options.batch_size.max(1));
        let rows = match selection {
            Some(selected) => {
                let ranges = consecutive_ranges(&selected);
                builder = builder.with_row_selection(RowSelection::from_consecutive_ranges(ranges.into_iter(), total_rows));
                RowIds::Selected(selected, 0)
            }
            None => RowIds::Sequential(0),
        };
        let reader = builder.build().map_err(|e| Error::format(&name, e))?;
        Ok(ParquetSource { name, reader, options: options.clone(), other_fields, rows })
    }

    fn convert(&mut self, batch: RecordBatch) -> Result<SourceBatch, Error> {
        let columns = &self.options.columns;
        let text = |column: &str| -> Result<StringArray, Error> {
            let array = batch.column_by_name(column).expect("projected");
            let converted = cast(array, &DataType::Utf8).map_err(|e| Error::format(&self.name, e))?;
            Ok(converted.as_string::<i32>().clone())
        };
        let code = text(&columns.code)?;
        let prompt = columns.prompt.as_deref().map(text).transpose()?;
        let others: Vec<ArrayRef> = self
            .other_fields
            .iter()
            .map(|f| batch.column_by_name(f.name()).expect("projected").clone())
            .collect();
        let rows = self.rows.take(batch.num_rows());
        debug_assert_eq!(rows.len(), code.len());
        Ok(SourceBatch { code, prompt, others, rows, bad_rows: Vec::new() })
    }
}

/// Sorted row indices as half-open ranges of consecutive rows.
fn consecutive_ranges(rows: &[u64]) -> Vec<std::ops::Range<usize>> {
    let mut ranges: Vec<std::ops::Range<usize>> = Vec::new();
    for &row in rows {
        let row = row as usize;
        match ranges.last_mut() {
            Some(last) if last.end == row => last.end += 1,
            _ => ranges.push(row..row + 1),
        }
    }
    ranges
}

impl Iterator for ParquetSource {
    type Item = Result<SourceBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let batch = self.reader.next()?;
        Some(batch.map_err(|e| Error::format(&self.name, e)).and_then(|b| self.convert(b)))
    }
}

impl Source for ParquetSource {
    fn other_fields(&self) -> &[FieldRef] {
        &self.other_fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_consecutive_rows() {
        assert_eq!(consecutive_ranges(&[0, 1, 2, 5, 7, 8]), vec![0..3, 5..6, 7..9]);
    }
}

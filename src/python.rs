//! Python bindings (cargo feature `python`; maturin builds them into the `lintseq`
//! wheel as `lintseq._lintseq`, wrapped by the pure-Python package in `python/`).
//!
//! Only conversions live here: Python values and Arrow data in (through the Arrow C
//! data interface, without copying), the crate's own functions in the middle (the
//! kernel samples, the pipeline lays out the output columns, the command line parses
//! its flags), Arrow data out. The GIL is released while the kernel runs.

use std::collections::HashMap;
use std::ffi::OsString;
use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{
    Array, ArrayRef, AsArray, Int64Array, RecordBatch, RecordBatchIterator, RecordBatchReader, StringArray,
};
use arrow::compute::{can_cast_types, cast};
use arrow::datatypes::{DataType, Field, FieldRef, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::ffi_stream::ArrowArrayStreamReader;
use arrow::pyarrow::PyArrowType;
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rayon::prelude::*;
use rayon::ThreadPool;

use crate::cli::args::resolve_lang;
use crate::io::{InputFormat, SourceBatch};
use crate::kernel::{self, KernelConfig, KernelOutput};
use crate::lintseq::{SamplerConfig, Strategy};
use crate::pipeline::{self, LangChoice, SourceFiles};

create_exception!(
    lintseq,
    RejectError,
    PyValueError,
    "A program yields no edit path (no code, nothing deletable, over the work budget); `reason` says which."
);

/// Sampler settings from the keyword arguments `sample` and `transform` pass on,
/// named as the command line names them (snake case); defaults as there.
fn sampler_config(config: Option<&Bound<'_, PyDict>>) -> PyResult<SamplerConfig> {
    let mut cfg = SamplerConfig::default();
    let Some(config) = config else { return Ok(cfg) };
    for (key, value) in config.iter() {
        let key: String = key.extract()?;
        let at_least_one = |value: &Bound<'_, PyAny>| -> PyResult<usize> {
            match value.extract::<usize>()? {
                0 => Err(PyValueError::new_err(format!("{key} must be at least 1"))),
                n => Ok(n),
            }
        };
        match key.as_str() {
            "sampler" => {
                cfg.strategy = match value.extract::<String>()?.as_str() {
                    "linter" => Strategy::Linter,
                    "random" => Strategy::Random,
                    other => return Err(PyValueError::new_err(format!("sampler is \"linter\" or \"random\", not {other:?}"))),
                }
            }
            "children_per_round" => cfg.children_per_round = at_least_one(&value)?,
            "top_k" => cfg.top_k = at_least_one(&value)?,
            "max_population_size" => cfg.max_population_size = at_least_one(&value)?,
            "max_depth" => cfg.max_depth = at_least_one(&value)?,
            "indent_bias_sampling_factor" => {
                cfg.indent_bias_sampling_factor = if value.is_none() {
                    None
                } else {
                    let factor: f64 = value.extract()?;
                    if !(factor.is_finite() && factor >= 0.0) {
                        return Err(PyValueError::new_err(format!(
                            "indent_bias_sampling_factor takes a non-negative number or None, not {factor}"
                        )));
                    }
                    Some(factor)
                }
            }
            "ignore_imports" => cfg.ignore_imports = value.extract()?,
            "ignore_comments" => cfg.ignore_comments = value.extract()?,
            "ignore_global_defs" => cfg.ignore_global_defs = value.extract()?,
            "ignore_init_errors" => cfg.ignore_init_errors = value.extract()?,
            "max_lint_calls" => cfg.max_lint_calls = value.extract()?,
            "max_lint_lines" => cfg.max_lint_lines = value.extract()?,
            _ => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument '{key}'; the sampler settings are sampler, children_per_round, \
                     top_k, max_population_size, max_depth, indent_bias_sampling_factor, ignore_imports, \
                     ignore_comments, ignore_global_defs, ignore_init_errors, max_lint_calls, max_lint_lines"
                )))
            }
        }
    }
    Ok(cfg)
}

fn lang_choice(name: &str) -> PyResult<LangChoice> {
    if name.eq_ignore_ascii_case("auto") {
        return Ok(LangChoice::Auto);
    }
    resolve_lang(name).map(LangChoice::Fixed).map_err(PyValueError::new_err)
}

fn arrow_error(error: ArrowError) -> PyErr {
    PyValueError::new_err(error.to_string())
}

/// One worker pool per thread count (0: one thread per CPU the process may use), kept
/// for the life of the process: building a pool per call would cost more than
/// sampling a small batch.
fn pool(threads: usize) -> PyResult<Arc<ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS.get_or_init(Default::default).lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&threads) {
        return Ok(pool.clone());
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("lintseq-py-worker-{i}"))
        .stack_size(pipeline::WORKER_STACK_BYTES)
        .build()
        .map_err(|e| PyValueError::new_err(format!("cannot start {threads} worker threads: {e}")))?;
    let pool = Arc::new(pool);
    pools.insert(threads, pool.clone());
    Ok(pool)
}

/// One edit path (path 0 of row `index` under `seed`), exactly as `transform` and the
/// command line sample it for a row at that index.
#[pyfunction]
#[pyo3(signature = (code, *, lang = "python", seed = 0, index = 0, config = None))]
fn sample(
    py: Python<'_>,
    code: &str,
    lang: &str,
    seed: u64,
    index: u64,
    config: Option<&Bound<'_, PyDict>>,
) -> PyResult<Vec<String>> {
    let cfg = KernelConfig {
        lang: lang_choice(lang)?,
        sampler: sampler_config(config)?,
        seed,
        paths_per_sample: 1,
        emit_edit_lines: false,
    };
    let mut paths = py.allow_threads(|| kernel::process_row(&cfg, Some(code), index));
    match paths.pop().expect("one path asked for") {
        Ok(path) => Ok(path.diffs),
        Err(reject) => {
            let message = match &reject.detail {
                Some(detail) => format!("no edit path: {} ({detail})", reject.reason),
                None => format!("no edit path: {}", reject.reason),
            };
            let error = RejectError::new_err(message);
            error.value(py).setattr("reason", reject.reason)?;
            Err(error)
        }
    }
}

/// The built-in linter's findings, as `lintseq lint --format json` prints them
/// (1-based lines).
#[pyfunction]
#[pyo3(signature = (code, *, lang = "python"))]
fn lint<'py>(py: Python<'py>, code: &str, lang: &str) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let language = resolve_lang(lang).map_err(PyValueError::new_err)?;
    let findings = py.allow_threads(|| kernel::catch_quietly(|| language.lint(code)));
    let findings = findings.map_err(|message| PyValueError::new_err(format!("internal error: the linter panicked: {message}")))?;
    findings
        .into_iter()
        .map(|diag| {
            let finding = PyDict::new(py);
            finding.set_item("line", diag.line + 1)?;
            finding.set_item("column", diag.column)?;
            finding.set_item("code", diag.code)?;
            finding.set_item("message", diag.message)?;
            Ok(finding)
        })
        .collect()
}

/// The registered languages' names.
#[pyfunction]
fn languages() -> Vec<&'static str> {
    crate::lang::registry().iter().map(|lang| lang.name()).collect()
}

/// The input files `-p PATH` reads, in the command line's order, as (path to open,
/// what the `source_file` column says, "parquet" or "jsonl").
#[pyfunction]
fn discover(path: &str) -> PyResult<Vec<(String, String, &'static str)>> {
    let inputs = crate::io::discover(path).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(inputs
        .files
        .into_iter()
        .map(|file| {
            let format = match file.format {
                InputFormat::Parquet => "parquet",
                InputFormat::Jsonl => "jsonl",
            };
            (file.path.to_string_lossy().into_owned(), file.source_file, format)
        })
        .collect())
}

/// Runs the command line (`argv[0]` is the program name) and returns its exit status.
#[pyfunction]
fn cli(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.allow_threads(|| crate::cli::main_with_args(argv))
}

fn is_text(data_type: &DataType) -> bool {
    match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => true,
        DataType::Dictionary(_, value) => is_text(value),
        _ => false,
    }
}

/// Where `transform` finds each input column, by position in the input schema.
struct Layout {
    code: usize,
    prompt: Option<usize>,
    index: Option<usize>,
    source_file: Option<usize>,
    others: Vec<usize>,
}

impl Layout {
    fn new(
        schema: &Schema,
        code_field: &str,
        prompt_field: Option<&str>,
        index_field: Option<&str>,
        source_file_field: Option<&str>,
        keep_columns: bool,
    ) -> PyResult<Layout> {
        let find = |name: &str, role: &str| -> PyResult<usize> {
            schema.index_of(name).map_err(|_| {
                let available: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
                PyValueError::new_err(format!("no {role} column {name:?}; the columns are {}", available.join(", ")))
            })
        };
        let code = find(code_field, "code")?;
        let code_type = schema.field(code).data_type();
        if !is_text(code_type) {
            return Err(PyValueError::new_err(format!("the code column {code_field:?} holds {code_type}, not text")));
        }
        let prompt = prompt_field.map(|name| find(name, "prompt")).transpose()?;
        if let Some(prompt) = prompt {
            let prompt_type = schema.field(prompt).data_type();
            if !can_cast_types(prompt_type, &DataType::Utf8) {
                return Err(PyValueError::new_err(format!(
                    "the prompt column {:?} holds {prompt_type}, which does not convert to text",
                    schema.field(prompt).name()
                )));
            }
        }
        let index = index_field.map(|name| find(name, "index")).transpose()?;
        if let Some(index) = index {
            if !schema.field(index).data_type().is_integer() {
                return Err(PyValueError::new_err(format!(
                    "the index column {:?} holds {}, not integers",
                    schema.field(index).name(),
                    schema.field(index).data_type()
                )));
            }
        }
        let source_file = source_file_field.map(|name| find(name, "source_file")).transpose()?;
        if let Some(source_file) = source_file {
            if !is_text(schema.field(source_file).data_type()) {
                return Err(PyValueError::new_err(format!(
                    "the source_file column {:?} holds {}, not text",
                    schema.field(source_file).name(),
                    schema.field(source_file).data_type()
                )));
            }
        }
        let taken = [Some(code), prompt, index, source_file];
        let others = if keep_columns {
            (0..schema.fields().len()).filter(|i| !taken.contains(&Some(*i))).collect()
        } else {
            Vec::new()
        };
        Ok(Layout { code, prompt, index, source_file, others })
    }

    fn other_fields(&self, schema: &Schema) -> Vec<FieldRef> {
        self.others.iter().map(|&i| schema.fields()[i].clone()).collect()
    }
}

/// One input batch, ready for the kernel.
struct Chunk {
    source: SourceBatch,
    source_files: Option<StringArray>,
}

fn as_utf8(array: &ArrayRef) -> Result<StringArray, ArrowError> {
    Ok(cast(array, &DataType::Utf8)?.as_string::<i32>().clone())
}

fn chunk(batch: &RecordBatch, layout: &Layout, first_row: u64) -> PyResult<Chunk> {
    let column = |i: usize| batch.column(i);
    let code = as_utf8(column(layout.code)).map_err(arrow_error)?;
    let prompt = layout.prompt.map(|i| as_utf8(column(i))).transpose().map_err(arrow_error)?;
    let rows: Vec<u64> = match layout.index {
        Some(i) => {
            let index = cast(column(i), &DataType::Int64).map_err(arrow_error)?;
            let index: &Int64Array = index.as_primitive();
            if index.null_count() > 0 {
                return Err(PyValueError::new_err("the index column holds nulls"));
            }
            index
                .values()
                .iter()
                .map(|&row| u64::try_from(row).map_err(|_| PyValueError::new_err(format!("negative row index {row}"))))
                .collect::<PyResult<_>>()?
        }
        None => (first_row..first_row + batch.num_rows() as u64).collect(),
    };
    let source_files = layout.source_file.map(|i| as_utf8(column(i))).transpose().map_err(arrow_error)?;
    if source_files.as_ref().is_some_and(|files| files.null_count() > 0) {
        return Err(PyValueError::new_err("the source_file column holds nulls"));
    }
    let others = layout.others.iter().map(|&i| column(i).clone()).collect();
    Ok(Chunk { source: SourceBatch { code, prompt, others, rows, bad_rows: Vec::new() }, source_files })
}

fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("source_file", DataType::Utf8, false),
        Field::new("index", DataType::Int64, false),
        Field::new("path", DataType::Int64, false),
        Field::new("reason", DataType::Utf8, false),
        Field::new("detail", DataType::Utf8, true),
    ]))
}

/// The row-paths of a chunk that yielded no path, as the `.rejects.jsonl` file of a
/// run lists them.
fn rejects_batch(chunk: &Chunk, output: &KernelOutput, source_file: &str) -> Result<RecordBatch, ArrowError> {
    let rejects = &output.rejects;
    let files = rejects.iter().map(|(position, _, _)| match &chunk.source_files {
        Some(files) => files.value(*position as usize),
        None => source_file,
    });
    let columns: Vec<ArrayRef> = vec![
        Arc::new(StringArray::from_iter_values(files)),
        Arc::new(Int64Array::from_iter_values(rejects.iter().map(|(p, _, _)| chunk.source.rows[*p as usize] as i64))),
        Arc::new(Int64Array::from_iter_values(rejects.iter().map(|(_, path, _)| *path as i64))),
        Arc::new(StringArray::from_iter_values(rejects.iter().map(|(_, _, r)| r.reason))),
        Arc::new(StringArray::from_iter(rejects.iter().map(|(_, _, r)| r.detail.as_deref()))),
    ];
    RecordBatch::try_new(rejects_schema(), columns)
}

type Reader = PyArrowType<Box<dyn RecordBatchReader + Send>>;

fn reader(schema: SchemaRef, batches: Vec<RecordBatch>) -> Reader {
    PyArrowType(Box::new(RecordBatchIterator::new(batches.into_iter().map(Ok), schema)))
}

/// The kernel over an Arrow stream: returns the output rows and the rejects as
/// streams (`pyarrow.RecordBatchReader`s), in input order. Row `i` of the input is
/// row `index_offset + i` of `source_file` unless `index_field` / `source_file_field`
/// name columns that say where each row comes from.
#[pyfunction]
#[pyo3(signature = (
    data, *, code_field, prompt_field, index_field, source_file_field, source_file, index_offset,
    keep_columns, emit_edit_lines, seed, paths_per_sample, lang, num_threads, config = None
))]
#[allow(clippy::too_many_arguments)]
fn transform(
    py: Python<'_>,
    data: PyArrowType<ArrowArrayStreamReader>,
    code_field: &str,
    prompt_field: Option<&str>,
    index_field: Option<&str>,
    source_file_field: Option<&str>,
    source_file: &str,
    index_offset: u64,
    keep_columns: bool,
    emit_edit_lines: bool,
    seed: u64,
    paths_per_sample: usize,
    lang: &str,
    num_threads: usize,
    config: Option<&Bound<'_, PyDict>>,
) -> PyResult<(Reader, Reader)> {
    if paths_per_sample == 0 {
        return Err(PyValueError::new_err("paths_per_sample must be at least 1"));
    }
    let kernel_cfg = KernelConfig {
        lang: lang_choice(lang)?,
        sampler: sampler_config(config)?,
        seed,
        paths_per_sample,
        emit_edit_lines,
    };
    let pool = pool(num_threads)?;
    let stream = data.0;
    let input_schema = stream.schema();
    let layout = Layout::new(&input_schema, code_field, prompt_field, index_field, source_file_field, keep_columns)?;
    let schema = pipeline::output_columns(code_field, prompt_field, &layout.other_fields(&input_schema), emit_edit_lines);
    let mut chunks = Vec::new();
    let mut first_row = index_offset;
    for batch in stream {
        let batch = batch.map_err(arrow_error)?;
        chunks.push(chunk(&batch, &layout, first_row)?);
        first_row += batch.num_rows() as u64;
    }
    let results = py.allow_threads(|| -> Result<Vec<(RecordBatch, RecordBatch)>, String> {
        // All chunks at once, so a slow row at the end of one chunk leaves no worker idle.
        let outputs: Vec<Result<KernelOutput, String>> = pool.install(|| {
            chunks
                .par_iter()
                .map(|chunk| kernel::catch_quietly(|| kernel::run(&pool, &kernel_cfg, &chunk.source.code, &chunk.source.rows)))
                .collect()
        });
        chunks
            .iter()
            .zip(outputs)
            .map(|(chunk, output)| {
                let output = output.map_err(|message| format!("internal error: the kernel panicked outside a row: {message}"))?;
                let files = match &chunk.source_files {
                    Some(files) => SourceFiles::PerRow(files),
                    None => SourceFiles::Same(source_file),
                };
                let rows = pipeline::output_batch(&schema, &chunk.source, &output, files).map_err(|e| e.to_string())?;
                let rejects = rejects_batch(chunk, &output, source_file).map_err(|e| e.to_string())?;
                Ok((rows, rejects))
            })
            .collect()
    });
    let (rows, rejects): (Vec<RecordBatch>, Vec<RecordBatch>) =
        results.map_err(PyValueError::new_err)?.into_iter().unzip();
    Ok((reader(schema, rows), reader(rejects_schema(), rejects)))
}

#[pymodule]
fn _lintseq(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("RejectError", m.py().get_type::<RejectError>())?;
    m.add_function(wrap_pyfunction!(sample, m)?)?;
    m.add_function(wrap_pyfunction!(lint, m)?)?;
    m.add_function(wrap_pyfunction!(languages, m)?)?;
    m.add_function(wrap_pyfunction!(discover, m)?)?;
    m.add_function(wrap_pyfunction!(transform, m)?)?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    Ok(())
}


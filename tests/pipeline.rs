//! The data pipeline end to end through the library API: JSON Lines in pylintseq's
//! exact layout, Parquet shards, `-n`, determinism across workers and batch sizes,
//! never-overwrite, extra columns, malformed input.

use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, Int32Array, RecordBatch};
use arrow::datatypes::{DataType, Int64Type};
use lintseq::io::json_format::write_value;
use lintseq::pipeline::{run, Error, LangChoice, OutputFormat, Progress, RunConfig};
use lintseq::SamplerConfig;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use serde_json::Value;

const HUMANEVAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/humaneval.jsonl");
const SHARDS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/parquet/humaneval");

fn config(input: &str, dest: &Path) -> RunConfig {
    RunConfig {
        input: input.to_string(),
        dest_dir: dest.to_path_buf(),
        num_samples: None,
        num_samples_label: "all".to_string(),
        num_workers: 2,
        paths_per_sample: 1,
        seed: 1,
        code_field: "response".to_string(),
        prompt_field: Some("instruction".to_string()),
        lang: LangChoice::Auto,
        sampler: SamplerConfig::default(),
        format: None,
        keep_columns: false,
        emit_edit_lines: false,
        batch_size: 32,
        overwrite: false,
        progress: Progress::Quiet,
        strict: false,
        resume: false,
        row_group_rows: 10000,
    }
}

fn json_lines(path: &Path) -> Vec<serde_json::Map<String, Value>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|line| match serde_json::from_str(line).unwrap() {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

fn read_parquet(path: &Path) -> Vec<RecordBatch> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(path).unwrap()).unwrap().build().unwrap();
    reader.map(Result::unwrap).collect()
}

fn humaneval_rows() -> Vec<serde_json::Map<String, Value>> {
    json_lines(Path::new(HUMANEVAL))
}

/// Every file under `dir`, relative, sorted.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn jsonl_round_trip_matches_pylintseq_layout() {
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(HUMANEVAL, dest.path());
    cfg.paths_per_sample = 2;
    let summary = run(&cfg).unwrap();
    let output = dest.path().join("humaneval_all_2_1_vec.jsonl");
    assert_eq!(summary.outputs, vec![output.clone()]);
    assert_eq!(summary.rows_read, 164);
    assert_eq!(summary.rows_read * 2, summary.rows_written + summary.rows_dropped());

    let input = humaneval_rows();
    let text = std::fs::read_to_string(&output).unwrap();
    let rows = json_lines(&output);
    assert_eq!(rows.len() as u64, summary.rows_written);
    for (line, row) in text.lines().zip(&rows) {
        // Python's json.dumps(ensure_ascii=False) layout, byte for byte.
        let mut again = Vec::new();
        write_value(&mut again, &Value::Object(row.clone()));
        assert_eq!(line.as_bytes(), again.as_slice());
        let keys: Vec<&str> = row.keys().map(String::as_str).collect();
        assert_eq!(keys, ["edit_path", "index", "source_file", "source_response", "source_instruction"]);
        let index = row["index"].as_u64().unwrap() as usize;
        assert_eq!(row["source_file"], Value::String(HUMANEVAL.to_string()));
        assert_eq!(row["source_response"], input[index]["response"]);
        assert_eq!(row["source_instruction"], input[index]["instruction"]);
        let diffs = row["edit_path"].as_array().unwrap();
        assert!(!diffs.is_empty());
        assert!(diffs.iter().all(|d| d.as_str().unwrap().starts_with("@@ ")));
    }
    // Rows in input order, each row's paths together.
    let indices: Vec<u64> = rows.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert!(indices.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn output_is_byte_identical_across_workers_and_batch_sizes() {
    for format in [OutputFormat::Jsonl, OutputFormat::Parquet] {
        let mut outputs = Vec::new();
        for (workers, batch_size) in [(1, 7), (4, 64)] {
            let dest = tempfile::tempdir().unwrap();
            let mut cfg = config(HUMANEVAL, dest.path());
            cfg.num_workers = workers;
            cfg.batch_size = batch_size;
            cfg.paths_per_sample = 2;
            cfg.format = Some(format);
            cfg.emit_edit_lines = true;
            let summary = run(&cfg).unwrap();
            outputs.push(std::fs::read(&summary.outputs[0]).unwrap());
        }
        assert!(outputs[0] == outputs[1], "{format:?} output differs between runs");
    }
}

#[test]
fn parquet_shards_in_give_shards_out() {
    let dest = tempfile::tempdir().unwrap();
    let summary = run(&config(SHARDS, dest.path())).unwrap();
    assert_eq!(
        files_under(dest.path()),
        vec![PathBuf::from("data/train-00000-of-00002.parquet"), PathBuf::from("data/train-00001-of-00002.parquet")]
    );
    assert_eq!(summary.rows_read, 164);
    let mut seen = 0;
    for (shard, rows_in_shard) in [("train-00000-of-00002.parquet", 82), ("train-00001-of-00002.parquet", 82)] {
        let batches = read_parquet(&dest.path().join("data").join(shard));
        let schema = batches[0].schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, ["edit_path", "index", "source_file", "source_response", "source_instruction"]);
        assert!(matches!(schema.field(0).data_type(), DataType::List(item) if item.data_type() == &DataType::Utf8));
        let source = Path::new(SHARDS).join("data").join(shard).display().to_string();
        for batch in &batches {
            let files = batch.column(2).as_string::<i32>();
            assert!(files.iter().all(|f| f == Some(source.as_str())));
            let index = batch.column(1).as_primitive::<Int64Type>();
            assert!(index.values().iter().all(|&i| (0..rows_in_shard).contains(&i)));
            seen += batch.num_rows();
        }
    }
    assert_eq!(seen as u64, summary.rows_written);
}

#[test]
fn parquet_metadata_records_the_run() {
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(HUMANEVAL, dest.path());
    cfg.format = Some(OutputFormat::Parquet);
    let summary = run(&cfg).unwrap();
    assert_eq!(summary.outputs[0], dest.path().join("humaneval_all_1_1_vec.parquet"));
    let builder = ParquetRecordBatchReaderBuilder::try_new(File::open(&summary.outputs[0]).unwrap()).unwrap();
    let kv = builder.metadata().file_metadata().key_value_metadata().unwrap();
    let get = |key: &str| kv.iter().find(|e| e.key == key).and_then(|e| e.value.clone()).unwrap();
    assert_eq!(get("lintseq.seed"), "1");
    let config: Value = serde_json::from_str(&get("lintseq.config")).unwrap();
    assert_eq!(config["sampler"]["max_depth"], 512);
    assert_eq!(config["paths_per_sample"], 1);
}

#[test]
fn never_overwrites_unless_asked() {
    let dest = tempfile::tempdir().unwrap();
    let cfg = config(HUMANEVAL, dest.path());
    let first = run(&cfg).unwrap();
    let before = std::fs::read(&first.outputs[0]).unwrap();
    match run(&cfg) {
        Err(Error::OutputExists { path }) => assert_eq!(path, first.outputs[0]),
        other => panic!("expected OutputExists, got {other:?}"),
    }
    assert_eq!(std::fs::read(&first.outputs[0]).unwrap(), before);
    let mut again = cfg.clone();
    again.overwrite = true;
    run(&again).unwrap();
    // No temporary files left behind.
    assert_eq!(files_under(dest.path()), vec![PathBuf::from("humaneval_all_1_1_vec.jsonl")]);
}

#[test]
fn sampling_is_deterministic_and_in_input_order() {
    let sample = |seed: u64, n: usize| {
        let dest = tempfile::tempdir().unwrap();
        let mut cfg = config(HUMANEVAL, dest.path());
        cfg.num_samples = Some(n);
        cfg.num_samples_label = n.to_string();
        cfg.seed = seed;
        let summary = run(&cfg).unwrap();
        assert_eq!(summary.outputs[0].file_name().unwrap().to_str().unwrap(), format!("humaneval_{n}_1_{seed}_vec.jsonl"));
        assert_eq!(summary.rows_read, n as u64);
        json_lines(&summary.outputs[0]).iter().map(|r| r["index"].as_u64().unwrap()).collect::<Vec<_>>()
    };
    let a = sample(7, 20);
    assert_eq!(a, sample(7, 20));
    assert_ne!(a, sample(8, 20));
    assert!(a.windows(2).all(|w| w[0] < w[1]));
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(HUMANEVAL, dest.path());
    cfg.num_samples = Some(1000);
    assert!(matches!(run(&cfg), Err(Error::TooManySamples { requested: 1000, available: 164 })));
}

#[test]
fn sampling_spans_all_shards() {
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(SHARDS, dest.path());
    cfg.num_samples = Some(30);
    let summary = run(&cfg).unwrap();
    assert_eq!(summary.rows_read, 30);
    assert_eq!(summary.outputs.len(), 2);
}

#[test]
fn edit_lines_name_the_inserted_lines() {
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(SHARDS, dest.path());
    cfg.emit_edit_lines = true;
    let summary = run(&cfg).unwrap();
    for output in &summary.outputs {
        for batch in read_parquet(output) {
            let paths = batch.column(0).as_list::<i32>();
            let lines = batch.column_by_name("edit_lines").unwrap().as_list::<i32>();
            for row in 0..batch.num_rows() {
                let per_diff = lines.value(row);
                let per_diff = per_diff.as_list::<i32>();
                assert_eq!(per_diff.len(), paths.value(row).len());
                let mut all: Vec<i32> = (0..per_diff.len())
                    .flat_map(|d| {
                        let l = per_diff.value(d);
                        l.as_any().downcast_ref::<Int32Array>().unwrap().values().to_vec()
                    })
                    .collect();
                let count = all.len();
                all.sort();
                all.dedup();
                assert_eq!(all.len(), count, "a line inserted twice");
            }
        }
    }
}

#[test]
fn keep_columns_keeps_types() {
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(SHARDS, dest.path());
    cfg.keep_columns = true;
    let summary = run(&cfg).unwrap();
    let batches = read_parquet(&summary.outputs[0]);
    let schema = batches[0].schema();
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        ["edit_path", "index", "source_file", "source_response", "source_instruction", "source_task_id", "source_prompt_lines"]
    );
    assert_eq!(schema.field(6).data_type(), &DataType::Int32);
    let task = batches[0].column(5).as_string::<i32>();
    let index = batches[0].column(1).as_primitive::<Int64Type>();
    assert_eq!(task.value(0), format!("HumanEval/{}", index.value(0)));

    // The same to JSON Lines: the int stays a number.
    let dest = tempfile::tempdir().unwrap();
    let mut cfg = config(SHARDS, dest.path());
    cfg.keep_columns = true;
    cfg.format = Some(OutputFormat::Jsonl);
    let summary = run(&cfg).unwrap();
    let rows = json_lines(&summary.outputs[0]);
    assert!(rows[0]["source_prompt_lines"].is_u64());
    assert_eq!(rows[0]["source_task_id"], Value::String(format!("HumanEval/{}", rows[0]["index"])));
}

#[test]
fn keep_columns_from_jsonl_infers_types() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("extra.jsonl");
    std::fs::write(
        &input,
        "{\"response\": \"x = 1\\ny = x\", \"instruction\": \"p\", \"id\": 3, \"meta\": {\"a\": \"b\"}}\n\
         {\"response\": \"z = 2\", \"instruction\": \"q\", \"id\": 4, \"meta\": {\"a\": \"c\"}}\n",
    )
    .unwrap();
    let mut cfg = config(input.to_str().unwrap(), &dir.path().join("out"));
    cfg.keep_columns = true;
    let summary = run(&cfg).unwrap();
    let rows = json_lines(&summary.outputs[0]);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["source_id"], 3);
    assert_eq!(rows[1]["source_meta"], serde_json::json!({"a": "c"}));
}

fn write_messy_input(dir: &Path) -> PathBuf {
    let input = dir.join("messy.jsonl");
    std::fs::write(
        &input,
        "{\"response\": \"x = 1\", \"instruction\": \"a\"}\n\
         \n\
         {\"response\": \"broken\n\
         [1, 2]\n\
         {\"response\": null, \"instruction\": \"c\"}\n\
         {\"response\": \"# just a comment\", \"instruction\": \"d\"}\n\
         {\"response\": \"y = 2\", \"instruction\": \"e\"}\n",
    )
    .unwrap();
    input
}

#[test]
fn malformed_rows_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_messy_input(dir.path());
    let summary = run(&config(input.to_str().unwrap(), &dir.path().join("out"))).unwrap();
    assert_eq!(summary.rows_read, 6);
    assert_eq!(summary.rows_written, 2);
    assert_eq!(summary.dropped.get("bad_json"), Some(&2));
    assert_eq!(summary.dropped.get("no_code"), Some(&1));
    assert_eq!(summary.dropped.get("nothing_deletable"), Some(&1));
    let rows = json_lines(&summary.outputs[0]);
    // The index counts non-blank lines, malformed ones included.
    let indices: Vec<u64> = rows.iter().map(|r| r["index"].as_u64().unwrap()).collect();
    assert_eq!(indices, [0, 5]);
    let text = summary.to_string();
    assert!(text.contains("bad_json 2"), "{text}");
}

#[test]
fn strict_mode_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_messy_input(dir.path());
    let mut cfg = config(input.to_str().unwrap(), &dir.path().join("out"));
    cfg.strict = true;
    let err = run(&cfg).unwrap_err();
    assert!(matches!(err, Error::BadJson { line: 3, .. }), "{err:?}");
    assert!(err.to_string().contains("messy.jsonl:3:"), "{err}");
    // Nothing under the final name, no temporary file either.
    assert!(files_under(&dir.path().join("out")).is_empty());
}

#[test]
fn missing_column_lists_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(HUMANEVAL, dir.path());
    cfg.code_field = "solution".into();
    let err = run(&cfg).unwrap_err().to_string();
    assert!(err.contains("\"solution\"") && err.contains("instruction, response"), "{err}");
    let mut cfg = config(SHARDS, dir.path());
    cfg.prompt_field = Some("question".into());
    let err = run(&cfg).unwrap_err().to_string();
    assert!(err.contains("\"question\"") && err.contains("task_id"), "{err}");
}

#[test]
fn compressed_inputs_and_globs_read_like_plain_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let raw = std::fs::read(HUMANEVAL).unwrap();
    let shards = dir.path().join("in");
    std::fs::create_dir_all(&shards).unwrap();
    let mut gz = flate2::write::GzEncoder::new(File::create(shards.join("a.jsonl.gz")).unwrap(), Default::default());
    std::io::Write::write_all(&mut gz, &raw).unwrap();
    gz.finish().unwrap();
    std::fs::write(shards.join("b.jsonl.zst"), zstd::encode_all(raw.as_slice(), 3).unwrap()).unwrap();
    std::fs::write(shards.join("ignored.txt"), "not data").unwrap();
    let pattern = format!("{}/*.jsonl.*", shards.display());
    let summary = run(&config(&pattern, &dir.path().join("out"))).unwrap();
    assert_eq!(summary.rows_read, 2 * 164);
    assert_eq!(files_under(&dir.path().join("out")), vec![PathBuf::from("a.jsonl"), PathBuf::from("b.jsonl")]);
    let a = std::fs::read_to_string(dir.path().join("out/a.jsonl")).unwrap();
    let b = std::fs::read_to_string(dir.path().join("out/b.jsonl")).unwrap();
    // Same rows, same seed: same paths; only source_file differs.
    let strip = |text: &str| text.lines().map(|l| l.split("\"source_file\"").next().unwrap().to_string()).collect::<Vec<_>>();
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn empty_input_gives_an_empty_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("empty.jsonl");
    std::fs::write(&input, "").unwrap();
    let summary = run(&config(input.to_str().unwrap(), dir.path())).unwrap();
    assert_eq!(summary.rows_read, 0);
    assert_eq!(std::fs::read(&summary.outputs[0]).unwrap(), b"");
    let mut cfg = config(input.to_str().unwrap(), &dir.path().join("pq"));
    cfg.format = Some(OutputFormat::Parquet);
    let summary = run(&cfg).unwrap();
    let batches = read_parquet(&summary.outputs[0]);
    assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 0);
}

#[test]
fn prompt_field_none_drops_the_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(HUMANEVAL, dir.path());
    cfg.prompt_field = None;
    cfg.num_samples = Some(5);
    cfg.num_samples_label = "5".into();
    let summary = run(&cfg).unwrap();
    let rows = json_lines(&summary.outputs[0]);
    let keys: Vec<&str> = rows[0].keys().map(String::as_str).collect();
    assert_eq!(keys, ["edit_path", "index", "source_file", "source_response"]);
}

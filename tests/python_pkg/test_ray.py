"""Ray Data gives the command line's rows, whatever the partitioning."""

from collections import defaultdict

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray

import lintseq
import lintseq.ray
from conftest import FIXTURES, jsonl_table, run_cli

SEED = 7

# Ray warns about its own deprecated settings on start.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """Five Parquet shards (stdlib programs and HumanEval, row groups of 7 to 40 rows,
    one in a subfolder) under `<tmp>/shards`, with an id column besides code and prompt."""
    root = tmp_path_factory.mktemp("ray")
    rows = jsonl_table(FIXTURES / "corpus/stdlib_sample.jsonl").select(["instruction", "response"])
    rows = pa.concat_tables([rows, jsonl_table(FIXTURES / "humaneval.jsonl").select(["instruction", "response"])])
    rows = rows.append_column("id", pa.array([f"row-{i}" for i in range(rows.num_rows)]))
    layout = [("data/train-00000-of-00005.parquet", 7), ("data/train-00001-of-00005.parquet", 40),
              ("data/train-00002-of-00005.parquet", 13), ("data/more/train-00003-of-00005.parquet", 9),
              ("data/train-00004-of-00005.parquet", 25)]
    per_shard = -(-rows.num_rows // len(layout))
    for number, (name, row_group_size) in enumerate(layout):
        path = root / "shards" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(rows.slice(number * per_shard, per_shard), path, row_group_size=row_group_size)
    return root


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=200 << 20, log_to_driver=False)
    yield
    ray.shutdown()


def keyed(table: pa.Table) -> dict:
    """Output rows grouped by (source_file, index), paths in order."""
    rows = defaultdict(list)
    for row in table.to_pylist():
        rows[(row["source_file"], row["index"])].append(row)
    return dict(rows)


@pytest.fixture(scope="module")
def cli_rows(shards, cli):
    run_cli(cli, "-p", "shards", "-d", "out", "-q", "--keep-columns", "-s", "2", "--seed", str(SEED), cwd=shards)
    outputs = sorted((shards / "out").rglob("*.parquet"))
    assert len(outputs) == 5
    return keyed(pa.concat_tables([pq.read_table(p) for p in outputs]))


def test_plan_follows_row_groups(shards, monkeypatch):
    monkeypatch.chdir(shards)
    tasks = lintseq.ray.plan("shards", rows_per_block=20)
    assert [t["source_file"] for t in tasks][:1] == ["shards/data/more/train-00003-of-00005.parquet"]
    for file in {t["path"] for t in tasks}:
        mine = [t for t in tasks if t["path"] == file]
        metadata = pq.ParquetFile(file).metadata
        sizes = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
        assert [g for t in mine for g in t["row_groups"]] == list(range(len(sizes)))
        assert [t["first_row"] for t in mine] == [sum(sizes[:t["row_groups"][0]]) for t in mine]
    with pytest.raises(ValueError):
        lintseq.ray.plan("shards", rows_per_block=0)


def run_on_ray(dataset, **map_args):
    out = dataset.map_batches(
        lintseq.ray.transform,
        batch_format="pyarrow",
        fn_kwargs={"seed": SEED, "paths_per_sample": 2, "keep_columns": True, "num_threads": 1},
        **map_args,
    )
    return keyed(pa.concat_tables(ray.get(out.to_arrow_refs())))


@pytest.mark.parametrize("partitioning", ["small blocks and batches", "shuffled and repartitioned"])
def test_ray_data_gives_the_command_lines_rows(shards, cluster, cli_rows, partitioning, monkeypatch):
    monkeypatch.chdir(shards)
    if partitioning == "small blocks and batches":
        dataset = lintseq.ray.read_parquet("shards", rows_per_block=20)
        got = run_on_ray(dataset, batch_size=13)
    else:
        dataset = lintseq.ray.read_parquet("shards").random_shuffle(seed=1).repartition(3)
        got = run_on_ray(dataset, batch_size=64)
    assert len(cli_rows) == 224 and sum(len(paths) for paths in cli_rows.values()) == 448
    assert got.keys() == cli_rows.keys()
    for key, rows in cli_rows.items():
        assert got[key] == rows, key

"""Shared fixtures of the Python package suite.

The suite runs against the installed wheel (`run.sh` builds it and installs it into a
fresh virtual environment): nothing from the repository is imported, only its
fixture files are read.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures"


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def cli() -> str:
    """The wheel's `lintseq` console script."""
    found = shutil.which("lintseq", path=str(Path(sys.executable).parent))
    assert found, "the wheel installs a lintseq console script next to the interpreter"
    return found


def run_cli(cli: str, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """Runs the console script; fails the test on a non-zero exit."""
    done = subprocess.run([cli, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"lintseq {' '.join(args)} failed:\n{done.stderr}"
    return done


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def jsonl_table(path: Path) -> pa.Table:
    """A JSON Lines fixture as a pyarrow table, columns as in the file."""
    return pa.Table.from_pylist(read_jsonl(path))


_HUNK = re.compile(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def replay(edit_path: list[str]) -> str:
    """The program an insertion-only edit path builds from nothing; fails on any diff
    line that is not an insertion."""
    lines: list[str] = []
    for diff in edit_path:
        at = None
        for line in diff.split("\n"):
            header = _HUNK.fullmatch(line)
            if header:
                at = int(header.group(1)) - 1
                continue
            assert line.startswith("+") and at is not None, f"not an insertion: {line!r}"
            lines.insert(at, line[1:])
            at += 1
    return "\n".join(lines)

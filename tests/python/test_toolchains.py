"""The real toolchains as ground truth (issue 4, item 5): for each language, every
intermediate program of the edit paths lintseq samples for the shipped sample programs
(fixtures/languages/<lang>/samples.jsonl) passes the toolchain's syntax check, at least
99% raise no compiler error the full program lacks, and the edits are not degenerate.

Runs the debug binary (`cargo build --bins` first) through benches/toolchain.py; a
language whose toolchain is not installed is skipped.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "lintseq"
SCRIPT = ROOT / "benches" / "toolchain.py"


def toolchain_stats(lang: str) -> dict:
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (cargo build --bins)")
    samples = ROOT / "fixtures" / "languages" / lang / "samples.jsonl"
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--lang", lang, "--samples", str(samples), "--json", "--show", "0"],
        check=True, capture_output=True, text=True, timeout=1200,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def assert_acceptance(stats: dict, programs: int) -> None:
    assert stats["programs"] == programs
    assert stats["bad_replays"] == 0
    assert stats["syntax_ok_pct"] == 100.0, stats
    assert stats["no_new_error_pct"] >= 99.0, stats
    assert stats["mean_edits_per_path"] >= 2.0, stats
    assert 1.0 <= stats["mean_lines_per_edit"] <= 10.0, stats


@pytest.mark.skipif(shutil.which("go") is None, reason="go not installed (apt-get install golang-go)")
def test_go():
    assert_acceptance(toolchain_stats("go"), 20)


@pytest.mark.skipif(shutil.which("node") is None, reason="node not installed (apt-get install nodejs npm)")
def test_javascript():
    stats = toolchain_stats("javascript")
    assert_acceptance(stats, 20)
    assert stats["no_new_error_pct"] == 100.0, stats


def typescript_5_installed() -> bool:
    if shutil.which("npm") is None:
        return False
    root = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True).stdout.strip()
    package = Path(root) / "typescript" / "package.json"
    return package.exists() and json.loads(package.read_text())["version"].startswith("5.")


@pytest.mark.skipif(not typescript_5_installed(), reason="typescript 5 not installed (npm install -g typescript@5)")
def test_typescript():
    assert_acceptance(toolchain_stats("typescript"), 20)


@pytest.mark.skipif(shutil.which("javac") is None or shutil.which("java") is None,
                    reason="javac not installed (apt-get install openjdk-17-jdk-headless)")
def test_java():
    assert_acceptance(toolchain_stats("java"), 20)


@pytest.mark.skipif(shutil.which("rustc") is None, reason="rustc not installed (rustup)")
def test_rust():
    assert_acceptance(toolchain_stats("rust"), 20)


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed (apt-get install g++)")
def test_cpp():
    assert_acceptance(toolchain_stats("cpp"), 20)

"""The wheel installs on its own, and its console scripts are the command line."""

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import lintseq
from conftest import REPO, run_cli


def test_imported_from_the_installed_wheel_not_the_repository():
    installed = Path(sysconfig.get_paths()["purelib"]).resolve()
    package = Path(lintseq.__file__).resolve()
    assert package.is_relative_to(installed), package
    assert not package.is_relative_to(REPO)
    extension = Path(lintseq._lintseq.__file__).resolve()
    assert extension.is_relative_to(installed) and extension.suffix in (".so", ".pyd")
    for entry in sys.path:
        if entry:
            assert not Path(entry).resolve().is_relative_to(REPO / "python"), entry


def test_version_is_the_crates():
    cargo_toml = (REPO / "Cargo.toml").read_text()
    assert f'version = "{lintseq.__version__}"' in cargo_toml


def test_console_scripts_run_the_command_line(cli, tmp_path):
    for name in ("lintseq", "pylintseq"):
        script = Path(cli).with_name(name)
        done = subprocess.run([script, "--version"], capture_output=True, text=True)
        assert done.returncode == 0 and done.stdout.strip() == f"lintseq {lintseq.__version__}"
    languages = run_cli(cli, "languages").stdout
    for name in lintseq.languages():
        assert f"\n{name}\n" in f"\n{languages}"


def test_console_script_exit_codes(cli, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    return y\n")
    done = subprocess.run([cli, "lint", "--format", "json", str(bad)], capture_output=True, text=True)
    assert done.returncode == 1
    findings = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(f["line"], f["code"]) for f in findings] == [(2, "E0602")]
    # The same findings as the library function.
    assert [{k: f[k] for k in ("line", "column", "code", "message")} for f in findings] == lintseq.lint(bad.read_text())
    # A usage error is exit 2 with clap's message, not a Python traceback.
    done = subprocess.run([cli, "--no-such-flag"], capture_output=True, text=True)
    assert done.returncode == 2 and "--no-such-flag" in done.stderr and "Traceback" not in done.stderr
    # Unusable input: one error line, exit 2.
    done = subprocess.run([cli, "-p", str(tmp_path / "missing.jsonl"), "-d", str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.startswith("lintseq: error:")


def test_python_dash_m(tmp_path):
    done = subprocess.run([sys.executable, "-m", "lintseq", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "pylintseq flags" in done.stdout

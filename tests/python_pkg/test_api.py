"""`lintseq.sample`, `lintseq.lint` and their errors."""

import pytest

import lintseq
from conftest import replay

PROGRAM = """import os


def size(path):
    total = 0
    for name in os.listdir(path):
        total += os.path.getsize(os.path.join(path, name))
    return total


print(size("."))
"""


def test_sample_is_an_insertion_only_path_that_rebuilds_the_program():
    path = lintseq.sample(PROGRAM)
    assert len(path) >= 2
    assert all(diff.startswith("@@ ") for diff in path)
    assert replay(path) == PROGRAM


def test_sample_is_deterministic_by_seed_and_index():
    assert lintseq.sample(PROGRAM, seed=3) == lintseq.sample(PROGRAM, seed=3)
    draws = {tuple(lintseq.sample(PROGRAM, seed=seed, index=index)) for seed in range(4) for index in range(4)}
    assert len(draws) > 1, "different (seed, index) pairs draw different paths"


def test_sample_strips_a_markdown_fence_as_the_command_line_does():
    fenced = f"Here it is:\n\n```python\n{PROGRAM}```\nDone."
    assert replay(lintseq.sample(fenced)) == PROGRAM.strip()


def test_sampler_settings():
    # The random-chunk ablation draws other deletions than the linter-guided sampler.
    paths = {tuple(lintseq.sample(PROGRAM, seed=s, sampler="random")) for s in range(6)}
    assert any(path != tuple(lintseq.sample(PROGRAM, seed=s)) for s, path in enumerate(paths))
    one_edit = lintseq.sample(PROGRAM, max_depth=1)
    assert replay(one_edit) == PROGRAM
    with pytest.raises(lintseq.RejectError) as error:
        lintseq.sample(PROGRAM, max_lint_calls=1)
    assert error.value.reason == "budget"


def test_sample_errors():
    with pytest.raises(lintseq.RejectError) as error:
        lintseq.sample("# nothing but a comment\n")
    assert error.value.reason == "nothing_deletable"
    assert isinstance(error.value, ValueError)
    with pytest.raises(ValueError, match="unknown language"):
        lintseq.sample(PROGRAM, lang="cobol")
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_dept'"):
        lintseq.sample(PROGRAM, max_dept=3)
    with pytest.raises(ValueError, match="top_k must be at least 1"):
        lintseq.sample(PROGRAM, top_k=0)
    with pytest.raises(ValueError, match="indent_bias_sampling_factor"):
        lintseq.sample(PROGRAM, indent_bias_sampling_factor=-1.0)


def test_other_languages():
    js = "const a = 1;\nconst b = a + 1;\nconsole.log(b);\n"
    assert replay(lintseq.sample(js, lang="javascript")) == js
    assert lintseq.lint("console.log(b);\n", lang="javascript")
    assert set(lintseq.languages()) >= {"python", "javascript", "typescript", "go", "rust", "java", "cpp"}


def test_lint_findings():
    assert lintseq.lint(PROGRAM) == []
    broken = PROGRAM.replace("    total = 0\n", "")
    findings = lintseq.lint(broken)
    assert findings and all(set(f) == {"line", "column", "code", "message"} for f in findings)
    assert {f["line"] for f in findings} == {6}  # `total += ...` without `total = 0`
    syntax = lintseq.lint("def f(:\n    pass\n")
    assert [f["code"] for f in syntax] == ["E0001"]

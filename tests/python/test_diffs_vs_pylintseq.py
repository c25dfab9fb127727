"""Our edit-path diffs against pylintseq 0.0.2's `inflate_edit_path`.

Both turn a deletion sequence (lists of original 0-based line indices, in the order
the backward sampler deleted them) into forward insertion diffs. Ours is the rule the
engine documents:

- a state is the original lines still present, in order, never stripped;
- each diff is computed from the line indices it is known to insert: every maximal
  run of inserted lines is one hunk `@@ -a,0 +b[,m] @@` written difflib-style (`a` =
  old lines before the run; `+b` alone when m == 1), hunks joined with "\\n";
- lines never deleted are inserted first, as their own edit when any of them is
  non-blank, or joined to the first insertion when all are blank.

pylintseq diffs `.strip()`-ed states with difflib, so the two agree wherever its
stripping does not bite (no state whose text has leading/trailing whitespace, no
leftover lines) and difflib's alignment is unambiguous (the old state embeds in the
new one in exactly one way). There we assert equality; everywhere we assert that our
diffs are insertion-only and rebuild every state exactly.
"""

from __future__ import annotations

import difflib
import glob
import json
import os
import random
import subprocess
import sys

import pytest

pylintseq_utils = pytest.importorskip("pylintseq.utils")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS_FIXTURE = os.path.join(REPO, "fixtures", "corpus", "stdlib_sample.jsonl")
LINTSEQ_BIN = os.environ.get("LINTSEQ_BIN", os.path.join(REPO, "target", "debug", "lintseq"))

sys.path.insert(0, os.path.join(REPO, "benches"))
from fidelity import apply_diff  # noqa: E402


def load_programs() -> list[str]:
    with open(CORPUS_FIXTURE, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    out = []
    for row in rows:
        resp = row["response"]
        assert resp.startswith("```python\n") and resp.endswith("\n```")
        out.append(resp[len("```python\n") : -len("\n```")])
    return out


PROGRAMS = load_programs()


# --- our rule, in Python ------------------------------------------------------------
# RUST-HOOK: once `lintseq run --emit-edit-lines` exists, the Rust output replaces this
# reimplementation: `test_rust_edit_paths_match_pylintseq` below compares the engine's
# own `edit_path` with pylintseq on the deletion sequence its `edit_lines` column
# gives; `our_edit_path` then only documents the rule.


def hunk_range(start: int, length: int) -> str:
    """difflib's unified range: `start` alone for one line, `start-1,0` for none."""
    if length == 1:
        return f"{start + 1}"
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def insertion_diff(lines: list[str], before: set[int], after: set[int]) -> str:
    """Zero-context diff from the state `before` to `after` (sets of original line
    indices, before <= after), from the inserted indices alone."""
    new_state = sorted(after)
    hunks = []
    old_count = 0
    j = 0
    while j < len(new_state):
        if new_state[j] in before:
            old_count += 1
            j += 1
            continue
        run_start = j
        while j < len(new_state) and new_state[j] not in before:
            j += 1
        header = f"@@ -{hunk_range(old_count, 0)} +{hunk_range(run_start, j - run_start)} @@"
        hunks.append("\n".join([header] + ["+" + lines[i] for i in new_state[run_start:j]]))
    return "\n".join(hunks)


def forward_edits(n_lines: int, lines: list[str], deletion_seq: list[list[int]]) -> list[list[int]]:
    """The insertion edits, first to last, including the leftover rule."""
    deleted = set()
    for edit in deletion_seq:
        deleted.update(edit)
    leftover = [i for i in range(n_lines) if i not in deleted]
    edits = [list(e) for e in reversed(deletion_seq) if e]
    if leftover:
        if any(lines[i].strip() for i in leftover) or not edits:
            edits.insert(0, leftover)
        else:
            edits[0] = sorted(set(edits[0]) | set(leftover))
    return edits


def our_edit_path(code: str, deletion_seq: list[list[int]]) -> tuple[list[str], list[str]]:
    """(states as text, diffs) under our rule; states[0] is the empty program."""
    lines = code.split("\n")
    present: set[int] = set()
    states, diffs = [""], []
    for edit in forward_edits(len(lines), lines, deletion_seq):
        after = present | set(edit)
        diff = insertion_diff(lines, present, after)
        if diff:
            diffs.append(diff)
            states.append("\n".join(lines[i] for i in sorted(after)))
        present = after
    return states, diffs


# --- when pylintseq's answer is comparable -------------------------------------------


def count_embeddings(old: list[str], new: list[str], cap: int = 2) -> int:
    """Ways `old` is a subsequence of `new`, counted up to `cap`."""
    ways = [1] + [0] * len(old)
    for token in new:
        for i in range(len(old), 0, -1):
            if old[i - 1] == token and ways[i - 1]:
                ways[i] = min(cap, ways[i] + ways[i - 1])
    return ways[len(old)]


def pylintseq_states(code: str, deletion_seq: list[list[int]]) -> list[str]:
    """pylintseq's raw states, empty program first (as inflate_edit_path builds them)."""
    lines = code.split("\n")
    states = [code]
    total: list[int] = []
    for edit in deletion_seq:
        total += edit
        gone = set(total)
        states.append("\n".join(l for i, l in enumerate(lines) if i not in gone))
    if states[-1] != "":
        states.append("")
    return states[::-1]


def comparability(code: str, deletion_seq: list[list[int]]) -> str:
    """'ok', or why pylintseq's diffs are expected to differ from ours."""
    n = len(code.split("\n"))
    if len({i for e in deletion_seq for i in e}) != n:
        return "leftover lines"
    states = pylintseq_states(code, deletion_seq)
    if any(s != s.strip() for s in states):
        return "strip"
    if any(not s.strip() for s in states[1:]):
        return "blank state"  # one blank line: the empty program once stripped
    for old, new in zip(states, states[1:]):
        old_lines, new_lines = (old.split("\n") if old else []), new.split("\n")
        if count_embeddings(old_lines, new_lines) != 1:
            return "ambiguous alignment"
        # difflib's longest-block-first matching can miss even a unique embedding
        # (e.g. when a block of old lines recurs in the inserted text) and then writes
        # -/+ pairs: pylintseq's diff is not insertion-only there.
        matcher = difflib.SequenceMatcher(None, old_lines, new_lines)
        if sum(b.size for b in matcher.get_matching_blocks()) != len(old_lines):
            return "difflib misaligns"
    return "ok"


# --- deletion sequences --------------------------------------------------------------


def indentation(lines: list[str]) -> list[int]:
    out, current = [], 0
    for line in lines:
        if len(line.lstrip()) > 1:
            current = len(line) - len(line.lstrip())
        out.append(current)
    return out


def children(t: int, indents: list[int]) -> list[int]:
    out = []
    for j in range(t + 1, len(indents)):
        if indents[j] <= indents[t]:
            break
        out.append(j)
    return out


def sample_sequence(code: str, rng: random.Random, strategy: str) -> list[list[int]]:
    lines = code.split("\n")
    n = len(lines)
    if strategy == "indent":
        # LintSeq-like: a drawn line with its indentation children; blank and comment
        # lines are never drawn, but go with their parent.
        indents = indentation(lines)
        remaining = {i for i in range(n) if lines[i].strip() and not lines[i].lstrip().startswith("#")}
        deleted: set[int] = set()
        seq = []
        while remaining:
            c = rng.choice(sorted(remaining))
            edit = sorted({c, *children(c, indents)} - deleted)
            deleted.update(edit)
            remaining -= set(edit)
            seq.append(edit)
        return seq
    if strategy == "indent_all":
        # The same, then every leftover line as one final deletion (no leftovers).
        seq = sample_sequence(code, rng, "indent")
        rest = sorted(set(range(n)) - {i for e in seq for i in e})
        return seq + ([rest] if rest else [])
    if strategy == "chunks":
        cuts = sorted(rng.sample(range(1, n), min(n - 1, rng.randint(1, 8))))
        bounds = [0] + cuts + [n]
        chunks = [list(range(a, b)) for a, b in zip(bounds, bounds[1:])]
        rng.shuffle(chunks)
        return chunks
    if strategy == "partition":
        k = rng.randint(1, 6)
        groups: list[list[int]] = [[] for _ in range(k)]
        for i in range(n):
            groups[rng.randrange(k)].append(i)
        return [g for g in groups if g]
    raise ValueError(strategy)


STRATEGIES = ["indent", "indent_all", "chunks", "partition"]
SAMPLES_PER_PROGRAM = 6


def cases():
    for p, code in enumerate(PROGRAMS):
        for strategy in STRATEGIES:
            for k in range(SAMPLES_PER_PROGRAM):
                rng = random.Random(f"{p}:{strategy}:{k}")
                yield p, strategy, code, sample_sequence(code, rng, strategy)


ALL_CASES = list(cases())


def test_fixture_is_there():
    assert len(PROGRAMS) >= 50


def test_our_diffs_are_insertion_only_and_rebuild_every_state():
    for p, strategy, code, seq in ALL_CASES:
        states, diffs = our_edit_path(code, seq)
        current: list[str] = []
        for k, diff in enumerate(diffs):
            assert all(
                line.startswith(("@@ ", "+")) for line in diff.split("\n")
            ), f"program {p} {strategy}: diff {k} is not insertion-only"
            current, _inserted, deleted = apply_diff(current, diff)
            assert deleted == 0
            assert "\n".join(current) == states[k + 1], f"program {p} {strategy}: state {k + 1}"
        assert "\n".join(current) == code, f"program {p} {strategy}: does not rebuild"


def test_matches_pylintseq_where_comparable():
    verdicts: dict[str, int] = {}
    compared = 0
    for p, strategy, code, seq in ALL_CASES:
        why = comparability(code, seq)
        verdicts[why] = verdicts.get(why, 0) + 1
        if why != "ok":
            continue
        _raw, theirs = pylintseq_utils.inflate_edit_path(code, seq)
        _states, ours = our_edit_path(code, seq)
        assert ours == theirs, f"program {p}, {strategy}, deletion sequence {seq}"
        compared += 1
    # Not vacuous: a good share of the sampled sequences is comparable.
    assert compared >= 150, verdicts
    # pylintseq's alignment defect shows up beyond its stripping, but rarely.
    assert verdicts.get("difflib misaligns", 0) < compared // 10, verdicts


def test_leftover_non_blank_lines_are_the_first_edit_like_pylintseq():
    # pylintseq appends an empty state when lines are left over, so its first diff
    # inserts them: the same as our rule when one of them is non-blank.
    code = "import os\n# a comment\ndef f():\n    return os.sep"
    seq = [[2, 3]]
    _raw, theirs = pylintseq_utils.inflate_edit_path(code, seq)
    _states, ours = our_edit_path(code, seq)
    assert ours == theirs == [
        "@@ -0,0 +1,2 @@\n+import os\n+# a comment",
        "@@ -2,0 +3,2 @@\n+def f():\n+    return os.sep",
    ]


def test_leftover_blank_lines_join_the_first_insertion_unstripped():
    code = "def f():\n    return 1\n\n\ndef g():\n    return 2\n"
    seq = [[0, 1], [4, 5]]  # lines 2, 3 and the trailing "" are never deleted
    _states, ours = our_edit_path(code, seq)
    assert ours == [
        "@@ -0,0 +1,5 @@\n+\n+\n+def g():\n+    return 2\n+",
        "@@ -0,0 +1,2 @@\n+def f():\n+    return 1",
    ]
    # pylintseq strips every state: its first diff drops the blank lines and its last
    # state loses the trailing newline, so the path no longer rebuilds the program.
    _raw, theirs = pylintseq_utils.inflate_edit_path(code, seq)
    assert theirs[0] == "@@ -0,0 +1,2 @@\n+def g():\n+    return 2"


def test_hunk_headers_are_difflib_style():
    code = "a\nb\nc\nd\ne"
    _states, ours = our_edit_path(code, [[1], [0, 2, 3, 4]])
    # Second edit inserts line b (index 1) between a and c: one line, old range "1,0".
    assert ours == ["@@ -0,0 +1,4 @@\n+a\n+c\n+d\n+e", "@@ -1,0 +2 @@\n+b"]
    _states, ours = our_edit_path(code, [[0, 2, 4], [1, 3]])
    assert ours == ["@@ -0,0 +1,2 @@\n+b\n+d", "@@ -0,0 +1 @@\n+a\n@@ -1,0 +3 @@\n+c\n@@ -2,0 +5 @@\n+e"]


# --- the engine itself ---------------------------------------------------------------


def _run_engine(tmp_path) -> list[dict] | None:
    if not os.path.exists(LINTSEQ_BIN):
        return None
    src = tmp_path / "corpus.jsonl"
    src.write_text(open(CORPUS_FIXTURE, encoding="utf-8").read(), encoding="utf-8")
    dest = tmp_path / "out"
    proc = subprocess.run(
        [LINTSEQ_BIN, "run", "-p", str(src), "-d", str(dest), "-s", "2", "--seed", "1", "--emit-edit-lines"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        if "emit-edit-lines" in proc.stderr:
            return None  # the flag does not exist yet
        raise AssertionError(f"lintseq run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    outputs = sorted(glob.glob(str(dest / "*.jsonl")))
    assert outputs, f"lintseq run wrote nothing to {dest}"
    with open(outputs[0], encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def test_rust_edit_paths_match_pylintseq(tmp_path):
    rows = _run_engine(tmp_path)
    if rows is None:
        pytest.skip("lintseq binary with --emit-edit-lines not available")
    compared = 0
    for row in rows:
        code = row["source_response"]
        code = pylintseq_utils.strip_chain_of_thought(code)
        edit_lines = row["edit_lines"]
        assert len(edit_lines) == len(row["edit_path"])
        # The engine's own diffs are insertion-only and rebuild the program exactly.
        current: list[str] = []
        for diff in row["edit_path"]:
            current, _ins, deleted = apply_diff(current, diff)
            assert deleted == 0
        assert "\n".join(current) == code
        # Our Python rule on the engine's edits gives the engine's diffs.
        seq = [list(e) for e in reversed(edit_lines)]
        _states, ours = our_edit_path(code, seq)
        assert ours == row["edit_path"]
        if comparability(code, seq) == "ok":
            _raw, theirs = pylintseq_utils.inflate_edit_path(code, seq)
            assert row["edit_path"] == theirs
            compared += 1
    assert rows

#!/usr/bin/env python3
"""Seed corpus for the fuzz targets, from the repository's fixtures.

python_lint, sampler: every case of fixtures/languages/python/**/*.cases and the code of
every fixtures/humaneval.jsonl row. apply_diff: "<state>\\0<diff>" pairs built from the
edit paths of an output file (pass one as argv[1], e.g. out/humaneval_all_1_1_vec.jsonl),
else a few hand-written diffs.
"""
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def put(target: str, text: str) -> None:
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    (folder / hashlib.sha1(data).hexdigest()).write_bytes(data)


def programs():
    for spec in sorted((ROOT / "fixtures/languages/python").rglob("*.cases")):
        for case in re.split(r"^=== case:.*\n", spec.read_text(), flags=re.M)[1:]:
            yield re.split(r"^=== expect:", case, flags=re.M)[0]
    for line in (ROOT / "fixtures/humaneval.jsonl").read_text().splitlines():
        response = json.loads(line)["response"]
        match = re.search(r"```python\n(.*?)```", response, flags=re.S)
        yield match.group(1) if match else response


def diffs():
    if len(sys.argv) > 1:
        for line in pathlib.Path(sys.argv[1]).read_text().splitlines():
            state = []
            for diff in json.loads(line)["edit_path"]:
                yield "\n".join(state) + "\0" + diff
                state = apply(state, diff)
    else:
        yield "\0@@ -0,0 +1,2 @@\n+x = 1\n+y = x"
        yield "x = 1\0@@ -1,0 +2 @@\n+y = x"
        yield "a\nb\0@@ -1 +1 @@\n-a\n+A"


def apply(state, diff):
    out, cursor, lines = [], 0, diff.split("\n")
    i = 0
    while i < len(lines):
        old, new = re.match(r"@@ -(\S+) \+(\S+) @@", lines[i]).groups()
        start, length = (list(map(int, old.split(","))) + [1])[:2]
        count = (list(map(int, new.split(","))) + [1])[1]
        start0 = start if length == 0 else start - 1
        out += state[cursor:start0]
        out += [line[1:] for line in lines[i + 1:i + 1 + count]]
        cursor = start0 + length
        i += 1 + count
    return out + state[cursor:]


if __name__ == "__main__":
    for program in programs():
        put("python_lint", program)
        put("sampler", program)
    for pair in diffs():
        put("apply_diff", pair)
    for target in ("python_lint", "sampler", "apply_diff"):
        print(target, len(list((CORPUS / target).iterdir())), "seeds")

"""CPython's compiler as the oracle for what its parser accepts but `compile()` refuses
(src/lang/python/checks/compile.rs): on generated programs that `ast.parse` takes, the
linter flags CPython's line exactly when `compile()` raises SyntaxError (E0001 with
CPython's message, unless another finding is on that line), and never reports such an
E0001 otherwise; and pylint's E0113/E0114/E0115/E0118 are on the lines pylint flags.

The programs put each way of binding or reading a name before or after a `global` /
`nonlocal` declaration of it, in every kind of scope, and starred expressions and
targets in every position. Runs the debug binary (`cargo build --bins` first).
"""

import ast
import itertools
import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "lintseq"

# Statements that bind, read or declare `x` (one or more lines, unindented).
USES = [
    "pass",
    "x = 1",
    "x += 1",
    "del x",
    "print(x)",
    "x: int",
    "x: int = 1",
    "y: x = 1",
    "for x in y: pass",
    "with y as x: pass",
    "try:\n    pass\nexcept E as x:\n    pass",
    "(x := 1)",
    "[(x := 1) for i in y]",
    "[x for i in y]",
    "[i for i in x]",
    "import x",
    "from m import x",
    "def x(): pass",
    "class x: pass",
    "lambda a=x: a",
    "def g(a=x): pass",
    "def g(b: x): pass",
    "def g(): return x",
    "match y:\n    case x:\n        pass",
    "global x",
    "nonlocal x",
    "from m import *",
]

DIRECTIVES = ["global x", "nonlocal x"]


def in_scope(body: str, scope: str) -> str:
    """`body` as the code of a module, a function, a nested function whose enclosing
    function binds x, a class, or a method."""
    if scope == "module":
        return body + "\n"
    inner = textwrap.indent(body, "    ")
    if scope == "function":
        return f"def f():\n{inner}\n"
    if scope == "nested":
        return f"def f():\n    x = 0\n    def h():\n{textwrap.indent(inner, '    ')}\n    return h\n"
    if scope == "class":
        return f"class C:\n{inner}\n"
    if scope == "method":
        return f"class C:\n    def m(self):\n{textwrap.indent(inner, '    ')}\n"
    raise ValueError(scope)


def declaration_programs() -> list[str]:
    out = []
    for scope in ["module", "function", "nested", "class", "method"]:
        for use, directive in itertools.product(USES, DIRECTIVES):
            out.append(in_scope(f"{use}\n{directive}", scope))
            out.append(in_scope(f"{directive}\n{use}", scope))
        # A function declaring the name both ways, in both orders.
        out.append(in_scope("global x\nnonlocal x", scope))
        out.append(in_scope("nonlocal x\nglobal x", scope))
    # Errors in two scopes: CPython's passes decide which is reported.
    out.append("nonlocal a\ndef f():\n    x = 1\n    global x\n")
    out.append("def f():\n    def g():\n        nonlocal z\nnonlocal y\n")
    out.append("*a\ndef f():\n    x = 1\n    global x\n")
    out.append("def f():\n    x = 1\n    global x\ndef g():\n    print(y)\n    global y\n")
    return out


STAR_STATEMENTS = [
    "*a",
    "x = *a",
    "x = y = *a",
    "x = *a, b",
    "x: int = *a",
    "x += *a",
    "*a = b",
    "*a, = b",
    "*a, b = c",
    "[*a] = b",
    "x = *a = b",
    "*a = b = c",
    "for *a in b: pass",
    "for *a, c in b: pass",
    "for x in *a: pass",
    "for x in *a, b: pass",
    "[y for *a in b]",
    "print(*a)",
    "f(*a, **b)",
    "x = f(*a)",
    "x = [*a]",
    "x = {*a}",
    "x = (*a, b)",
    "x = a[*b]",
    "x = a[1, *b]",
    "def f():\n    return *a",
    "def f():\n    return *a, b",
    "def f():\n    yield *a",
    "def f():\n    yield *a, b",
    "def f():\n    x = yield *a",
    "a[*b] = c",
    # tree-sitter binds `*` to the head of `a.b()` after another element.
    "x = *a, *b.c()",
    "print(1, *a.b.c())",
    "x = [1, *a.b[0]]",
    "x = *a.b()",
    "def f(*args: *tuple[int, str]): pass",
    "def f(*args: *Ts): pass",
    # `:=` in comprehensions, which only the compiler refuses in some places.
    "[i := 0 for i in y]",
    "[(i := 0) for i in y]",
    "[[(i := 0) for j in y] for i in z]",
    "[(j, (a := i)) for i, j in y]",
    "[i for i in (x := y)]",
    "[i for i in y for j in (x := z)]",
    "[i for i in y if (x := i)]",
    "[lambda: (i := 1) for i in y]",
    "class C:\n    [(x := 1) for i in y]",
    "class C:\n    (x := 1)",
    "class C([(x := 1) for i in y]): pass",
    "lambda: [(x := 1) for i in y]",
    "def g(a=[(x := 1) for i in y]): pass",
]


def star_programs() -> list[str]:
    return [s + "\n" for s in STAR_STATEMENTS] + [in_scope(s, "function") for s in STAR_STATEMENTS if not s.startswith("def ")]


def parses(program: str) -> bool:
    try:
        ast.parse(program)
        return True
    except SyntaxError:
        return False


def cpython_error(program: str):
    try:
        compile(program, "<program>", "exec", dont_inherit=True)
        return None
    except SyntaxError as e:
        return e.lineno, e.msg


def lint(programs: list[str], tmp_path: Path) -> dict[int, list[dict]]:
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (cargo build --bins)")
    paths = []
    for i, program in enumerate(programs):
        path = tmp_path / f"p{i}.py"
        path.write_text(program)
        paths.append(str(path))
    out = subprocess.run([str(BINARY), "lint", "--format", "json", *paths], capture_output=True, text=True, timeout=600).stdout
    found: dict[int, list[dict]] = {i: [] for i in range(len(programs))}
    for line in out.splitlines():
        d = json.loads(line)
        found[int(Path(d["path"]).stem[1:])].append(d)
    return found


def test_e0001_is_cpythons_compile_error(tmp_path):
    programs = [p for p in declaration_programs() + star_programs() if parses(p)]
    assert len(programs) > 400
    found = lint(programs, tmp_path)
    refused, wrong = 0, []
    for i, program in enumerate(programs):
        expected = cpython_error(program)
        ours = [(d["line"], d["message"]) for d in found[i] if d["code"] == "E0001"]
        other_lines = {d["line"] for d in found[i] if d["code"] != "E0001"}
        refused += expected is not None
        if expected is None:
            right = ours == []
        else:
            # CPython's error, or another finding on its line (E0117, E0114...).
            right = ours == [expected] or (ours == [] and expected[0] in other_lines)
        if not right:
            wrong.append(f"CPython: {expected}, ours: {ours}, other lines {sorted(other_lines)}\n{program}")
    assert not wrong, f"{len(wrong)} of {len(programs)} differ:\n" + "\n".join(wrong[:10])
    # The programs exercise the check: many are refused, many are not.
    assert 150 < refused < len(programs) - 100, refused


def test_pylint_codes_on_the_lines_pylint_flags(tmp_path):
    pytest.importorskip("pylint")
    programs = [p for p in declaration_programs() + star_programs() if parses(p)]
    codes = {"E0113", "E0114", "E0115", "E0118"}
    found = lint(programs, tmp_path)
    pylint_out = subprocess.run(
        [sys.executable, "-m", "pylint", "--disable=all", f"--enable={','.join(sorted(codes))}", "--output-format=json",
         "--score=n", *[str(tmp_path / f"p{i}.py") for i in range(len(programs))]],
        capture_output=True, text=True, timeout=900,
    ).stdout
    theirs = {(int(Path(m["path"]).stem[1:]), m["line"], m["message-id"]) for m in json.loads(pylint_out or "[]")}
    ours = {(i, d["line"], d["code"]) for i, ds in found.items() for d in ds if d["code"] in codes}
    assert len(theirs) > 20, theirs
    assert ours == theirs, f"only ours: {sorted(ours - theirs)}; only pylint's: {sorted(theirs - ours)}"


def test_nothing_of_this_on_the_standard_library():
    """No false positives on real code: none of these findings (nor any E0001) on the
    standard library's modules that compile."""
    import sysconfig

    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (cargo build --bins)")
    lib = Path(sysconfig.get_paths()["stdlib"])
    files = []
    for path in sorted(lib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(path.read_text(encoding="utf-8"), str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, UnicodeDecodeError):
            continue
        files.append(str(path))
    assert len(files) > 1000
    codes = {"E0001", "E0113", "E0114", "E0115", "E0118"}
    found = []
    for i in range(0, len(files), 300):
        out = subprocess.run([str(BINARY), "lint", "--format", "json", *files[i:i + 300]], capture_output=True, text=True, timeout=900).stdout
        found += [d for d in map(json.loads, out.splitlines()) if d["code"] in codes]
    assert found == [], found[:5]

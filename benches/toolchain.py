#!/usr/bin/env python3
"""The real toolchain as ground truth for a language's linter (issue 4, item 5).

For one language: build real programs not written by us (or read them from a samples
file), run ``lintseq --lang LANG`` on them, replay every intermediate program of every
edit path, and run the language's own checker on each. An intermediate program fails
the syntax check if the toolchain's parser rejects it, and has a *new compiler error*
if it raises an error (compared by message, line numbers left out) that the full
program does not raise.

Prints: programs, intermediate programs, % passing the syntax check, % with no new
compiler error, mean edits per path, mean lines per edit. ``--json`` prints the same as
one JSON object (the CI tests read it).

Languages (each one a class in ``TOOLCHAINS``; add yours there):
- go: Go's own parser (go/parser with AllErrors, what ``gofmt -e`` runs) for syntax and
  go/types (the type checker cmd/compile is built on, all errors, not vet's first
  one) for compile errors, through a small checker built with ``go build`` on first
  use. Programs: top-level functions of the Go standard library sources
  (``$(go env GOROOT)/src``, Debian package golang-go), each with the imports it uses,
  kept if the full program type-checks cleanly.
- rust: rustc's parser alone (``-Zunpretty=normal`` with RUSTC_BOOTSTRAP=1) for
  syntax, ``rustc --emit=metadata --edition 2021 --crate-type lib`` for compile errors.
  Programs: free functions of the crates in ~/.cargo/registry/src with the std ``use``
  lines they need, kept if the full program compiles without error.
- cpp: ``g++ -fsyntax-only -std=c++17 -w`` (GCC). Syntax errors are its parse-kind
  errors ("expected ...", "stray ...", unterminated constructs, unbalanced
  preprocessor conditionals); compile errors are every error, compared without
  positions and without "did you mean" hints. Programs: the small test programs of
  libstdc++'s testsuite (libstdc++-v3/testsuite of Debian's gcc-12-source, unpacked to
  ``$LINTSEQ_GCC_SRC``, default /tmp/gccsrc): ordinary programs using the standard
  library. ``LINTSEQ_GCC_TESTS=all`` adds the compiler's own regression tests
  (gcc/testsuite/g++.dg, deliberately exotic: GNU extensions, name-lookup and template
  corner cases), ``g++.dg`` keeps only those. Licence
  header, DejaGnu directives and testsuite_hooks.h replaced by ``<cassert>``, kept if
  the full program compiles cleanly.

Usage:
  python3 benches/toolchain.py --lang go [--programs 250] [--samples FILE.jsonl]
         [--write-samples FILE.jsonl] [--paths 2] [--seed 1] [--json]
         [--show N] [--failures FAILING.jsonl]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidelity import DiffError, apply_diff  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "out", "toolchain")


def stable_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- Go

GO_CHECKER = r'''
// Reads JSON strings (Go files) one per line; prints one JSON line per file with the
// parser's errors (what gofmt -e reports) and, when it parses, every go/types error.
package main

import (
	"bufio"
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"os"
)

type result struct {
	Syntax []string `json:"syntax"`
	Types  []string `json:"types"`
}

func main() {
	imp := importer.ForCompiler(token.NewFileSet(), "source", nil)
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var src string
		if err := json.Unmarshal(in.Bytes(), &src); err != nil {
			panic(err)
		}
		fset := token.NewFileSet()
		res := result{Syntax: []string{}, Types: []string{}}
		file, err := parser.ParseFile(fset, "prog.go", src, parser.AllErrors|parser.ParseComments)
		if err != nil {
			if list, ok := err.(scanner.ErrorList); ok {
				for _, e := range list {
					res.Syntax = append(res.Syntax, e.Msg)
				}
			} else {
				res.Syntax = append(res.Syntax, err.Error())
			}
		} else {
			conf := types.Config{Importer: imp, Error: func(e error) {
				if te, ok := e.(types.Error); ok {
					res.Types = append(res.Types, te.Msg)
				} else {
					res.Types = append(res.Types, e.Error())
				}
			}}
			conf.Check("p", fset, []*ast.File{file}, nil)
		}
		out.Encode(res)
	}
}
'''


class GoToolchain:
    name = "go"
    fence = "go"
    install_hint = "apt-get install -y golang-go"

    def __init__(self) -> None:
        if not shutil.which("go"):
            raise SystemExit(f"go not found: {self.install_hint}")
        self.goroot = subprocess.run(["go", "env", "GOROOT"], capture_output=True, text=True, check=True).stdout.strip()
        src_dir = os.path.join(CACHE, "gocheck")
        os.makedirs(src_dir, exist_ok=True)
        main = os.path.join(src_dir, "main.go")
        if not os.path.exists(main) or open(main).read() != GO_CHECKER:
            with open(main, "w") as f:
                f.write(GO_CHECKER)
            with open(os.path.join(src_dir, "go.mod"), "w") as f:
                f.write("module gocheck\n\ngo 1.18\n")
        self.binary = os.path.join(src_dir, "gocheck")
        if not os.path.exists(self.binary) or os.path.getmtime(self.binary) < os.path.getmtime(main):
            subprocess.run(["go", "build", "-o", self.binary, "."], cwd=src_dir, check=True,
                           env={**os.environ, "GOFLAGS": "-mod=mod", "GO111MODULE": "on"})

    def check(self, programs: list[str]) -> list[tuple[list[str], list[str]]]:
        """(syntax errors, compile errors) of each program."""
        if not programs:
            return []
        payload = "".join(json.dumps(p) + "\n" for p in programs)
        out = subprocess.run([self.binary], input=payload, capture_output=True, text=True, check=True,
                             env={**os.environ, "GOFLAGS": "-mod=mod"}).stdout
        rows = [json.loads(line) for line in out.splitlines()]
        return [(r["syntax"], r["types"]) for r in rows]

    # Programs: top-level functions of the standard library with the imports they use.
    FUNC = re.compile(r"^func [A-Za-z_]\w*[\[(]")
    IMPORT_LINE = re.compile(r'^\s*(?:(\w+|\.|_)\s+)?"([^"]+)"')

    def file_imports(self, lines: list[str]) -> list[tuple[str, str]]:
        """(package name, import line) of a file's imports."""
        out = []
        in_block = False
        for line in lines:
            if line.startswith("import ("):
                in_block = True
                continue
            if in_block:
                if line.startswith(")"):
                    in_block = False
                    continue
                spec = line
            elif line.startswith("import "):
                spec = line[len("import "):]
            else:
                continue
            m = self.IMPORT_LINE.match(spec)
            if m:
                alias, path = m.groups()
                out.append((alias or path.rsplit("/", 1)[-1], (alias + " " if alias else "") + f'"{path}"'))
        return out

    def candidates(self) -> list[str]:
        src = os.path.realpath(os.path.join(self.goroot, "src"))
        found = []
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames[:] = sorted(d for d in dirnames if d not in ("testdata", "vendor", "internal", "cmd", "runtime"))
            for fn in sorted(filenames):
                if not fn.endswith(".go") or fn.endswith("_test.go"):
                    continue
                try:
                    lines = open(os.path.join(dirpath, fn), encoding="utf-8").read().split("\n")
                except (OSError, UnicodeDecodeError):
                    continue
                if any(line.startswith("//go:build") and "ignore" in line for line in lines[:5]):
                    continue
                imports = self.file_imports(lines)
                i = 0
                while i < len(lines):
                    if not self.FUNC.match(lines[i]) or not lines[i].rstrip().endswith("{"):
                        i += 1
                        continue
                    j = i + 1
                    while j < len(lines) and lines[j] != "}":
                        j += 1
                    body = lines[i : j + 1]
                    i = j + 1
                    if not 6 <= len(body) <= 50:
                        continue
                    text = "\n".join(body)
                    used = [spec for name, spec in imports if name not in ("_", ".") and re.search(r"\b" + re.escape(name) + r"\.", text)]
                    header = "package p\n\n"
                    if len(used) == 1:
                        header += f"import {used[0]}\n\n"
                    elif used:
                        header += "import (\n" + "".join(f"\t{u}\n" for u in used) + ")\n\n"
                    found.append(header + text)
        return sorted(set(found), key=stable_key)

    def build_programs(self, count: int) -> list[str]:
        """The first `count` candidates (in a fixed pseudo-random order) that type-check
        without any error."""
        cands = self.candidates()
        kept: list[str] = []
        step = max(count * 2, 100)
        for start in range(0, len(cands), step):
            chunk = cands[start : start + step]
            for prog, (syntax, types) in zip(chunk, self.check(chunk)):
                if not syntax and not types:
                    kept.append(prog)
            if len(kept) >= count:
                break
        return kept[:count]


# --------------------------------------------------------------------------- Java

JAVA_CHECKER = r'''
import javax.tools.*;
import com.sun.source.util.JavacTask;
import java.io.*;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.regex.*;

/** Reads base64 Java programs one per line; prints one JSON line per program with
 *  javac's parse errors and, when it parses, every attribution/flow error. One JVM,
 *  javac in process (JavacTask), the file named after its public type. */
public class JavaCheck {
    static final Pattern PUBLIC_TYPE = Pattern.compile("(?m)^\\s*public\\s+(?:(?:abstract|final|sealed|non-sealed|static|strictfp)\\s+)*(?:class|interface|enum|record|@interface)\\s+([A-Za-z_$][\\w$]*)");

    static String json(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                default:
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c)); else b.append(c);
            }
        }
        return b.append('"').toString();
    }

    static String list(List<String> xs) {
        StringJoiner j = new StringJoiner(",", "[", "]");
        for (String x : xs) j.add(json(x));
        return j.toString();
    }

    @SuppressWarnings("unchecked")
    public static void main(String[] args) throws Exception {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StandardJavaFileManager fm = compiler.getStandardFileManager(null, Locale.ROOT, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
        String line;
        while ((line = in.readLine()) != null) {
            String src = new String(Base64.getDecoder().decode(line.trim()), StandardCharsets.UTF_8);
            Matcher m = PUBLIC_TYPE.matcher(src);
            String name = m.find() ? m.group(1) : "Main";
            JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///" + name + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override public CharSequence getCharContent(boolean ignore) { return src; }
            };
            List<String> syntax = new ArrayList<>();
            List<String> errors = new ArrayList<>();
            final List<String>[] sink = new List[]{syntax};
            DiagnosticListener<JavaFileObject> listener = d -> {
                if (d.getKind() == Diagnostic.Kind.ERROR) sink[0].add(d.getCode() + ": " + d.getMessage(Locale.ROOT));
            };
            List<String> opts = Arrays.asList("-proc:none", "-implicit:none", "-Xlint:none", "-nowarn", "-Xmaxerrs", "10000", "-sourcepath", "");
            try {
                JavacTask task = (JavacTask) compiler.getTask(null, fm, listener, opts, null, List.of(file));
                task.parse();
                if (syntax.isEmpty()) {
                    sink[0] = errors;
                    task.analyze();
                }
            } catch (Throwable t) {
                errors.add("crash: " + t);
            }
            out.println("{\"syntax\":" + list(syntax) + ",\"types\":" + list(errors) + "}");
        }
    }
}
'''


class JavaToolchain:
    """javac (JDK 17, ``javac -d /tmp/x File.java`` run in process through JavacTask):
    parse errors are the syntax check, attribution and flow errors the compile errors.
    Programs: small top-level classes of the JDK's own sources (``lib/src.zip`` of any
    JDK under /usr/lib/jvm), package line and licence header removed, kept if javac
    compiles them without error."""

    name = "java"
    fence = "java"
    install_hint = "apt-get install -y openjdk-17-jdk-headless"

    def __init__(self) -> None:
        if not shutil.which("java") or not shutil.which("javac"):
            raise SystemExit(f"java/javac not found: {self.install_hint}")
        src_dir = os.path.join(CACHE, "javacheck")
        os.makedirs(src_dir, exist_ok=True)
        self.source = os.path.join(src_dir, "JavaCheck.java")
        if not os.path.exists(self.source) or open(self.source).read() != JAVA_CHECKER:
            with open(self.source, "w") as f:
                f.write(JAVA_CHECKER)
        if not os.path.exists(os.path.join(src_dir, "JavaCheck.class")) or os.path.getmtime(os.path.join(src_dir, "JavaCheck.class")) < os.path.getmtime(self.source):
            subprocess.run(["javac", "-nowarn", "-d", src_dir, self.source], check=True, capture_output=True)
        self.classpath = src_dir

    def check(self, programs: list[str]) -> list[tuple[list[str], list[str]]]:
        """(syntax errors, compile errors) of each program."""
        if not programs:
            return []
        payload = "".join(base64.b64encode(p.encode()).decode() + "\n" for p in programs)
        out = subprocess.run(["java", "-Xss8m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", self.classpath, "JavaCheck"],
                             input=payload, capture_output=True, text=True, check=True).stdout
        rows = [json.loads(line) for line in out.splitlines()]
        return [(r["syntax"], r["types"]) for r in rows]

    def src_zips(self) -> list[str]:
        found = []
        for jdk in sorted(os.listdir("/usr/lib/jvm")) if os.path.isdir("/usr/lib/jvm") else []:
            path = os.path.join("/usr/lib/jvm", jdk, "lib", "src.zip")
            if os.path.isfile(path):
                found.append(path)
        return found

    HEADER_COMMENT = re.compile(r"\A\s*/\*.*?\*/\s*", re.S)
    PACKAGE = re.compile(r"^package [\w.]+;\s*$", re.M)
    BLOCK_COMMENT_LINES = re.compile(r"^[ ]*/\*.*?\*/[ ]*\n", re.M | re.S)

    def candidates(self) -> list[str]:
        found = []
        for path in self.src_zips():
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    name = info.filename
                    if not name.endswith(".java") or info.file_size > 12000 or "/internal/" in name or name.endswith(("package-info.java", "module-info.java")):
                        continue
                    try:
                        text = z.read(info).decode("utf-8")
                    except UnicodeDecodeError:
                        continue
                    text = self.HEADER_COMMENT.sub("", text, count=1)
                    text = self.PACKAGE.sub("", text, count=1)
                    # Whole-line block comments (licence, Javadoc) go: the code is what is measured.
                    text = self.BLOCK_COMMENT_LINES.sub("", text)
                    text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text).strip("\n")
                    lines = text.split("\n")
                    if not 8 <= len(lines) <= 200 or "\t" in text:
                        continue
                    found.append(text)
            break  # one JDK's sources are plenty
        found = sorted(set(found), key=stable_key)
        return found

    def build_programs(self, count: int) -> list[str]:
        """The first `count` candidates (in a fixed pseudo-random order) that javac
        compiles without any error."""
        cands = self.candidates()
        kept: list[str] = []
        step = max(count * 2, 200)
        for start in range(0, len(cands), step):
            chunk = cands[start : start + step]
            for prog, (syntax, types) in zip(chunk, self.check(chunk)):
                if not syntax and not types:
                    kept.append(prog)
            if len(kept) >= count:
                break
        return kept[:count]


# --------------------------------------------------------------------------- Rust

class RustToolchain:
    """Syntax: rustc's parser alone (``-Zunpretty=normal``, unlocked on stable with
    RUSTC_BOOTSTRAP=1). Compile errors: ``rustc --emit=metadata --edition 2021
    --crate-type lib`` (type and borrow checking, no code generation), errors only.
    Programs: free functions of the crates cargo downloaded (~/.cargo/registry/src),
    with the ``use std::``/``core::`` lines of their file that they need, kept if the
    full program compiles without error."""

    name = "rust"
    fence = "rust"
    install_hint = "rustup (rustc on PATH)"

    def __init__(self) -> None:
        if not shutil.which("rustc"):
            raise SystemExit(f"rustc not found: {self.install_hint}")
        self.tmp = tempfile.mkdtemp(prefix="lintseq-rustc-")

    @staticmethod
    def errors(stderr: str) -> list[str]:
        out = []
        for line in stderr.splitlines():
            try:
                d = json.loads(line)
            except ValueError:
                continue
            if d.get("level") == "error" and not d["message"].startswith("aborting due to"):
                out.append(d["message"])
        return out

    def check_one(self, index_program: tuple[int, str]) -> tuple[list[str], list[str]]:
        index, program = index_program
        path = os.path.join(self.tmp, f"p{index}.rs")
        with open(path, "w") as f:
            f.write(program)
        env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
        syntax = subprocess.run(["rustc", "-Zunpretty=normal", "--edition", "2021", "--error-format=json", path],
                                capture_output=True, text=True, env=env)
        if syntax.returncode != 0:
            return self.errors(syntax.stderr) or ["rustc parse failed"], []
        out = os.path.join(self.tmp, f"p{index}.rmeta")
        compiled = subprocess.run(["rustc", "--emit=metadata", "--edition", "2021", "--crate-type", "lib",
                                   "--error-format=json", "-A", "warnings", "-o", out, path],
                                  capture_output=True, text=True)
        return [], self.errors(compiled.stderr)

    def check(self, programs: list[str]) -> list[tuple[list[str], list[str]]]:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            return list(pool.map(self.check_one, enumerate(programs)))

    FUNC = re.compile(r"^(pub(\([a-z]+\))? )?(const )?fn [a-z_]\w*[<(]")
    USE = re.compile(r"^use (std|core|alloc)::(.*);$")

    def candidates(self) -> list[str]:
        home = os.path.expanduser("~/.cargo/registry/src")
        found = set()
        for dirpath, dirnames, filenames in os.walk(home):
            dirnames[:] = sorted(d for d in dirnames if d not in ("tests", "benches", "examples", "target"))
            for fn in sorted(filenames):
                if not fn.endswith(".rs"):
                    continue
                try:
                    lines = open(os.path.join(dirpath, fn), encoding="utf-8").read().split("\n")
                except (OSError, UnicodeDecodeError):
                    continue
                uses = [l for l in lines if self.USE.match(l) and "{" not in l and " as " not in l]
                i = 0
                while i < len(lines):
                    if not self.FUNC.match(lines[i]) or not lines[i].rstrip().endswith("{"):
                        i += 1
                        continue
                    j = i + 1
                    while j < len(lines) and lines[j] != "}":
                        j += 1
                    body = lines[i : j + 1]
                    i = j + 1
                    if not 6 <= len(body) <= 50 or any("unsafe" in l for l in body):
                        continue
                    text = "\n".join(body)
                    needed = [u for u in uses if re.search(r"\b" + re.escape(u.rstrip(";").rsplit("::", 1)[-1]) + r"\b", text)]
                    found.add(("\n".join(needed) + "\n\n" if needed else "") + text)
        return sorted(found, key=stable_key)

    def build_programs(self, count: int) -> list[str]:
        cands = self.candidates()
        kept: list[str] = []
        step = max(count, 100)
        for start in range(0, len(cands), step):
            chunk = cands[start : start + step]
            for prog, (syntax, errors) in zip(chunk, self.check(chunk)):
                if not syntax and not errors:
                    kept.append(prog)
            if len(kept) >= count:
                break
        return kept[:count]


# --------------------------------------------------------------------------- C++

class CppToolchain:
    """``g++ -fsyntax-only -std=c++17 -w``: parse-kind errors are the syntax check, every
    error the compile errors. Programs: libstdc++'s test programs, or with
    ``LINTSEQ_GCC_TESTS=all`` also g++'s (see the module doc)."""

    name = "cpp"
    fence = "cpp"
    install_hint = "apt-get install -y g++"
    SYNTAX = re.compile(r"^(expected |stray |unterminated |missing terminating |#else without|#elif without|#endif without|#endif|unbalanced |extra qualification)|^expected")
    POSITION = re.compile(r"^[^:\n]*:\d+:\d+: ")

    def __init__(self) -> None:
        if not shutil.which("g++"):
            raise SystemExit(f"g++ not found: {self.install_hint}")
        self.tmp = tempfile.mkdtemp(prefix="lintseq-gxx-")

    @classmethod
    def errors(cls, stderr: str) -> tuple[list[str], list[str]]:
        syntax, errors = [], []
        for line in stderr.splitlines():
            line = cls.POSITION.sub("", line)
            for kind in ("error: ", "fatal error: "):
                if line.startswith(kind):
                    msg = line[len(kind):]
                    msg = re.sub(r"; did you mean .*$", "", msg)
                    msg = re.sub(r" \[-f[\w-]+\]$", "", msg)
                    errors.append(msg)
                    if cls.SYNTAX.match(msg):
                        syntax.append(msg)
                    break
        return syntax, errors

    def check_one(self, index_program: tuple[int, str]) -> tuple[list[str], list[str]]:
        index, program = index_program
        path = os.path.join(self.tmp, f"p{index}.cpp")
        with open(path, "w") as f:
            f.write(program)
        try:
            done = subprocess.run(["g++", "-fsyntax-only", "-std=c++17", "-w", "-fmax-errors=50", path],
                                  capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            return [], ["g++ timed out"]
        return self.errors(done.stderr)

    def check(self, programs: list[str]) -> list[tuple[list[str], list[str]]]:
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
            return list(pool.map(self.check_one, enumerate(programs)))

    LICENCE = re.compile(r"\A(\s*//[^\n]*\n)+")
    DG = re.compile(r"^.*\{ dg-[^\n]*$", re.M)

    def candidates(self) -> list[str]:
        root = os.environ.get("LINTSEQ_GCC_SRC", "/tmp/gccsrc")
        suites = {"all": ("libstdc++-v3/testsuite", "testsuite/g++.dg"), "libstdc++": ("libstdc++-v3/testsuite",),
                  "g++.dg": ("testsuite/g++.dg",)}[os.environ.get("LINTSEQ_GCC_TESTS", "libstdc++")]
        found = set()
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            if not any(part in dirpath for part in suites):
                continue
            for fn in sorted(filenames):
                if not fn.endswith((".cc", ".C")):
                    continue
                try:
                    text = open(os.path.join(dirpath, fn), encoding="utf-8").read()
                except (OSError, UnicodeDecodeError):
                    continue
                if any(k in text for k in ("dg-error", "dg-excess-errors", "dg-warning", "dg-bogus", "dg-message", "dg-ice", "c++2", "__attribute", "asm", "\t", "\r")):
                    continue
                if "#include" in text and re.search(r'#include [<"](testsuite_(?!hooks)|ext/|tr1/|experimental/|bits/)', text):
                    continue
                text = self.LICENCE.sub("", text, count=1)
                text = self.DG.sub("", text)
                text = text.replace("#include <testsuite_hooks.h>", "#include <cassert>\n#define VERIFY(x) assert(x)")
                text = re.sub(r"\n\s*\n(\s*\n)+", "\n\n", text)
                text = re.sub(r"\A(\s*\n)+", "", text).rstrip()
                lines = text.split("\n")
                if not 10 <= len(lines) <= 120 or sum(1 for l in lines if l.strip() and not l.strip().startswith("//")) < 8:
                    continue
                found.add(text)
        return sorted(found, key=stable_key)

    def build_programs(self, count: int) -> list[str]:
        cands = self.candidates()
        kept: list[str] = []
        step = max(count, 100)
        for start in range(0, len(cands), step):
            chunk = cands[start : start + step]
            for prog, (syntax, errors) in zip(chunk, self.check(chunk)):
                if not syntax and not errors:
                    kept.append(prog)
            if len(kept) >= count:
                break
        return kept[:count]


TOOLCHAINS = {"go": GoToolchain, "java": JavaToolchain}

from toolchain_js import TOOLCHAINS as JS_TOOLCHAINS  # noqa: E402  (javascript, typescript)

TOOLCHAINS.update(JS_TOOLCHAINS)
TOOLCHAINS["rust"] = RustToolchain
TOOLCHAINS["cpp"] = CppToolchain


# --------------------------------------------------------------------------- driver

def strip_fence(text: str, tag: str) -> str:
    fence = "```" + tag + "\n"
    if text.startswith(fence) and text.endswith("\n```"):
        return text[len(fence) : -4]
    return text


def run_lintseq(rows: list[dict], lang: str, paths: int, seed: int, binary: str) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "programs.jsonl")
        with open(src, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        dest = os.path.join(tmp, "out")
        cmd = [binary, "-p", src, "-d", dest, "--lang", lang, "-s", str(paths), "--seed", str(seed),
               "--code_data_field", "response", "--prompt_data_field", "instruction", "-q"]
        subprocess.run(cmd, check=True)
        out = []
        for fn in sorted(os.listdir(dest)):
            with open(os.path.join(dest, fn)) as f:
                out.extend(json.loads(line) for line in f if line.strip())
        return out


def replay(edit_path: list[str]) -> list[str]:
    """The program after each diff of the path, from the empty program."""
    state: list[str] = []
    states = []
    for diff in edit_path:
        state, _, _ = apply_diff(state, diff)
        states.append("\n".join(state))
    return states


def measure(tool, rows: list[dict], out_rows: list[dict], show: int = 3, failures: str | None = None) -> dict:
    full_of = {}
    for row in rows:
        full_of[row["instruction"]] = strip_fence(row["response"], tool.fence)
    originals = sorted(set(full_of.values()))
    full_errors = {p: set(types) for p, (_, types) in zip(originals, tool.check(originals))}
    states: list[tuple[str, str]] = []  # (full program, intermediate program)
    edits = lines_added = paths = bad_replays = 0
    for r in out_rows:
        full = full_of[r["source_instruction"]]
        paths += 1
        try:
            seq = replay(r["edit_path"])
        except DiffError:
            bad_replays += 1
            continue
        edits += len(r["edit_path"])
        lines_added += sum(sum(1 for l in d.split("\n") if l.startswith("+")) for d in r["edit_path"])
        if seq and seq[-1] != full:
            bad_replays += 1
            if bad_replays <= show:
                print(f"--- path does not rebuild the program:\n{seq[-1]!r}\n{full!r}\n", file=sys.stderr)
        states.extend((full, s) for s in seq)
    results = tool.check([s for _, s in states])
    syntax_ok = no_new = 0
    shown_syntax = shown_new = 0
    failing = open(failures, "w") if failures else None
    for (full, state), (syntax, types) in zip(states, results):
        if failing and (syntax or set(types) - full_errors[full]):
            failing.write(json.dumps({"full": full, "state": state, "syntax": syntax,
                                      "new": sorted(set(types) - full_errors[full])}) + "\n")
        if not syntax:
            syntax_ok += 1
        elif shown_syntax < show:
            shown_syntax += 1
            print(f"--- syntax error {syntax[:2]}:\n{state}\n", file=sys.stderr)
        new = set(types) - full_errors[full]
        if not syntax and not new:
            no_new += 1
        elif not syntax and shown_new < show:
            shown_new += 1
            print(f"--- new compile errors {sorted(new)[:3]}:\n{state}\n", file=sys.stderr)
    if failing:
        failing.close()
    n = len(states)
    return {
        "lang": tool.name,
        "programs": len(originals),
        "paths": paths,
        "intermediate_programs": n,
        "syntax_ok_pct": 100.0 * syntax_ok / n if n else 0.0,
        "no_new_error_pct": 100.0 * no_new / n if n else 0.0,
        "mean_edits_per_path": edits / paths if paths else 0.0,
        "mean_lines_per_edit": lines_added / edits if edits else 0.0,
        "bad_replays": bad_replays,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lang", required=True, choices=sorted(TOOLCHAINS))
    ap.add_argument("--programs", type=int, default=250, help="programs to build from real sources")
    ap.add_argument("--samples", help="read programs from this JSONL ({instruction, response}) instead")
    ap.add_argument("--write-samples", help="write the programs built to this JSONL")
    ap.add_argument("--paths", type=int, default=2, help="edit paths per program")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "debug", "lintseq"))
    ap.add_argument("--show", type=int, default=3, help="failing states to print to stderr")
    ap.add_argument("--failures", help="write every failing state as JSONL {full, state, syntax, new} to this file")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    tool = TOOLCHAINS[args.lang]()
    if args.samples:
        with open(args.samples) as f:
            rows = [json.loads(line) for line in f if line.strip()]
    else:
        programs = tool.build_programs(args.programs)
        rows = [{"instruction": f"{args.lang} program {i}", "response": f"```{tool.fence}\n{p}\n```"} for i, p in enumerate(programs)]
    if args.write_samples:
        with open(args.write_samples, "w") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
    out_rows = run_lintseq(rows, args.lang, args.paths, args.seed, args.binary)
    stats = measure(tool, rows, out_rows, args.show, args.failures)
    if args.json:
        print(json.dumps(stats))
    else:
        print(f"lang {stats['lang']}: {stats['programs']} programs, {stats['paths']} paths, "
              f"{stats['intermediate_programs']} intermediate programs")
        print(f"  syntax check passes:   {stats['syntax_ok_pct']:.2f}%")
        print(f"  no new compiler error: {stats['no_new_error_pct']:.2f}%")
        print(f"  mean edits per path:   {stats['mean_edits_per_path']:.2f}")
        print(f"  mean lines per edit:   {stats['mean_lines_per_edit']:.2f}")
        if stats["bad_replays"]:
            print(f"  paths that do not replay to the program: {stats['bad_replays']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""JavaScript and TypeScript toolchains for ``benches/toolchain.py`` (registered there in
``TOOLCHAINS``).

- javascript: Node.js's own parser, exactly what ``node --check file.js`` runs on a
  CommonJS file (``vm.compileFunction`` with the CommonJS wrapper's parameters), in one
  node process for all programs. ``--exact`` runs ``node --check`` on every program
  instead (slow; the two agree). Node only checks syntax, so the syntax check and the
  compile check are the same. Programs: top-level functions and classes (with the
  file's ``require`` lines) and whole small files of npm's own sources and
  dependencies (``$(npm root -g)/npm``), kept if node accepts them.
- typescript: TypeScript 5's compiler (``npm install -g typescript@5``) through its
  API, one program per file, with the options of
  ``tsc --noEmit --skipLibCheck --target es2020 --module esnext --types ''``
  (imports resolve to nothing: TS2307 on the full program, ``any`` for the names). The
  parser's diagnostics are the syntax check; every pre-emit diagnostic (code and
  message, no position) is a compile error. Programs: top-level declarations (with the
  file's imports) of packages that ship ``.ts`` sources, installed under
  ``--ts-src`` (default ``/tmp/tspkgs``: ``npm install --prefix /tmp/tspkgs rxjs@7 zod@3``),
  kept if they parse.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import tempfile

NODE_CHECKER = r"""
// Reads JSON strings (programs) one per line; prints one JSON line per program with
// the SyntaxError node's CommonJS loader would raise (node --check), if any.
const vm = require('vm');
const readline = require('readline');
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  const src = JSON.parse(line);
  const res = { syntax: [], types: [] };
  try {
    vm.compileFunction(src, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: 'prog.js' });
  } catch (e) {
    res.syntax.push(String(e && e.message));
  }
  process.stdout.write(JSON.stringify(res) + '\n');
});
"""

TSC_CHECKER = r"""
// Reads JSON strings (programs) one per line; prints one JSON line per program with
// TypeScript's syntactic diagnostics and, when there are none, every pre-emit
// diagnostic as "TSnnnn: message" (no positions). Library files are parsed once.
const ts = require(process.argv[2]);
const readline = require('readline');
const options = {
  noEmit: true, skipLibCheck: true, target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Node10, types: [],
};
const base = ts.createCompilerHost(options);
const cache = new Map();
const FILE = '/virtual/prog.ts';
let current = '';
const host = Object.assign({}, base, {
  getSourceFile(name, lang) {
    if (name === FILE) return ts.createSourceFile(FILE, current, lang, true);
    if (!cache.has(name)) cache.set(name, base.getSourceFile(name, lang));
    return cache.get(name);
  },
  fileExists(name) { return name === FILE || (name.includes('/typescript/lib/') && base.fileExists(name)); },
  readFile(name) { return name === FILE ? current : base.readFile(name); },
  writeFile() {},
});
const fmt = (d) => 'TS' + d.code + ': ' + ts.flattenDiagnosticMessageText(d.messageText, ' ');
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  if (!line.trim()) return;
  current = JSON.parse(line);
  const program = ts.createProgram({ rootNames: [FILE], options, host });
  const res = { syntax: program.getSyntacticDiagnostics().map(fmt), types: [] };
  if (!res.syntax.length) res.types = ts.getPreEmitDiagnostics(program).map(fmt);
  process.stdout.write(JSON.stringify(res) + '\n');
});
"""


def stable_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def run_checker(script: str, args: list[str], programs: list[str]) -> list[tuple[list[str], list[str]]]:
    if not programs:
        return []
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(script)
        path = f.name
    try:
        payload = "".join(json.dumps(p) + "\n" for p in programs)
        out = subprocess.run(["node", path, *args], input=payload, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(path)
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [(r["syntax"], r["types"]) for r in rows]


def npm_root() -> str:
    return subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, check=True).stdout.strip()


# A top-level declaration starts at column 0 and ends at the first later line that starts
# with a closing bracket at column 0.
JS_DECL = re.compile(r"^(?:module\.exports\s*=\s*)?(?:async\s+)?(?:function\b|class\b|const\s+\w+\s*=\s*(?:async\s*)?(?:function\b|\(|class\b|\{))")
TS_DECL = re.compile(r"^(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function|class|interface|type|enum|const|let|namespace)\b")
REQUIRE_LINE = re.compile(r"^(?:const|let|var)\s+.*\brequire\(['\"][^'\"]+['\"]\).*;?\s*$")


def top_level_chunks(lines: list[str], start_re: re.Pattern) -> list[list[str]]:
    out = []
    i = 0
    while i < len(lines):
        if not start_re.match(lines[i]) or lines[i].rstrip().endswith((";", "}")):
            i += 1
            continue
        j = i + 1
        while j < len(lines) and not (lines[j][:1] in ("}", ")", "]")):
            if lines[j][:1] not in ("", " ", "\t") and not lines[j].startswith(("//", "/*", " *", "*")):
                break
            j += 1
        if j < len(lines) and lines[j][:1] in ("}", ")", "]"):
            out.append(lines[i : j + 1])
            i = j + 1
        else:
            i += 1
    return out


def ts_imports(lines: list[str]) -> list[str]:
    """A file's top-level import statements (multi-line ones whole)."""
    out = []
    i = 0
    while i < len(lines):
        if lines[i].startswith("import "):
            j = i
            while j < len(lines) and not lines[j].rstrip().endswith(";") and " from " not in lines[j] and j - i < 40:
                j += 1
            out.extend(lines[i : j + 1])
            i = j + 1
        else:
            i += 1
    return out


class JavaScriptToolchain:
    name = "javascript"
    fence = "javascript"
    install_hint = "apt-get install -y nodejs npm"

    def __init__(self, exact: bool = False, source_root: str | None = None) -> None:
        if not shutil.which("node"):
            raise SystemExit(f"node not found: {self.install_hint}")
        self.exact = exact
        self.source_root = source_root or os.path.join(npm_root(), "npm")

    def check(self, programs: list[str]) -> list[tuple[list[str], list[str]]]:
        if not self.exact:
            return run_checker(NODE_CHECKER, [], programs)
        out = []
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "prog.js")
            for p in programs:
                with open(path, "w") as f:
                    f.write(p)
                r = subprocess.run(["node", "--check", path], capture_output=True, text=True)
                msg = [l for l in r.stderr.splitlines() if "Error" in l][:1]
                out.append((msg or ["node --check failed"], []) if r.returncode else ([], []))
        return out

    def candidates(self) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.source_root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("test", "tests", "docs", "man", "bin"))
            for fn in sorted(filenames):
                if not fn.endswith(".js"):
                    continue
                try:
                    text = open(os.path.join(dirpath, fn), encoding="utf-8").read()
                except (OSError, UnicodeDecodeError):
                    continue
                lines = text.split("\n")
                if any(len(l) > 160 for l in lines) or "\t" in text or re.search(r"^(import|export) ", text, re.M):
                    continue
                requires = [l for l in lines if REQUIRE_LINE.match(l)]
                if 6 <= len(lines) <= 60:
                    found.append(text.strip("\n"))
                for chunk in top_level_chunks(lines, JS_DECL):
                    if 5 <= len(chunk) <= 80:
                        found.append("\n".join(requires + ([""] if requires else []) + chunk))
        return sorted(set(found), key=stable_key)

    def build_programs(self, count: int) -> list[str]:
        cands = self.candidates()[: count * 3]
        kept = [p for p, (syntax, _) in zip(cands, self.check(cands)) if not syntax]
        return kept[:count]


class TypeScriptToolchain:
    name = "typescript"
    fence = "typescript"
    install_hint = "npm install -g typescript@5"

    def __init__(self, source_root: str | None = None) -> None:
        if not shutil.which("node"):
            raise SystemExit("node not found: apt-get install -y nodejs npm")
        self.module = os.path.join(npm_root(), "typescript")
        if not os.path.isdir(self.module):
            raise SystemExit(f"typescript not found under {self.module}: {self.install_hint}")
        version = json.load(open(os.path.join(self.module, "package.json")))["version"]
        if not version.startswith("5."):
            raise SystemExit(f"typescript {version} has no compiler API: {self.install_hint}")
        self.source_root = source_root or "/tmp/tspkgs"

    def check(self, programs: list[str]) -> list[tuple[list[str], list[str]]]:
        return run_checker(TSC_CHECKER, [self.module], programs)

    def candidates(self) -> list[str]:
        found = []
        for dirpath, dirnames, filenames in os.walk(self.source_root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("test", "tests", "__tests__", "dist", "typescript", "@types"))
            if "/src" not in dirpath:
                continue
            for fn in sorted(filenames):
                if not fn.endswith(".ts") or fn.endswith((".d.ts", ".test.ts", ".spec.ts")):
                    continue
                try:
                    text = open(os.path.join(dirpath, fn), encoding="utf-8").read()
                except (OSError, UnicodeDecodeError):
                    continue
                lines = text.split("\n")
                if any(len(l) > 160 for l in lines) or "\t" in text:
                    continue
                imports = ts_imports(lines)
                for chunk in top_level_chunks(lines, TS_DECL):
                    if 5 <= len(chunk) <= 80:
                        found.append("\n".join(imports + ([""] if imports else []) + chunk))
        return sorted(set(found), key=stable_key)

    def build_programs(self, count: int) -> list[str]:
        cands = self.candidates()[: count * 3]
        kept = [p for p, (syntax, _) in zip(cands, self.check(cands)) if not syntax]
        return kept[:count]


TOOLCHAINS = {"javascript": JavaScriptToolchain, "typescript": TypeScriptToolchain}

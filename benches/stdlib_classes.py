#!/usr/bin/env python3
"""Write src/lang/python/checks/stdlib_classes.rs: the members of well-known standard
library classes, read from Python 3.11's own source.

pylint imports a program's base classes and so knows the attributes of
``unittest.TestCase``, ``threading.Thread`` and friends; our linter never resolves
imports (its verdicts must not depend on what is installed), so it carries this fixed
table instead. For every listed class the table holds:

- the names its class bodies bind, over the whole MRO (methods, class attributes);
- the attributes its methods assign through their first parameter (``self.x = ...``,
  nested code included), over the whole MRO;
- whether some class of the MRO defines ``__getattr__`` / ``__getattribute__`` (then
  any attribute may exist), or has a metaclass (then class-level lookups may go there);
- which class of the MRO defines ``__init__`` in Python, if any (super-init-not-called).

Only classes whose whole MRO is Python source (plus ``object``) are listed, so the
table is exactly what the source says. Run it with CPython 3.11:

  python3 benches/stdlib_classes.py > src/lang/python/checks/stdlib_classes.rs
"""

from __future__ import annotations

import ast
import os
import sys
import sysconfig

# Qualified names as a program writes them (``module.Class``); every name a class is
# reachable by through an ``import`` listed here is accepted.
CLASSES = [
    ("unittest.TestCase", ["unittest.case.TestCase"]),
    ("threading.Thread", []),
    ("pdb.Pdb", []),
    ("bdb.Bdb", []),
    ("cmd.Cmd", []),
    ("codecs.Codec", []),
    ("codecs.IncrementalEncoder", []),
    ("codecs.IncrementalDecoder", []),
    ("codecs.BufferedIncrementalEncoder", []),
    ("codecs.BufferedIncrementalDecoder", []),
    ("codecs.StreamWriter", []),
    ("codecs.StreamReader", []),
    ("asyncio.BaseProtocol", ["asyncio.protocols.BaseProtocol"]),
    ("asyncio.Protocol", ["asyncio.protocols.Protocol"]),
    ("asyncio.BufferedProtocol", ["asyncio.protocols.BufferedProtocol"]),
    ("asyncio.DatagramProtocol", ["asyncio.protocols.DatagramProtocol"]),
    ("asyncio.SubprocessProtocol", ["asyncio.protocols.SubprocessProtocol"]),
    ("asyncore.dispatcher", []),
    ("asynchat.async_chat", []),
    ("socketserver.BaseServer", []),
    ("socketserver.TCPServer", []),
    ("socketserver.UDPServer", []),
    ("socketserver.ThreadingTCPServer", []),
    ("socketserver.BaseRequestHandler", []),
    ("socketserver.StreamRequestHandler", []),
    ("socketserver.DatagramRequestHandler", []),
    ("http.server.HTTPServer", []),
    ("http.server.ThreadingHTTPServer", []),
    ("http.server.BaseHTTPRequestHandler", []),
    ("http.server.SimpleHTTPRequestHandler", []),
    ("logging.Handler", []),
    ("logging.StreamHandler", []),
    ("logging.Formatter", []),
    ("logging.Filter", []),
    ("html.parser.HTMLParser", []),
    ("json.JSONEncoder", ["json.encoder.JSONEncoder"]),
    ("json.JSONDecoder", ["json.decoder.JSONDecoder"]),
    ("argparse.Action", []),
    ("argparse.HelpFormatter", []),
    ("string.Formatter", []),
    ("xml.sax.handler.ContentHandler", []),
    ("lib2to3.fixer_base.BaseFix", []),
]

STDLIB = sysconfig.get_paths()["stdlib"]


def module_path(module: str) -> str | None:
    base = os.path.join(STDLIB, *module.split("."))
    for path in (base + ".py", os.path.join(base, "__init__.py")):
        if os.path.exists(path):
            return path
    return None


_trees: dict[str, ast.Module] = {}


def module_tree(module: str) -> ast.Module | None:
    if module not in _trees:
        path = module_path(module)
        if path is None:
            return None
        with open(path, encoding="utf-8") as f:
            _trees[module] = ast.parse(f.read())
    return _trees[module]


def find_class(module: str, name: str, depth: int = 0) -> tuple[str, ast.ClassDef] | None:
    """The class `name` as module `module` binds it at top level (following imports)."""
    tree = module_tree(module)
    if tree is None or depth > 8:
        return None
    found = None
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            found = (module, node)
        elif isinstance(node, ast.ImportFrom):
            source = node.module or ""
            if node.level:
                package = module if module_path(module).endswith("__init__.py") else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    package = package.rpartition(".")[0]
                source = f"{package}.{source}" if source else package
            for alias in node.names:
                if alias.name == "*" and found is None:
                    found = find_class(source, name, depth + 1)
                elif (alias.asname or alias.name) == name:
                    found = find_class(source, alias.name, depth + 1)
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            found = None
    return found


def resolve_base(module: str, expr: ast.expr) -> tuple[str, ast.ClassDef] | str | None:
    """A base class expression: a class in the stdlib source, "object", or None."""
    if isinstance(expr, ast.Name):
        if expr.id == "object":
            return "object"
        return find_class(module, expr.id)
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name):
        tree = module_tree(module)
        for node in tree.body:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if (alias.asname or alias.name.split(".")[0]) == expr.value.id:
                        target = alias.name if alias.asname else alias.name.split(".")[0]
                        return find_class(target, expr.attr)
    return None


def self_attrs(func: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    args = func.args.posonlyargs + func.args.args
    if not args:
        return set()
    me = args[0].arg
    names = set()

    def targets(t: ast.expr) -> None:
        if isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == me:
            names.add(t.attr)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)
        elif isinstance(t, ast.Starred):
            targets(t.value)

    for node in ast.walk(func):
        if isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
            targets(node.target)
        elif isinstance(node, ast.withitem) and node.optional_vars is not None:
            targets(node.optional_vars)
        elif isinstance(node, ast.NamedExpr):
            targets(node.target)
    return names


def body_names(cls: ast.ClassDef) -> set[str]:
    names = set()

    def bind(t: ast.expr) -> None:
        if isinstance(t, ast.Name):
            names.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                bind(e)
        elif isinstance(t, ast.Starred):
            bind(t.value)

    def walk(stmts: list[ast.stmt]) -> None:
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(s.name)
            elif isinstance(s, ast.Assign):
                for t in s.targets:
                    bind(t)
            elif isinstance(s, (ast.AugAssign, ast.AnnAssign)):
                bind(s.target)
            elif isinstance(s, (ast.For, ast.AsyncFor)):
                bind(s.target)
                walk(s.body)
                walk(s.orelse)
            elif isinstance(s, (ast.Import, ast.ImportFrom)):
                for alias in s.names:
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(s, (ast.If, ast.While)):
                walk(s.body)
                walk(s.orelse)
            elif isinstance(s, ast.Try):
                walk(s.body)
                for h in s.handlers:
                    if h.name:
                        names.add(h.name)
                    walk(h.body)
                walk(s.orelse)
                walk(s.finalbody)
            elif isinstance(s, (ast.With, ast.AsyncWith)):
                for item in s.items:
                    if item.optional_vars is not None:
                        bind(item.optional_vars)
                walk(s.body)
    walk(cls.body)
    return names


def class_methods(cls: ast.ClassDef):
    """The functions of a class body (nested classes are their own business)."""
    stack = list(cls.body)
    while stack:
        s = stack.pop()
        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield s
        elif not isinstance(s, ast.ClassDef):
            stack.extend(c for c in ast.iter_child_nodes(s) if isinstance(c, ast.stmt))


def mro(module: str, cls: ast.ClassDef) -> list[tuple[str, ast.ClassDef]] | None:
    """Depth-first, left to right, first occurrence kept (enough for the member union
    and for finding an ``__init__``; every class listed has single-inheritance chains
    or ones where the difference does not matter)."""
    out: list[tuple[str, ast.ClassDef]] = []

    def visit(mod: str, c: ast.ClassDef) -> bool:
        if any(c is k for _, k in out):
            return True
        out.append((mod, c))
        for b in c.bases:
            r = resolve_base(mod, b)
            if r == "object":
                continue
            if r is None:
                return False
            if not visit(*r):
                return False
        return True

    return out if visit(module, cls) else None


def describe(qualname: str) -> dict:
    module, _, name = qualname.rpartition(".")
    found = find_class(module, name)
    if found is None:
        raise SystemExit(f"{qualname}: not found in {STDLIB}")
    chain = mro(*found)
    if chain is None:
        raise SystemExit(f"{qualname}: an ancestor is not Python source")
    # Every class body binds these implicitly.
    class_members: set[str] = {"__annotations__", "__module__", "__qualname__"}
    instance_members: set[str] = set()
    dynamic = False
    metaclass = False
    init_owner = None
    for _mod, c in chain:
        names = body_names(c)
        class_members |= names
        for f in class_methods(c):
            instance_members |= self_attrs(f)
        dynamic |= bool(names & {"__getattr__", "__getattribute__"})
        metaclass |= any(k.arg == "metaclass" for k in c.keywords)
        if init_owner is None and "__init__" in names:
            init_owner = c.name
    return {
        "name": name,
        "class_members": sorted(class_members),
        "instance_members": sorted(instance_members - class_members),
        "dynamic": dynamic,
        "metaclass": metaclass,
        "init_owner": init_owner,
    }


def rust_list(names: list[str]) -> str:
    return "&[" + ", ".join(f'"{n}"' for n in names) + "]"


def main() -> int:
    if sys.version_info[:2] != (3, 11):
        print(f"warning: the table describes Python 3.11; this is {sys.version.split()[0]}", file=sys.stderr)
    lines = [
        "//! Members of well-known standard-library classes (Python 3.11), generated by",
        "//! `python3 benches/stdlib_classes.py` from the standard library's source; do not",
        "//! edit by hand. See that script for what each field holds.",
        "",
        "use super::classes::StdClass;",
        "",
        "/// By every qualified name a program may import the class under, sorted.",
        "pub static STDLIB_CLASSES: &[(&str, StdClass)] = &[",
    ]
    entries = []
    for qualname, aliases in CLASSES:
        d = describe(qualname)
        for q in [qualname] + aliases:
            entries.append((q, d))
    for q, d in sorted(entries, key=lambda e: e[0]):
        init = f'Some("{d["init_owner"]}")' if d["init_owner"] else "None"
        lines.append(
            f'    ("{q}", StdClass {{ name: "{d["name"]}", dynamic: {str(d["dynamic"]).lower()}, '
            f'metaclass: {str(d["metaclass"]).lower()}, init_owner: {init}, '
            f'class_members: {rust_list(d["class_members"])}, '
            f'instance_members: {rust_list(d["instance_members"])} }}),'
        )
    lines.append("];")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

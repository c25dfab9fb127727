//! The classes a program defines, as pylint's inference sees them without resolving
//! imports: bases (program classes, `object`, builtin exceptions, or unknown), the names
//! bound in each class body, the attributes assigned through `self` / `cls` / the class
//! name, and what an identifier read somewhere refers to (an instance of a program
//! class, or the class itself). Shared by the members and calls checks.

use std::cell::RefCell;

use foldhash::HashMap;

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;

use super::context::{class_rebinds, first_param, method_type, MethodType};
use super::stdlib_classes::STDLIB_CLASSES;
use super::syntax_util::text;
use super::Context;
use crate::lang::python::model::{BindingId, BindingKind, Model, NameId, ScopeId, ScopeKind};

/// Non-dunder attributes of builtin exception classes (Python 3.11), by class name.
const EXC_BASE: &[&str] = &["add_note", "args", "with_traceback", "__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__"];
const EXC_ATTRIBUTE: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "name", "obj", "with_traceback"];
const EXC_OS: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "characters_written", "errno", "filename", "filename2", "strerror", "with_traceback"];
const EXC_IMPORT: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "msg", "name", "path", "with_traceback"];
const EXC_SYNTAX: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "end_lineno", "end_offset", "filename", "lineno", "msg", "offset", "print_file_and_line", "text", "with_traceback"];
const EXC_NAME: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "name", "with_traceback"];
const EXC_STOP: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "value", "with_traceback"];
const EXC_EXIT: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "code", "with_traceback"];
const EXC_UNICODE: &[&str] = &["__cause__", "__context__", "__setstate__", "__suppress_context__", "__traceback__", "__notes__", "add_note", "args", "encoding", "end", "object", "reason", "start", "with_traceback"];

/// Marks a builtin base whose dunder methods we do not list: any dunder may exist.
pub const ANY_DUNDER: &str = "__*__";
const DICT: &[&str] = &[ANY_DUNDER, "clear", "copy", "fromkeys", "get", "items", "keys", "pop", "popitem", "setdefault", "update", "values"];
const LIST: &[&str] = &[ANY_DUNDER, "append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"];
const STR: &[&str] = &[ANY_DUNDER, "capitalize", "casefold", "center", "count", "encode", "endswith", "expandtabs", "find", "format", "format_map", "index", "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower", "isnumeric", "isprintable", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill"];
const TUPLE: &[&str] = &[ANY_DUNDER, "count", "index"];
const SET: &[&str] = &[ANY_DUNDER, "add", "clear", "copy", "difference", "difference_update", "discard", "intersection", "intersection_update", "isdisjoint", "issubset", "issuperset", "pop", "remove", "symmetric_difference", "symmetric_difference_update", "union", "update"];
const FROZENSET: &[&str] = &[ANY_DUNDER, "copy", "difference", "intersection", "isdisjoint", "issubset", "issuperset", "symmetric_difference", "union"];
const INT: &[&str] = &[ANY_DUNDER, "as_integer_ratio", "bit_count", "bit_length", "conjugate", "denominator", "from_bytes", "imag", "numerator", "real", "to_bytes"];
const FLOAT: &[&str] = &[ANY_DUNDER, "as_integer_ratio", "conjugate", "fromhex", "hex", "imag", "is_integer", "real"];
const BYTES: &[&str] = &[ANY_DUNDER, "capitalize", "center", "count", "decode", "endswith", "expandtabs", "find", "fromhex", "hex", "index", "isalnum", "isalpha", "isascii", "isdigit", "islower", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition", "removeprefix", "removesuffix", "replace", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill"];
const BYTEARRAY: &[&str] = &[ANY_DUNDER, "append", "capitalize", "center", "clear", "copy", "count", "decode", "endswith", "expandtabs", "extend", "find", "fromhex", "hex", "index", "insert", "isalnum", "isalpha", "isascii", "isdigit", "islower", "isspace", "istitle", "isupper", "join", "ljust", "lower", "lstrip", "maketrans", "partition", "pop", "remove", "removeprefix", "removesuffix", "replace", "reverse", "rfind", "rindex", "rjust", "rpartition", "rsplit", "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "translate", "upper", "zfill"];

/// Dunder attributes every instance of a plain class has (object's, plus the instance
/// and class specials astroid knows).
pub const OBJECT_DUNDERS: &[&str] = &["__class__", "__delattr__", "__dir__", "__doc__", "__eq__", "__format__", "__ge__", "__getattribute__", "__getstate__", "__gt__", "__hash__", "__init__", "__init_subclass__", "__le__", "__lt__", "__ne__", "__new__", "__reduce__", "__reduce_ex__", "__repr__", "__setattr__", "__sizeof__", "__str__", "__subclasshook__", "__dict__", "__module__", "__weakref__", "__qualname__", "__annotations__", "__slots__"];

pub fn builtin_class_attrs(name: &str) -> Option<&'static [&'static str]> {
    Some(match name {
        "object" => &[],
        "dict" => DICT,
        "list" => LIST,
        "str" => STR,
        "tuple" => TUPLE,
        "set" => SET,
        "frozenset" => FROZENSET,
        "int" => INT,
        "float" => FLOAT,
        "bytes" => BYTES,
        "bytearray" => BYTEARRAY,
        "ArithmeticError" | "AssertionError" | "BaseException" | "BufferError" | "BytesWarning" | "DeprecationWarning" | "EOFError" | "EncodingWarning" | "Exception" | "FloatingPointError" | "FutureWarning" | "GeneratorExit" | "ImportWarning" | "IndexError" | "KeyError" | "KeyboardInterrupt" | "LookupError" | "MemoryError" | "NotImplementedError" | "OverflowError" | "PendingDeprecationWarning" | "RecursionError" | "ReferenceError" | "ResourceWarning" | "RuntimeError" | "RuntimeWarning" | "StopAsyncIteration" | "SyntaxWarning" | "SystemError" | "TypeError" | "UnicodeError" | "UnicodeWarning" | "UserWarning" | "ValueError" | "Warning" | "ZeroDivisionError" => EXC_BASE,
        "AttributeError" => EXC_ATTRIBUTE,
        "BlockingIOError" | "BrokenPipeError" | "ChildProcessError" | "ConnectionAbortedError" | "ConnectionError" | "ConnectionRefusedError" | "ConnectionResetError" | "EnvironmentError" | "FileExistsError" | "FileNotFoundError" | "IOError" | "InterruptedError" | "IsADirectoryError" | "NotADirectoryError" | "OSError" | "PermissionError" | "ProcessLookupError" | "TimeoutError" => EXC_OS,
        "ImportError" | "ModuleNotFoundError" => EXC_IMPORT,
        "IndentationError" | "SyntaxError" | "TabError" => EXC_SYNTAX,
        "NameError" | "UnboundLocalError" => EXC_NAME,
        "StopIteration" => EXC_STOP,
        "SystemExit" => EXC_EXIT,
        "UnicodeDecodeError" | "UnicodeEncodeError" | "UnicodeTranslateError" => EXC_UNICODE,
        _ => return None,
    })
}

/// Python 3.11's builtin names.
pub const BUILTINS: &[&str] = &["ArithmeticError", "AssertionError", "AttributeError", "BaseException", "BaseExceptionGroup", "BlockingIOError", "BrokenPipeError", "BufferError", "BytesWarning", "ChildProcessError", "ConnectionAbortedError", "ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "DeprecationWarning", "EOFError", "Ellipsis", "EncodingWarning", "EnvironmentError", "Exception", "ExceptionGroup", "False", "FileExistsError", "FileNotFoundError", "FloatingPointError", "FutureWarning", "GeneratorExit", "IOError", "ImportError", "ImportWarning", "IndentationError", "IndexError", "InterruptedError", "IsADirectoryError", "KeyError", "KeyboardInterrupt", "LookupError", "MemoryError", "ModuleNotFoundError", "NameError", "None", "NotADirectoryError", "NotImplemented", "NotImplementedError", "OSError", "OverflowError", "PendingDeprecationWarning", "PermissionError", "ProcessLookupError", "RecursionError", "ReferenceError", "ResourceWarning", "RuntimeError", "RuntimeWarning", "StopAsyncIteration", "StopIteration", "SyntaxError", "SyntaxWarning", "SystemError", "SystemExit", "TabError", "TimeoutError", "True", "TypeError", "UnboundLocalError", "UnicodeDecodeError", "UnicodeEncodeError", "UnicodeError", "UnicodeTranslateError", "UnicodeWarning", "UserWarning", "ValueError", "Warning", "ZeroDivisionError", "__build_class__", "__debug__", "__doc__", "__import__", "__loader__", "__name__", "__package__", "__spec__", "abs", "aiter", "all", "anext", "any", "ascii", "bin", "bool", "breakpoint", "bytearray", "bytes", "callable", "chr", "classmethod", "compile", "complex", "copyright", "credits", "delattr", "dict", "dir", "divmod", "enumerate", "eval", "exec", "exit", "filter", "float", "format", "frozenset", "getattr", "globals", "hasattr", "hash", "help", "hex", "id", "input", "int", "isinstance", "issubclass", "iter", "len", "license", "list", "locals", "map", "max", "memoryview", "min", "next", "object", "oct", "open", "ord", "pow", "print", "property", "quit", "range", "repr", "reversed", "round", "set", "setattr", "slice", "sorted", "staticmethod", "str", "sum", "super", "tuple", "type", "vars", "zip"];

/// A well-known standard-library class (see `stdlib_classes.rs`, generated from
/// Python 3.11's source): what pylint learns by importing it, fixed in a table so no
/// verdict depends on what is installed.
#[derive(Debug, PartialEq, Eq)]
pub struct StdClass {
    pub name: &'static str,
    /// Some class of its MRO defines `__getattr__` / `__getattribute__`.
    pub dynamic: bool,
    /// Some class of its MRO has a metaclass.
    pub metaclass: bool,
    /// The class of its MRO whose `__init__` (Python code) instances run, if any.
    pub init_owner: Option<&'static str>,
    /// Names bound in the class bodies of its MRO, sorted.
    pub class_members: &'static [&'static str],
    /// Attributes its methods assign through `self` and no class body binds, sorted.
    pub instance_members: &'static [&'static str],
}

impl StdClass {
    /// Whether an attribute exists on the class object, or (`instance`) on an instance.
    pub fn has(&self, name: &str, instance: bool) -> bool {
        self.class_members.binary_search(&name).is_ok() || (instance && self.instance_members.binary_search(&name).is_ok())
    }
}

/// The table entry for a qualified name such as `unittest.TestCase`.
pub fn stdlib_class(qualified: &str) -> Option<&'static StdClass> {
    STDLIB_CLASSES.binary_search_by(|(q, _)| (*q).cmp(qualified)).ok().map(|i| &STDLIB_CLASSES[i].1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Class(usize),
    Builtin(&'static [&'static str]),
    Stdlib(&'static StdClass),
    /// Imported, an expression, or bound ambiguously: pylint may know it, we do not.
    Unknown,
    /// A name bound nowhere (pylint cannot infer it either and ignores it).
    Undefined,
}

/// One attribute assignment `X.name = ...` (or augmented, for, with targets).
#[derive(Debug, Clone, Copy)]
pub struct AttrDef<'a> {
    pub name: &'a str,
    /// `X.a += ...` or `X.a = X.a <op> ...`: pylint does not count it as a definition.
    pub augmented: bool,
    /// The `attribute` node of the target.
    pub node: Node<'a>,
}

#[derive(Debug)]
pub struct ClassInfo<'a> {
    pub node: Node<'a>,
    pub name: &'a str,
    /// The scope the class body opens.
    pub scope: ScopeId,
    pub bases: Vec<Base>,
    /// `metaclass=` or other class keywords.
    pub has_keywords: bool,
    /// Attributes assigned through an instance (`self.x = ...` in methods).
    pub instance_attrs: Vec<AttrDef<'a>>,
    /// Attributes assigned through the class object (`cls.x = ...`, `Name.x = ...`).
    pub class_attrs: Vec<AttrDef<'a>>,
    /// Its `name = staticmethod(...)` / `classmethod(...)` statements (see
    /// [`class_rebinds`]).
    rebinds: Vec<(&'a str, MethodType)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Instance(usize),
    Class(usize),
    /// `super()` in a method of the class.
    Super(usize),
}

pub struct Program<'a> {
    pub src: &'a str,
    pub model: &'a Model,
    pub root: Node<'a>,
    pub classes: Vec<ClassInfo<'a>>,
    /// Scope index -> class index, for class scopes.
    class_of_scope: Vec<Option<usize>>,
    /// Attribute names assigned through an object we cannot identify: any class may
    /// have them.
    pub unknown_attrs: Vec<&'a str>,
    /// Every attribute assignment target (when the program has classes), in source
    /// order: the attribute, its statement and what its object is.
    pub stores: Vec<(Node<'a>, Node<'a>, Option<Owner>)>,
    /// [`context::method_type`] of each method asked about, by its node: the answer
    /// scans the whole class body, and the checks ask once per `self.x`.
    method_types: RefCell<HashMap<usize, MethodType>>,
    /// [`Program::owner_of`] of each name read in each scope asked about, by
    /// [`owner_key`]: the answer depends on nothing else, and a method reads `self.x`
    /// many times.
    owners: RefCell<HashMap<u64, Option<Owner>>>,
}

/// How an attribute target is assigned, if it is one.
fn target_statement<'a>(attr: Node<'a>) -> Option<Node<'a>> {
    let mut child = attr;
    let mut cur = attr.parent();
    while let Some(p) = cur {
        match p.kind_str() {
            "pattern_list" | "tuple_pattern" | "list_pattern" | "list_splat_pattern" | "tuple" | "list" | "parenthesized_expression" | "expression_list" | "as_pattern_target" => {}
            "assignment" | "augmented_assignment" | "for_statement" | "for_in_clause" => {
                return p.field(Field::Left).filter(|l| l.id() == child.id()).map(|_| p);
            }
            "as_pattern" => return Some(p),
            _ => return None,
        }
        child = p;
        cur = p.parent();
    }
    None
}

fn is_augmented(src: &str, attr: Node, stmt: Node) -> bool {
    if stmt.kind_str() == "augmented_assignment" {
        return true;
    }
    if stmt.kind_str() != "assignment" || stmt.field(Field::Left).map(|l| l.id()) != Some(attr.id()) {
        return false;
    }
    let Some(right) = stmt.field(Field::Right) else { return false };
    if right.kind_str() != "binary_operator" {
        return false;
    }
    let (Some(l), Some(r)) = (right.field(Field::Left), right.field(Field::Right)) else { return false };
    if l.kind_str() == "call" || r.kind_str() == "call" || l.kind_str() == "string" || l.kind_str() == "concatenated_string" {
        return false;
    }
    let target = text(src, attr);
    if text(src, l) == target {
        return true;
    }
    let op = right.field(Field::Operator).map(|o| o.kind_str()).unwrap_or("");
    matches!(op, "*" | "+" | "^" | "&" | "|") && l.kind_str() == "integer" && text(src, r) == target
}

/// The key of [`Program::owners`]: a name read in a scope, in one word (cheaper to hash
/// than the pair).
fn owner_key(at: ScopeId, name: Option<NameId>) -> u64 {
    (at.0 as u64) << 32 | name.map_or(u32::MAX, |n| n.0) as u64
}

pub fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

impl<'a> Program<'a> {
    /// Whether `def`, a method of class `class`, is a plain, class or static method
    /// (memoised [`context::method_type`]).
    pub fn method_type(&self, def: Node, class: usize) -> MethodType {
        if let Some(&known) = self.method_types.borrow().get(&def.id()) {
            return known;
        }
        let found = method_type(self.src, def, &self.classes[class].rebinds);
        self.method_types.borrow_mut().insert(def.id(), found);
        found
    }

    pub fn build(ctx: &Context<'a>) -> Program<'a> {
        let (src, model) = (ctx.source, ctx.model);
        let root = ctx.tree.root_node();
        let mut class_of_scope = vec![None; model.scopes.len()];
        let mut classes = Vec::new();
        for (i, s) in model.scopes.iter().enumerate() {
            if s.kind == ScopeKind::Class {
                let scope = ScopeId(i as u32);
                let node = model.scope_node(root, scope);
                class_of_scope[i] = Some(classes.len());
                let name = node.field(Field::Name).map(|n| text(src, n)).unwrap_or("");
                classes.push(ClassInfo { node, name, scope, bases: Vec::new(), has_keywords: false, instance_attrs: Vec::new(), class_attrs: Vec::new(), rebinds: class_rebinds(src, node.field(Field::Body)) });
            }
        }
        let mut prog = Program { src, model, root, classes, class_of_scope, unknown_attrs: Vec::new(), stores: Vec::new(), method_types: RefCell::default(), owners: RefCell::default() };
        for c in 0..prog.classes.len() {
            let (bases, kw) = prog.compute_bases(c);
            prog.classes[c].bases = bases;
            prog.classes[c].has_keywords = kw;
        }
        if !prog.classes.is_empty() {
            for &attr in &ctx.attributes {
                let Some(stmt) = target_statement(attr) else { continue };
                let Some(name_node) = attr.field(Field::Attribute) else { continue };
                let def = AttrDef { name: text(src, name_node), augmented: is_augmented(src, attr, stmt), node: attr };
                let object = attr.field(Field::Object);
                let owner = object.and_then(|o| prog.owner_of(o));
                prog.stores.push((attr, stmt, owner));
                match owner {
                    Some(Owner::Instance(c)) => prog.classes[c].instance_attrs.push(def),
                    Some(Owner::Class(c)) => prog.classes[c].class_attrs.push(def),
                    _ => prog.unknown_attrs.push(def.name),
                }
            }
        }
        prog
    }

    fn compute_bases(&self, c: usize) -> (Vec<Base>, bool) {
        let node = self.classes[c].node;
        let mut bases = Vec::new();
        let mut kw = false;
        let Some(sup) = node.field(Field::Superclasses) else { return (bases, kw) };
        let outer = self.model.scope(self.classes[c].scope).parent.unwrap_or(ScopeId(0));
        for b in named_children(sup) {
            match b.kind_str() {
                "keyword_argument" => kw = true,
                "comment" => {}
                "identifier" => {
                    let name = text(self.src, b);
                    let id = self.model.name_id(name);
                    bases.push(match self.resolve(outer, id) {
                        Some(s) => match self.unique_binding(s, id) {
                            Some(bind) if self.model.binding(bind).kind == BindingKind::ClassDef => match self.def_node(bind).and_then(|n| self.class_index(n)) {
                                Some(k) if k != c => Base::Class(k),
                                _ => Base::Unknown,
                            },
                            Some(bind) if matches!(self.model.binding(bind).kind, BindingKind::Import | BindingKind::FromImport) => {
                                self.imported_class(outer, b).map_or(Base::Unknown, Base::Stdlib)
                            }
                            _ => Base::Unknown,
                        },
                        None if !self.bound_anywhere(id) => match builtin_class_attrs(name) {
                            Some(list) => Base::Builtin(list),
                            None if BUILTINS.contains(&name) => Base::Unknown,
                            None => Base::Undefined,
                        },
                        None => Base::Unknown,
                    });
                }
                "attribute" => bases.push(self.imported_class(outer, b).map_or(Base::Unknown, Base::Stdlib)),
                _ => bases.push(Base::Unknown),
            }
        }
        (bases, kw)
    }

    /// The standard-library class a base expression names through an import (`TestCase`
    /// after `from unittest import TestCase`, `unittest.TestCase` after `import
    /// unittest`), if it is one the table knows.
    fn imported_class(&self, scope: ScopeId, expr: Node) -> Option<&'static StdClass> {
        let mut rest = Vec::new();
        let mut head = expr;
        while head.kind_str() == "attribute" {
            rest.push(text(self.src, head.field(Field::Attribute)?));
            head = head.field(Field::Object)?;
        }
        if head.kind_str() != "identifier" {
            return None;
        }
        let name = self.model.name_id(text(self.src, head));
        let s = self.resolve(scope, name)?;
        let bind = self.unique_binding(s, name)?;
        let mut path = self.imported_path(bind)?;
        for part in rest.iter().rev() {
            path.push('.');
            path.push_str(part);
        }
        stdlib_class(&path)
    }

    /// The standard-library class an expression (a name or dotted name) refers to.
    pub fn stdlib_class_of(&self, expr: Node) -> Option<&'static StdClass> {
        self.imported_class(self.scope_at(expr), expr)
    }

    /// The dotted path an import binding stands for: `a` for `import a.b`, `x.y` for
    /// `import x.y as z`, `m.n` for `from m import n` (absolute imports only).
    fn imported_path(&self, bind: BindingId) -> Option<String> {
        let kind = self.model.binding(bind).kind;
        if !matches!(kind, BindingKind::Import | BindingKind::FromImport) {
            return None;
        }
        let node = self.binding_node(bind)?;
        let parent = node.parent()?;
        let (imported, stmt) = match parent.kind_str() {
            "aliased_import" => (text(self.src, parent.field(Field::Name)?), parent.parent()?),
            "dotted_name" if kind == BindingKind::Import => (text(self.src, node), parent.parent()?),
            "dotted_name" => (text(self.src, parent), parent.parent()?),
            _ => return None,
        };
        match stmt.kind_str() {
            "import_statement" => Some(imported.to_string()),
            "import_from_statement" => {
                let module = stmt.field(Field::ModuleName)?;
                (module.kind_str() == "dotted_name").then(|| format!("{}.{imported}", text(self.src, module)))
            }
            _ => None,
        }
    }

    /// The scope whose binding a read of `name` in `scope` refers to (Python's rule:
    /// local, enclosing functions (class bodies skipped), module), counting a star import
    /// as binding every name. `None` for builtins, unbound names, and names declared
    /// `global` / `nonlocal` on the way (the checks stay silent on those).
    pub fn resolve(&self, scope: ScopeId, name: Option<NameId>) -> Option<ScopeId> {
        let mut cur = Some(scope);
        let mut first = true;
        while let Some(s) = cur {
            let sc = self.model.scope(s);
            if first || sc.kind != ScopeKind::Class {
                if let Some(n) = name {
                    if self.model.is_declared_global(s, n) || self.model.is_declared_nonlocal(s, n) {
                        return None;
                    }
                }
                if sc.star_import || name.is_some_and(|n| self.model.is_bound_in(s, n)) {
                    return Some(s);
                }
            }
            first = false;
            cur = sc.parent;
        }
        None
    }

    /// The bindings of `name` in `scope`, in source order.
    pub fn bindings(&self, scope: ScopeId, name: Option<NameId>) -> &'a [BindingId] {
        name.map_or(&[], |n| self.model.bindings_of(scope, n))
    }

    /// The single binding of `name` in `scope`, if there is exactly one (and no star
    /// import or global / nonlocal declaration there).
    pub fn unique_binding(&self, scope: ScopeId, name: Option<NameId>) -> Option<BindingId> {
        let n = name?;
        if self.model.scope(scope).star_import || self.model.is_declared_global(scope, n) || self.model.is_declared_nonlocal(scope, n) {
            return None;
        }
        match self.model.bindings_of(scope, n) {
            [only] => Some(*only),
            _ => None,
        }
    }

    /// Whether `name` may be bound anywhere in the program (any binding, declaration or
    /// star import).
    fn bound_anywhere(&self, name: Option<NameId>) -> bool {
        self.model.scopes.iter().any(|s| s.star_import || name.is_some_and(|n| s.globals.iter().chain(s.nonlocals.iter()).any(|(d, _)| *d == n)))
            || name.is_some_and(|n| self.model.is_bound_anywhere(n))
    }

    /// The identifier node of a binding's name.
    pub fn binding_node(&self, b: BindingId) -> Option<Node<'a>> {
        self.model.binding_node(self.root, b)
    }

    /// The node a binding stands for: the function_definition / class_definition of a
    /// def or class, the name's identifier otherwise.
    pub fn def_node(&self, b: BindingId) -> Option<Node<'a>> {
        let node = self.binding_node(b)?;
        match self.model.binding(b).kind {
            BindingKind::FunctionDef | BindingKind::ClassDef => node.parent(),
            _ => Some(node),
        }
    }

    /// The scope a node's code runs in.
    pub fn scope_at(&self, node: Node) -> ScopeId {
        self.model.enclosing_scope(node)
    }

    /// The function_definition / lambda / class_definition opening `scope`.
    pub fn scope_node(&self, scope: ScopeId) -> Node<'a> {
        self.model.scope_node(self.root, scope)
    }

    pub fn class_index(&self, class_node: Node) -> Option<usize> {
        self.model.scope_of_node(class_node).and_then(|s| self.class_of_scope(s))
    }

    pub fn class_of_scope(&self, scope: ScopeId) -> Option<usize> {
        self.class_of_scope.get(scope.index()).copied().flatten()
    }

    /// The method function scope `scope` is (directly in a class body), with its class.
    pub fn method_class(&self, scope: ScopeId) -> Option<usize> {
        let s = self.model.scope(scope);
        if s.kind != ScopeKind::Function {
            return None;
        }
        self.class_of_scope(s.parent?)
    }

    /// What an expression (an identifier) evaluates to, when it is one of: the first
    /// parameter of a method (instance, or the class for class methods), a name bound
    /// once to a program class, or a name bound once to `ProgramClass(...)`.
    pub fn owner_of(&self, expr: Node) -> Option<Owner> {
        if expr.kind_str() != "identifier" {
            return None;
        }
        // The model's read of the identifier, when it has one, names it without a hash
        // of its text.
        let name = match self.model.reference_at(expr.start_byte() as u32) {
            Some(r) => Some(r.name),
            None => self.model.name_id(text(self.src, expr)),
        };
        let at = self.scope_at(expr);
        let key = owner_key(at, name);
        if let Some(&known) = self.owners.borrow().get(&key) {
            return known;
        }
        let found = self.owner_of_name(at, name, 0);
        self.owners.borrow_mut().insert(key, found);
        found
    }

    fn owner_at_depth(&self, expr: Node, depth: usize) -> Option<Owner> {
        if expr.kind_str() != "identifier" || depth > 4 {
            return None;
        }
        let name = self.model.name_id(text(self.src, expr));
        self.owner_of_name(self.scope_at(expr), name, depth)
    }

    /// What `name` read in scope `at` evaluates to (see [`Program::owner_of`]), `depth`
    /// assignments `x = C(...)` down.
    fn owner_of_name(&self, at: ScopeId, name: Option<NameId>, depth: usize) -> Option<Owner> {
        let s = self.resolve(at, name)?;
        let bind = self.unique_binding(s, name)?;
        match self.model.binding(bind).kind {
            BindingKind::Parameter => {
                let c = self.method_class(s)?;
                let def = self.scope_node(s);
                let params = def.field(Field::Parameters)?;
                let (first, _) = first_param(params);
                if first?.start_byte() != self.model.binding(bind).start as usize {
                    return None;
                }
                match self.method_type(def, c) {
                    MethodType::Method => Some(Owner::Instance(c)),
                    MethodType::ClassMethod => Some(Owner::Class(c)),
                    MethodType::Static => None,
                }
            }
            BindingKind::ClassDef => self.class_index(self.def_node(bind)?).map(Owner::Class),
            BindingKind::FunctionDef | BindingKind::Import | BindingKind::FromImport | BindingKind::Annotation => None,
            _ => {
                // `x = C(...)`, the only binding of x.
                let node = self.binding_node(bind)?;
                let parent = node.parent()?;
                if parent.kind_str() != "assignment" || parent.field(Field::Left)?.id() != node.id() {
                    return None;
                }
                let right = parent.field(Field::Right)?;
                if right.kind_str() != "call" {
                    return None;
                }
                let func = right.field(Field::Function)?;
                match self.owner_at_depth(func, depth + 1)? {
                    Owner::Class(c) if self.plain_instantiation(c) => Some(Owner::Instance(c)),
                    _ => None,
                }
            }
        }
    }

    /// Calling the class makes an instance of it: no metaclass and no `__new__` in it
    /// or its program ancestors.
    fn plain_instantiation(&self, c: usize) -> bool {
        let Some(chain) = self.ancestry(c) else { return false };
        chain.iter().all(|&k| !self.classes[k].has_keywords && !self.binds_in_body(k, "__new__") && !self.stdlib_bases(k).any(|s| s.metaclass || s.has("__new__", false)))
    }

    /// The class and its program ancestors (depth-first, left to right, without
    /// duplicates), or `None` if some ancestor is not known (not a program class,
    /// `object` or a builtin exception).
    pub fn ancestry(&self, c: usize) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut stack = vec![c];
        while let Some(k) = stack.pop() {
            if out.contains(&k) {
                continue;
            }
            if out.len() > 64 {
                return None;
            }
            out.push(k);
            for b in self.classes[k].bases.iter().rev() {
                match *b {
                    Base::Class(j) => stack.push(j),
                    Base::Builtin(_) | Base::Stdlib(_) => {}
                    Base::Unknown | Base::Undefined => return None,
                }
            }
        }
        Some(out)
    }

    /// The class and the program ancestors reachable through known bases, undefined
    /// bases skipped (as astroid does); `None` if an ancestor is imported or unknown.
    pub fn ancestry_skipping_undefined(&self, c: usize) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut stack = vec![c];
        while let Some(k) = stack.pop() {
            if out.contains(&k) {
                continue;
            }
            if out.len() > 64 {
                return None;
            }
            out.push(k);
            for b in self.classes[k].bases.iter().rev() {
                match *b {
                    Base::Class(j) => stack.push(j),
                    Base::Unknown => return None,
                    _ => {}
                }
            }
        }
        Some(out)
    }

    pub fn binds_in_body(&self, c: usize, name: &str) -> bool {
        self.model.name_id(name).is_some_and(|n| self.model.is_bound_in(self.classes[c].scope, n))
    }

    pub fn builtin_has(&self, c: usize, name: &str) -> bool {
        self.classes[c].bases.iter().any(|b| matches!(b, Base::Builtin(list) if list.contains(&name)))
    }

    /// The standard-library classes among the direct bases of class `c`.
    pub fn stdlib_bases(&self, c: usize) -> impl Iterator<Item = &'static StdClass> + '_ {
        self.classes[c].bases.iter().filter_map(|b| match *b {
            Base::Stdlib(s) => Some(s),
            _ => None,
        })
    }

    /// Whether a standard-library base of class `c` has the attribute (on its instances
    /// too if `instance`).
    pub fn stdlib_has(&self, c: usize, name: &str, instance: bool) -> bool {
        self.stdlib_bases(c).any(|s| s.has(name, instance))
    }
}

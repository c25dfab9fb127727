//! What a definition leaves undone or overrides: a function or class that rebinds a
//! name its scope already bound (E0102), and an `__init__` that never runs the
//! `__init__` of a base class that has one (W0231, which SPEC section 3 counts).

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;

use super::classes::{Base, Program, StdClass};
use super::syntax_util::{decorators, for_each_node, text};
use super::Context;
use crate::lang::python::model::{BindingKind, ScopeKind};
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E0102", name: "function-redefined", summary: "def or class rebinding a name its scope already bound" },
    CheckInfo { code: "W0231", name: "super-init-not-called", summary: "__init__ not calling the __init__ of a base class" },
];

/// Which branch of a statement a node sits in, as astroid's `are_exclusive` (without
/// exceptions) tells branches apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    Other(usize),
    IfTest,
    TryBody,
    TryHandler(usize),
    TryElse,
}

fn branch(stmt: Node, child: Node) -> Branch {
    match (stmt.kind_str(), child.kind_str()) {
        ("if_statement", _) if stmt.field(Field::Condition).is_some_and(|c| c.id() == child.id()) => Branch::IfTest,
        ("try_statement", "block") => Branch::TryBody,
        ("try_statement", "except_clause" | "except_group_clause") => Branch::TryHandler(child.id()),
        ("try_statement", "else_clause") => Branch::TryElse,
        _ => Branch::Other(child.id()),
    }
}

/// Two statements that can never both run: different branches of an `if` / `elif` /
/// `else`, or a `try` body (or `else`) and one of its handlers, or two handlers.
fn exclusive(a: Node, b: Node) -> bool {
    let mut a_path: Vec<(usize, Node)> = Vec::new();
    let (mut prev, mut cur) = (a, a.parent());
    while let Some(p) = cur {
        a_path.push((p.id(), prev));
        prev = p;
        cur = p.parent();
    }
    let (mut prev, mut cur) = (b, b.parent());
    while let Some(p) = cur {
        if let Some(&(_, a_child)) = a_path.iter().find(|(id, _)| *id == p.id()) {
            let (x, y) = (branch(p, a_child), branch(p, prev));
            return match p.kind_str() {
                "if_statement" => x != y && x != Branch::IfTest && y != Branch::IfTest,
                "try_statement" => match (x, y) {
                    (Branch::TryHandler(i), Branch::TryHandler(j)) => i != j,
                    (Branch::TryHandler(_), Branch::TryBody | Branch::TryElse) | (Branch::TryBody | Branch::TryElse, Branch::TryHandler(_)) => true,
                    _ => false,
                },
                _ => false,
            };
        }
        prev = p;
        cur = p.parent();
    }
    false
}

/// pylint's default `dummy-variables-rgx`: `_`, `_name`, `dummy...`, `ignored_...`,
/// `unused_...`.
fn is_dummy(name: &str) -> bool {
    let all_underscores = !name.is_empty() && name.chars().all(|c| c == '_');
    let private = name.len() > 1 && name.starts_with('_') && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    all_underscores || private || name.starts_with("dummy") || name.starts_with("ignored_") || name.starts_with("unused_")
}

fn is_overload(src: &str, def: Node) -> bool {
    decorators(src, def).any(|d| d == "overload" || d == "typing.overload")
}

/// The test of the `if` / `elif` whose branch directly holds `stmt`, if any.
fn guarding_test(stmt: Node) -> Option<Node> {
    let block = stmt.parent().filter(|p| p.kind_str() == "block")?;
    let owner = block.parent()?;
    match owner.kind_str() {
        "if_statement" | "elif_clause" => owner.field(Field::Condition),
        "else_clause" => {
            let if_stmt = owner.parent().filter(|p| p.kind_str() == "if_statement")?;
            let last_elif = named_children(if_stmt).filter(|c| c.kind_str() == "elif_clause").last();
            last_elif.unwrap_or(if_stmt).field(Field::Condition)
        }
        _ => None,
    }
}

/// `if not name:` / `if name is None:` around a definition: a deliberate fallback.
fn conditional_fallback(src: &str, stmt: Node, name: &str) -> bool {
    let Some(test) = guarding_test(stmt) else { return false };
    match test.kind_str() {
        "not_operator" => test.field(Field::Argument).is_some_and(|a| a.kind_str() == "identifier" && text(src, a) == name),
        "comparison_operator" => {
            let mut cursor = test.walk();
            let parts: Vec<Node> = test.children(&mut cursor).collect();
            parts.len() == 3 && parts[0].kind_str() == "identifier" && text(src, parts[0]) == name && text(src, parts[1]) == "is" && parts[2].kind_str() == "none"
        }
        _ => false,
    }
}

/// `@name.setter` and the like: the decorator rebinds the name on purpose, and
/// `@f.register` adds a singledispatch implementation.
fn redefined_by_decorator(src: &str, def: Node, name: &str) -> bool {
    decorators(src, def).any(|d| d.rsplit_once('.').is_some_and(|(head, _)| head == name) || d.contains(".register"))
}

fn check_redefinitions(ctx: &Context, within: Option<(u32, u32)>, out: &mut Vec<Diagnostic>) {
    let (src, model) = (ctx.source, ctx.model);
    let root = ctx.tree.root_node();
    for (i, b) in model.bindings.iter().enumerate() {
        if within.is_some_and(|(start, end)| !(start..end).contains(&b.start)) {
            continue;
        }
        let kind = match b.kind {
            BindingKind::FunctionDef => "function",
            BindingKind::ClassDef => "class",
            _ => continue,
        };
        let name = model.name(b.name);
        if is_dummy(name) || model.is_declared_global(b.scope, b.name) || model.is_declared_nonlocal(b.scope, b.name) {
            continue;
        }
        let scope_kind = model.scope(b.scope).kind;
        if scope_kind == ScopeKind::Class && name == "__module__" {
            continue;
        }
        let Some(def) = model.binding_node(root, crate::lang::python::model::BindingId(i as u32)).and_then(|n| n.parent()) else { continue };
        if kind == "function" && (redefined_by_decorator(src, def, name) || is_overload(src, def)) {
            continue;
        }
        // The first binding of the name in its scope (bare annotations, annotated
        // assignments, deletions and overload stubs aside) is the definition that stands.
        let first = model.bindings_of(b.scope, b.name).iter().map(|&id| (id, model.binding(id))).find(|(id, other)| {
            !(matches!(other.kind, BindingKind::Annotation | BindingKind::AnnotatedAssignment | BindingKind::Deletion)
                || (other.kind == BindingKind::FunctionDef && model.binding_node(root, *id).and_then(|n| n.parent()).is_some_and(|d| is_overload(src, d))))
        });
        let Some((first_id, first)) = first else { continue };
        if first.start == b.start {
            continue;
        }
        let Some(first_node) = model.binding_node(root, first_id) else { continue };
        if exclusive(def, first_node) || conditional_fallback(src, def, name) {
            continue;
        }
        let what = if kind == "function" && scope_kind == ScopeKind::Class { "method" } else { kind };
        let first_line = match first.kind {
            BindingKind::FunctionDef | BindingKind::ClassDef => first_node.parent().map_or(first.line as usize, |d| d.start_position().row),
            _ => first.line as usize,
        };
        let p = def.start_position();
        out.push(Diagnostic::new(p.row, p.column, "E0102", format!("{what} already defined line {}", first_line + 1)));
    }
}

/// Whose `__init__` an instance of a base runs: a program class's def, or a table
/// class's. Two bases running the same one share the owner.
#[derive(Debug, Clone, Copy, PartialEq)]
enum InitOwner<'a> {
    Program(Node<'a>),
    Stdlib(&'static str, &'static str),
}

/// A base that has an `__init__` to call.
struct ToCall<'a> {
    name: &'a str,
    base: Base,
    owner: InitOwner<'a>,
}

/// An `__init__` body that only documents, passes or raises NotImplementedError is
/// abstract: nothing to call.
pub(crate) fn is_abstract_init(src: &str, def: Node) -> bool {
    if decorators(src, def).any(|d| d.ends_with("abstractmethod")) {
        return true;
    }
    let Some(body) = def.field(Field::Body) else { return true };
    let mut stmts = named_children(body).filter(|s| s.kind_str() != "comment").peekable();
    if stmts.peek().is_some_and(|s| s.kind_str() == "expression_statement" && s.named_child(0).is_some_and(|e| e.kind_str() == "string")) {
        stmts.next();
    }
    match stmts.next() {
        None => true,
        Some(s) if s.kind_str() == "pass_statement" => true,
        Some(s) if s.kind_str() == "raise_statement" => text(src, s).contains("NotImplementedError"),
        Some(_) => false,
    }
}

/// The `__init__` a base's instances run, along its ancestry: `Some(None)` when there
/// is none to call (object's, a builtin's, an abstract one), `None` when unknown.
fn base_init<'a>(prog: &Program<'a>, base: Base) -> Option<Option<InitOwner<'a>>> {
    let k = match base {
        Base::Class(k) => k,
        Base::Stdlib(s) => return Some(stdlib_init(s)),
        Base::Builtin(_) | Base::Undefined => return Some(None),
        Base::Unknown => return None,
    };
    for j in prog.ancestry(k)? {
        let scope = prog.classes[j].scope;
        let bindings = prog.bindings(scope, prog.model.name_id("__init__"));
        if let Some(&last) = bindings.last() {
            if prog.model.binding(last).kind != BindingKind::FunctionDef {
                return None;
            }
            let def = prog.def_node(last)?;
            return Some((!is_abstract_init(prog.src, def)).then_some(InitOwner::Program(def)));
        }
        if let Some(s) = prog.stdlib_bases(j).find(|s| s.init_owner.is_some()) {
            return Some(stdlib_init(s));
        }
    }
    Some(None)
}

fn stdlib_init(s: &'static StdClass) -> Option<InitOwner<'static>> {
    s.init_owner.map(|owner| InitOwner::Stdlib(s.name, owner))
}

/// What `X` in `X.__init__(...)` is, for matching a base.
enum Called {
    Base(Base),
    /// `super().__init__`: every base is taken care of.
    Super,
    /// Something we cannot follow (a variable that may hold `super()`).
    Unknown,
    /// `self`, a non-base class...: calls no base's `__init__`.
    Other,
}

fn called_object(prog: &Program, c: usize, object: Node) -> Called {
    let src = prog.src;
    if object.kind_str() == "call" && object.field(Field::Function).is_some_and(|f| text(src, f) == "super") {
        return Called::Super;
    }
    if let Some(s) = prog.stdlib_class_of(object) {
        return Called::Base(Base::Stdlib(s));
    }
    if object.kind_str() != "identifier" {
        return Called::Unknown;
    }
    let name = prog.model.name_id(text(src, object));
    let at = prog.scope_at(object);
    let Some(scope) = prog.resolve(at, name) else { return Called::Other };
    let Some(bind) = prog.unique_binding(scope, name) else { return Called::Unknown };
    match prog.model.binding(bind).kind {
        BindingKind::ClassDef => match prog.def_node(bind).and_then(|n| prog.class_index(n)) {
            Some(k) => Called::Base(Base::Class(k)),
            None => Called::Unknown,
        },
        BindingKind::Parameter if prog.method_class(scope) == Some(c) => Called::Other,
        _ => Called::Unknown,
    }
}

fn check_init(prog: &Program, c: usize, def: Node, out: &mut Vec<Diagnostic>) {
    let src = prog.src;
    let class = &prog.classes[c];
    let Some(superclasses) = class.node.field(Field::Superclasses) else { return };
    let base_nodes: Vec<Node> = named_children(superclasses).filter(|n| !matches!(n.kind_str(), "keyword_argument" | "comment")).collect();
    if base_nodes.len() != class.bases.len() {
        return;
    }
    let mut to_call: Vec<ToCall> = Vec::new();
    for (&base, node) in class.bases.iter().zip(&base_nodes) {
        let Some(init) = base_init(prog, base) else { return };
        if let Some(owner) = init {
            let name = match base {
                Base::Stdlib(s) => s.name,
                _ => node.field(Field::Attribute).map_or(text(src, *node), |a| text(src, a)),
            };
            to_call.push(ToCall { name, base, owner });
        }
    }
    if to_call.is_empty() || decorators(src, def).any(|d| d.ends_with("overload")) {
        return;
    }
    let mut called_owners: Vec<InitOwner> = Vec::new();
    let mut bail = false;
    let body = def.field(Field::Body).unwrap_or(def);
    for_each_node(body, |n| {
        if bail || n.kind_str() != "call" {
            return;
        }
        let Some(func) = n.field(Field::Function).filter(|f| f.kind_str() == "attribute") else { return };
        if func.field(Field::Attribute).is_none_or(|a| text(src, a) != "__init__") {
            return;
        }
        let Some(object) = func.field(Field::Object) else { return };
        match called_object(prog, c, object) {
            Called::Super | Called::Unknown => bail = true,
            Called::Other => {}
            Called::Base(b) => {
                if let Some(i) = to_call.iter().position(|t| t.base == b) {
                    called_owners.push(to_call.remove(i).owner);
                }
            }
        }
    });
    if bail {
        return;
    }
    for t in &to_call {
        if called_owners.contains(&t.owner) {
            return;
        }
    }
    let p = def.start_position();
    for t in to_call {
        out.push(Diagnostic::new(p.row, p.column, "W0231", format!("__init__ method from base class '{}' is not called", t.name)));
    }
}

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    run_in(ctx, None, out);
}

/// [`run`] on the defs and classes that start in the byte range `within` only (all for
/// `None`). A redefinition is judged against the bindings of its own scope, and an
/// `__init__` against its bases' headers and their `__init__`s' first statements (which
/// a unit's summary holds).
pub fn run_in(ctx: &Context, within: Option<(u32, u32)>, out: &mut Vec<Diagnostic>) {
    if !ctx.source.contains("def ") && !ctx.source.contains("class ") {
        return;
    }
    check_redefinitions(ctx, within, out);
    if !ctx.source.contains("__init__") {
        return;
    }
    let prog = ctx.program();
    for n in ctx.of_kind("function_definition").filter(|n| super::starts_within(*n, within)) {
        if n.field(Field::Name).is_none_or(|name| text(ctx.source, name) != "__init__") {
            continue;
        }
        let Some(scope) = prog.model.scope_of_node(n) else { continue };
        if let Some(c) = prog.method_class(scope) {
            check_init(prog, c, n, out);
        }
    }
}

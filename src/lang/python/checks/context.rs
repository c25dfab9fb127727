//! Statements in the wrong context, as pylint's basic and class checkers report them:
//! `return` / `yield` / `await` / `break` / `continue` / bare `raise` / `nonlocal` where
//! they cannot work, methods without a usable first parameter, generator or
//! value-returning `__init__`, duplicate parameter names and double-starred targets.
//! Everything here is decided from the tree alone (no inference).

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;

use super::syntax_util::{self, text};
use super::Context;
use crate::lang::python::model::ScopeKind;
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E0100", name: "init-is-generator", summary: "__init__ contains yield" },
    CheckInfo { code: "E0101", name: "return-in-init", summary: "__init__ returns a value" },
    CheckInfo { code: "E0103", name: "not-in-loop", summary: "break / continue outside a loop" },
    CheckInfo { code: "E0104", name: "return-outside-function", summary: "return outside a function" },
    CheckInfo { code: "E0105", name: "yield-outside-function", summary: "yield outside a function" },
    CheckInfo { code: "E0108", name: "duplicate-argument-name", summary: "two parameters with the same name" },
    CheckInfo { code: "E0112", name: "too-many-star-expressions", summary: "more than one starred target in an assignment" },
    CheckInfo { code: "E0117", name: "nonlocal-without-binding", summary: "nonlocal name bound in no enclosing function" },
    CheckInfo { code: "E0211", name: "no-method-argument", summary: "method without any parameter" },
    CheckInfo { code: "E0213", name: "no-self-argument", summary: "method whose first parameter is not self" },
    CheckInfo { code: "E0704", name: "misplaced-bare-raise", summary: "bare raise outside an except clause" },
    CheckInfo { code: "E1142", name: "await-outside-async", summary: "await outside an async function" },
];

fn diag(out: &mut Vec<Diagnostic>, node: Node, code: &'static str, message: impl Into<String>) {
    let p = node.start_position();
    out.push(Diagnostic::new(p.row, p.column, code, message));
}

fn is_def(kind: &str) -> bool {
    kind == "function_definition" || kind == "class_definition"
}

/// The nearest enclosing function_definition / class_definition / lambda (pylint's
/// "frame"), comprehensions being transparent; `None` at module level. Only bodies
/// count: a default value or decorator belongs to the outer frame.
fn frame(node: Node) -> Option<Node> {
    let mut child = node;
    let mut cur = node.parent();
    while let Some(p) = cur {
        match p.kind_str() {
            "function_definition" | "class_definition" | "lambda" => {
                if p.field(Field::Body).is_some_and(|b| b.id() == child.id()) {
                    return Some(p);
                }
            }
            _ => {}
        }
        child = p;
        cur = p.parent();
    }
    None
}

fn is_async_def(node: Node) -> bool {
    node.kind_str() == "function_definition" && node.child(0).is_some_and(|c| c.kind_str() == "async")
}

/// Whether a function_definition is a method: its frame is a class body.
fn enclosing_class(def: Node) -> Option<Node> {
    let outer = syntax_util::decorator_parent(def).unwrap_or(def);
    frame(outer).filter(|f| f.kind_str() == "class_definition")
}

fn check_return(node: Node, out: &mut Vec<Diagnostic>) {
    match frame(node) {
        Some(f) if f.kind_str() == "function_definition" || f.kind_str() == "lambda" => {}
        _ => diag(out, node, "E0104", "Return outside function"),
    }
}

fn check_yield(node: Node, out: &mut Vec<Diagnostic>) {
    match frame(node) {
        Some(f) if f.kind_str() == "function_definition" || f.kind_str() == "lambda" => {}
        _ => diag(out, node, "E0105", "Yield outside function"),
    }
}

fn check_await(node: Node, out: &mut Vec<Diagnostic>) {
    // pylint walks scopes: comprehensions and class bodies defer to their parent scope.
    let mut cur = node.parent();
    while let Some(p) = cur {
        match p.kind_str() {
            "function_definition" => {
                if is_async_def(p) {
                    return;
                }
                break;
            }
            "lambda" => break,
            _ => {}
        }
        cur = p.parent();
    }
    diag(out, node, "E1142", "'await' should be used within an async function");
}

fn check_loop_jump(node: Node, out: &mut Vec<Diagnostic>) {
    // As pylint: a loop ancestor makes it fine unless the statement sits directly in the
    // loop's `else` block; a def or class stops the search.
    let mut child = node;
    let mut cur = node.parent();
    while let Some(p) = cur {
        match p.kind_str() {
            "for_statement" | "while_statement" => {
                let direct_in_else = child.kind_str() == "else_clause" && node.parent().and_then(|b| b.parent()).is_some_and(|e| e.id() == child.id());
                if !direct_in_else {
                    return;
                }
            }
            k if is_def(k) => break,
            _ => {}
        }
        child = p;
        cur = p.parent();
    }
    let word = if node.kind_str() == "break_statement" { "break" } else { "continue" };
    diag(out, node, "E0103", format!("'{word}' not properly in loop"));
}

fn check_bare_raise(src: &str, node: Node, out: &mut Vec<Diagnostic>) {
    if node.named_child_count() > 0 {
        return;
    }
    // Inside `__exit__` of a class a bare raise re-raises by convention.
    if let Some(f) = frame(node) {
        if f.kind_str() == "function_definition" && f.field(Field::Name).is_some_and(|n| text(src, n) == "__exit__") && enclosing_class(f).is_some() {
            return;
        }
    }
    let mut cur = node.parent();
    while let Some(p) = cur {
        match p.kind_str() {
            "except_clause" | "except_group_clause" => return,
            "function_definition" => break,
            _ => {}
        }
        cur = p.parent();
    }
    diag(out, node, "E0704", "The raise statement is not inside an except clause");
}

/// The parameter names of a `parameters` / `lambda_parameters` node, in order, with
/// their identifier nodes.
pub fn param_names<'a>(params: Node<'a>, mut f: impl FnMut(Node<'a>)) {
    for p in named_children(params) {
        let name = match p.kind_str() {
            "identifier" => Some(p),
            "default_parameter" | "typed_default_parameter" => p.field(Field::Name),
            "typed_parameter" => {
                let mut c2 = p.walk();
                let first = p.named_children(&mut c2).next();
                first.and_then(|c| if c.kind_str() == "identifier" { Some(c) } else { c.named_child(0) })
            }
            "list_splat_pattern" | "dictionary_splat_pattern" => p.named_child(0),
            _ => None,
        };
        if let Some(n) = name.filter(|n| n.kind_str() == "identifier") {
            f(n);
        }
    }
}

fn check_duplicate_params(src: &str, params: Node, out: &mut Vec<Diagnostic>) {
    let mut seen: Vec<&str> = Vec::new();
    param_names(params, |n| {
        let name = text(src, n);
        if seen.contains(&name) {
            diag(out, n, "E0108", format!("Duplicate argument name '{name}' in function definition"));
        } else {
            seen.push(name);
        }
    });
}

fn check_star_targets(node: Node, out: &mut Vec<Diagnostic>) {
    let Some(left) = node.field(Field::Left) else { return };
    if !matches!(left.kind_str(), "pattern_list" | "tuple_pattern" | "list_pattern") {
        return;
    }
    let stars = named_children(left).filter(|c| c.kind_str() == "list_splat_pattern").count();
    if stars > 1 {
        diag(out, node, "E0112", "More than one starred expression in assignment");
    }
}

/// Method type as astroid computes it for the common spellings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MethodType {
    Method,
    Static,
    ClassMethod,
}

pub fn method_type(src: &str, def: Node, rebinds: &[(&str, MethodType)]) -> MethodType {
    let name = def.field(Field::Name).map(|n| text(src, n)).unwrap_or("");
    for dec in syntax_util::decorators(src, def) {
        match dec {
            "staticmethod" | "builtins.staticmethod" | "abc.abstractstaticmethod" | "abstractstaticmethod" => return MethodType::Static,
            "classmethod" | "builtins.classmethod" | "abc.abstractclassmethod" | "abstractclassmethod" => return MethodType::ClassMethod,
            _ => {}
        }
    }
    if let Some(&(_, found)) = rebinds.iter().find(|(rebound, _)| *rebound == name) {
        return found;
    }
    if matches!(name, "__new__" | "__init_subclass__" | "__class_getitem__") {
        return MethodType::ClassMethod;
    }
    MethodType::Method
}

/// The `name = staticmethod(...)` / `name = classmethod(...)` statements of a class body,
/// in order, for [`method_type`] (found once per class, not once per method).
pub fn class_rebinds<'a>(src: &'a str, class_body: Option<Node>) -> Vec<(&'a str, MethodType)> {
    let mut out = Vec::new();
    let Some(body) = class_body else { return out };
    for stmt in named_children(body) {
        if stmt.kind_str() != "expression_statement" {
            continue;
        }
        let Some(a) = stmt.named_child(0).filter(|a| a.kind_str() == "assignment") else { continue };
        let (Some(l), Some(r)) = (a.field(Field::Left), a.field(Field::Right)) else { continue };
        if r.kind_str() != "call" {
            continue;
        }
        match r.field(Field::Function).map(|f| text(src, f)).unwrap_or("") {
            "staticmethod" => out.push((text(src, l), MethodType::Static)),
            "classmethod" => out.push((text(src, l), MethodType::ClassMethod)),
            _ => {}
        }
    }
    out
}

/// The first parameter of a function: `None` if it has no positional parameter (then
/// `has_star` tells whether it has `*args` / `**kwargs`).
pub fn first_param<'a>(params: Node<'a>) -> (Option<Node<'a>>, bool) {
    let mut has_star = false;
    for p in named_children(params) {
        match p.kind_str() {
            "identifier" => return (Some(p), has_star),
            "default_parameter" | "typed_default_parameter" => return (p.field(Field::Name).filter(|n| n.kind_str() == "identifier"), has_star),
            "typed_parameter" => {
                let inner = p.named_child(0);
                match inner {
                    Some(i) if i.kind_str() == "identifier" => return (Some(i), has_star),
                    Some(i) if i.kind_str() == "list_splat_pattern" => has_star = true,
                    Some(i) if i.kind_str() == "dictionary_splat_pattern" => return (None, true),
                    _ => {}
                }
            }
            "list_splat_pattern" => has_star = true,
            "dictionary_splat_pattern" => return (None, true),
            "keyword_separator" => {
                // Only keyword-only parameters follow.
                let rest_has_kwargs = named_children(params).any(|c| c.kind_str() == "dictionary_splat_pattern" || (c.kind_str() == "typed_parameter" && c.named_child(0).is_some_and(|i| i.kind_str() == "dictionary_splat_pattern")));
                return (None, has_star || rest_has_kwargs);
            }
            _ => {}
        }
    }
    (None, has_star)
}

/// Whether a class looks like a metaclass (derives from `type` or a `...Meta...` base):
/// pylint then expects `cls`, not `self`, and its checks there are conventions.
fn looks_like_metaclass(src: &str, class: Node) -> bool {
    let Some(sup) = class.field(Field::Superclasses) else { return false };
    let r = named_children(sup).any(|b| {
        let t = text(src, b);
        t == "type" || t.ends_with(".type") || t.contains("Meta") || t.ends_with("Type") || t.contains("meta")
    });
    r
}

/// `metaclass`: [`looks_like_metaclass`] of the class.
fn check_method(src: &str, def: Node, metaclass: bool, rebinds: &[(&str, MethodType)], out: &mut Vec<Diagnostic>) {
    let Some(params) = def.field(Field::Parameters) else { return };
    let mtype = method_type(src, def, rebinds);
    let name = def.field(Field::Name).map(|n| text(src, n)).unwrap_or("");
    if mtype != MethodType::Static {
        let (first, has_star) = first_param(params);
        match first {
            None if !has_star => diag(out, def, "E0211", format!("Method '{name}' has no argument")),
            _ if mtype == MethodType::ClassMethod || metaclass => {}
            Some(p) if text(src, p) == "self" => {}
            _ => diag(out, def, "E0213", format!("Method '{name}' should have \"self\" as first argument")),
        }
    }
    if name == "__init__" {
        check_init_body(src, def, out);
    }
}

/// `yield` anywhere in `__init__` (nested defs, lambdas and classes excluded) makes it a
/// generator; otherwise every `return <value>` (other than `None`) is reported.
fn check_init_body(src: &str, def: Node, out: &mut Vec<Diagnostic>) {
    let Some(body) = def.field(Field::Body) else { return };
    let mut returns = Vec::new();
    let mut generator = false;
    let mut stack = vec![body];
    while let Some(n) = stack.pop() {
        match n.kind_str() {
            "function_definition" | "class_definition" | "lambda" => continue,
            "yield" => generator = true,
            "return_statement" => {
                if let Some(v) = n.named_child(0) {
                    if text(src, v) != "None" {
                        returns.push(n);
                    }
                }
            }
            _ => {}
        }
        for c in named_children(n) {
            stack.push(c);
        }
    }
    if generator {
        diag(out, def, "E0100", "__init__ method is a generator");
    } else if !returns.is_empty() {
        diag(out, def, "E0101", "Explicit return in __init__");
    }
}

fn check_nonlocals(ctx: &Context, nodes: &[Node], out: &mut Vec<Diagnostic>) {
    let model = ctx.model;
    for &node in nodes {
        let start = model.enclosing_scope(node);
        for id in named_children(node) {
            if id.kind_str() != "identifier" {
                continue;
            }
            let name = text(ctx.source, id);
            let name_id = model.name_id(name);
            let mut cur = model.scope(start).parent;
            let mut found = false;
            if model.scope(start).kind != ScopeKind::Module {
                while let Some(s) = cur {
                    let scope = model.scope(s);
                    match scope.kind {
                        ScopeKind::Module => break,
                        ScopeKind::Function | ScopeKind::Class => {
                            if scope.star_import || name_id.is_some_and(|n| model.is_bound_in(s, n)) {
                                found = true;
                                break;
                            }
                        }
                        _ => break,
                    }
                    cur = scope.parent;
                }
            }
            if !found {
                diag(out, node, "E0117", format!("nonlocal name {name} found without binding"));
            }
        }
    }
}

/// A class whose methods are being checked: its node id, its rebinds (from
/// [`class_rebinds`]) and whether it looks like a metaclass.
type ClassRebinds<'a> = (usize, Vec<(&'a str, MethodType)>, bool);

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    run_on(ctx, |_| true, out);
}

/// [`run`] on the nodes that start in the byte range `within` only (all for `None`):
/// each check here reads the node, its ancestors and its class, not other defs' bodies.
pub fn run_in(ctx: &Context, within: Option<(u32, u32)>, out: &mut Vec<Diagnostic>) {
    run_on(ctx, |n| super::starts_within(n, within), out);
}

fn run_on(ctx: &Context, inside: impl Fn(Node) -> bool + Copy, out: &mut Vec<Diagnostic>) {
    let src = ctx.source;
    // Keyword tokens share some of these names ("yield", "await"): named nodes only.
    let of_kind = |kind: &'static str| ctx.of_kind(kind).filter(move |n| n.is_named() && inside(*n));
    of_kind("return_statement").for_each(|n| check_return(n, out));
    of_kind("yield").for_each(|n| check_yield(n, out));
    of_kind("await").for_each(|n| check_await(n, out));
    of_kind("break_statement").chain(of_kind("continue_statement")).for_each(|n| check_loop_jump(n, out));
    of_kind("raise_statement").for_each(|n| check_bare_raise(src, n, out));
    of_kind("assignment").for_each(|n| check_star_targets(n, out));
    of_kind("parameters").chain(of_kind("lambda_parameters")).for_each(|n| check_duplicate_params(src, n, out));
    // The rebinds of the class whose methods come now, and whether it looks like a
    // metaclass (methods of one class come one after another in pre-order, nested
    // classes aside).
    let mut rebinds: Option<ClassRebinds<'_>> = None;
    for node in of_kind("function_definition") {
        if let Some(class) = enclosing_class(node) {
            if rebinds.as_ref().is_none_or(|(id, _, _)| *id != class.id()) {
                rebinds = Some((class.id(), class_rebinds(src, class.field(Field::Body)), looks_like_metaclass(src, class)));
            }
            let (class_rebinds, metaclass) = rebinds.as_ref().map_or((&[][..], false), |(_, r, m)| (r.as_slice(), *m));
            check_method(src, node, metaclass, class_rebinds, out);
        }
    }
    let nonlocals: Vec<Node> = of_kind("nonlocal_statement").collect();
    if !nonlocals.is_empty() {
        check_nonlocals(ctx, &nonlocals, out);
    }
}

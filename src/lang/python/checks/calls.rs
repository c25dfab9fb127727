//! Call arguments against the signature of what the program itself defines: functions
//! and lambdas called by a name bound once, methods called on `self` / `cls` / a class
//! / `super()`, and classes instantiated (their `__init__`). Reports pylint's E1120
//! (missing argument), E1121 (too many positional), E1123 (unexpected keyword), E1124
//! (argument given twice), E1125 (missing keyword-only) and E3102 (positional-only
//! passed by keyword). Calls with `*args` / `**kwargs`, and callees bound more than
//! once or inherited through unknown bases, are left alone.

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;

use super::classes::{Base, Owner, Program};
use super::context::MethodType;
use super::members::super_owner;
use super::syntax_util::{decorators, text};
use super::Context;
use crate::lang::python::model::{BindingKind, ScopeKind};
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E1120", name: "no-value-for-parameter", summary: "a parameter without default gets no argument" },
    CheckInfo { code: "E1121", name: "too-many-function-args", summary: "more positional arguments than parameters" },
    CheckInfo { code: "E1123", name: "unexpected-keyword-arg", summary: "keyword argument matching no parameter" },
    CheckInfo { code: "E1124", name: "redundant-keyword-arg", summary: "argument passed by position and keyword" },
    CheckInfo { code: "E1125", name: "missing-kwoa", summary: "keyword-only parameter without default gets no argument" },
    CheckInfo { code: "E3102", name: "positional-only-arguments-expected", summary: "positional-only parameter passed by keyword" },
];

struct Param<'a> {
    name: &'a str,
    has_default: bool,
}

#[derive(Default)]
struct Signature<'a> {
    positional: Vec<Param<'a>>,
    posonly: usize,
    keyword_only: Vec<Param<'a>>,
    vararg: bool,
    kwarg: bool,
    /// A parameter we do not understand (tuple parameter, duplicate name).
    opaque: bool,
}

fn signature<'a>(src: &'a str, params: Node<'a>) -> Signature<'a> {
    let mut sig = Signature::default();
    let mut kw_only = false;
    for p in named_children(params) {
        let (name, has_default, kind) = match p.kind_str() {
            "identifier" => (Some(p), false, "plain"),
            "default_parameter" | "typed_default_parameter" => (p.field(Field::Name), true, "plain"),
            "typed_parameter" => match p.named_child(0) {
                Some(i) if i.kind_str() == "identifier" => (Some(i), false, "plain"),
                Some(i) if i.kind_str() == "list_splat_pattern" => (None, false, "vararg"),
                Some(i) if i.kind_str() == "dictionary_splat_pattern" => (None, false, "kwarg"),
                _ => (None, false, "opaque"),
            },
            "list_splat_pattern" => (None, false, "vararg"),
            "dictionary_splat_pattern" => (None, false, "kwarg"),
            "keyword_separator" => (None, false, "star"),
            "positional_separator" => (None, false, "slash"),
            "comment" => continue,
            _ => (None, false, "opaque"),
        };
        match kind {
            "plain" => {
                let Some(n) = name.filter(|n| n.kind_str() == "identifier") else {
                    sig.opaque = true;
                    continue;
                };
                let param = Param { name: text(src, n), has_default };
                if kw_only {
                    sig.keyword_only.push(param);
                } else {
                    sig.positional.push(param);
                }
            }
            "vararg" => {
                sig.vararg = true;
                kw_only = true;
            }
            "kwarg" => sig.kwarg = true,
            "star" => kw_only = true,
            "slash" => sig.posonly = sig.positional.len(),
            _ => sig.opaque = true,
        }
    }
    let mut names: Vec<&str> = sig.positional.iter().chain(sig.keyword_only.iter()).map(|p| p.name).collect();
    let n = names.len();
    names.sort_unstable();
    names.dedup();
    if names.len() != n {
        sig.opaque = true;
    }
    sig
}

/// What a call resolves to: the def (or lambda) and how many arguments the call
/// supplies implicitly (the bound `self` / `cls`).
struct Callee<'a> {
    def: Node<'a>,
    implicit: usize,
    kind: &'static str,
}

fn is_property_like(dec: &str) -> bool {
    dec == "property" || dec.ends_with(".setter") || dec.ends_with(".getter") || dec.ends_with(".deleter") || dec.ends_with("cached_property") || dec.ends_with("overload") || dec.ends_with(".register") || dec.contains("singledispatch")
}

fn plain_decorators(src: &str, def: Node) -> bool {
    decorators(src, def).all(|d| !is_property_like(d))
}

/// The last definition of `name` in the body of class `k`, if every binding of it
/// there is a `def`.
fn method_in_class<'a>(prog: &Program<'a>, k: usize, name: &str) -> Option<Option<Node<'a>>> {
    let scope = prog.classes[k].scope;
    if prog.model.scope(scope).star_import {
        return None;
    }
    let mut last = None;
    for &b in prog.bindings(scope, prog.model.name_id(name)) {
        if prog.model.binding(b).kind != BindingKind::FunctionDef {
            return None;
        }
        last = Some(prog.def_node(b)?);
    }
    Some(last)
}

/// Finds `name` along the class's ancestry (the class itself first). `Some(None)`
/// means "certainly not defined by program classes"; `None` means "cannot tell".
fn lookup_method<'a>(prog: &Program<'a>, c: usize, name: &str, skip_self: bool) -> Option<Option<(usize, Node<'a>)>> {
    if !skip_self {
        if let Some(def) = method_in_class(prog, c, name)? {
            return Some(Some((c, def)));
        }
    }
    let chain = prog.ancestry(c)?;
    let mut found: Option<(usize, Node)> = None;
    let mut multiple_bases = false;
    for &k in &chain {
        if k == c {
            multiple_bases |= prog.classes[k].bases.len() > 1;
            continue;
        }
        multiple_bases |= prog.classes[k].bases.len() > 1;
        if let Some(def) = method_in_class(prog, k, name)? {
            if found.is_some() {
                if multiple_bases {
                    return None;
                }
                continue;
            }
            found = Some((k, def));
        }
    }
    Some(found)
}

fn attrs_shadow(prog: &Program, c: usize, name: &str) -> bool {
    if prog.unknown_attrs.contains(&name) {
        return true;
    }
    // A standard-library base defining the name may come first in the MRO: leave it.
    prog.ancestry_skipping_undefined(c).is_none_or(|chain| {
        chain.iter().any(|&k| prog.stdlib_has(k, name, true) || prog.classes[k].instance_attrs.iter().chain(prog.classes[k].class_attrs.iter()).any(|d| d.name == name))
    })
}

fn bound_method<'a>(prog: &Program<'a>, c: usize, name: &str, via_instance: bool, skip_self: bool) -> Option<Callee<'a>> {
    if attrs_shadow(prog, c, name) {
        return None;
    }
    let (k, def) = lookup_method(prog, c, name, skip_self)??;
    if !plain_decorators(prog.src, def) {
        return None;
    }
    let mtype = prog.method_type(def, k);
    Some(match mtype {
        MethodType::Static => Callee { def, implicit: 0, kind: "staticmethod" },
        MethodType::ClassMethod => Callee { def, implicit: 1, kind: "classmethod" },
        MethodType::Method if via_instance => Callee { def, implicit: 1, kind: "method" },
        MethodType::Method => Callee { def, implicit: 0, kind: "unbound method" },
    })
}

fn constructor<'a>(prog: &Program<'a>, c: usize) -> Option<Callee<'a>> {
    let chain = prog.ancestry(c)?;
    if chain.iter().any(|&k| prog.classes[k].has_keywords || prog.binds_in_body(k, "__new__") || prog.classes[k].bases.iter().any(|b| matches!(b, Base::Builtin(_) | Base::Stdlib(_)))) {
        return None;
    }
    if attrs_shadow(prog, c, "__init__") {
        return None;
    }
    let (_, def) = lookup_method(prog, c, "__init__", false)??;
    if !plain_decorators(prog.src, def) {
        return None;
    }
    Some(Callee { def, implicit: 1, kind: "constructor" })
}

fn resolve_callee<'a>(prog: &Program<'a>, call: Node<'a>) -> Option<Callee<'a>> {
    let func = call.field(Field::Function)?;
    match func.kind_str() {
        "identifier" => {
            let name = prog.model.name_id(text(prog.src, func));
            let at = prog.scope_at(call);
            let s = prog.resolve(at, name)?;
            if prog.model.scope(s).kind == ScopeKind::Class {
                return None;
            }
            let b = prog.unique_binding(s, name)?;
            match prog.model.binding(b).kind {
                BindingKind::FunctionDef => {
                    let def = prog.def_node(b)?;
                    if !plain_decorators(prog.src, def) {
                        return None;
                    }
                    Some(Callee { def, implicit: 0, kind: "function" })
                }
                BindingKind::ClassDef => constructor(prog, prog.class_index(prog.def_node(b)?)?),
                BindingKind::Import | BindingKind::FromImport | BindingKind::Annotation => None,
                BindingKind::Parameter => match prog.owner_of(func)? {
                    Owner::Class(c) => constructor(prog, c),
                    _ => None,
                },
                _ => {
                    let node = prog.binding_node(b)?;
                    let p = node.parent()?;
                    let right = p.field(Field::Right)?;
                    if p.kind_str() == "assignment" && p.field(Field::Left)?.id() == node.id() && right.kind_str() == "lambda" {
                        Some(Callee { def: right, implicit: 0, kind: "lambda" })
                    } else {
                        None
                    }
                }
            }
        }
        "attribute" => {
            let object = func.field(Field::Object)?;
            let name = text(prog.src, func.field(Field::Attribute)?);
            if object.kind_str() == "call" {
                let c = super_owner(prog, object)?;
                return bound_method(prog, c, name, true, true);
            }
            match prog.owner_of(object)? {
                Owner::Instance(c) => bound_method(prog, c, name, true, false),
                Owner::Class(c) => bound_method(prog, c, name, false, false),
                Owner::Super(_) => None,
            }
        }
        _ => None,
    }
}

fn check_call(prog: &Program, call: Node, out: &mut Vec<Diagnostic>) {
    let Some(args) = call.field(Field::Arguments) else { return };
    let mut positional = 0usize;
    let mut keywords: Vec<&str> = Vec::new();
    if args.kind_str() == "generator_expression" {
        positional = 1;
    } else {
        for a in named_children(args) {
            match a.kind_str() {
                "list_splat" | "dictionary_splat" => return,
                "keyword_argument" => {
                    let Some(n) = a.field(Field::Name) else { return };
                    keywords.push(text(prog.src, n));
                }
                "comment" => {}
                _ => positional += 1,
            }
        }
    }
    let Some(callee) = resolve_callee(prog, call) else { return };
    let Some(params) = callee.def.field(Field::Parameters) else {
        // A lambda without parameters.
        if callee.def.kind_str() == "lambda" && positional + keywords.len() > 0 {
            report(call, out, if positional > 0 { "E1121" } else { "E1123" }, callee.kind);
        }
        return;
    };
    let sig = signature(prog.src, params);
    if sig.opaque {
        return;
    }
    let src_name = |n: &str| n.to_string();
    let mut assigned = vec![false; sig.positional.len()];
    let mut kw_assigned = vec![false; sig.keyword_only.len()];
    let total_positional = positional + callee.implicit;
    for (i, slot) in assigned.iter_mut().enumerate().take(total_positional) {
        let _ = i;
        *slot = true;
    }
    if total_positional > sig.positional.len() && !sig.vararg {
        report(call, out, "E1121", callee.kind);
    }
    let mut posonly_by_keyword = false;
    for kw in &keywords {
        if let Some(i) = sig.positional.iter().position(|p| p.name == *kw) {
            if i < sig.posonly {
                if sig.kwarg {
                    continue;
                }
                posonly_by_keyword = true;
            }
            if assigned[i] {
                report_arg(call, out, "E1124", &src_name(kw), callee.kind);
            } else {
                assigned[i] = true;
            }
        } else if let Some(i) = sig.keyword_only.iter().position(|p| p.name == *kw) {
            if kw_assigned[i] {
                report_arg(call, out, "E1124", &src_name(kw), callee.kind);
            } else {
                kw_assigned[i] = true;
            }
        } else if !sig.kwarg {
            report_arg(call, out, "E1123", &src_name(kw), callee.kind);
        }
    }
    if posonly_by_keyword {
        let p = call.start_position();
        out.push(Diagnostic::new(p.row, p.column, "E3102", "positional-only arguments passed as keyword arguments"));
    }
    for (i, p) in sig.positional.iter().enumerate() {
        if !p.has_default && !assigned[i] {
            report_arg(call, out, "E1120", p.name, callee.kind);
        }
    }
    for (i, p) in sig.keyword_only.iter().enumerate() {
        if !p.has_default && !kw_assigned[i] {
            report_arg(call, out, "E1125", p.name, callee.kind);
        }
    }
}

fn report(call: Node, out: &mut Vec<Diagnostic>, code: &'static str, kind: &str) {
    let p = call.start_position();
    out.push(Diagnostic::new(p.row, p.column, code, format!("Too many positional arguments for {kind} call")));
}

fn report_arg(call: Node, out: &mut Vec<Diagnostic>, code: &'static str, name: &str, kind: &str) {
    let p = call.start_position();
    let message = match code {
        "E1120" => format!("No value for argument '{name}' in {kind} call"),
        "E1123" => format!("Unexpected keyword argument '{name}' in {kind} call"),
        "E1124" => format!("Argument '{name}' passed by position and keyword in {kind} call"),
        _ => format!("Missing mandatory keyword argument '{name}' in {kind} call"),
    };
    out.push(Diagnostic::new(p.row, p.column, code, message));
}

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    run_in(ctx, None, out);
}

/// [`run`] on the calls that start in the byte range `within` only (all of them for
/// `None`): each call is judged on its own.
pub fn run_in(ctx: &Context, within: Option<(u32, u32)>, out: &mut Vec<Diagnostic>) {
    let src = ctx.source;
    if !src.contains("def ") && !src.contains("lambda") {
        return;
    }
    let prog = ctx.program();
    let calls = super::starting_within(&ctx.calls, within);
    for &call in calls {
        check_call(prog, call, out);
    }
}

//! Attributes of the program's own classes: `self.x` / `cls.x` / `Class.x` / `obj.x`
//! (with `obj = Class(...)`) naming an attribute the class never defines (E1101), and
//! `self.x` read in a method before the assignment that defines it (E0203).
//!
//! Like pylint, a class is only judged when all its ancestors are known: program
//! classes, `object` or builtin exceptions. An imported base is never resolved, so the
//! check stays silent there (pylint, which imports the base, may not).

use foldhash::HashMap;

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;
use crate::lang::python::model::{ScopeId, ScopeKind};

use super::classes::{is_dunder, Owner, Program, ANY_DUNDER, OBJECT_DUNDERS};
use super::context::first_param;
use super::syntax_util::{for_each_node, text};
use super::Context;
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E1101", name: "no-member", summary: "attribute a program class never defines" },
    CheckInfo { code: "E0203", name: "access-member-before-definition", summary: "self.x read before its assignment in the same method" },
];

/// Where an attribute node is used: read, augmented target, plain assignment target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    Load,
    AugTarget,
    Store,
}

fn attribute_use(attr: Node) -> Use {
    let mut child = attr;
    let mut cur = attr.parent();
    while let Some(p) = cur {
        match p.kind_str() {
            "pattern_list" | "tuple_pattern" | "list_pattern" | "list_splat_pattern" | "as_pattern_target" => {}
            "tuple" | "list" | "parenthesized_expression" | "expression_list" => {
                // Only a target if the enclosing statement takes it as its left side.
            }
            "assignment" | "for_statement" | "for_in_clause" => {
                return if p.field(Field::Left).is_some_and(|l| l.id() == child.id()) { Use::Store } else { Use::Load };
            }
            "augmented_assignment" => {
                return if p.field(Field::Left).is_some_and(|l| l.id() == attr.id()) { Use::AugTarget } else { Use::Load };
            }
            "as_pattern" => return Use::Store,
            "delete_statement" => return Use::Load,
            _ => return Use::Load,
        }
        child = p;
        cur = p.parent();
    }
    Use::Load
}

/// pylint's "frame": the nearest function, lambda or class whose body holds the node.
fn frame_id(prog: &Program, node: Node) -> ScopeId {
    prog.model.frame_scope(node.start_byte() as u32, node.end_byte() as u32)
}

fn mentions_attribute_error(src: &str, node: Node) -> bool {
    let mut found = false;
    for_each_node(node, |n| {
        if n.kind_str() == "identifier" && text(src, n) == "AttributeError" {
            found = true;
        }
    });
    found
}

/// pylint skips accesses protected by `except AttributeError` (the nearest enclosing
/// try), by `contextlib.suppress(AttributeError)`, or inside an `if` whose test it infers
/// as false (`hasattr(...)` on a missing attribute, `if False:`).
fn guarded(prog: &Program, attr: Node) -> bool {
    let src = prog.src;
    let mut child = attr;
    let mut cur = attr.parent();
    let mut try_seen = false;
    let mut in_frame = true;
    while let Some(p) = cur {
        match p.kind_str() {
            "except_clause" | "except_group_clause" => try_seen = true,
            "try_statement" if !try_seen => {
                try_seen = true;
                let caught = named_children(p).any(|h| {
                    (h.kind_str() == "except_clause" || h.kind_str() == "except_group_clause") && {
                        let mut c2 = h.walk();
                        let r = h.named_children(&mut c2).any(|part| part.kind_str() != "block" && mentions_attribute_error(src, part));
                        r
                    }
                });
                if caught {
                    return true;
                }
            }
            "with_statement" => {
                if let Some(clause) = p.named_child(0) {
                    if clause.kind_str() == "with_clause" && mentions_attribute_error(src, clause) {
                        return true;
                    }
                }
            }
            "if_statement" | "elif_clause" if in_frame => {
                // astroid narrows `isinstance(obj, ...)` tests: stay silent under any.
                if let (Some(cond), Some(object)) = (p.field(Field::Condition), attr.field(Field::Object)) {
                    if narrows(src, cond, text(src, object)) {
                        return true;
                    }
                }
                if p.field(Field::Consequence).is_some_and(|c| c.id() == child.id()) {
                    if let Some(cond) = p.field(Field::Condition) {
                        if maybe_false(prog, cond) {
                            return true;
                        }
                    }
                }
            }
            "conditional_expression" if in_frame => {
                if p.named_child(0).is_some_and(|b| b.id() == child.id()) {
                    if let Some(cond) = p.named_child(1) {
                        if maybe_false(prog, cond) {
                            return true;
                        }
                    }
                }
            }
            "function_definition" | "class_definition" | "lambda" => in_frame = false,
            _ => {}
        }
        child = p;
        cur = p.parent();
    }
    false
}

fn narrows(src: &str, cond: Node, object: &str) -> bool {
    let mut found = false;
    for_each_node(cond, |n| {
        if !found && n.kind_str() == "call" && n.field(Field::Function).is_some_and(|f| text(src, f) == "isinstance") {
            found = n.field(Field::Arguments).and_then(|a| a.named_child(0)).is_some_and(|a| text(src, a) == object);
        }
    });
    found
}

fn is_literal(node: Node) -> bool {
    matches!(node.kind_str(), "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none")
}

/// `target` is the left side of an assignment of a literal constant.
fn literal_assigned(target: Node) -> bool {
    target.parent().is_some_and(|p| p.kind_str() == "assignment" && p.field(Field::Left).is_some_and(|l| l.id() == target.id()) && p.field(Field::Right).is_some_and(is_literal))
}

/// Whether astroid might infer the test as a false constant: `hasattr(...)` anywhere,
/// a false literal, or a call-free test whose every name / attribute is only ever
/// assigned literal constants (comparisons on them get folded). Silence is the safe side.
fn maybe_false(prog: &Program, cond: Node) -> bool {
    let src = prog.src;
    if maybe_false_shape(src, cond) {
        return true;
    }
    // A bare name or attribute (possibly negated): astroid takes its first inferred value.
    let (leaf, negated) = match cond.kind_str() {
        "not_operator" => (cond.field(Field::Argument).unwrap_or(cond), true),
        _ => (cond, false),
    };
    if matches!(leaf.kind_str(), "identifier" | "attribute") {
        if let Some(truthy) = first_literal_truthiness(prog, leaf) {
            return truthy == negated;
        }
        return false;
    }
    let mut has_call = false;
    let mut hasattr = false;
    let mut leaves = 0;
    let mut all_literal = true;
    for_each_node(cond, |n| match n.kind_str() {
        "call" => {
            has_call = true;
            if n.field(Field::Function).is_some_and(|f| text(src, f) == "hasattr") {
                hasattr = true;
            }
        }
        "attribute" => {
            if let Some(a) = n.field(Field::Attribute) {
                leaves += 1;
                let name = text(src, a);
                let mut defs = 0;
                let mut literal = true;
                for c in &prog.classes {
                    for d in c.instance_attrs.iter().chain(c.class_attrs.iter()).filter(|d| d.name == name) {
                        defs += 1;
                        literal &= literal_assigned(d.node);
                    }
                    for &b in prog.bindings(c.scope, prog.model.name_id(name)) {
                        defs += 1;
                        literal &= prog.binding_node(b).is_some_and(literal_assigned);
                    }
                }
                if defs == 0 || !literal || prog.unknown_attrs.contains(&name) {
                    all_literal = false;
                }
            }
        }
        "identifier" => {
            let in_attribute = n.parent().is_some_and(|p| p.kind_str() == "attribute");
            if !in_attribute {
                leaves += 1;
                let name = prog.model.name_id(text(src, n));
                let at = prog.scope_at(n);
                match prog.resolve(at, name) {
                    Some(s) => {
                        let mut any = false;
                        for &b in prog.bindings(s, name) {
                            any = true;
                            if !prog.binding_node(b).is_some_and(literal_assigned) {
                                all_literal = false;
                            }
                        }
                        if !any {
                            all_literal = false;
                        }
                    }
                    None => all_literal = false,
                }
            }
        }
        _ => {}
    });
    hasattr || (!has_call && leaves > 0 && all_literal)
}

fn literal_truthiness(src: &str, value: Node) -> Option<bool> {
    let t = text(src, value);
    Some(match value.kind_str() {
        "true" => true,
        "false" | "none" => false,
        "integer" => !t.trim_start_matches("0x").trim_start_matches("0o").trim_start_matches("0b").trim_matches(|c| c == '0' || c == '_').is_empty(),
        "float" => t.chars().any(|c| c.is_ascii_digit() && c != '0'),
        "string" => {
            let body = t.trim_start_matches(|c: char| c.is_ascii_alphabetic());
            body.len() > 2 && !matches!(body, "''" | "\"\"" | "" | "\"\"\"\"\"\"")
        }
        _ => return None,
    })
}

/// The truthiness of the first value astroid would infer for a name or attribute whose
/// first definition is a literal constant.
fn assigned_value(target: Node) -> Option<Node> {
    let p = target.parent()?;
    if p.kind_str() == "assignment" && p.field(Field::Left)?.id() == target.id() {
        p.field(Field::Right)
    } else {
        None
    }
}

fn first_literal_truthiness(prog: &Program, leaf: Node) -> Option<bool> {
    let src = prog.src;
    let target = if leaf.kind_str() == "attribute" {
        let object = leaf.field(Field::Object)?;
        let name = text(src, leaf.field(Field::Attribute)?);
        match prog.owner_of(object)? {
            Owner::Instance(c) => prog.classes[c]
                .instance_attrs
                .iter()
                .find(|d| d.name == name)
                .map(|d| d.node)
                .or_else(|| prog.bindings(prog.classes[c].scope, prog.model.name_id(name)).first().and_then(|&b| prog.def_node(b)))?,
            Owner::Class(c) => prog.bindings(prog.classes[c].scope, prog.model.name_id(name)).first().and_then(|&b| prog.def_node(b))?,
            Owner::Super(_) => return None,
        }
    } else {
        let name = prog.model.name_id(text(src, leaf));
        let s = prog.resolve(prog.scope_at(leaf), name)?;
        prog.def_node(*prog.bindings(s, name).first()?)?
    };
    literal_truthiness(src, assigned_value(target)?)
}

fn maybe_false_shape(src: &str, cond: Node) -> bool {
    match cond.kind_str() {
        "call" => cond.field(Field::Function).is_some_and(|f| text(src, f) == "hasattr"),
        "false" | "none" => true,
        "integer" => text(src, cond) == "0",
        "parenthesized_expression" => cond.named_child(0).is_some_and(|c| maybe_false_shape(src, c)),
        "boolean_operator" => {
            cond.field(Field::Operator).is_some_and(|o| o.kind_str() == "and")
                && (cond.field(Field::Left).is_some_and(|c| maybe_false_shape(src, c)) || cond.field(Field::Right).is_some_and(|c| maybe_false_shape(src, c)))
        }
        _ => false,
    }
}

fn is_mixin(name: &str) -> bool {
    name.contains("Mixin") || name.contains("mixin")
}

/// `__getattr__` / `__getattribute__` in class `k` or a standard-library base of it.
fn dynamic_class(prog: &Program, k: usize) -> bool {
    prog.binds_in_body(k, "__getattr__") || prog.binds_in_body(k, "__getattribute__") || prog.stdlib_bases(k).any(|s| s.dynamic)
}

/// Class keywords (a metaclass) on class `k` or a standard-library base of it.
fn metaclass_class(prog: &Program, k: usize) -> bool {
    prog.classes[k].has_keywords || prog.stdlib_bases(k).any(|s| s.metaclass)
}

/// What [`check_no_member`] asks of a class whatever the attribute, worked out once per
/// class (a big class is asked about on every `self.x`).
struct ClassFacts {
    /// The class and its ancestors; `None` when the class is not judged (a mixin, or an
    /// ancestor not known).
    chain: Option<Vec<usize>>,
    /// Along the chain: a builtin base whose dunders we do not list, a `__getattr__`,
    /// class keywords.
    any_dunder: bool,
    dynamic: bool,
    metaclass: bool,
}

fn class_facts(prog: &Program, c: usize) -> ClassFacts {
    let chain = if is_mixin(prog.classes[c].name) { None } else { prog.ancestry(c) };
    let along = |f: &dyn Fn(usize) -> bool| chain.as_ref().is_some_and(|chain| chain.iter().any(|&k| f(k)));
    ClassFacts {
        any_dunder: along(&|k| prog.builtin_has(k, ANY_DUNDER)),
        dynamic: along(&|k| dynamic_class(prog, k)),
        metaclass: along(&|k| metaclass_class(prog, k)),
        chain,
    }
}

fn check_no_member(prog: &Program, facts: &mut [Option<ClassFacts>], attr: Node, owner: Owner, out: &mut Vec<Diagnostic>) {
    let src = prog.src;
    let Some(name_node) = attr.field(Field::Attribute) else { return };
    let name = text(src, name_node);
    let (c, is_instance, is_super) = match owner {
        Owner::Instance(c) => (c, true, false),
        Owner::Class(c) => (c, false, false),
        Owner::Super(c) => (c, false, true),
    };
    if is_dunder(name) && (!is_instance || OBJECT_DUNDERS.contains(&name)) {
        return;
    }
    let class = &prog.classes[c];
    let facts = facts[c].get_or_insert_with(|| class_facts(prog, c));
    let Some(chain) = &facts.chain else { return };
    if is_dunder(name) && facts.any_dunder {
        return;
    }
    let super_chain: Vec<usize>;
    let (chain, dynamic, metaclass) = if is_super {
        if prog.builtin_has(c, name) || prog.stdlib_has(c, name, false) {
            return;
        }
        super_chain = chain.iter().copied().filter(|&k| k != c).collect();
        let along = |f: fn(&Program, usize) -> bool| super_chain.iter().any(|&k| f(prog, k));
        (&super_chain, along(dynamic_class), along(metaclass_class))
    } else {
        (chain, facts.dynamic, facts.metaclass)
    };
    if dynamic {
        return;
    }
    if !is_instance && (name == "mro" || metaclass) {
        return;
    }
    if prog.unknown_attrs.contains(&name) {
        return;
    }
    let name_id = prog.model.name_id(name);
    let parent_id = attr.parent().map(|p| p.id());
    let counts = |d: &super::classes::AttrDef| d.name == name && !d.augmented && d.node.parent().map(|p| p.id()) != parent_id;
    for &k in chain {
        let kc = &prog.classes[k];
        let binds_in_body = name_id.is_some_and(|n| prog.model.is_bound_in(kc.scope, n));
        if binds_in_body || prog.builtin_has(k, name) || prog.stdlib_has(k, name, is_instance) || kc.class_attrs.iter().any(counts) {
            return;
        }
        if is_instance && kc.instance_attrs.iter().any(counts) {
            return;
        }
    }
    if guarded(prog, attr) {
        return;
    }
    let what = if is_instance { "Instance of" } else if is_super { "Super of" } else { "Class" };
    let p = attr.start_position();
    out.push(Diagnostic::new(p.row, p.column, "E1101", format!("{what} '{}' has no '{name}' member", class.name)));
}

/// A method, as its class's index and the text of its first parameter (`None` for a
/// static method or one without parameters).
type MethodOf<'a> = (usize, Option<&'a str>);

/// The innermost method enclosing `node` (skipping nested plain functions), with the
/// text of its first parameter. The answer depends only on the innermost scope holding
/// the node, so it is kept per scope in `known`.
fn enclosing_method<'a>(prog: &Program<'a>, node: Node<'a>, known: &mut [Option<Option<MethodOf<'a>>>]) -> Option<MethodOf<'a>> {
    // The defs and classes around the node, innermost first (from the model's scopes: a
    // walk up through `Node::parent` costs a descent from the root per step).
    let mut holding = prog.model.scopes_holding(node.start_byte() as u32, node.end_byte() as u32).peekable();
    let innermost = *holding.peek()?;
    if let Some(found) = known[innermost.index()] {
        return found;
    }
    let mut found = None;
    for scope in holding {
        match prog.model.scope(scope).kind {
            ScopeKind::Class => break,
            ScopeKind::Function => {
                if let Some(c) = prog.method_class(scope) {
                    let def = prog.scope_node(scope);
                    let static_method = prog.method_type(def, c) == super::context::MethodType::Static;
                    let first = if static_method { None } else { def.field(Field::Parameters).and_then(|ps| first_param(ps).0).map(|n| text(prog.src, n)) };
                    found = Some((c, first));
                    break;
                }
            }
            _ => {}
        }
    }
    known[innermost.index()] = Some(found);
    found
}

/// Which part of a try statement a node is in: 0 body, 1+i handler i, -1 else, -2 finally.
fn try_part(try_node: Node, child: Node) -> i64 {
    if child.kind_str() == "block" {
        return 0;
    }
    match child.kind_str() {
        "else_clause" => -1,
        "finally_clause" => -2,
        _ => {
            let mut i = 0;
            for h in named_children(try_node) {
                if h.kind_str() == "except_clause" || h.kind_str() == "except_group_clause" {
                    i += 1;
                    if h.id() == child.id() {
                        return i;
                    }
                }
            }
            0
        }
    }
}

fn handler_catches_broadly(src: &str, handler: Node) -> bool {
    let parts: Vec<Node> = named_children(handler).filter(|p| p.kind_str() != "block").collect();
    if parts.is_empty() {
        return true;
    }
    let mut found = false;
    for part in parts {
        for_each_node(part, |n| {
            if n.kind_str() == "identifier" && matches!(text(src, n), "AttributeError" | "Exception" | "BaseException") {
                found = true;
            }
        });
    }
    found
}

/// astroid's `are_exclusive` with exceptions given (so `if` branches never are).
fn exclusive(src: &str, a: Node, b: Node) -> bool {
    let mut a_anc: Vec<(usize, Node)> = Vec::new();
    let mut prev = a;
    let mut cur = a.parent();
    while let Some(p) = cur {
        a_anc.push((p.id(), prev));
        prev = p;
        cur = p.parent();
    }
    let mut prev = b;
    let mut cur = b.parent();
    while let Some(p) = cur {
        if let Some(&(_, a_child)) = a_anc.iter().find(|(id, _)| *id == p.id()) {
            if p.kind_str() != "try_statement" || a_child.id() == prev.id() {
                return false;
            }
            let (pa, pb) = (try_part(p, a_child), try_part(p, prev));
            let handler = |i: i64| {
                let h = named_children(p).filter(|h| h.kind_str() == "except_clause" || h.kind_str() == "except_group_clause").nth((i - 1) as usize);
                h
            };
            return (pa == 0 && pb > 0 && handler(pb).is_some_and(|h| handler_catches_broadly(src, h)))
                || (pb == 0 && pa > 0 && handler(pa).is_some_and(|h| handler_catches_broadly(src, h)))
                || (pa == -1 && pb > 0)
                || (pb == -1 && pa > 0)
                || (pa > 0 && pb > 0 && pa != pb);
        }
        prev = p;
        cur = p.parent();
    }
    false
}

/// Whether `attr` is one of the reads [`run_in`] collects for class `c` (`accessed`): not
/// a plain store, its object an identifier naming the first parameter of the method of
/// `c` it is in. Asked of an attribute definition, this says whether it is also a read
/// (`self.x += 1`) without the list of every read of the program, so that a run on one
/// part of the program judges the reads there as a whole run does.
fn read_in_method_of<'a>(prog: &Program<'a>, attr: Node<'a>, c: usize, methods: &mut [Option<Option<MethodOf<'a>>>]) -> bool {
    if attribute_use(attr) == Use::Store {
        return false;
    }
    let Some(object) = attr.field(Field::Object).filter(|o| o.kind_str() == "identifier") else { return false };
    matches!(enclosing_method(prog, attr, methods), Some((k, Some(first))) if k == c && text(prog.src, object) == first)
}

fn check_before_definition<'a>(prog: &Program<'a>, accessed: &[(usize, Node<'a>)], methods: &mut [Option<Option<MethodOf<'a>>>], out: &mut Vec<Diagnostic>) {
    let src = prog.src;
    // The accesses grouped by (class, attribute name), groups in order of first access
    // (one pass: a big class has thousands of `self.x` reads over hundreds of names).
    let mut groups: Vec<((usize, &str), Vec<Node>)> = Vec::new();
    let mut group_of: HashMap<(usize, &str), usize> = HashMap::default();
    for &(c, attr) in accessed {
        let Some(name) = attr.field(Field::Attribute).map(|n| text(src, n)) else { continue };
        let slot = *group_of.entry((c, name)).or_insert_with(|| {
            groups.push(((c, name), Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(attr);
    }
    for ((c, name), uses) in groups {
        if prog.unknown_attrs.contains(&name) {
            continue;
        }
        // A class attribute (here or in a known ancestor) or an ancestor's instance
        // attribute settles it.
        let Some(chain) = prog.ancestry_skipping_undefined(c) else { continue };
        if chain.iter().any(|&k| prog.binds_in_body(k, name) || prog.stdlib_has(k, name, true) || prog.classes[k].class_attrs.iter().any(|d| d.name == name)) {
            continue;
        }
        if chain.iter().skip(1).any(|&k| prog.classes[k].instance_attrs.iter().any(|d| d.name == name)) {
            continue;
        }
        let defs: Vec<Node> = prog.classes[c].instance_attrs.iter().filter(|d| d.name == name && !read_in_method_of(prog, d.node, c, methods)).map(|d| d.node).collect();
        let Some(&first) = defs.first() else { continue };
        let first_scope = prog.scope_at(first);
        if defs.iter().skip(1).any(|d| prog.scope_at(*d) != first_scope) {
            continue;
        }
        let frame = frame_id(prog, first);
        let lno = first.start_position().row;
        for u in uses {
            if frame_id(prog, u) == frame && u.start_position().row < lno && !exclusive(src, u, first) {
                let p = u.start_position();
                out.push(Diagnostic::new(p.row, p.column, "E0203", format!("Access to member '{name}' before its definition line {}", lno + 1)));
            }
        }
    }
}

/// The class whose MRO `super()` (zero-argument, directly in a method) walks.
pub fn super_owner(prog: &Program, call: Node) -> Option<usize> {
    let func = call.field(Field::Function)?;
    if text(prog.src, func) != "super" || call.field(Field::Arguments)?.named_child_count() != 0 {
        return None;
    }
    let at = prog.scope_at(call);
    if prog.resolve(at, prog.model.name_id("super")).is_some() {
        return None;
    }
    let c = prog.method_class(at)?;
    let def = prog.scope_node(at);
    let params = def.field(Field::Parameters)?;
    first_param(params).0?;
    Some(c)
}

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    run_in(ctx, None, out);
}

/// [`run`] on the attribute reads that start in the byte range `within` only (all of
/// them for `None`): the findings there, as a whole run would give them.
pub fn run_in(ctx: &Context, within: Option<(u32, u32)>, out: &mut Vec<Diagnostic>) {
    // Cheap exit: no class, nothing to judge.
    if !ctx.source.contains("class") {
        return;
    }
    let prog = ctx.program();
    if prog.classes.is_empty() {
        return;
    }
    let mut accessed: Vec<(usize, Node)> = Vec::new();
    let mut facts: Vec<Option<ClassFacts>> = prog.classes.iter().map(|_| None).collect();
    let mut methods = vec![None; prog.model.scopes.len()];
    let attributes = super::starting_within(&ctx.attributes, within);
    for &attr in attributes {
        let usage = attribute_use(attr);
        if usage == Use::Store {
            continue;
        }
        let Some(object) = attr.field(Field::Object) else { continue };
        if object.kind_str() == "call" {
            if let Some(c) = super_owner(prog, object) {
                check_no_member(prog, &mut facts, attr, Owner::Super(c), out);
            }
            continue;
        }
        if object.kind_str() != "identifier" {
            continue;
        }
        if let Some(owner) = prog.owner_of(object) {
            check_no_member(prog, &mut facts, attr, owner, out);
        }
        if let Some((c, Some(first))) = enclosing_method(prog, attr, &mut methods) {
            if text(ctx.source, object) == first {
                accessed.push((c, attr));
            }
        }
    }
    if !accessed.is_empty() {
        check_before_definition(prog, &accessed, &mut methods, out);
    }
}

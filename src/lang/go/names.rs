//! Go's scopes over the tree-sitter-go tree: package scope (order-free), function
//! scope (parameters and body share it), one scope per block, `if`/`for`/`switch`
//! header and case clause; labels per function. Locals are visible only after their
//! declaration. The model records bindings with their uses, references that resolve to
//! nothing, and functions that lack a terminating statement; the checks read it.

use std::collections::HashMap;

use tree_sitter::{Node, Tree};

use crate::lang::{Diagnostic, ProgramContext};

/// Go's predeclared identifiers (the universe scope).
const PREDECLARED: &[&str] = &[
    "bool", "byte", "complex64", "complex128", "error", "float32", "float64", "int", "int8", "int16", "int32", "int64",
    "rune", "string", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "any", "comparable", "true", "false",
    "iota", "nil", "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min",
    "new", "panic", "print", "println", "real", "recover",
];

/// Marks, in [`ProgramContext::external_names`], an import whose package name the full
/// program never uses under the guessed name: its real name is unknown, so it is never
/// reported unused. (No identifier contains a space.)
const UNKNOWN_IMPORT: &str = "unknown-import ";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A local variable: unused is a compile error.
    Var,
    Import,
    Label,
    /// Everything else (package-level names, parameters, constants, types).
    Other,
}

#[derive(Debug)]
struct Binding {
    name: String,
    kind: Kind,
    row: usize,
    column: usize,
    used: bool,
}

#[derive(Debug)]
struct Reference {
    name: String,
    row: usize,
    column: usize,
    /// A composite-literal key: a struct field or a map key, never reported.
    soft: bool,
}

#[derive(Debug, Default)]
pub struct Model {
    bindings: Vec<Binding>,
    unresolved: Vec<Reference>,
    missing_returns: Vec<(usize, usize)>,
    dot_import: bool,
    /// Names of struct fields and methods the program declares.
    members: std::collections::HashSet<String>,
    /// `x.name` selectors and composite-literal keys that name no variable.
    member_uses: Vec<Reference>,
}

/// Marks, in [`ProgramContext::external_names`], a field or method the full program
/// declares: a state that still selects it must still declare it.
const MEMBER: &str = ".";

impl Model {
    pub fn build(tree: &Tree, source: &str) -> Model {
        let mut b = Builder { src: source.as_bytes(), scopes: vec![HashMap::new()], labels: Vec::new(), model: Model::default() };
        let root = tree.root_node();
        b.declare_package(root);
        let mut cursor = root.walk();
        for child in root.named_children(&mut cursor) {
            b.visit(child);
        }
        b.model
    }

    /// What a state of this program may use without declaring it.
    pub fn context(&self) -> ProgramContext {
        let mut ctx = ProgramContext::default();
        for r in &self.unresolved {
            ctx.external_names.insert(r.name.clone());
        }
        for m in &self.members {
            ctx.external_names.insert(format!("{MEMBER}{m}"));
        }
        for b in &self.bindings {
            if b.kind == Kind::Import && !b.used {
                ctx.external_names.insert(format!("{UNKNOWN_IMPORT}{}", b.name));
            }
        }
        ctx
    }

    pub fn diagnostics(&self, ctx: &ProgramContext) -> Vec<Diagnostic> {
        let mut out = Vec::new();
        if !self.dot_import {
            for r in self.unresolved.iter().filter(|r| !r.soft && !ctx.external_names.contains(&r.name)) {
                out.push(Diagnostic::new(r.row, r.column, "E0602", format!("undefined: {}", r.name)));
            }
        }
        for b in self.bindings.iter().filter(|b| !b.used) {
            match b.kind {
                Kind::Var => out.push(Diagnostic::new(b.row, b.column, "W0612", format!("{} declared and not used", b.name))),
                Kind::Import if !ctx.external_names.contains(&format!("{UNKNOWN_IMPORT}{}", b.name)) => {
                    out.push(Diagnostic::new(b.row, b.column, "W0611", format!("{} imported and not used", b.name)))
                }
                Kind::Label => out.push(Diagnostic::new(b.row, b.column, "W0614", format!("label {} defined and not used", b.name))),
                _ => {}
            }
        }
        for r in &self.member_uses {
            if !self.members.contains(&r.name) && ctx.external_names.contains(&format!("{MEMBER}{}", r.name)) {
                out.push(Diagnostic::new(r.row, r.column, "E1101", format!("no field or method {}", r.name)));
            }
        }
        for &(row, column) in &self.missing_returns {
            out.push(Diagnostic::new(row, column, "E1111", "missing return"));
        }
        out
    }
}

/// The package name an import path most likely declares: its last element, without a
/// `/vN` major-version element, a `.vN`-like suffix or a `go-` prefix.
fn import_name(path: &str) -> Option<String> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let mut last = *parts.last()?;
    let is_version = |p: &str| p.len() > 1 && p.starts_with('v') && p[1..].bytes().all(|c| c.is_ascii_digit());
    if is_version(last) && parts.len() > 1 {
        last = parts[parts.len() - 2];
    }
    let last = last.split('.').next().unwrap_or(last);
    let last = last.strip_prefix("go-").unwrap_or(last);
    let valid = !last.is_empty()
        && last.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !last.chars().next().is_some_and(|c| c.is_ascii_digit());
    valid.then(|| last.to_string())
}

struct Builder<'a> {
    src: &'a [u8],
    scopes: Vec<HashMap<String, usize>>,
    /// Per function being visited: its labels.
    labels: Vec<HashMap<String, usize>>,
    model: Model,
}

impl Builder<'_> {
    fn text(&self, node: Node) -> &str {
        node.utf8_text(self.src).unwrap_or("")
    }

    fn declare(&mut self, node: Node, kind: Kind) {
        let name = self.text(node).to_string();
        self.declare_named(name, node, kind);
    }

    fn declare_named(&mut self, name: String, node: Node, kind: Kind) {
        if name == "_" || name.is_empty() {
            return;
        }
        let pos = node.start_position();
        let id = self.model.bindings.len();
        self.model.bindings.push(Binding { name: name.clone(), kind, row: pos.row, column: pos.column, used: false });
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(name, id);
        }
    }

    fn lookup(&self, name: &str) -> Option<usize> {
        self.scopes.iter().rev().find_map(|s| s.get(name).copied())
    }

    fn reference(&mut self, node: Node, soft: bool, is_use: bool) {
        let name = self.text(node).to_string();
        if name == "_" || name.is_empty() {
            return;
        }
        if let Some(id) = self.lookup(&name) {
            if is_use {
                self.model.bindings[id].used = true;
            }
            return;
        }
        if PREDECLARED.contains(&name.as_str()) {
            return;
        }
        let pos = node.start_position();
        if soft {
            self.model.member_uses.push(Reference { name: name.clone(), row: pos.row, column: pos.column, soft });
        }
        self.model.unresolved.push(Reference { name, row: pos.row, column: pos.column, soft });
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashMap::new());
        f(self);
        self.scopes.pop();
    }

    fn visit_children(&mut self, node: Node) {
        let mut cursor = node.walk();
        let children: Vec<Node> = node.named_children(&mut cursor).collect();
        for child in children {
            self.visit(child);
        }
    }

    fn field_children<'t>(node: Node<'t>, field: &str) -> Vec<Node<'t>> {
        let mut cursor = node.walk();
        node.children_by_field_name(field, &mut cursor).collect()
    }

    fn has_token(node: Node, token: &str) -> bool {
        let mut cursor = node.walk();
        let found = node.children(&mut cursor).any(|c| !c.is_named() && c.kind() == token);
        found
    }

    /// Package-level names, visible everywhere in the file whatever their order.
    fn declare_package(&mut self, root: Node) {
        let mut cursor = root.walk();
        let children: Vec<Node> = root.named_children(&mut cursor).collect();
        for child in children {
            match child.kind() {
                "function_declaration" => {
                    if let Some(name) = child.child_by_field_name("name") {
                        self.declare(name, Kind::Other);
                    }
                }
                "type_declaration" => {
                    for spec in named(child) {
                        if let Some(name) = spec.child_by_field_name("name") {
                            self.declare(name, Kind::Other);
                        }
                    }
                }
                "var_declaration" | "const_declaration" => {
                    for spec in specs(child) {
                        for name in Self::field_children(spec, "name") {
                            if name.kind() == "identifier" {
                                self.declare(name, Kind::Other);
                            }
                        }
                    }
                }
                "import_declaration" => {
                    for spec in import_specs(child) {
                        let path = spec.child_by_field_name("path").map(|p| self.text(p).trim_matches(|c| c == '"' || c == '`').to_string());
                        match spec.child_by_field_name("name") {
                            Some(n) if n.kind() == "dot" => self.model.dot_import = true,
                            Some(n) if n.kind() == "blank_identifier" => {}
                            Some(n) => self.declare(n, Kind::Import),
                            None => {
                                if let Some(name) = path.as_deref().and_then(import_name) {
                                    self.declare_named(name, spec, Kind::Import);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn visit(&mut self, node: Node) {
        match node.kind() {
            "identifier" | "type_identifier" | "package_identifier" => self.reference(node, false, true),
            "comment" | "field_identifier" | "label_name" | "package_clause" | "import_declaration"
            | "interpreted_string_literal" | "raw_string_literal" | "rune_literal" => {}
            "function_declaration" | "method_declaration" | "func_literal" => self.visit_function(node),
            "block" | "if_statement" | "for_statement" | "expression_switch_statement" | "select_statement"
            | "expression_case" | "default_case" | "communication_case" | "type_case" => self.scoped(|b| b.visit_children(node)),
            "type_switch_statement" => self.scoped(|b| {
                for field in ["initializer", "value"] {
                    if let Some(n) = node.child_by_field_name(field) {
                        b.visit(n);
                    }
                }
                if let Some(alias) = node.child_by_field_name("alias") {
                    for n in named(alias) {
                        b.declare(n, Kind::Var);
                    }
                }
                let skip: Vec<Option<Node>> = ["initializer", "value", "alias"].iter().map(|f| node.child_by_field_name(f)).collect();
                for child in named(node) {
                    if !skip.contains(&Some(child)) {
                        b.visit(child);
                    }
                }
            }),
            "short_var_declaration" => self.declare_left(node),
            "range_clause" | "receive_statement" if Self::has_token(node, ":=") => self.declare_left(node),
            "assignment_statement" => {
                let plain = node.child_by_field_name("operator").is_some_and(|op| op.kind() == "=");
                if let Some(left) = node.child_by_field_name("left") {
                    for target in named(left) {
                        if plain && target.kind() == "identifier" {
                            self.reference(target, false, false);
                        } else {
                            self.visit(target);
                        }
                    }
                }
                if let Some(right) = node.child_by_field_name("right") {
                    self.visit(right);
                }
            }
            "var_declaration" | "const_declaration" => {
                let local = self.scopes.len() > 1;
                let kind = if node.kind() == "var_declaration" { Kind::Var } else { Kind::Other };
                for spec in specs(node) {
                    for field in ["type", "value"] {
                        if let Some(n) = spec.child_by_field_name(field) {
                            self.visit(n);
                        }
                    }
                    if local {
                        for name in Self::field_children(spec, "name") {
                            if name.kind() == "identifier" {
                                self.declare(name, kind);
                            }
                        }
                    }
                }
            }
            "type_declaration" => {
                let local = self.scopes.len() > 1;
                for spec in named(node) {
                    if local {
                        if let Some(name) = spec.child_by_field_name("name") {
                            self.declare(name, Kind::Other);
                        }
                    }
                    self.scoped(|b| {
                        if let Some(params) = spec.child_by_field_name("type_parameters") {
                            b.declare_type_parameters(params);
                        }
                        if let Some(ty) = spec.child_by_field_name("type") {
                            b.visit(ty);
                        }
                    });
                }
            }
            "selector_expression" => {
                if let Some(operand) = node.child_by_field_name("operand") {
                    self.visit(operand);
                }
                if let Some(field) = node.child_by_field_name("field") {
                    self.member_use(field);
                }
            }
            "qualified_type" => {
                if let Some(package) = node.child_by_field_name("package") {
                    self.reference(package, false, true);
                }
            }
            "keyed_element" => {
                if let Some(key) = node.child_by_field_name("key") {
                    let inner: Vec<Node> = named(key);
                    if inner.len() == 1 && inner[0].kind() == "identifier" {
                        self.reference(inner[0], true, true);
                    } else {
                        self.visit(key);
                    }
                }
                if let Some(value) = node.child_by_field_name("value") {
                    self.visit(value);
                }
            }
            "labeled_statement" => {
                if let Some(label) = node.child_by_field_name("label") {
                    let name = self.text(label).to_string();
                    let pos = label.start_position();
                    let id = self.model.bindings.len();
                    self.model.bindings.push(Binding { name: name.clone(), kind: Kind::Label, row: pos.row, column: pos.column, used: false });
                    if let Some(labels) = self.labels.last_mut() {
                        labels.insert(name, id);
                    }
                }
                for child in named(node) {
                    if child.kind() != "label_name" {
                        self.visit(child);
                    }
                }
            }
            "break_statement" | "continue_statement" | "goto_statement" => {
                for label in named(node) {
                    let name = self.text(label).to_string();
                    if let Some(&id) = self.labels.last().and_then(|l| l.get(&name)) {
                        self.model.bindings[id].used = true;
                    } else if let Some(labels) = self.labels.last_mut() {
                        // A forward `goto`: the label is declared later in the function.
                        labels.entry(format!(" pending {name}")).or_insert(usize::MAX);
                    }
                }
            }
            "field_declaration" => {
                for name in Self::field_children(node, "name") {
                    self.member(name);
                }
                if let Some(ty) = node.child_by_field_name("type") {
                    self.visit(ty);
                }
            }
            "parameter_declaration" | "variadic_parameter_declaration" | "type_parameter_declaration" => {
                // Names in a function type or interface method are not bindings.
                if let Some(ty) = node.child_by_field_name("type") {
                    self.visit(ty);
                }
            }
            "method_elem" => {
                if let Some(name) = node.child_by_field_name("name") {
                    self.member(name);
                }
                for field in ["parameters", "result"] {
                    if let Some(n) = node.child_by_field_name(field) {
                        self.visit(n);
                    }
                }
            }
            _ => self.visit_children(node),
        }
    }

    /// `a, b := ...`, `for k, v := range ...`, `case v := <-ch`: the right side is read
    /// first; a name already declared in this very scope is assigned, not declared.
    fn declare_left(&mut self, node: Node) {
        if let Some(right) = node.child_by_field_name("right") {
            self.visit(right);
        }
        let Some(left) = node.child_by_field_name("left") else { return };
        for target in named(left) {
            if target.kind() != "identifier" {
                self.visit(target);
                continue;
            }
            let name = self.text(target).to_string();
            if self.scopes.last().is_some_and(|s| s.contains_key(&name)) {
                self.reference(target, false, false);
            } else {
                self.declare(target, Kind::Var);
            }
        }
    }

    fn declare_type_parameters(&mut self, params: Node) {
        for decl in named(params) {
            for name in Self::field_children(decl, "name") {
                self.declare(name, Kind::Other);
            }
        }
        for decl in named(params) {
            if let Some(ty) = decl.child_by_field_name("type") {
                self.visit(ty);
            }
        }
    }

    fn declare_parameters(&mut self, list: Node) {
        for decl in named(list) {
            if let Some(ty) = decl.child_by_field_name("type") {
                self.visit(ty);
            }
            for name in Self::field_children(decl, "name") {
                self.declare(name, Kind::Other);
            }
        }
    }

    /// A receiver `(l *List[T])` declares the type parameters named in its type.
    fn declare_receiver(&mut self, list: Node) {
        for decl in named(list) {
            if let Some(ty) = decl.child_by_field_name("type") {
                let mut stack = vec![ty];
                while let Some(n) = stack.pop() {
                    match n.kind() {
                        "type_arguments" => {
                            for arg in descendants_of_kind(n, "type_identifier") {
                                self.declare(arg, Kind::Other);
                            }
                        }
                        "type_identifier" => self.reference(n, false, true),
                        _ => stack.extend(named(n)),
                    }
                }
            }
            for name in Self::field_children(decl, "name") {
                self.declare(name, Kind::Other);
            }
        }
    }

    fn member(&mut self, name: Node) {
        let text = self.text(name).to_string();
        self.model.members.insert(text);
    }

    fn member_use(&mut self, name: Node) {
        let pos = name.start_position();
        let text = self.text(name).to_string();
        self.model.member_uses.push(Reference { name: text, row: pos.row, column: pos.column, soft: true });
    }

    fn visit_function(&mut self, node: Node) {
        if node.kind() == "method_declaration" {
            if let Some(name) = node.child_by_field_name("name") {
                self.member(name);
            }
        }
        self.scopes.push(HashMap::new());
        self.labels.push(HashMap::new());
        if let Some(params) = node.child_by_field_name("type_parameters") {
            self.declare_type_parameters(params);
        }
        if let Some(receiver) = node.child_by_field_name("receiver") {
            self.declare_receiver(receiver);
        }
        if let Some(params) = node.child_by_field_name("parameters") {
            self.declare_parameters(params);
        }
        let result = node.child_by_field_name("result");
        if let Some(result) = result {
            if result.kind() == "parameter_list" {
                self.declare_parameters(result);
            } else {
                self.visit(result);
            }
        }
        if let Some(body) = node.child_by_field_name("body") {
            // Parameters and the body's top level share one scope.
            self.visit_children(body);
            if result.is_some() && !terminating(body, None, self.src) {
                let pos = node.start_position();
                self.model.missing_returns.push((pos.row, pos.column));
            }
        }
        if let Some(labels) = self.labels.pop() {
            // A label only referenced before its declaration (a forward goto) is used.
            for (key, id) in &labels {
                if id == &usize::MAX {
                    if let Some(name) = key.strip_prefix(" pending ") {
                        if let Some(&real) = labels.get(name) {
                            self.model.bindings[real].used = true;
                        }
                    }
                }
            }
        }
        self.scopes.pop();
    }
}

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| c.kind() != "comment").collect()
}

fn descendants_of_kind<'t>(node: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == kind {
            out.push(n);
        }
        stack.extend(named(n));
    }
    out
}

/// The specs of a `var`/`const` declaration, grouped or not.
fn specs(node: Node) -> Vec<Node> {
    let mut out = Vec::new();
    for child in named(node) {
        match child.kind() {
            "var_spec" | "const_spec" => out.push(child),
            "var_spec_list" => out.extend(named(child).into_iter().filter(|c| c.kind() == "var_spec")),
            _ => {}
        }
    }
    out
}

fn import_specs(node: Node) -> Vec<Node> {
    let mut out = Vec::new();
    for child in named(node) {
        match child.kind() {
            "import_spec" => out.push(child),
            "import_spec_list" => out.extend(named(child).into_iter().filter(|c| c.kind() == "import_spec")),
            _ => {}
        }
    }
    out
}

/// The Go spec's terminating statements ("missing return" otherwise). `label` is the
/// label of the statement, for `break L`.
fn terminating(node: Node, label: Option<&str>, src: &[u8]) -> bool {
    match node.kind() {
        "return_statement" | "goto_statement" => true,
        "expression_statement" => named(node).first().is_some_and(|call| {
            call.kind() == "call_expression"
                && call.child_by_field_name("function").is_some_and(|f| f.kind() == "identifier" && f.utf8_text(src) == Ok("panic"))
        }),
        "block" | "statement_list" => {
            let stmts = named(node);
            match stmts.last() {
                Some(last) if last.kind() == "statement_list" => terminating(*last, None, src),
                Some(last) => terminating(*last, None, src),
                None => false,
            }
        }
        "labeled_statement" => {
            let name = node.child_by_field_name("label").and_then(|l| l.utf8_text(src).ok());
            named(node).into_iter().rfind(|c| c.kind() != "label_name").is_some_and(|s| terminating(s, name, src))
        }
        "if_statement" => {
            let consequence = node.child_by_field_name("consequence");
            let alternative = node.child_by_field_name("alternative");
            match (consequence, alternative) {
                (Some(c), Some(a)) => terminating(c, None, src) && terminating(a, None, src),
                _ => false,
            }
        }
        "for_statement" => {
            let body = node.child_by_field_name("body");
            let infinite = named(node).into_iter().all(|c| {
                Some(c) == body || (c.kind() == "for_clause" && c.child_by_field_name("condition").is_none())
            });
            infinite && body.is_some_and(|b| !has_break(b, label, src, false))
        }
        "expression_switch_statement" | "type_switch_statement" | "select_statement" => {
            let mut has_default = node.kind() == "select_statement";
            for clause in named(node) {
                match clause.kind() {
                    "expression_case" | "type_case" | "communication_case" | "default_case" => {
                        has_default |= clause.kind() == "default_case";
                        if has_break(clause, label, src, false) {
                            return false;
                        }
                        let stmts: Vec<Node> = named(clause).into_iter().filter(|c| c.kind() == "statement_list").collect();
                        let ok = stmts.last().is_some_and(|list| {
                            named(*list).last().is_some_and(|last| last.kind() == "fallthrough_statement" || terminating(*last, None, src))
                        });
                        if !ok {
                            return false;
                        }
                    }
                    _ => {}
                }
            }
            has_default
        }
        _ => false,
    }
}

/// Whether `node` holds a `break` that leaves the statement being judged: an unlabeled
/// one not nested in an inner loop/switch/select, or one naming `label`.
fn has_break(node: Node, label: Option<&str>, src: &[u8], nested: bool) -> bool {
    for child in named(node) {
        match child.kind() {
            "break_statement" => {
                let target = named(child).first().and_then(|l| l.utf8_text(src).ok());
                match target {
                    None if !nested => return true,
                    Some(t) if Some(t) == label => return true,
                    _ => {}
                }
            }
            "func_literal" => {}
            "for_statement" | "expression_switch_statement" | "type_switch_statement" | "select_statement" => {
                if has_break(child, label, src, true) {
                    return true;
                }
            }
            _ => {
                if has_break(child, label, src, nested) {
                    return true;
                }
            }
        }
    }
    false
}

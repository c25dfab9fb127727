//! Values a deletion takes away: a block whose value is used (the body of a function
//! with a return type, a `let` initializer, an `if`/`match` used as a value, an
//! operand or argument) must still end in a value or a diverging statement, and an
//! `if` used as a value must keep its `else` (rustc E0308, E0317). A finding is blamed
//! on the line of the construct that uses the value (the function, the `let`, the
//! statement), so that deleting it takes the whole construct.

use std::collections::HashSet;

use tree_sitter::{Node, Tree};

use crate::lang::Diagnostic;

/// Marks, in [`crate::lang::ProgramContext::external_names`], an attribute that the
/// full program puts right before a tail expression (`#[cfg(not(x))] false`).
pub const ATTR_TAIL: &str = "attrtail ";
/// Marks a full program this check would flag (it is then not run on its states).
pub const OFF: &str = "values off";
/// Marks a closure (by its line and column) whose block body has a value in the full
/// program: the caller uses that value, so the body must keep one.
pub const CLOSURE_TAIL: &str = "closuretail ";

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| !c.kind().ends_with("comment")).collect()
}

/// Kinds whose (expression) children are values the node uses.
const VALUE_USERS: &[&str] = &[
    "call_expression", "arguments", "binary_expression", "unary_expression", "reference_expression",
    "assignment_expression", "compound_assignment_expr", "return_expression", "break_expression",
    "field_expression", "index_expression", "try_expression", "type_cast_expression", "parenthesized_expression",
    "tuple_expression", "array_expression", "struct_expression", "field_initializer_list", "field_initializer",
    "base_field_initializer", "range_expression", "await_expression", "const_item", "static_item",
];

enum Tail<'a> {
    Value(Node<'a>),
    Diverges,
    Missing,
}

pub struct Checker<'s> {
    src: &'s [u8],
    /// `None`: any attribute before a tail is taken to leave it in place.
    attr_tails: Option<&'s HashSet<String>>,
    /// (row, column) of each construct that lost a value.
    pub flagged: Vec<(usize, usize)>,
    /// Attribute-before-tail keys seen (for the full program's context).
    pub attr_keys: Vec<String>,
    /// Closures whose body has a value in the full program; `None` for a lone lint.
    closure_tails: Option<&'s HashSet<String>>,
    /// Keys of the closures with a block body that has a value.
    pub closure_keys: Vec<String>,
    lines: Vec<&'s str>,
}

/// A `loop` is a value (or diverges) unless a bare `break` leaves it.
fn bare_break(node: Node) -> bool {
    let mut cursor = node.walk();
    let children: Vec<Node> = node.named_children(&mut cursor).collect();
    children.into_iter().any(|c| match c.kind() {
        "break_expression" => named(c).into_iter().all(|x| x.kind() == "label"),
        "loop_expression" | "while_expression" | "for_expression" | "closure_expression" | "function_item" => false,
        _ => bare_break(c),
    })
}

fn first_line(text: &str) -> &str {
    text.split('\n').next().unwrap_or("").trim()
}

impl<'s> Checker<'s> {
    pub fn run(
        tree: &Tree,
        source: &'s str,
        attr_tails: Option<&'s HashSet<String>>,
        closure_tails: Option<&'s HashSet<String>>,
    ) -> Checker<'s> {
        let mut c = Checker {
            src: source.as_bytes(),
            attr_tails,
            flagged: Vec::new(),
            attr_keys: Vec::new(),
            closure_tails,
            closure_keys: Vec::new(),
            lines: source.split('\n').collect(),
        };
        c.visit(tree.root_node(), None, 0);
        c.flagged.sort();
        c.flagged.dedup();
        c
    }

    fn text(&self, node: Node) -> &'s str {
        node.utf8_text(self.src).unwrap_or("")
    }

    fn diverges(&self, inner: Node) -> bool {
        match inner.kind() {
            "return_expression" | "break_expression" | "continue_expression" => true,
            "loop_expression" => !bare_break(inner),
            "macro_invocation" => inner.child_by_field_name("macro").map(|m| self.text(m)).is_some_and(|m| {
                let last = m.rsplit("::").next().unwrap_or(m);
                matches!(last, "panic" | "unreachable" | "todo" | "unimplemented")
            }),
            "call_expression" => inner
                .child_by_field_name("function")
                .map(|f| self.text(f))
                .is_some_and(|f| f.ends_with("exit") || f.ends_with("abort") || f.ends_with("panic_any")),
            _ => false,
        }
    }

    /// Whether the `else` block of a `let ... else` may still diverge (rustc E0308
    /// otherwise): it ends in a diverging expression, or in a call, macro or branch
    /// this check cannot see through.
    fn may_diverge(&self, block: Node) -> bool {
        let Some(last) = named(block).into_iter().rfind(|c| c.kind() != "attribute_item") else { return false };
        let inner = if last.kind() == "expression_statement" { named(last).first().copied() } else { Some(last) };
        inner.is_some_and(|e| {
            self.diverges(e)
                || matches!(e.kind(), "macro_invocation" | "call_expression" | "if_expression" | "match_expression" | "block" | "loop_expression" | "unsafe_block")
        })
    }

    fn tail<'t>(&mut self, block: Node<'t>) -> Tail<'t> {
        let children: Vec<Node> = named(block)
            .into_iter()
            .filter(|c| !((c.kind().ends_with("_item") && c.kind() != "attribute_item") || matches!(c.kind(), "use_declaration" | "macro_definition" | "extern_crate_declaration" | "label")))
            .collect();
        let Some(&last) = children.last() else { return Tail::Missing };
        if children.len() >= 2 && children[children.len() - 2].kind() == "attribute_item" {
            // What comes before counts too: under `#[cfg(windows)] { .. }` as the tail,
            // the block before it (`#[cfg(not(windows))] { .. }`) may be the real tail.
            let before = children.len().checked_sub(3).map_or("", |i| first_line(self.text(children[i])));
            let key = format!("{before}\n{}\n{}", self.text(children[children.len() - 2]).trim(), first_line(self.text(last)));
            let ok = self.attr_tails.is_none_or(|set| set.contains(&key));
            self.attr_keys.push(key);
            if !ok {
                return Tail::Missing;
            }
        }
        match last.kind() {
            "expression_statement" => {
                let Some(inner) = named(last).first().copied() else { return Tail::Missing };
                if self.diverges(inner) {
                    return Tail::Diverges;
                }
                let mut cursor = last.walk();
                let semicolon = last.children(&mut cursor).any(|c| c.kind() == ";");
                match inner.kind() {
                    "if_expression" | "match_expression" | "block" | "unsafe_block" | "const_block"
                        if !semicolon =>
                    {
                        Tail::Value(inner)
                    }
                    _ => Tail::Missing,
                }
            }
            "let_declaration" | "empty_statement" | "attribute_item" => Tail::Missing,
            _ if self.diverges(last) => Tail::Diverges,
            _ => Tail::Value(last),
        }
    }

    fn flag(&mut self, root: Node) {
        let pos = root.start_position();
        self.flagged.push((pos.row, pos.column));
    }

    /// Visits `node`; `need` is the construct that uses its value, if any.
    fn visit(&mut self, node: Node, need: Option<Node>, depth: usize) {
        if depth > 400 {
            return;
        }
        let d = depth + 1;
        match node.kind() {
            "function_item" => {
                let returns = node.child_by_field_name("return_type").is_some_and(|r| self.text(r).trim() != "()");
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body, if returns { Some(node) } else { None }, d);
                }
            }
            "closure_expression" => {
                if let Some(body) = node.child_by_field_name("body") {
                    let mut needs = node.child_by_field_name("return_type").is_some() && body.kind() == "block";
                    if body.kind() == "block" {
                        let pos = node.start_position();
                        let key = format!("{}:{}", pos.column, self.lines.get(pos.row).copied().unwrap_or(""));
                        match self.closure_tails {
                            Some(set) => needs |= set.contains(&key),
                            None => {
                                if !matches!(self.tail(body), Tail::Missing) {
                                    self.closure_keys.push(key);
                                }
                            }
                        }
                    }
                    self.visit(body, if needs { Some(node) } else { None }, d);
                }
            }
            "block" => {
                let tail = match need {
                    Some(root) => match self.tail(node) {
                        Tail::Missing => {
                            self.flag(root);
                            None
                        }
                        Tail::Diverges => None,
                        Tail::Value(t) => Some(t),
                    },
                    None => None,
                };
                for c in named(node) {
                    let inner = if c.kind() == "expression_statement" { named(c).first().copied() } else { None };
                    if Some(c) == tail || (inner.is_some() && inner == tail) {
                        self.visit(tail.unwrap_or(c), need, d);
                    } else {
                        self.visit(c, None, d);
                    }
                }
            }
            "unsafe_block" | "const_block" => {
                for c in named(node) {
                    self.visit(c, need, d);
                }
            }
            "if_expression" => {
                if let Some(root) = need {
                    if node.child_by_field_name("alternative").is_none() {
                        self.flag(root);
                    }
                }
                for c in named(node) {
                    if Some(c) == node.child_by_field_name("condition") {
                        self.visit(c, None, d);
                    } else {
                        self.visit(c, need, d);
                    }
                }
            }
            "else_clause" => {
                for c in named(node) {
                    self.visit(c, need, d);
                }
            }
            "match_expression" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v, None, d);
                }
                if let Some(body) = node.child_by_field_name("body") {
                    for arm in named(body) {
                        if arm.kind() == "match_arm" {
                            if let Some(v) = arm.child_by_field_name("value") {
                                self.visit(v, need, d);
                            }
                        } else {
                            self.visit(arm, None, d);
                        }
                    }
                }
            }
            "let_declaration" => {
                let mut cursor = node.walk();
                let mutable = node.children(&mut cursor).any(|c| c.kind() == "mutable_specifier");
                if node.child_by_field_name("value").is_none() && !mutable {
                    // `let x: T;` is assigned once on every path: any line its block
                    // loses (a `return` after an assignment) may assign it twice.
                    if let Some(parent) = node.parent() {
                        let body: Vec<&str> = self.text(parent).split('\n').map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("//")).collect();
                        let key = format!("let:{}", body.join("\n"));
                        match self.closure_tails {
                            Some(set) => {
                                if !set.contains(&key) {
                                    self.flag(node);
                                }
                            }
                            None => self.closure_keys.push(key),
                        }
                    }
                }
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v, Some(node), d);
                }
                if let Some(alt) = node.child_by_field_name("alternative") {
                    if !self.may_diverge(alt) {
                        self.flag(node);
                    }
                    self.visit(alt, None, d);
                }
            }
            kind if VALUE_USERS.contains(&kind) => {
                let root = need.unwrap_or(node);
                for c in named(node) {
                    if c.kind() == "block" && kind == "struct_expression" {
                        continue;
                    }
                    self.visit(c, Some(root), d);
                }
            }
            _ => {
                for c in named(node) {
                    self.visit(c, None, d);
                }
            }
        }
    }
}

/// Each attribute with what follows it (its first line): `(row, key)`. A state whose
/// attribute annotates something it did not annotate in the full program (a deleted
/// `#[cfg(a)]` branch leaves `#[cfg(a)]` on the `#[cfg(not(a))]` one) compiles other code.
pub fn attribute_keys(tree: &Tree, source: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if node.kind() == "attribute_item" {
            let mut next = node.next_named_sibling();
            while let Some(n) = next.filter(|n| n.kind().ends_with("comment")) {
                next = n.next_named_sibling();
            }
            let text = |n: Node| n.utf8_text(source.as_bytes()).unwrap_or("").to_string();
            let after = next.map(|n| first_line(&text(n)).to_string()).unwrap_or_default();
            out.push((node.start_position().row, format!("{}\n{after}", text(node).trim())));
        }
        stack.extend(named(node));
    }
    out
}

/// The findings for a state: one E1111 per construct that lost a value.
pub fn diagnostics(
    tree: &Tree,
    source: &str,
    attr_tails: Option<&HashSet<String>>,
    closure_tails: Option<&HashSet<String>>,
) -> Vec<Diagnostic> {
    Checker::run(tree, source, attr_tails, closure_tails)
        .flagged
        .into_iter()
        .map(|(row, column)| Diagnostic::new(row, column, "E1111", "a value-producing block lost its value (tail expression or else branch)"))
        .collect()
}

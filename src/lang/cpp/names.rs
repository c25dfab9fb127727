//! The C++ scope model: the program's own declarations (functions, classes, structs,
//! unions, enums and enumerators, typedefs and aliases, namespaces, macros, template
//! parameters, locals, parameters, lambda captures, structured bindings) walked in
//! source order; every reference that resolves to none of them is kept as unresolved.
//!
//! Silence wins when unsure. Namespaces are flattened (a name declared in any namespace
//! is visible after it everywhere); every class member the program declares is visible
//! in every class body and in every out-of-class member definition (`A::f`); names
//! behind `.`, `->` and `::` (other than the leftmost scope) are never judged, nor are
//! attributes, `requires` expressions and preprocessor conditions.

use std::collections::HashSet;

use tree_sitter::{Node, Tree};

use crate::lang::{Diagnostic, ProgramContext};

/// Deeper trees are not judged (silence instead of a stack overflow).
const MAX_DEPTH: usize = 400;

/// Context entries that are not names: the `#include` lines of the full program.
const INCLUDE_PREFIX: &str = "#include:";
/// Context entries for the class members of the full program.
const MEMBER_PREFIX: &str = "#member:";
/// Context entries for every name the full program declares.
const DECL_PREFIX: &str = "#decl:";
/// Context entries for each declaration of a name outside function bodies: name, the
/// declaration's line and its ordinal among identical ones.
const SITE_PREFIX: &str = "#site:";
/// Context entries for each `template <...>` header with the first line of what it heads.
const TEMPLATE_PREFIX: &str = "#template:";
/// Context entries for names macro bodies take from outside the program.
const MACRO_EXTERNAL_PREFIX: &str = "#macroext:";

/// C++ keywords and the words of macro bodies that never come from a header.
fn is_keyword(word: &str) -> bool {
    const KEYWORDS: &[&str] = &[
        "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char", "char16_t", "char32_t", "class",
        "const", "const_cast", "constexpr", "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast",
        "else", "enum", "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int",
        "long", "mutable", "namespace", "new", "noexcept", "not", "nullptr", "operator", "or", "private", "protected",
        "public", "register", "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_assert",
        "static_cast", "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typeid", "typename",
        "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while", "xor", "__VA_ARGS__",
    ];
    KEYWORDS.contains(&word) || word.starts_with("__builtin")
}

#[derive(Debug, Clone)]
pub struct Unresolved {
    pub name: String,
    /// The line to delete: where the innermost enclosing statement or declaration starts.
    pub line: usize,
    pub column: usize,
}

#[derive(Default)]
pub struct Model {
    pub unresolved: Vec<Unresolved>,
    /// Every name the program declares anywhere.
    pub declared: HashSet<String>,
    /// Every name the program references (checked or not).
    pub referenced: Vec<Unresolved>,
    /// The program's `#include` lines (trimmed).
    pub includes: Vec<String>,
    /// The tree was too deep to judge.
    pub gave_up: bool,
    /// Every class member the program declares.
    pub members: HashSet<String>,
    /// Member names used after `.`/`->` or in a constructor's initializer list.
    pub member_refs: Vec<Unresolved>,
    /// Names after a `::` (not the leftmost scope).
    pub qualified_refs: Vec<Unresolved>,
    /// Lines of a `template <...>` header left without its declaration (it now heads
    /// another template that is not an out-of-class member definition).
    pub bare_templates: Vec<(usize, usize)>,
    /// Identifiers in macro bodies (expanded where the macro is used).
    pub macro_refs: Vec<Unresolved>,
    /// Each declaration of a name outside function bodies (namespace and class scope,
    /// macros): (name, row). A lost one (an overload, a constructor, a specialisation)
    /// can change what every use of the name means, in ways only overload resolution
    /// and template instantiation see.
    pub decl_sites: Vec<(String, usize)>,
    /// Each template header: (row, key of the header and the first line of what it heads).
    pub template_heads: Vec<(usize, String)>,
    /// The program's lines, trimmed.
    pub lines: Vec<String>,
}

struct Scope {
    names: HashSet<String>,
    /// Template parameter scopes: declarations go to the scope around them.
    transparent: bool,
}

struct Walker<'a> {
    src: &'a [u8],
    scopes: Vec<Scope>,
    members: HashSet<String>,
    member_ctx: usize,
    model: Model,
}

fn text<'a>(node: Node, src: &'a [u8]) -> &'a str {
    node.utf8_text(src).unwrap_or("")
}

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

fn children_by_field<'t>(node: Node<'t>, field: &str) -> Vec<Node<'t>> {
    let mut cursor = node.walk();
    node.children_by_field_name(field, &mut cursor).collect()
}

/// Start line of the innermost statement or declaration holding `node`.
pub fn blame_line(node: Node) -> usize {
    let mut cur = Some(node);
    while let Some(n) = cur {
        let k = n.kind();
        let statement = k.ends_with("_statement") && k != "compound_statement";
        if statement
            || matches!(
                k,
                "declaration" | "field_declaration" | "function_definition" | "type_definition" | "alias_declaration" | "enumerator" | "using_declaration" | "static_assert_declaration" | "template_declaration" | "friend_declaration" | "concept_definition"
            )
        {
            // A declaration under a template is deleted with its template header.
            let mut top = n;
            while let Some(p) = top.parent() {
                if p.kind() == "template_declaration" || (p.kind() == "declaration" && top.kind() == "function_definition") {
                    top = p;
                } else {
                    break;
                }
            }
            return top.start_position().row;
        }
        cur = n.parent();
    }
    node.start_position().row
}

/// Whether `node` is inside a function body, a parameter list, a lambda or a template
/// parameter list (a local declaration, judged by scoping alone).
fn is_local(node: Node) -> bool {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if matches!(n.kind(), "compound_statement" | "parameter_list" | "lambda_expression" | "template_parameter_list" | "requires_expression") {
            return true;
        }
        cur = n.parent();
    }
    false
}

/// The identifiers and type identifiers under `node`.
fn identifiers(node: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if matches!(n.kind(), "identifier" | "type_identifier") {
            out.push(n);
        }
        if out.len() > 64 {
            break;
        }
        stack.extend(named_children(n));
    }
    out
}

/// The name a declarator declares: the identifier under pointer, reference, array,
/// function, init and parenthesized declarators.
pub fn declarator_name(node: Node) -> Option<Node> {
    let mut cur = node;
    for _ in 0..64 {
        match cur.kind() {
            "identifier" | "field_identifier" | "type_identifier" | "qualified_identifier" | "operator_name" | "destructor_name" | "template_function" | "primitive_type" => return Some(cur),
            "pointer_declarator" | "reference_declarator" | "array_declarator" | "function_declarator" | "init_declarator" | "parenthesized_declarator" | "attributed_declarator" | "pointer_field_declarator" | "reference_field_declarator" | "array_field_declarator" | "function_field_declarator" | "parenthesized_field_declarator" | "attributed_field_declarator" | "pointer_type_declarator" | "reference_type_declarator" | "array_type_declarator" | "function_type_declarator" | "parenthesized_type_declarator" | "attributed_type_declarator" => {
                cur = match cur.child_by_field_name("declarator") {
                    Some(d) => d,
                    None => named_children(cur).into_iter().find(|c| !c.kind().contains("attribute") && c.kind() != "type_qualifier")?,
                };
            }
            _ => return None,
        }
    }
    None
}

fn is_qualified_declarator(node: Node) -> bool {
    declarator_name(node).is_some_and(|n| n.kind() == "qualified_identifier")
}

/// Every member name a class body declares (fields, methods, nested types, enumerators,
/// member aliases), for the whole tree.
fn collect_members(root: Node, src: &[u8], out: &mut HashSet<String>) {
    let mut stack = vec![(root, 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            continue;
        }
        if node.kind() == "field_declaration_list" {
            for member in named_children(node) {
                member_names(member, src, out, 0);
            }
        }
        for c in named_children(node) {
            stack.push((c, depth + 1));
        }
    }
}

fn member_names(member: Node, src: &[u8], out: &mut HashSet<String>, depth: usize) {
    if depth > 8 {
        return;
    }
    match member.kind() {
        "field_declaration" | "declaration" | "function_definition" | "type_definition" => {
            for d in children_by_field(member, "declarator") {
                if let Some(n) = declarator_name(d) {
                    if matches!(n.kind(), "identifier" | "field_identifier" | "type_identifier") {
                        out.insert(text(n, src).to_string());
                    }
                }
            }
            if let Some(t) = member.child_by_field_name("type") {
                member_names(t, src, out, depth + 1);
            }
        }
        "class_specifier" | "struct_specifier" | "union_specifier" | "enum_specifier" => {
            if let Some(n) = member.child_by_field_name("name") {
                out.insert(text(n, src).to_string());
            }
            if member.kind() == "enum_specifier" {
                if let Some(body) = member.child_by_field_name("body") {
                    for e in named_children(body) {
                        if let Some(n) = e.child_by_field_name("name") {
                            out.insert(text(n, src).to_string());
                        }
                    }
                }
            }
        }
        "alias_declaration" => {
            if let Some(n) = member.child_by_field_name("name") {
                out.insert(text(n, src).to_string());
            }
        }
        "using_declaration" => {
            if let Some(last) = named_children(member).last() {
                let t = text(*last, src);
                out.insert(t.rsplit("::").next().unwrap_or(t).to_string());
            }
        }
        "template_declaration" | "friend_declaration" | "preproc_if" | "preproc_ifdef" | "preproc_else" | "preproc_elif" => {
            for c in named_children(member) {
                member_names(c, src, out, depth + 1);
            }
        }
        _ => {}
    }
}

impl<'a> Walker<'a> {
    fn push(&mut self, transparent: bool) {
        self.scopes.push(Scope { names: HashSet::new(), transparent });
    }

    fn pop(&mut self) {
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    /// Declares `name` in the innermost scope (parameters) or the innermost
    /// non-template scope (everything else).
    fn declare(&mut self, name: &str, innermost: bool) {
        if name.is_empty() {
            return;
        }
        self.model.declared.insert(name.to_string());
        let idx = if innermost { self.scopes.len() - 1 } else { self.scopes.iter().rposition(|s| !s.transparent).unwrap_or(0) };
        self.scopes[idx].names.insert(name.to_string());
    }

    fn declare_node(&mut self, node: Node, innermost: bool) {
        if node.kind() == "operator_name" {
            // A literal operator is named by its suffix: `operator""_foo`.
            let t: String = text(node, self.src).chars().filter(|c| !c.is_whitespace()).collect();
            if t.starts_with("operator\"\"") {
                if !is_local(node) {
                    self.site(node, t.clone());
                }
                self.declare(&t, innermost);
            }
            return;
        }
        if matches!(node.kind(), "identifier" | "type_identifier" | "namespace_identifier" | "field_identifier") {
            if !innermost && !is_local(node) {
                self.site(node, text(node, self.src).to_string());
            }
            let t = text(node, self.src).to_string();
            self.declare(&t, innermost);
        }
    }

    /// Records a declaration of `name` at `node` (see [`Model::decl_sites`]).
    fn site(&mut self, node: Node, name: String) {
        self.model.decl_sites.push((name, blame_line(node)));
    }

    /// A namespace-scope function is also a declaration of the types its parameters
    /// name: a lost overload (`void swap(C&, C&) = delete;`) changes what `C` can do.
    fn parameter_type_sites(&mut self, declarator: Node) {
        if is_local(declarator) {
            return;
        }
        let mut stack = vec![declarator];
        while let Some(n) = stack.pop() {
            if n.kind() == "parameter_list" {
                for t in identifiers(n).into_iter().filter(|t| t.kind() == "type_identifier") {
                    let name = text(t, self.src).to_string();
                    self.model.decl_sites.push((name, blame_line(declarator)));
                }
            } else if n.kind().ends_with("declarator") {
                stack.extend(named_children(n));
            }
        }
    }

    fn visible(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.names.contains(name)) || (self.member_ctx > 0 && self.members.contains(name))
    }

    fn reference(&mut self, node: Node) {
        let name = text(node, self.src).to_string();
        if name.is_empty() {
            return;
        }
        let pos = node.start_position();
        let r = Unresolved { name, line: blame_line(node), column: pos.column };
        if !self.visible(&r.name) {
            self.model.unresolved.push(r.clone());
        }
        self.model.referenced.push(r);
    }

    fn qualified_ref(&mut self, node: Node) {
        let name = text(node, self.src).to_string();
        self.model.qualified_refs.push(Unresolved { name, line: blame_line(node), column: node.start_position().column });
    }

    fn member_ref(&mut self, node: Node) {
        if node.kind() != "field_identifier" {
            return;
        }
        let name = text(node, self.src).to_string();
        self.model.member_refs.push(Unresolved { name, line: blame_line(node), column: node.start_position().column });
    }

    fn bare_template(&mut self, node: Node) {
        let Some(inner) = named_children(node).into_iter().rfind(|c| !c.is_extra()) else { return };
        if inner.kind() != "template_declaration" || node.parent().is_some_and(|p| p.kind() == "template_declaration") {
            return;
        }
        let mut d = inner;
        for _ in 0..16 {
            match named_children(d).into_iter().rfind(|c| !c.is_extra()) {
                Some(c) if d.kind() == "template_declaration" => d = c,
                _ => break,
            }
        }
        let qualified = children_by_field(d, "declarator").into_iter().any(is_qualified_declarator)
            || d.child_by_field_name("type").and_then(|t| t.child_by_field_name("name")).is_some_and(|n| n.kind() == "qualified_identifier")
            || d.kind() == "friend_declaration";
        if !qualified {
            let pos = node.start_position();
            self.model.bare_templates.push((pos.row, pos.column));
        }
    }

    /// The header line of a template with the first line of what it heads: a state
    /// whose header heads something else (its declaration lost, `int main()` next) is
    /// rejected ("cannot declare '::main' to be a template").
    fn template_head(&mut self, node: Node) {
        let Some(params) = node.child_by_field_name("parameters") else { return };
        let Some(inner) = named_children(node).into_iter().filter(|c| !c.is_extra() && c.id() != params.id()).find(|c| c.start_byte() >= params.end_byte()) else { return };
        let line = |row: usize| self.src_lines().get(row).map_or(String::new(), |l| l.trim().to_string());
        let head = params.end_position().row;
        let first = inner.start_position().row;
        let key = format!("{}\u{1}{}", line(head), line(first));
        self.model.template_heads.push((node.start_position().row, key));
    }

    fn src_lines(&self) -> Vec<&str> {
        std::str::from_utf8(self.src).unwrap_or("").split('\n').collect()
    }

    fn children(&mut self, node: Node, depth: usize) {
        for c in named_children(node) {
            self.visit(c, depth + 1);
        }
    }

    /// Visits a declarator: declares its name, visits everything else (parameters are
    /// declared into the innermost scope, array sizes and initializers are references).
    fn declarator(&mut self, node: Node, depth: usize, innermost: bool) {
        let name = declarator_name(node);
        if let Some(n) = name {
            self.declare_node(n, innermost);
        }
        self.declarator_rest(node, name.map(|n| n.id()), depth);
    }

    fn declarator_rest(&mut self, node: Node, skip: Option<usize>, depth: usize) {
        if depth > MAX_DEPTH {
            self.model.gave_up = true;
            return;
        }
        if Some(node.id()) == skip {
            if node.kind() == "template_function" {
                if let Some(args) = node.child_by_field_name("arguments") {
                    self.visit(args, depth + 1);
                }
            } else if node.kind() == "qualified_identifier" {
                self.qualified(node, depth, true, true);
            }
            return;
        }
        match node.kind() {
            "parameter_list" => {
                for p in named_children(node) {
                    self.visit(p, depth + 1);
                }
            }
            k if k.ends_with("declarator") => {
                for c in named_children(node) {
                    self.declarator_rest(c, skip, depth + 1);
                }
            }
            _ => self.visit(node, depth + 1),
        }
    }

    /// A qualified name: only the leftmost scope is judged; template arguments are
    /// visited.
    fn qualified(&mut self, node: Node, depth: usize, leftmost: bool, check_scope: bool) {
        if depth > MAX_DEPTH {
            return;
        }
        if let Some(scope) = node.child_by_field_name("scope") {
            match scope.kind() {
                "namespace_identifier" | "type_identifier" if leftmost && check_scope => self.reference(scope),
                "template_type" => {
                    if leftmost && check_scope {
                        if let Some(n) = scope.child_by_field_name("name") {
                            self.reference(n);
                        }
                    }
                    if let Some(args) = scope.child_by_field_name("arguments") {
                        self.visit(args, depth + 1);
                    }
                }
                "decltype" => self.visit(scope, depth + 1),
                _ => {}
            }
        }
        if let Some(scope) = node.child_by_field_name("scope") {
            if !leftmost && matches!(scope.kind(), "namespace_identifier" | "type_identifier") {
                self.qualified_ref(scope);
            }
            if !leftmost && scope.kind() == "template_type" {
                if let Some(n) = scope.child_by_field_name("name") {
                    self.qualified_ref(n);
                }
            }
        }
        if let Some(name) = node.child_by_field_name("name") {
            match name.kind() {
                "identifier" | "type_identifier" | "field_identifier" => self.qualified_ref(name),
                "template_function" | "template_type" => {
                    if let Some(n) = name.child_by_field_name("name") {
                        self.qualified_ref(n);
                    }
                }
                _ => {}
            }
            match name.kind() {
                "qualified_identifier" => self.qualified(name, depth + 1, false, check_scope),
                "template_function" | "template_type" | "template_method" => {
                    if let Some(args) = name.child_by_field_name("arguments") {
                        self.visit(args, depth + 1);
                    }
                }
                _ => {}
            }
        }
    }

    fn declaration(&mut self, node: Node, depth: usize) {
        if node.kind() == "declaration" {
            for d in children_by_field(node, "declarator") {
                self.parameter_type_sites(d);
            }
        }
        for c in named_children(node) {
            if node.child_by_field_name("declarator").is_some_and(|_| children_by_field(node, "declarator").iter().any(|d| d.id() == c.id())) {
                // Parameters of a function declaration do not leak into the scope.
                let name = declarator_name(c);
                // `assert (MACRO (int));` in a block parses as a declaration of a local
                // function through parentheses: judge its name as a use.
                let parenthesized = c.kind() == "parenthesized_declarator" && self.scopes.len() > 1 && node.kind() == "declaration";
                // A deduction guide `Name(A) -> Name<A>;` names a class template.
                let guide = node.kind() == "declaration" && node.child_by_field_name("type").is_none() && c.kind() == "function_declarator" && named_children(c).iter().any(|k| k.kind() == "trailing_return_type");
                let parenthesized = parenthesized || guide;
                if let Some(n) = name {
                    if parenthesized && n.kind() == "identifier" {
                        self.reference(n);
                    } else {
                        self.declare_node(n, false);
                    }
                }
                self.push(false);
                self.declarator_rest(c, name.map(|n| n.id()), depth + 1);
                self.pop();
            } else {
                self.visit(c, depth + 1);
            }
        }
    }

    fn visit(&mut self, node: Node, depth: usize) {
        if depth > MAX_DEPTH {
            self.model.gave_up = true;
            return;
        }
        match node.kind() {
            "identifier" | "type_identifier" => self.reference(node),
            "namespace_identifier" | "field_identifier" | "statement_identifier" | "primitive_type" | "comment" | "string_literal" | "raw_string_literal" | "char_literal" | "number_literal" | "preproc_arg" | "preproc_include" | "preproc_call" | "attribute_declaration" | "attribute_specifier" | "attribute" | "requires_expression" | "requires_clause" | "destructor_name" | "operator_name" | "access_specifier" | "system_lib_string" | "preproc_params" | "ms_declspec_modifier" | "gnu_asm_expression" | "concatenated_string" => {}
            "user_defined_literal" => {
                // `"abc"_foo` calls the literal operator `operator""_foo`.
                if let Some(suffix) = named_children(node).into_iter().find(|c| c.kind() == "literal_suffix") {
                    let name = format!("operator\"\"{}", text(suffix, self.src));
                    let r = Unresolved { name, line: blame_line(node), column: node.start_position().column };
                    if !self.visible(&r.name) {
                        self.model.unresolved.push(r.clone());
                    }
                    self.model.referenced.push(r);
                }
            }
            "preproc_def" | "preproc_function_def" => {
                let params: HashSet<&str> = node.child_by_field_name("parameters").map(|p| named_children(p).into_iter().map(|c| text(c, self.src)).collect()).unwrap_or_default();
                if let Some(v) = node.child_by_field_name("value") {
                    let body = text(v, self.src);
                    let line = node.start_position().row;
                    for word in body.split(|ch: char| !(ch.is_ascii_alphanumeric() || ch == '_')) {
                        if !word.is_empty() && !word.starts_with(|ch: char| ch.is_ascii_digit()) && !params.contains(word) {
                            self.model.macro_refs.push(Unresolved { name: word.to_string(), line, column: node.start_position().column });
                        }
                    }
                }
                if let Some(n) = node.child_by_field_name("name") {
                    let t = text(n, self.src).to_string();
                    self.site(n, t.clone());
                    self.model.declared.insert(t.clone());
                    self.scopes[0].names.insert(t);
                }
            }
            "preproc_if" | "preproc_ifdef" | "preproc_elif" | "preproc_elifdef" => {
                let skip: Vec<usize> = ["condition", "name"].iter().filter_map(|f| node.child_by_field_name(f)).map(|n| n.id()).collect();
                for c in named_children(node) {
                    if !skip.contains(&c.id()) {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "qualified_identifier" => self.qualified(node, depth, true, true),
            "field_expression" => {
                if let Some(a) = node.child_by_field_name("argument") {
                    self.visit(a, depth + 1);
                }
                if let Some(f) = node.child_by_field_name("field") {
                    self.member_ref(f);
                    if let Some(args) = f.child_by_field_name("arguments") {
                        self.visit(args, depth + 1);
                    }
                }
            }
            "function_definition" => {
                let declarator = node.child_by_field_name("declarator");
                if let Some(d) = declarator {
                    self.parameter_type_sites(d);
                }
                let qualified = declarator.is_some_and(is_qualified_declarator);
                let name = declarator.and_then(declarator_name);
                if let Some(n) = name {
                    self.declare_node(n, false);
                }
                if qualified {
                    self.member_ctx += 1;
                }
                self.push(false);
                for c in named_children(node) {
                    if Some(c.id()) == declarator.map(|d| d.id()) {
                        self.declarator_rest(c, name.map(|n| n.id()), depth + 1);
                    } else {
                        self.visit(c, depth + 1);
                    }
                }
                self.pop();
                if qualified {
                    self.member_ctx -= 1;
                }
            }
            "declaration" | "field_declaration" | "type_definition" | "parameter_declaration" | "optional_parameter_declaration" | "variadic_parameter_declaration" => {
                if node.kind() == "declaration" || node.kind() == "type_definition" || node.kind() == "field_declaration" {
                    self.declaration(node, depth);
                } else {
                    for c in named_children(node) {
                        if children_by_field(node, "declarator").iter().any(|d| d.id() == c.id()) {
                            self.declarator(c, depth + 1, true);
                        } else {
                            self.visit(c, depth + 1);
                        }
                    }
                }
            }
            "template_declaration" => {
                self.bare_template(node);
                self.template_head(node);
                self.push(true);
                self.children(node, depth);
                self.pop();
            }
            "type_parameter_declaration" | "variadic_type_parameter_declaration" => {
                for c in named_children(node) {
                    self.declare_node(c, true);
                }
            }
            "optional_type_parameter_declaration" => {
                if let Some(t) = node.child_by_field_name("default_type") {
                    self.visit(t, depth + 1);
                }
                if let Some(n) = node.child_by_field_name("name") {
                    self.declare_node(n, true);
                }
            }
            "template_template_parameter_declaration" => {
                self.push(false);
                if let Some(p) = node.child_by_field_name("parameters") {
                    self.visit(p, depth + 1);
                }
                self.pop();
                for c in named_children(node) {
                    if c.kind() != "template_parameter_list" {
                        for n in named_children(c) {
                            if n.kind() == "type_identifier" {
                                self.declare_node(n, true);
                            }
                        }
                    }
                }
            }
            "class_specifier" | "struct_specifier" | "union_specifier" | "enum_specifier" => {
                let name = node.child_by_field_name("name");
                // `struct g G;` names a class declared elsewhere; `struct g;` declares it.
                let elaborated = node.child_by_field_name("body").is_none()
                    && node.parent().is_some_and(|p| p.child_by_field_name("declarator").is_some() && p.child_by_field_name("type").is_some_and(|t| t.id() == node.id()));
                if let Some(n) = name {
                    match n.kind() {
                        "type_identifier" if elaborated => self.reference(n),
                        "type_identifier" => self.declare_node(n, false),
                        "qualified_identifier" => self.qualified(n, depth + 1, true, true),
                        "template_type" => {
                            // A specialisation declares more of the template and of
                            // the types it is specialised for.
                            if let Some(t) = n.child_by_field_name("name") {
                                self.reference(t);
                                if !is_local(t) {
                                    self.site(t, text(t, self.src).to_string());
                                }
                            }
                            if let Some(args) = n.child_by_field_name("arguments") {
                                self.visit(args, depth + 1);
                                if !is_local(args) {
                                    for arg in identifiers(args) {
                                        self.site(arg, text(arg, self.src).to_string());
                                    }
                                }
                            }
                        }
                        _ => {}
                    }
                }
                let body = node.child_by_field_name("body");
                if node.kind() == "enum_specifier" {
                    if let Some(b) = node.child_by_field_name("base") {
                        self.visit(b, depth + 1);
                    }
                    if let Some(body) = body {
                        for e in named_children(body) {
                            if e.kind() == "enumerator" {
                                if let Some(n) = e.child_by_field_name("name") {
                                    self.declare_node(n, false);
                                }
                                if let Some(v) = e.child_by_field_name("value") {
                                    self.visit(v, depth + 2);
                                }
                            } else {
                                self.visit(e, depth + 2);
                            }
                        }
                    }
                    return;
                }
                let Some(body) = body else { return };
                // Base classes are named from outside the class: its members do not
                // declare them (`class D : public Base { int Base(); }`).
                let mut cursor = node.walk();
                let bases: Vec<Node> = node.children(&mut cursor).filter(|c| c.kind() == "base_class_clause").collect();
                for b in &bases {
                    self.visit(*b, depth + 1);
                }
                // Each member (and access label) is part of what the class is: losing one
                // can break any use of the class (aggregate initialisation, a member a
                // library template calls, access), so it is a declaration of the class.
                if let Some(n) = name.filter(|n| n.kind() == "type_identifier") {
                    let class = text(n, self.src).to_string();
                    for member in named_children(body).into_iter().filter(|m| !m.is_extra() && m.kind() != "comment") {
                        self.model.decl_sites.push((class.clone(), member.start_position().row));
                    }
                }
                self.member_ctx += 1;
                self.push(false);
                if let Some(n) = name {
                    let t = text(n, self.src);
                    let t = t.split('<').next().unwrap_or(t).rsplit("::").next().unwrap_or("").trim().to_string();
                    self.declare(&t, true);
                }
                for c in named_children(node) {
                    if Some(c.id()) != name.map(|n| n.id()) && c.kind() != "base_class_clause" {
                        self.visit(c, depth + 1);
                    }
                }
                let _ = body;
                self.pop();
                self.member_ctx -= 1;
            }
            "alias_declaration" => {
                if let Some(n) = node.child_by_field_name("name") {
                    self.declare_node(n, false);
                }
                if let Some(t) = node.child_by_field_name("type") {
                    self.visit(t, depth + 1);
                }
            }
            "namespace_definition" => {
                if let Some(n) = node.child_by_field_name("name") {
                    for part in std::iter::once(n).chain(named_children(n)) {
                        self.declare_node(part, false);
                    }
                }
                if let Some(b) = node.child_by_field_name("body") {
                    self.children(b, depth + 1);
                }
            }
            "namespace_alias_definition" => {
                let name = node.child_by_field_name("name");
                for c in named_children(node).into_iter().filter(|c| Some(c.id()) != name.map(|n| n.id())) {
                    // The target's first namespace is a use (`namespace chr = std::chrono;`).
                    match c.kind() {
                        "namespace_identifier" => self.reference(c),
                        "nested_namespace_specifier" => {
                            if let Some(first) = named_children(c).into_iter().next().filter(|f| f.kind() == "namespace_identifier") {
                                self.reference(first);
                            }
                        }
                        _ => self.visit(c, depth + 1),
                    }
                }
                if let Some(n) = name {
                    self.declare_node(n, false);
                }
            }
            "using_declaration" => {
                if node.child(1).is_some_and(|c| c.kind() == "namespace") {
                    for c in named_children(node) {
                        match c.kind() {
                            "identifier" | "namespace_identifier" => self.reference(c),
                            "qualified_identifier" => self.qualified(c, depth + 1, true, true),
                            _ => {}
                        }
                    }
                    return;
                }
                if let Some(q) = named_children(node).into_iter().find(|c| c.kind() == "qualified_identifier") {
                    self.qualified(q, depth + 1, true, true);
                }
                if let Some(last) = named_children(node).last() {
                    let t = text(*last, self.src);
                    let t = t.rsplit("::").next().unwrap_or(t).to_string();
                    self.declare(&t, false);
                }
            }
            "concept_definition" => {
                if let Some(n) = node.child_by_field_name("name") {
                    self.declare_node(n, false);
                }
            }
            "compound_statement" | "for_statement" | "if_statement" | "while_statement" | "switch_statement" | "catch_clause" | "do_statement" => {
                self.push(false);
                self.children(node, depth);
                self.pop();
            }
            "for_range_loop" => {
                self.push(false);
                for f in ["initializer", "type", "right"] {
                    if let Some(c) = node.child_by_field_name(f) {
                        self.visit(c, depth + 1);
                    }
                }
                if let Some(d) = node.child_by_field_name("declarator") {
                    self.declarator(d, depth + 1, true);
                }
                if let Some(b) = node.child_by_field_name("body") {
                    self.visit(b, depth + 1);
                }
                self.pop();
            }
            "structured_binding_declarator" => {
                for c in named_children(node) {
                    self.declare_node(c, true);
                }
            }
            "lambda_expression" => {
                self.push(false);
                if let Some(caps) = node.child_by_field_name("captures") {
                    for c in named_children(caps) {
                        if c.kind() == "lambda_capture_initializer" {
                            if let Some(r) = c.child_by_field_name("right") {
                                self.visit(r, depth + 2);
                            }
                            if let Some(l) = c.child_by_field_name("left") {
                                self.declare_node(l, true);
                            }
                        } else {
                            self.visit(c, depth + 2);
                        }
                    }
                }
                for c in named_children(node) {
                    if c.kind() != "lambda_capture_specifier" {
                        if c.kind() == "abstract_function_declarator" {
                            self.declarator_rest(c, None, depth + 1);
                        } else {
                            self.visit(c, depth + 1);
                        }
                    }
                }
                self.pop();
            }
            "friend_declaration" => {
                // A friend function or class is found by ADL anywhere: declare globally.
                for c in named_children(node) {
                    if c.kind() == "declaration" || c.kind() == "function_definition" {
                        for d in children_by_field(c, "declarator") {
                            if let Some(n) = declarator_name(d) {
                                if n.kind() == "identifier" {
                                    let t = text(n, self.src).to_string();
                                    self.model.declared.insert(t.clone());
                                    self.scopes[0].names.insert(t);
                                }
                            }
                        }
                    }
                    if c.kind() == "type_identifier" {
                        let t = text(c, self.src).to_string();
                        self.model.declared.insert(t.clone());
                        self.scopes[0].names.insert(t);
                    } else {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "field_initializer" => {
                for c in named_children(node) {
                    if c.kind() != "field_identifier" {
                        self.visit(c, depth + 1);
                    } else {
                        self.member_ref(c);
                    }
                }
            }
            "template_function" | "template_type" | "template_method" => {
                if let Some(n) = node.child_by_field_name("name") {
                    if n.kind() != "field_identifier" {
                        self.visit(n, depth + 1);
                    }
                }
                if let Some(a) = node.child_by_field_name("arguments") {
                    self.visit(a, depth + 1);
                }
            }
            "goto_statement" | "labeled_statement" | "break_statement" | "continue_statement" => self.children(node, depth),
            _ => self.children(node, depth),
        }
    }
}

impl Model {
    pub fn build(source: &str, tree: &Tree) -> Model {
        let src = source.as_bytes();
        let root = tree.root_node();
        let mut members = HashSet::new();
        collect_members(root, src, &mut members);
        let mut w = Walker { src, scopes: vec![Scope { names: HashSet::new(), transparent: false }], members, member_ctx: 0, model: Model::default() };
        w.visit(root, 0);
        let members = std::mem::take(&mut w.members);
        let mut model = w.model;
        model.declared.extend(members.iter().cloned());
        model.members = members;
        model.lines = source.split('\n').map(|l| l.trim().to_string()).collect();
        // `using namespace` directives bring in names from outside like includes do.
        let brings_names = |l: &str| (l.starts_with('#') && l.trim_start_matches('#').trim_start().starts_with("include")) || l.starts_with("using namespace ");
        model.includes = source.lines().map(str::trim).filter(|l| brings_names(l)).map(|l| l.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        model
    }

    /// The names this (full) program references but the model does not resolve: the
    /// environment (headers, macros) provides them, or the model cannot tell.
    pub fn context(&self) -> ProgramContext {
        let mut external: std::collections::HashSet<String> = self.unresolved.iter().map(|u| u.name.clone()).collect();
        for inc in self.include_keys() {
            external.insert(format!("{INCLUDE_PREFIX}{inc}"));
        }
        for m in &self.members {
            external.insert(format!("{MEMBER_PREFIX}{m}"));
        }
        for d in &self.declared {
            external.insert(format!("{DECL_PREFIX}{d}"));
        }
        for site in self.site_keys() {
            external.insert(site);
        }
        for (_, key) in &self.template_heads {
            external.insert(format!("{TEMPLATE_PREFIX}{key}"));
        }
        // Names macro bodies use from outside: with an include lost, they may be gone.
        for r in &self.macro_refs {
            if !self.declared.contains(&r.name) && !is_keyword(&r.name) {
                external.insert(format!("{MACRO_EXTERNAL_PREFIX}{}", r.name));
            }
        }
        ProgramContext { external_names: external }
    }

    /// The include and `using namespace` lines, each with its ordinal among identical
    /// ones (losing one of three `using namespace std;` loses names too).
    fn include_keys(&self) -> HashSet<String> {
        let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        self.includes
            .iter()
            .map(|inc| {
                let n = seen.entry(inc).or_default();
                *n += 1;
                format!("{inc}\u{1}{n}")
            })
            .collect()
    }

    /// [`SITE_PREFIX`] entries: name, line, ordinal among identical (name, line) pairs.
    fn site_keys(&self) -> Vec<String> {
        let mut seen: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
        let mut out = Vec::new();
        for (name, row) in &self.decl_sites {
            let line = self.lines.get(*row).map_or("", String::as_str);
            let n = seen.entry((name, line)).or_default();
            *n += 1;
            out.push(format!("{SITE_PREFIX}{name}\u{1}{line}\u{1}{n}"));
        }
        out
    }
}

/// E0602 for names the full program declares (so they are not in the context) that
/// nothing in scope declares here; when the state lost an `#include` line of the full
/// program, every name the headers provide may be gone, so each use of one is flagged.
pub fn undefined(model: &Model, ctx: &ProgramContext) -> Vec<Diagnostic> {
    if model.gave_up {
        return Vec::new();
    }
    let lost_include = ctx.external_names.iter().filter_map(|n| n.strip_prefix(INCLUDE_PREFIX)).any(|inc| !model.include_keys().contains(inc));
    let mut out = Vec::new();
    for u in &model.unresolved {
        if !ctx.external_names.contains(&u.name) {
            out.push(Diagnostic::new(u.line, u.column, "E0602", format!("'{}' was not declared in this scope", u.name)));
        }
    }
    // A member the full program declares that this state lost (E1101).
    for r in &model.member_refs {
        if !model.members.contains(&r.name) && ctx.external_names.contains(&format!("{MEMBER_PREFIX}{}", r.name)) {
            out.push(Diagnostic::new(r.line, r.column, "E1101", format!("no member named '{}'", r.name)));
        }
    }
    // A name after `::` that the full program declares and this state declares nowhere.
    for r in &model.qualified_refs {
        if !model.declared.contains(&r.name) && (ctx.external_names.contains(&format!("{DECL_PREFIX}{}", r.name)) || ctx.external_names.contains(&format!("{MEMBER_PREFIX}{}", r.name))) {
            out.push(Diagnostic::new(r.line, r.column, "E1101", format!("'{}' is not a member", r.name)));
        }
    }
    // A macro whose body names something the full program declares and this state does not.
    for r in &model.macro_refs {
        if !model.declared.contains(&r.name) && ctx.external_names.contains(&format!("{DECL_PREFIX}{}", r.name)) {
            out.push(Diagnostic::new(r.line, r.column, "E0602", format!("macro body names '{}', declared nowhere", r.name)));
        }
    }
    // A declaration outside function bodies that the state lost (one overload, a
    // constructor, a specialisation, one of two identical members): every use of its
    // name may now mean something else or nothing, so each is flagged.
    let state_sites: HashSet<String> = model.site_keys().into_iter().collect();
    let broken: HashSet<&str> = ctx
        .external_names
        .iter()
        .filter(|k| k.starts_with(SITE_PREFIX) && !state_sites.contains(*k))
        .filter_map(|k| k[SITE_PREFIX.len()..].split('\u{1}').next())
        .collect();
    if !broken.is_empty() {
        for r in model.referenced.iter().chain(&model.member_refs).chain(&model.qualified_refs).chain(&model.macro_refs) {
            if broken.contains(r.name.as_str()) {
                out.push(Diagnostic::new(r.line, r.column, "E0602", format!("a declaration of '{}' is gone", r.name)));
            }
        }
    }
    // A template header that now heads something it did not head in the full program.
    if ctx.external_names.iter().any(|k| k.starts_with(TEMPLATE_PREFIX)) {
        for (row, key) in &model.template_heads {
            if !ctx.external_names.contains(&format!("{TEMPLATE_PREFIX}{key}")) {
                out.push(Diagnostic::new(*row, 0, "E0001", "template header now heads another declaration"));
            }
        }
    }
    for &(line, column) in &model.bare_templates {
        out.push(Diagnostic::new(line, column, "E0001", "template header without its declaration (too many template-parameter-lists)"));
    }
    if lost_include {
        for u in &model.referenced {
            if ctx.external_names.contains(&u.name) && !model.declared.contains(&u.name) {
                out.push(Diagnostic::new(u.line, u.column, "E0602", format!("'{}' may come from a deleted #include", u.name)));
            }
        }
        for r in &model.macro_refs {
            if ctx.external_names.contains(&format!("{MACRO_EXTERNAL_PREFIX}{}", r.name)) && !model.declared.contains(&r.name) {
                out.push(Diagnostic::new(r.line, r.column, "E0602", format!("macro body names '{}', which may come from a deleted #include", r.name)));
            }
        }
    }
    out
}

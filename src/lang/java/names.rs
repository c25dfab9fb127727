//! The Java scope model: the program's own declarations (types, methods, fields, enum
//! constants, imports) plus block-scoped locals and parameters, walked in source
//! order; every reference that resolves to none of them is kept as unresolved.
//!
//! Silence wins when unsure: members reached through `.`, labels, `case` constants,
//! annotation elements and pattern variables (flow-scoped) are never judged.

use std::collections::{HashMap, HashSet};

use tree_sitter::{Node, Tree};

use crate::lang::{Diagnostic, ProgramContext};

/// Types of `java.lang`, visible without an import.
const JAVA_LANG: &[&str] = &[
    "AbstractMethodError", "Appendable", "ArithmeticException", "ArrayIndexOutOfBoundsException", "ArrayStoreException",
    "AssertionError", "AutoCloseable", "Boolean", "BootstrapMethodError", "Byte", "CharSequence", "Character", "Class",
    "ClassCastException", "ClassCircularityError", "ClassFormatError", "ClassLoader", "ClassNotFoundException",
    "ClassValue", "CloneNotSupportedException", "Cloneable", "Comparable", "Deprecated", "Double", "Enum",
    "EnumConstantNotPresentException", "Error", "Exception", "ExceptionInInitializerError", "Float",
    "FunctionalInterface", "IllegalAccessError", "IllegalAccessException", "IllegalArgumentException",
    "IllegalCallerException", "IllegalMonitorStateException", "IllegalStateException", "IllegalThreadStateException",
    "IncompatibleClassChangeError", "IndexOutOfBoundsException", "InheritableThreadLocal", "InstantiationError",
    "InstantiationException", "Integer", "InternalError", "InterruptedException", "Iterable", "LayerInstantiationException",
    "LinkageError", "Long", "Math", "Module", "ModuleLayer", "NegativeArraySizeException", "NoClassDefFoundError",
    "NoSuchFieldError", "NoSuchFieldException", "NoSuchMethodError", "NoSuchMethodException", "NullPointerException",
    "Number", "NumberFormatException", "Object", "OutOfMemoryError", "Override", "Package", "Process", "ProcessBuilder",
    "ProcessHandle", "Readable", "Record", "ReflectiveOperationException", "Runnable", "Runtime", "RuntimeException",
    "RuntimePermission", "SafeVarargs", "SecurityException", "SecurityManager", "Short", "StackOverflowError",
    "StackTraceElement", "StackWalker", "StrictMath", "String", "StringBuffer", "StringBuilder",
    "StringIndexOutOfBoundsException", "SuppressWarnings", "System", "Thread", "ThreadDeath", "ThreadGroup",
    "ThreadLocal", "Throwable", "TypeNotPresentException", "UnknownError", "UnsatisfiedLinkError",
    "UnsupportedClassVersionError", "UnsupportedOperationException", "VerifyError", "VirtualMachineError", "Void",
];

/// Leftmost parts of fully qualified names.
const PACKAGE_ROOTS: &[&str] = &["java", "javax", "jdk", "sun", "com", "org", "net"];

/// Context entries that are not names: the argument counts the full program passes to
/// each callee, and its wildcard imports.
const ARGC_PREFIX: &str = "#argc:";
const WILDCARD_PREFIX: &str = "#wildcard:";

/// Deeper trees are not judged (silence instead of a stack overflow).
const MAX_DEPTH: usize = 1500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    Value,
    Method,
    Type,
}

#[derive(Debug, Clone)]
pub struct Unresolved {
    pub name: String,
    pub kind: RefKind,
    /// The line to delete: where the innermost enclosing statement or declaration starts.
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct Call {
    /// `name` for a method, `new T` for a constructor, `this(` / `super(` for an
    /// explicit constructor invocation.
    pub key: String,
    /// Whether a program-declared method may be meant (unqualified or through `this`).
    pub local: bool,
    pub argc: usize,
    pub line: usize,
    pub column: usize,
}

#[derive(Debug, Clone)]
pub struct ClassInfo {
    pub key: String,
    pub line: usize,
    pub overrides: Vec<String>,
    pub methods: HashSet<String>,
    pub ctor_count: usize,
    /// Lines of constructors that do not start with `this(...)` / `super(...)`.
    pub ctors_without_invocation: Vec<usize>,
    pub has_superclass: bool,
}

const OBJECT_METHODS: &[&str] = &["equals", "hashCode", "toString", "clone", "finalize"];
const DECL_PREFIX: &str = "#decl:";
const FIELD_PREFIX: &str = "#field:";
const REQUIRES_PREFIX: &str = "#requires:";
const CTOR_PREFIX: &str = "#ctorsuper:";
const ANNOTATION_PREFIX: &str = "#annotation:";

#[derive(Default)]
pub struct Model {
    pub unresolved: Vec<Unresolved>,
    pub calls: Vec<Call>,
    /// Arity ranges (min, max; None = varargs) of every method the program declares.
    pub arities: HashMap<String, Vec<(usize, Option<usize>)>>,
    /// Every method and constructor the program declares: (callee key, min, max).
    pub decls: Vec<(String, usize, Option<usize>)>,
    /// Fields the program declares, and member accesses `x.name` (name, line, column).
    pub fields: HashSet<String>,
    pub member_refs: Vec<(String, usize, usize)>,
    /// Concrete classes (named, or anonymous by `anon:Type`) with the `@Override`
    /// methods they declare (other than Object's) and all their method names.
    pub classes: Vec<ClassInfo>,
    /// Final instance fields declared without an initializer: (name, line).
    pub blank_finals: Vec<(String, usize)>,
    /// Names assigned anywhere (`x = ...`, `this.x = ...`).
    pub assigned_names: HashSet<String>,
    /// Reads of locals declared without an initializer before any assignment.
    pub unassigned_reads: Vec<Unresolved>,
    /// Lines holding nothing but annotations, each with the line of code after it, and
    /// where they are: (pair text, line).
    pub annotation_lines: Vec<String>,
    pub annotation_line_rows: Vec<usize>,
    pub wildcard_imports: Vec<String>,
    pub static_wildcard: bool,
    /// Some class extends or implements a type the program does not declare, so an
    /// unqualified name may be an inherited member.
    pub external_supertype: bool,
}

struct Globals {
    types: HashSet<String>,
    methods: HashSet<String>,
    fields: HashSet<String>,
}

struct Walker<'a> {
    src: &'a [u8],
    globals: Globals,
    scopes: Vec<HashSet<String>>,
    /// Per scope: locals declared without an initializer and not yet assigned.
    uninit: Vec<HashSet<String>>,
    model: Model,
}

fn class_info(key: String, line: usize, body: Node, src: &[u8], has_supertypes: bool) -> ClassInfo {
    let mut info = ClassInfo { key, line, overrides: Vec::new(), methods: HashSet::new(), ctor_count: 0, ctors_without_invocation: Vec::new(), has_superclass: false };
    for member in named_children(body) {
        if member.kind() == "constructor_declaration" {
            info.ctor_count += 1;
            let invokes = member.child_by_field_name("body").and_then(|b| named_children(b).into_iter().find(|c| !c.is_extra())).is_some_and(|c| c.kind() == "explicit_constructor_invocation");
            if !invokes {
                info.ctors_without_invocation.push(member.start_position().row);
            }
        }
    }
    for member in named_children(body) {
        if member.kind() != "method_declaration" {
            continue;
        }
        let Some(name) = member.child_by_field_name("name") else { continue };
        let name = text(name, src).to_string();
        let overrides = named_children(member).iter().any(|c| {
            c.kind() == "modifiers" && named_children(*c).iter().any(|a| a.kind() == "marker_annotation" && a.child_by_field_name("name").is_some_and(|n| text(n, src) == "Override"))
        });
        let modifiers = named_children(member).into_iter().find(|c| c.kind() == "modifiers").map(|m| text(m, src)).unwrap_or("");
        let implementable = has_supertypes && !modifiers.split_whitespace().any(|w| w == "static" || w == "private");
        if (overrides || implementable) && !OBJECT_METHODS.contains(&name.as_str()) {
            info.overrides.push(name.clone());
        }
        info.methods.insert(name);
    }
    info
}

fn text<'a>(node: Node, src: &'a [u8]) -> &'a str {
    node.utf8_text(src).unwrap_or("")
}

fn children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.children(&mut cursor).collect()
}

fn named_children(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).collect()
}

/// Start line of the innermost statement or declaration holding `node`.
pub fn blame_line(node: Node) -> usize {
    let mut cur = Some(node);
    while let Some(n) = cur {
        let k = n.kind();
        if k.ends_with("_statement") || k.ends_with("_declaration") || k == "explicit_constructor_invocation" || k == "enum_constant" || k == "switch_label" || k == "resource" {
            return n.start_position().row;
        }
        cur = n.parent();
    }
    node.start_position().row
}

fn collect_globals(root: Node, src: &[u8], model: &mut Model) -> Globals {
    let mut g = Globals { types: HashSet::new(), methods: HashSet::new(), fields: HashSet::new() };
    let mut supertypes: Vec<String> = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if stack.len() > 100_000 {
            break;
        }
        let name = || node.child_by_field_name("name").map(|n| text(n, src).to_string());
        match node.kind() {
            "class_declaration" | "interface_declaration" | "enum_declaration" | "record_declaration" | "annotation_type_declaration" => {
                if let Some(n) = name() {
                    g.types.insert(n);
                }
                for field in ["superclass", "interfaces"] {
                    if let Some(s) = node.child_by_field_name(field) {
                        supertypes.push(text(s, src).to_string());
                    }
                }
                for c in named_children(node) {
                    if c.kind() == "extends_interfaces" {
                        supertypes.push(text(c, src).to_string());
                    }
                }
                if node.kind() == "record_declaration" {
                    if let Some(params) = node.child_by_field_name("parameters") {
                        for p in named_children(params) {
                            if let Some(n) = p.child_by_field_name("name") {
                                g.fields.insert(text(n, src).to_string());
                                g.methods.insert(text(n, src).to_string());
                                model.arities.entry(text(n, src).to_string()).or_default().push((0, Some(0)));
                            }
                        }
                    }
                }
            }
            "type_parameter" => {
                for c in named_children(node) {
                    if c.kind() == "type_identifier" {
                        g.types.insert(text(c, src).to_string());
                    }
                }
            }
            "method_declaration" | "annotation_type_element_declaration" => {
                if let Some(n) = name() {
                    g.methods.insert(n.clone());
                    let arity = node.child_by_field_name("parameters").map(param_arity).unwrap_or((0, Some(0)));
                    model.decls.push((n.clone(), arity.0, arity.1));
                    model.arities.entry(n).or_default().push(arity);
                }
            }
            "constructor_declaration" => {
                if let Some(n) = name() {
                    let arity = node.child_by_field_name("parameters").map(param_arity).unwrap_or((0, Some(0)));
                    model.decls.push((format!("new {n}"), arity.0, arity.1));
                    model.decls.push(("this(".to_string(), arity.0, arity.1));
                    model.arities.entry(format!("new {n}")).or_default().push(arity);
                }
            }
            "field_declaration" | "constant_declaration" => {
                let mut cursor = node.walk();
                for d in node.children_by_field_name("declarator", &mut cursor) {
                    if let Some(n) = d.child_by_field_name("name") {
                        g.fields.insert(text(n, src).to_string());
                        model.fields.insert(text(n, src).to_string());
                        if let Some(owner) = enclosing_type_name(node, src) {
                            model.fields.insert(format!("{owner}.{}", text(n, src)));
                        }
                    }
                }
            }
            "enum_constant" => {
                if let Some(n) = name() {
                    model.fields.insert(n.clone());
                    g.fields.insert(n);
                }
            }
            // Flow-scoped pattern variables: visible somewhere after the pattern; taken
            // as declared everywhere.
            "instanceof_expression" | "type_pattern" | "record_pattern_component" => {
                if let Some(n) = node.child_by_field_name("name") {
                    g.fields.insert(text(n, src).to_string());
                }
                for c in named_children(node) {
                    if c.kind() == "identifier" {
                        g.fields.insert(text(c, src).to_string());
                    }
                }
            }
            "import_declaration" => {
                let t = text(node, src);
                let is_static = t.split_whitespace().nth(1) == Some("static");
                let path: String = t.trim_start_matches("import").trim().trim_start_matches("static").trim().trim_end_matches(';').chars().filter(|c| !c.is_whitespace()).collect();
                if let Some(pkg) = path.strip_suffix(".*") {
                    if is_static {
                        model.static_wildcard = true;
                    } else {
                        model.wildcard_imports.push(pkg.to_string());
                    }
                } else if let Some(last) = path.rsplit('.').next() {
                    if is_static {
                        g.methods.insert(last.to_string());
                        g.fields.insert(last.to_string());
                    } else {
                        g.types.insert(last.to_string());
                    }
                }
                continue;
            }
            _ => {}
        }
        stack.extend(named_children(node));
    }
    model.external_supertype = supertypes.iter().any(|s| {
        s.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$')).filter(|w| !w.is_empty() && w.chars().next().is_some_and(|c| c.is_uppercase())).any(|w| !g.types.contains(w) && !JAVA_LANG.contains(&w))
    });
    g
}

/// Whether `node` sits in code that may not run: an `if` without `else`, a loop body, a
/// `catch`, a lambda, a switch without `default`, the right of `&&`/`||`/`?:`. An
/// assignment there does not make a local definitely assigned.
fn conditionally_reached(node: Node) -> bool {
    let mut child = node;
    let mut cur = node.parent();
    while let Some(n) = cur {
        match n.kind() {
            "if_statement" => {
                let in_condition = n.child_by_field_name("condition") == Some(child);
                if !in_condition && n.child_by_field_name("alternative").is_none() {
                    return true;
                }
            }
            "while_statement" | "for_statement" | "enhanced_for_statement" | "catch_clause" | "lambda_expression" | "ternary_expression" | "binary_expression" | "switch_block" => {
                let switch_with_default = n.kind() == "switch_block"
                    && n.parent().and_then(|s| s.child_by_field_name("body")).is_some_and(|b| {
                        let mut c = b.walk();
                        let found = b.named_children(&mut c).any(|g| {
                            let mut c2 = g.walk();
                            let x = g.named_children(&mut c2).any(|l| l.kind() == "switch_label" && l.child(0).is_some_and(|t| t.kind() == "default"));
                            x
                        });
                        found
                    });
                let in_for_init = n.kind() == "for_statement" && n.child_by_field_name("init") == Some(child);
                let in_while_condition = n.kind() == "while_statement" && n.child_by_field_name("condition") == Some(child);
                if !(switch_with_default || in_for_init || in_while_condition) {
                    return true;
                }
            }
            "method_declaration" | "constructor_declaration" | "class_body" => return false,
            _ => {}
        }
        child = n;
        cur = n.parent();
    }
    false
}

fn enclosing_type_name(node: Node, src: &[u8]) -> Option<String> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if matches!(n.kind(), "class_declaration" | "interface_declaration" | "enum_declaration" | "record_declaration") {
            return n.child_by_field_name("name").map(|x| text(x, src).to_string());
        }
        cur = n.parent();
    }
    None
}

/// (min, max) argument counts of a parameter list; max None for varargs.
fn param_arity(params: Node) -> (usize, Option<usize>) {
    let mut n = 0;
    let mut varargs = false;
    for p in named_children(params) {
        match p.kind() {
            "formal_parameter" => n += 1,
            "spread_parameter" => varargs = true,
            _ => {}
        }
    }
    (n, if varargs { None } else { Some(n) })
}

impl Walker<'_> {
    fn declare(&mut self, name: Node) {
        let t = text(name, self.src).to_string();
        if let Some(u) = self.uninit.last_mut() {
            u.remove(&t);
        }
        if let Some(scope) = self.scopes.last_mut() {
            scope.insert(t);
        }
    }

    fn declare_unassigned(&mut self, name: Node) {
        self.declare(name);
        if let Some(u) = self.uninit.last_mut() {
            u.insert(text(name, self.src).to_string());
        }
    }

    /// Whether the innermost declaration of `name` is a local not yet assigned.
    fn is_unassigned(&self, name: &str) -> bool {
        for (scope, uninit) in self.scopes.iter().zip(&self.uninit).rev() {
            if scope.contains(name) {
                return uninit.contains(name);
            }
        }
        false
    }

    fn assigned(&mut self, name: &str) {
        for (scope, uninit) in self.scopes.iter().zip(self.uninit.iter_mut()).rev() {
            if scope.contains(name) {
                uninit.remove(name);
                return;
            }
        }
    }

    fn in_scope(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.contains(name))
    }

    fn unresolved(&mut self, node: Node, kind: RefKind) {
        let name = text(node, self.src).to_string();
        let pos = node.start_position();
        self.model.unresolved.push(Unresolved { name, kind, line: blame_line(node), column: pos.column });
    }

    fn check_value(&mut self, node: Node) {
        let name = text(node, self.src);
        if self.is_unassigned(name) {
            let pos = node.start_position();
            self.model.unassigned_reads.push(Unresolved { name: name.to_string(), kind: RefKind::Value, line: blame_line(node), column: pos.column });
            return;
        }
        if self.in_scope(name) || self.globals.fields.contains(name) || self.globals.types.contains(name) || JAVA_LANG.contains(&name) {
            return;
        }
        self.unresolved(node, RefKind::Value);
    }

    fn check_type(&mut self, node: Node) {
        let name = text(node, self.src);
        if name == "var" || self.globals.types.contains(name) || JAVA_LANG.contains(&name) {
            return;
        }
        self.unresolved(node, RefKind::Type);
    }

    fn with_scope(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashSet::new());
        self.uninit.push(HashSet::new());
        f(self);
        self.scopes.pop();
        self.uninit.pop();
    }

    fn visit_all(&mut self, node: Node, depth: usize) {
        for c in children(node) {
            self.visit(c, depth + 1);
        }
    }

    fn record_call(&mut self, node: Node, key: String, local: bool) {
        let argc = node.child_by_field_name("arguments").map(|a| named_children(a).iter().filter(|c| !c.is_extra()).count()).unwrap_or(0);
        let pos = node.start_position();
        self.model.calls.push(Call { key, local, argc, line: blame_line(node), column: pos.column });
    }

    fn visit(&mut self, node: Node, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match node.kind() {
            "identifier" => self.check_value(node),
            "type_identifier" => self.check_type(node),
            "scoped_type_identifier" => {
                // Only the leftmost part names something in scope; the rest are members.
                if let Some(first) = node.named_child(0) {
                    self.visit(first, depth + 1);
                }
            }
            "scoped_identifier" | "package_declaration" | "import_declaration" | "module_declaration" | "line_comment" | "block_comment" | "switch_label" | "labeled_statement_label" | "break_statement" | "continue_statement" => {}
            "labeled_statement" => {
                for c in named_children(node).into_iter().skip(1) {
                    self.visit(c, depth + 1);
                }
            }
            "marker_annotation" | "annotation" => {
                if let Some(n) = node.child_by_field_name("name") {
                    if n.kind() == "identifier" {
                        self.check_type(n);
                    }
                }
                if let Some(args) = node.child_by_field_name("arguments") {
                    for c in named_children(args) {
                        if c.kind() == "element_value_pair" {
                            if let Some(v) = c.child_by_field_name("value") {
                                self.visit(v, depth + 1);
                            }
                        } else {
                            self.visit(c, depth + 1);
                        }
                    }
                }
            }
            "field_access" => {
                if let Some(f) = node.child_by_field_name("field") {
                    if f.kind() == "identifier" {
                        let pos = f.start_position();
                        let field = text(f, self.src).to_string();
                        let key = match node.child_by_field_name("object") {
                            Some(o) if o.kind() == "identifier" && self.globals.types.contains(text(o, self.src)) => format!("{}.{field}", text(o, self.src)),
                            _ => field,
                        };
                        self.model.member_refs.push((key, blame_line(node), pos.column));
                    }
                }
                if let Some(obj) = node.child_by_field_name("object") {
                    if obj.kind() == "identifier" && PACKAGE_ROOTS.contains(&text(obj, self.src)) {
                        return;
                    }
                    self.visit(obj, depth + 1);
                }
            }
            "method_invocation" => {
                let name = node.child_by_field_name("name");
                let obj = node.child_by_field_name("object");
                if let Some(n) = name {
                    let key = text(n, self.src).to_string();
                    let local = obj.is_none() || obj.is_some_and(|o| o.kind() == "this");
                    self.record_call(node, key.clone(), local);
                    if obj.is_none() && !self.globals.methods.contains(&key) {
                        self.unresolved(n, RefKind::Method);
                    }
                }
                if let Some(o) = obj {
                    if !(o.kind() == "identifier" && PACKAGE_ROOTS.contains(&text(o, self.src))) {
                        self.visit(o, depth + 1);
                    }
                }
                for field in ["type_arguments", "arguments"] {
                    if let Some(c) = node.child_by_field_name(field) {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "assignment_expression" => {
                let left = node.child_by_field_name("left");
                if let Some(l) = left {
                    let target = if l.kind() == "field_access" { l.child_by_field_name("field") } else { Some(l) };
                    if let Some(t) = target {
                        self.model.assigned_names.insert(text(t, self.src).to_string());
                    }
                }
                let simple = node.child_by_field_name("operator").is_some_and(|o| text(o, self.src) == "=");
                match left {
                    Some(l) if simple && l.kind() == "identifier" => {
                        if let Some(r) = node.child_by_field_name("right") {
                            self.visit(r, depth + 1);
                        }
                        let name = text(l, self.src).to_string();
                        if !self.is_unassigned(&name) {
                            self.check_value(l);
                        }
                        if !conditionally_reached(node) {
                            self.assigned(&name);
                        }
                    }
                    _ => self.visit_all(node, depth),
                }
            }
            "method_reference" => {
                if let Some(first) = node.named_child(0) {
                    self.visit(first, depth + 1);
                }
            }
            "object_creation_expression" => {
                if let Some(t) = node.child_by_field_name("type") {
                    let name = text(t, self.src);
                    let base = name.split('<').next().unwrap_or(name).trim().to_string();
                    let has_outer = named_children(node).first().is_some_and(|c| node.child_by_field_name("type") != Some(*c) && c.kind() != "type_arguments" && c.kind() != "annotation" && c.kind() != "marker_annotation");
                    if !has_outer {
                        self.record_call(node, format!("new {base}"), true);
                    }
                }
                let outer_scoped = named_children(node).first().is_some_and(|c| Some(*c) != node.child_by_field_name("type") && c.kind() != "type_arguments");
                for c in named_children(node) {
                    if c.kind() == "class_body" {
                        if let Some(t) = node.child_by_field_name("type") {
                            let name = text(t, self.src);
                            let base = name.split('<').next().unwrap_or(name).trim();
                            self.model.classes.push(class_info(format!("anon:{base}"), blame_line(node), c, self.src, true));
                        }
                        self.with_scope(|w| w.visit(c, depth + 1));
                    } else if outer_scoped && Some(c) == node.child_by_field_name("type") {
                        // `outer.new Inner()`: Inner is a member of outer's type.
                    } else {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "explicit_constructor_invocation" => {
                if let Some(c) = node.child_by_field_name("constructor") {
                    let key = format!("{}(", text(c, self.src));
                    let local = node.child_by_field_name("object").is_none();
                    self.record_call(node, key, local);
                }
                self.visit_all(node, depth);
            }
            "class_declaration" | "interface_declaration" | "enum_declaration" | "record_declaration" | "annotation_type_declaration" => {
                let is_abstract = named_children(node).iter().any(|c| c.kind() == "modifiers" && text(*c, self.src).split_whitespace().any(|w| w == "abstract"));
                if matches!(node.kind(), "class_declaration" | "record_declaration") {
                    if let (Some(n), Some(b)) = (node.child_by_field_name("name"), node.child_by_field_name("body")) {
                        let has_superclass = node.child_by_field_name("superclass").is_some();
                        let has_supertypes = has_superclass || node.child_by_field_name("interfaces").is_some();
                        let mut info = class_info(text(n, self.src).to_string(), node.start_position().row, b, self.src, has_supertypes);
                        info.has_superclass = has_superclass;
                        if is_abstract {
                            // An abstract class need not implement anything.
                            info.overrides.clear();
                        }
                        self.model.classes.push(info);
                    }
                }
                self.with_scope(|w| {
                    for c in named_children(node) {
                        if Some(c) == node.child_by_field_name("name") {
                            continue;
                        }
                        if node.kind() == "record_declaration" && Some(c) == node.child_by_field_name("parameters") {
                            for p in named_children(c) {
                                if let Some(t) = p.child_by_field_name("type") {
                                    w.visit(t, depth + 2);
                                }
                            }
                            continue;
                        }
                        w.visit(c, depth + 1);
                    }
                });
            }
            "method_declaration" | "constructor_declaration" | "compact_constructor_declaration" | "annotation_type_element_declaration" => {
                self.with_scope(|w| {
                    for c in named_children(node) {
                        if Some(c) == node.child_by_field_name("name") {
                            continue;
                        }
                        w.visit(c, depth + 1);
                    }
                });
            }
            "formal_parameter" | "catch_formal_parameter" => {
                for c in named_children(node) {
                    if Some(c) == node.child_by_field_name("name") {
                        self.declare(c);
                    } else {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "spread_parameter" | "local_variable_declaration" | "field_declaration" | "constant_declaration" => {
                if node.kind() == "field_declaration" {
                    let mods = named_children(node).into_iter().find(|c| c.kind() == "modifiers").map(|m| text(m, self.src)).unwrap_or("");
                    if mods.split_whitespace().any(|w| w == "final") {
                        for c in named_children(node) {
                            if c.kind() == "variable_declarator" && c.child_by_field_name("value").is_none() {
                                if let Some(n) = c.child_by_field_name("name") {
                                    self.model.blank_finals.push((text(n, self.src).to_string(), node.start_position().row));
                                }
                            }
                        }
                    }
                }
                for c in named_children(node) {
                    if c.kind() == "variable_declarator" {
                        if let Some(v) = c.child_by_field_name("value") {
                            // A local is in scope in its own initializer (javac then
                            // reports it as not initialized); so is a field.
                            if let Some(n) = c.child_by_field_name("name") {
                                self.declare(n);
                            }
                            self.visit(v, depth + 1);
                        } else if let Some(n) = c.child_by_field_name("name") {
                            if node.kind() == "local_variable_declaration" {
                                self.declare_unassigned(n);
                            } else {
                                self.declare(n);
                            }
                        }
                    } else {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "enum_constant" => {
                let enum_name = node.parent().and_then(|b| b.parent()).and_then(|d| d.child_by_field_name("name")).map(|n| text(n, self.src).to_string());
                if let Some(e) = enum_name {
                    self.record_call(node, format!("new {e}"), true);
                }
                for c in named_children(node) {
                    if Some(c) == node.child_by_field_name("name") {
                        continue;
                    }
                    if c.kind() == "class_body" {
                        self.with_scope(|w| w.visit(c, depth + 1));
                    } else {
                        self.visit(c, depth + 1);
                    }
                }
            }
            "block" | "switch_block" | "switch_rule" | "for_statement" | "catch_clause" | "try_with_resources_statement" | "constructor_body" | "class_body" | "interface_body" | "enum_body" | "static_initializer" => {
                self.with_scope(|w| w.visit_all(node, depth));
            }
            "resource" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v, depth + 1);
                }
                if let Some(t) = node.child_by_field_name("type") {
                    self.visit(t, depth + 1);
                }
                match node.child_by_field_name("name") {
                    Some(n) => self.declare(n),
                    None => {
                        for c in named_children(node) {
                            self.visit(c, depth + 1);
                        }
                    }
                }
            }
            "enhanced_for_statement" => {
                if let Some(v) = node.child_by_field_name("value") {
                    self.visit(v, depth + 1);
                }
                self.with_scope(|w| {
                    for c in named_children(node) {
                        if Some(c) == node.child_by_field_name("value") {
                            continue;
                        }
                        if Some(c) == node.child_by_field_name("name") {
                            w.declare(c);
                        } else {
                            w.visit(c, depth + 1);
                        }
                    }
                });
            }
            "lambda_expression" => {
                self.with_scope(|w| {
                    if let Some(p) = node.child_by_field_name("parameters") {
                        match p.kind() {
                            "identifier" => w.declare(p),
                            "inferred_parameters" => {
                                for c in named_children(p) {
                                    w.declare(c);
                                }
                            }
                            _ => w.visit(p, depth + 1),
                        }
                    }
                    if let Some(b) = node.child_by_field_name("body") {
                        w.visit(b, depth + 1);
                    }
                });
            }
            "instanceof_expression" | "type_pattern" | "record_pattern_component" => {
                for c in named_children(node) {
                    if c.kind() == "identifier" && node.kind() != "instanceof_expression" {
                        continue;
                    }
                    if Some(c) == node.child_by_field_name("name") {
                        continue;
                    }
                    self.visit(c, depth + 1);
                }
            }
            "type_parameter" => {
                for c in named_children(node) {
                    if c.kind() != "type_identifier" {
                        self.visit(c, depth + 1);
                    }
                }
            }
            _ => self.visit_all(node, depth),
        }
    }
}

impl Model {
    pub fn build(source: &str, tree: &Tree) -> Model {
        let src = source.as_bytes();
        let mut model = Model::default();
        let globals = collect_globals(tree.root_node(), src, &mut model);
        let mut walker = Walker { src, globals, scopes: vec![HashSet::new()], uninit: vec![HashSet::new()], model };
        walker.visit(tree.root_node(), 0);
        let mut model = walker.model;
        annotation_pairs(source, tree, &mut model);
        model
    }

    /// What the full program references but never declares, plus its call arities and
    /// wildcard imports (see [`undefined`] and [`arity`]).
    pub fn context(&self) -> ProgramContext {
        let mut names: HashSet<String> = self.unresolved.iter().map(|u| u.name.clone()).collect();
        for call in &self.calls {
            names.insert(format!("{ARGC_PREFIX}{}:{}", call.key, call.argc));
        }
        for w in &self.wildcard_imports {
            names.insert(format!("{WILDCARD_PREFIX}{w}"));
        }
        if self.static_wildcard {
            names.insert(format!("{WILDCARD_PREFIX}static"));
        }
        for pair in &self.annotation_lines {
            names.insert(format!("{ANNOTATION_PREFIX}{pair}"));
        }
        for (i, (key, min, max)) in self.decls.iter().enumerate() {
            names.insert(format!("{DECL_PREFIX}{key}:{i}:{min}:{}", max.map_or("*".to_string(), |m| m.to_string())));
        }
        for f in &self.fields {
            names.insert(format!("{FIELD_PREFIX}{f}"));
        }
        for c in &self.classes {
            if c.has_superclass && c.ctor_count > 0 && c.ctors_without_invocation.is_empty() {
                names.insert(format!("{CTOR_PREFIX}{}", c.key));
            }
            for m in &c.overrides {
                names.insert(format!("{REQUIRES_PREFIX}{}:{m}", c.key));
            }
        }
        ProgramContext { external_names: names }
    }
}

/// E0602: references nothing declares. With a context, names the full program also
/// leaves undeclared are fine, unless a wildcard import that may have supplied them
/// is gone; without one, types may come from wildcard imports and unqualified names
/// from external supertypes, so those stay silent.
pub fn undefined(model: &Model, ctx: Option<&ProgramContext>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let lost_wildcard = ctx.is_some_and(|c| {
        c.external_names.iter().filter_map(|n| n.strip_prefix(WILDCARD_PREFIX)).any(|w| {
            if w == "static" {
                !model.static_wildcard
            } else {
                !model.wildcard_imports.iter().any(|m| m == w)
            }
        })
    });
    for u in &model.unresolved {
        let silent = match ctx {
            Some(c) => c.external_names.contains(&u.name) && !(lost_wildcard && u.name.chars().next().is_some_and(|ch| ch.is_uppercase())),
            None => {
                model.static_wildcard
                    || (u.kind == RefKind::Type || u.name.chars().next().is_some_and(|ch| ch.is_uppercase())) && !model.wildcard_imports.is_empty()
                    || u.kind != RefKind::Type && model.external_supertype
            }
        };
        if !silent {
            let what = match u.kind {
                RefKind::Value => "variable",
                RefKind::Method => "method",
                RefKind::Type => "type",
            };
            out.push(Diagnostic::new(u.line, u.column, "E0602", format!("cannot find symbol: {what} {}", u.name)));
        }
    }
    out
}

/// E1120/E1121: a call whose argument count no callee can take. With a context: an
/// argument count the full program never passes to that callee (an argument line was
/// deleted); without one: no method of the program with that name takes it.
pub fn arity(model: &Model, ctx: Option<&ProgramContext>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for call in &model.calls {
        let known: Option<Vec<(usize, Option<usize>)>> = match ctx {
            Some(c) => {
                let argcs: Vec<(usize, Option<usize>)> = (0..=call.argc + 8).filter(|n| c.external_names.contains(&format!("{ARGC_PREFIX}{}:{n}", call.key))).map(|n| (n, Some(n))).collect();
                if argcs.is_empty() { None } else { Some(argcs) }
            }
            None if call.local && !model.external_supertype => model.arities.get(&call.key).cloned(),
            None => None,
        };
        let Some(known) = known else { continue };
        if known.iter().any(|&(min, max)| call.argc >= min && max.is_none_or(|m| call.argc <= m)) {
            continue;
        }
        let fewer = known.iter().all(|&(min, _)| call.argc < min);
        let (code, what) = if fewer { ("E1120", "too few") } else { ("E1121", "too many") };
        out.push(Diagnostic::new(call.line, call.column, code, format!("{what} arguments ({}) in call to {}", call.argc, call.key)));
    }
    out
}

fn admits(min: usize, max: Option<usize>, argc: usize) -> bool {
    argc >= min && max.is_none_or(|m| argc <= m)
}

/// Checks that need the full program: a call that fewer of the program's own methods
/// can take than in the full program (a callee or an overload was deleted); a member
/// access to a field the full program declares and this state does not; a concrete
/// class missing an `@Override` method the full program gives it (javac: does not
/// override abstract method); a read of a local that nothing assigned yet.
pub fn contextual(model: &Model, ctx: Option<&ProgramContext>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, line) in &model.blank_finals {
        if !model.assigned_names.contains(name) {
            out.push(Diagnostic::new(*line, 0, "E0601", format!("final field {name} is never assigned")));
        }
    }
    for u in &model.unassigned_reads {
        out.push(Diagnostic::new(u.line, u.column, "E0601", format!("variable {} might not have been initialized", u.name)));
    }
    let Some(ctx) = ctx else { return out };
    let mut full_decls: HashMap<&str, Vec<(usize, Option<usize>)>> = HashMap::new();
    let mut full_fields: HashSet<&str> = HashSet::new();
    let mut requires: HashMap<&str, Vec<&str>> = HashMap::new();
    for entry in &ctx.external_names {
        if let Some(rest) = entry.strip_prefix(DECL_PREFIX) {
            let mut parts = rest.rsplitn(4, ':');
            let (Some(max), Some(min), Some(_), Some(key)) = (parts.next(), parts.next(), parts.next(), parts.next()) else { continue };
            let (Ok(min), max) = (min.parse::<usize>(), max.parse::<usize>().ok()) else { continue };
            full_decls.entry(key).or_default().push((min, max));
        } else if let Some(f) = entry.strip_prefix(FIELD_PREFIX) {
            full_fields.insert(f);
        } else if let Some(rest) = entry.strip_prefix(REQUIRES_PREFIX) {
            if let Some((class, method)) = rest.rsplit_once(':') {
                requires.entry(class).or_default().push(method);
            }
        }
    }
    for call in &model.calls {
        let Some(full) = full_decls.get(call.key.as_str()) else { continue };
        let in_full = full.iter().filter(|&&(min, max)| admits(min, max, call.argc)).count();
        let in_state = model.decls.iter().filter(|(k, min, max)| *k == call.key && admits(*min, *max, call.argc)).count();
        if in_state < in_full {
            out.push(Diagnostic::new(call.line, call.column, "E1120", format!("the method {} taking {} arguments was deleted", call.key, call.argc)));
        }
    }
    for (name, line, column) in &model.member_refs {
        if full_fields.contains(name.as_str()) && !model.fields.contains(name) {
            out.push(Diagnostic::new(*line, *column, "E1101", format!("no field {name}")));
        }
    }
    for class in &model.classes {
        if ctx.external_names.contains(&format!("{CTOR_PREFIX}{}", class.key)) {
            if class.ctor_count == 0 {
                out.push(Diagnostic::new(class.line, 0, "E0110", format!("{} lost the constructors that call its superclass's", class.key)));
            }
            for &line in &class.ctors_without_invocation {
                out.push(Diagnostic::new(line, 0, "E0110", "constructor lost its this(...) / super(...) call"));
            }
        }
        if let Some(required) = requires.get(class.key.as_str()) {
            if let Some(missing) = required.iter().find(|m| !class.methods.contains(**m)) {
                out.push(Diagnostic::new(class.line, 0, "E0110", format!("{} does not implement {missing}", class.key)));
            }
        }
    }
    out
}

/// Lines that hold only annotations, paired with the next line of code: an annotation
/// whose declaration was deleted lands on whatever follows, which javac may reject.
fn annotation_pairs(source: &str, tree: &Tree, model: &mut Model) {
    let lines: Vec<&str> = source.split('\n').collect();
    let mut rows: Vec<usize> = Vec::new();
    let mut stack = vec![tree.root_node()];
    while let Some(node) = stack.pop() {
        if matches!(node.kind(), "marker_annotation" | "annotation") {
            let start = node.start_position();
            let end = node.end_position();
            let line = lines.get(start.row).copied().unwrap_or("");
            let code = line.split("//").next().unwrap_or(line).trim();
            if start.row == end.row && code == node.utf8_text(source.as_bytes()).unwrap_or("").trim() {
                rows.push(start.row);
            }
            continue;
        }
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
    }
    rows.sort_unstable();
    rows.dedup();
    for row in rows {
        let code = |l: &str| {
            let t = l.trim();
            let t = t.split("//").next().unwrap_or(t).trim();
            t.to_string()
        };
        let this = code(lines[row]);
        let next = lines[row + 1..].iter().map(|l| code(l)).find(|l| !l.is_empty() && !l.starts_with('*') && !l.starts_with("/*")).unwrap_or_default();
        model.annotation_lines.push(format!("{this}\n{next}"));
        model.annotation_line_rows.push(row);
    }
}

/// E0113 (with the full program known): an annotation line followed by code it did
/// not precede in the full program.
pub fn misplaced_annotations(model: &Model, ctx: Option<&ProgramContext>) -> Vec<Diagnostic> {
    let Some(ctx) = ctx else { return Vec::new() };
    model
        .annotation_lines
        .iter()
        .zip(&model.annotation_line_rows)
        .filter(|(pair, _)| !ctx.external_names.contains(&format!("{ANNOTATION_PREFIX}{pair}")))
        .map(|(_, &row)| Diagnostic::new(row, 0, "E0113", "annotation lost the declaration it annotated"))
        .collect()
}

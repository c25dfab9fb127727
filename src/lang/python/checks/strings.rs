//! Format strings against their arguments, where both are written out: a string literal
//! `%` a tuple display (or a single literal), and a string literal's `.format(...)`
//! with plain arguments. Too many arguments is E1305, too few E1306. Anything unusual
//! (mapping keys, `*args`, a right side only inference could count) is left alone.

use crate::lang::python::tree::{named_children, Node};

use crate::lang::python::fields::Field;

use super::syntax_util::text;
use super::Context;
use crate::lang::{CheckInfo, Diagnostic};

pub const INFOS: &[CheckInfo] = &[
    CheckInfo { code: "E1305", name: "too-many-format-args", summary: "more arguments than the format string uses" },
    CheckInfo { code: "E1306", name: "too-few-format-args", summary: "fewer arguments than the format string needs" },
];

/// The value of a plain (non-f, non-bytes) string literal or implicit concatenation of
/// them, escapes kept as written (they never look like format fields).
fn literal_value(src: &str, node: Node) -> Option<String> {
    match node.kind_str() {
        "string" => {
            let mut cursor = node.walk();
            let mut out = String::new();
            for child in node.children(&mut cursor) {
                match child.kind_str() {
                    "string_start" => {
                        let prefix = text(src, child).to_ascii_lowercase();
                        if prefix.contains('f') || prefix.contains('b') {
                            return None;
                        }
                    }
                    "string_content" | "escape_sequence" => out.push_str(text(src, child)),
                    "string_end" => {}
                    _ => return None,
                }
            }
            Some(out)
        }
        "concatenated_string" => {
            let mut out = String::new();
            for child in named_children(node) {
                if child.kind_str() == "comment" {
                    continue;
                }
                out.push_str(&literal_value(src, child)?);
            }
            Some(out)
        }
        "parenthesized_expression" => node.named_child(0).filter(|_| node.named_child_count() == 1).and_then(|c| literal_value(src, c)),
        _ => None,
    }
}

/// A `%` conversion's width or precision: `*` (one more argument) or digits.
fn skip_width(b: &[u8], i: &mut usize, count: &mut usize) {
    if *i < b.len() && b[*i] == b'*' {
        *count += 1;
        *i += 1;
    } else {
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
    }
}

/// How many positional arguments a `%` format needs; `None` if it uses mapping keys
/// or is malformed (other messages' business).
fn percent_args(fmt: &str) -> Option<usize> {
    let b = fmt.as_bytes();
    let mut i = 0;
    let mut count = 0;
    while i < b.len() {
        if b[i] != b'%' {
            i += 1;
            continue;
        }
        i += 1;
        if i >= b.len() {
            return None;
        }
        if b[i] == b'%' {
            i += 1;
            continue;
        }
        if b[i] == b'(' {
            return None;
        }
        while i < b.len() && b"#0- +".contains(&b[i]) {
            i += 1;
        }
        skip_width(b, &mut i, &mut count);
        if i < b.len() && b[i] == b'.' {
            i += 1;
            skip_width(b, &mut i, &mut count);
        }
        while i < b.len() && b"hlL".contains(&b[i]) {
            i += 1;
        }
        if i >= b.len() || !b"diouxXeEfFgGcrsa".contains(&b[i]) {
            return None;
        }
        count += 1;
        i += 1;
    }
    Some(count)
}

/// Fields of a `str.format` string: (implicit `{}` count, distinct explicit indices,
/// whether any named field); `None` if malformed.
fn format_fields(fmt: &str) -> Option<(usize, Vec<usize>, bool)> {
    let mut implicit = 0;
    let mut explicit: Vec<usize> = Vec::new();
    let mut named = false;
    scan_format(fmt, &mut implicit, &mut explicit, &mut named, 0)?;
    explicit.sort_unstable();
    explicit.dedup();
    Some((implicit, explicit, named))
}

fn scan_format(fmt: &str, implicit: &mut usize, explicit: &mut Vec<usize>, named: &mut bool, depth: usize) -> Option<()> {
    if depth > 2 {
        return None;
    }
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '{' if chars.get(i + 1) == Some(&'{') => i += 2,
            '}' if chars.get(i + 1) == Some(&'}') => i += 2,
            '}' => return None,
            '{' => {
                // The field runs to the matching brace (format specs may nest fields).
                let mut level = 1;
                let mut j = i + 1;
                while j < chars.len() && level > 0 {
                    match chars[j] {
                        '{' => level += 1,
                        '}' => level -= 1,
                        _ => {}
                    }
                    j += 1;
                }
                if level != 0 {
                    return None;
                }
                let field: String = chars[i + 1..j - 1].iter().collect();
                let (head, spec) = match field.find([':', '!']) {
                    Some(k) => (&field[..k], Some(&field[k..])),
                    None => (&field[..], None),
                };
                let key = head.split(['.', '[']).next().unwrap_or("");
                if key.is_empty() {
                    if head.is_empty() {
                        *implicit += 1;
                    } else {
                        // `{[0]}` / `{.x}`: pylint counts it as an implicit one.
                        *implicit += 1;
                    }
                } else if key.bytes().all(|c| c.is_ascii_digit()) {
                    explicit.push(key.parse().ok()?);
                } else {
                    *named = true;
                }
                if let Some(spec) = spec {
                    if let Some(colon) = spec.find(':') {
                        scan_format(&spec[colon + 1..], implicit, explicit, named, depth + 1)?;
                    }
                }
                i = j;
            }
            _ => i += 1,
        }
    }
    Some(())
}

fn report(node: Node, out: &mut Vec<Diagnostic>, given: usize, needed: usize) {
    let p = node.start_position();
    if given > needed {
        out.push(Diagnostic::new(p.row, p.column, "E1305", "Too many arguments for format string"));
    } else if given < needed {
        out.push(Diagnostic::new(p.row, p.column, "E1306", "Not enough arguments for format string"));
    }
}

fn check_percent(src: &str, binop: Node, out: &mut Vec<Diagnostic>) {
    if binop.field(Field::Operator).is_none_or(|o| o.kind_str() != "%") {
        return;
    }
    let (Some(left), Some(right)) = (binop.field(Field::Left), binop.field(Field::Right)) else { return };
    let Some(fmt) = literal_value(src, left) else { return };
    let Some(needed) = percent_args(&fmt) else { return };
    let given = match right.kind_str() {
        "tuple" => {
            let items: Vec<Node> = named_children(right).filter(|c| c.kind_str() != "comment").collect();
            if items.iter().any(|c| c.kind_str() == "list_splat") {
                return;
            }
            items.len()
        }
        "string" | "concatenated_string" | "integer" | "float" | "true" | "false" | "none" | "list" | "lambda" | "list_comprehension" | "set_comprehension"
        | "generator_expression" => 1,
        _ => return,
    };
    report(binop, out, given, needed);
}

fn check_format_call(src: &str, call: Node, out: &mut Vec<Diagnostic>) {
    let Some(func) = call.field(Field::Function).filter(|f| f.kind_str() == "attribute") else { return };
    if func.field(Field::Attribute).is_none_or(|a| text(src, a) != "format") {
        return;
    }
    let Some(fmt) = func.field(Field::Object).and_then(|o| literal_value(src, o)) else { return };
    let Some(args) = call.field(Field::Arguments).filter(|a| a.kind_str() == "argument_list") else { return };
    let mut positional = 0;
    let mut keywords = 0;
    for a in named_children(args) {
        match a.kind_str() {
            "list_splat" | "dictionary_splat" => return,
            "keyword_argument" => keywords += 1,
            "comment" => {}
            _ => positional += 1,
        }
    }
    let Some((implicit, explicit, named)) = format_fields(&fmt) else { return };
    if implicit > 0 && !explicit.is_empty() {
        return;
    }
    let needed = if implicit > 0 { implicit } else { explicit.len() };
    if named && !(keywords > 0 && (positional > 0 || needed > 0)) {
        return;
    }
    if needed == 0 && positional == 0 {
        return;
    }
    report(call, out, positional, needed);
}

pub fn run(ctx: &Context, out: &mut Vec<Diagnostic>) {
    run_in(ctx, None, out);
}

/// [`run`] on the operators and calls that start in the byte range `within` only (all
/// for `None`): each is judged by its own text.
pub fn run_in(ctx: &Context, within: Option<(u32, u32)>, out: &mut Vec<Diagnostic>) {
    let src = ctx.source;
    let percent = src.contains('%');
    if !percent && !src.contains(".format") {
        return;
    }
    if percent {
        for n in ctx.of_kind("binary_operator").filter(|n| super::starts_within(*n, within)) {
            check_percent(src, n, out);
        }
    }
    for &call in super::starting_within(&ctx.calls, within) {
        check_format_call(src, call, out);
    }
}

//! What a deletion takes from code rustc checks as a whole: a trait `impl` must keep
//! every item it had (E0046, not all trait items implemented), and a loop the compiler
//! may run (in a `const fn`, a `const` or `static` initializer, a `const` block) must keep every
//! line (a loop that lost its increment never ends: "constant evaluation is taking a
//! long time"). A multi-line `match` may lose arms only while it ends in a `_` arm
//! (still exhaustive). All compare with the full program, remembered in the context.

use tree_sitter::{Node, Tree};

use crate::lang::{treesitter, Diagnostic, ProgramContext};

/// A trait impl of the full program: its first line and the names of its items.
const TRAIT_IMPL: &str = "traitimpl ";
/// A loop of the full program that the compiler evaluates, by its tokens.
const CONST_LOOP: &str = "constloop ";
/// A multi-line `match` of the full program: its arms' tokens.
const MATCH_ARMS: &str = "matcharms ";
/// Separates the arms of a [`MATCH_ARMS`] entry.
const ARM_SEPARATOR: char = '\u{2}';

fn named(node: Node) -> Vec<Node> {
    let mut cursor = node.walk();
    node.named_children(&mut cursor).filter(|c| !c.kind().ends_with("comment")).collect()
}

/// Every keyed construct of `source`: (row, context entry).
fn keys(tree: &Tree, source: &str) -> Vec<(usize, String)> {
    let text = |n: Node| n.utf8_text(source.as_bytes()).unwrap_or("");
    let mut out = Vec::new();
    let mut stack = vec![(tree.root_node(), false)];
    while let Some((node, in_const)) = stack.pop() {
        let row = node.start_position().row;
        match node.kind() {
            "impl_item" if node.child_by_field_name("trait").is_some() => {
                let mut items: Vec<&str> = node
                    .child_by_field_name("body")
                    .map(|body| named(body).into_iter().filter_map(|i| i.child_by_field_name("name")).map(text).collect())
                    .unwrap_or_default();
                items.sort_unstable();
                let header = text(node).split('\n').next().unwrap_or("").trim();
                out.push((row, format!("{TRAIT_IMPL}{header}\u{1}{}", items.join(","))));
            }
            "match_block" if node.end_position().row > row => {
                let arms: Vec<String> = named(node).into_iter().map(|arm| treesitter::node_shape(arm, source, &["block"])).collect();
                out.push((row, format!("{MATCH_ARMS}{}", arms.join(&ARM_SEPARATOR.to_string()))));
            }
            "while_expression" | "loop_expression" | "for_expression" if in_const => {
                out.push((row, format!("{CONST_LOOP}{}", treesitter::node_shape(node, source, &[]))));
            }
            _ => {}
        }
        let const_fn = node.kind() == "function_item"
            && named(node).into_iter().any(|c| c.kind() == "function_modifiers" && text(c).split_whitespace().any(|w| w == "const"));
        let in_const = in_const || const_fn || matches!(node.kind(), "const_item" | "static_item" | "const_block");
        stack.extend(named(node).into_iter().map(|c| (c, in_const)));
    }
    out
}

/// Records the full program's trait impls and evaluated loops in `ctx`.
pub fn remember(ctx: &mut ProgramContext, tree: &Tree, original: &str) {
    for (_, key) in keys(tree, original) {
        ctx.external_names.insert(key);
    }
}

/// E1120 for each trait impl that lost an item and each evaluated loop that lost a
/// line, blamed on its first line. Nothing without a context built from a program.
pub fn diagnostics(ctx: &ProgramContext, tree: &Tree, source: &str) -> Vec<Diagnostic> {
    if !treesitter::has_shapes(ctx) {
        return Vec::new();
    }
    keys(tree, source)
        .into_iter()
        .filter(|(_, key)| !ctx.external_names.contains(key))
        .filter_map(|(row, key)| {
            let what = match key.strip_prefix(MATCH_ARMS) {
                Some(arms) if still_exhaustive(ctx, arms) => return None,
                Some(_) => "a match lost an arm",
                None if key.starts_with(TRAIT_IMPL) => "a trait impl lost an item",
                None => "a loop the compiler evaluates lost a line",
            };
            Some(Diagnostic::new(row, 0, "E1120", what))
        })
        .collect()
}

/// Whether a `match` with these arms ends in a `_` arm and keeps, in order, arms of
/// one `match` of the full program (it lost only arms the `_` now covers).
fn still_exhaustive(ctx: &ProgramContext, arms: &str) -> bool {
    let arms: Vec<&str> = arms.split(ARM_SEPARATOR).collect();
    let catch_all = arms.last().is_some_and(|a| a.starts_with("match_arm _ =>"));
    catch_all
        && ctx.external_names.iter().filter_map(|k| k.strip_prefix(MATCH_ARMS)).any(|full| {
            let mut full = full.split(ARM_SEPARATOR);
            arms.iter().all(|a| full.any(|f| f == *a))
        })
}

//! Python: CPython-faithful syntax check -> tree-sitter-python's syntax tree (built from
//! the same tokens, or parsed by tree-sitter) -> semantic model -> small checks.
//! Verdicts never depend on what is installed: imports are not resolved.

pub mod checks;
pub mod fields;
pub mod model;
pub mod syntax;
pub mod tokenizer;
pub mod tree;
pub mod tree_build;

use std::cell::{Cell, RefCell};
use std::sync::OnceLock;

use tree_sitter::{InputEdit, Parser, Point, Tree};

use super::{CheckInfo, Diagnostic, Language};
use tokenizer::{TokenKind, Tokens};

pub struct Python;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut parser = Parser::new();
        parser.set_language(&tree_sitter_python::LANGUAGE.into()).expect("tree-sitter-python grammar loads");
        parser
    });
}

/// Parses `source` with this thread's parser (built once per thread).
pub fn parse(source: &str) -> Tree {
    PARSER.with(|p| p.borrow_mut().parse(source, None)).expect("parsing without a timeout or cancellation returns a tree")
}

thread_local! {
    /// The last program [`parse_reusing`] parsed on this thread, with its tree (only
    /// trees without errors are kept).
    static LAST: RefCell<Option<(String, Tree)>> = const { RefCell::new(None) };
}

/// The tree-sitter point (row, byte column) of byte `offset` of `text`.
fn point_at(text: &[u8], offset: usize) -> Point {
    let before = &text[..offset];
    match before.iter().rposition(|&b| b == b'\n') {
        Some(nl) => Point { row: before.iter().filter(|&&b| b == b'\n').count(), column: offset - nl - 1 },
        None => Point { row: 0, column: offset },
    }
}

/// The single edit that turns `old` into `new`: the common prefix and suffix are kept,
/// the middle is replaced. Offsets are on character boundaries of both texts.
fn edit_between(old: &str, new: &str) -> InputEdit {
    let (a, b) = (old.as_bytes(), new.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(prefix) && new.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let room = a.len().min(b.len()) - prefix;
    let mut suffix = a.iter().rev().zip(b.iter().rev()).take(room).take_while(|(x, y)| x == y).count();
    while !(old.is_char_boundary(a.len() - suffix) && new.is_char_boundary(b.len() - suffix)) {
        suffix -= 1;
    }
    let (old_end, new_end) = (a.len() - suffix, b.len() - suffix);
    InputEdit {
        start_byte: prefix,
        old_end_byte: old_end,
        new_end_byte: new_end,
        start_position: point_at(a, prefix),
        old_end_position: point_at(a, old_end),
        new_end_position: point_at(b, new_end),
    }
}

/// Parses `source` like [`parse`], reusing the tree of the last program parsed on this
/// thread when there is one: the sampler lints many states of one program, each a few
/// lines away from the last. The result is the tree a fresh parse gives: reuse starts
/// only from an error-free tree, and a tree with an error is always re-parsed from
/// scratch (error recovery is where incremental and fresh parses may disagree).
pub fn parse_reusing(source: &str) -> Tree {
    PARSER.with(|p| {
        let mut parser = p.borrow_mut();
        LAST.with(|last| {
            let mut last = last.borrow_mut();
            let reused = last.take().and_then(|(old_text, mut old_tree)| {
                if old_text == source {
                    return Some(old_tree);
                }
                old_tree.edit(&edit_between(&old_text, source));
                parser.parse(source, Some(&old_tree)).filter(|t| !t.root_node().has_error())
            });
            let tree = reused.unwrap_or_else(|| {
                parser.parse(source, None).expect("parsing without a timeout or cancellation returns a tree")
            });
            if !tree.root_node().has_error() {
                *last = Some((source.to_string(), tree.clone()));
            }
            tree
        })
    })
}

/// Lints one Python program: at most one syntax error (as CPython stops at the first),
/// otherwise the findings of every semantic check, sorted by line.
pub fn lint(source: &str) -> Vec<Diagnostic> {
    // The syntax check reads only the source (its own CPython-faithful tokenizer and
    // parser), so a program with a syntax error needs no tree-sitter parse at all.
    let last_clean = LAST_CLEAN.replace(0);
    let tokens = match syntax::check_keeping_tokens(source) {
        Ok(tokens) => tokens,
        Err(error) => return vec![error],
    };
    let generation = tokens.generation;
    // Most valid programs get their tree from the same tokens; tree-sitter parses the
    // rest.
    let built = tree_build::build(source, &tokens);
    #[cfg(test)]
    if CHECK_TREES.get() {
        if let Some(ours) = &built {
            let theirs = tree::SyntaxTree::from_tree_sitter(&parse(source));
            assert_eq!(ours.first_difference(&theirs), None, "{source}");
        }
    }
    let skip = only_docstring_lines_deleted(&tokens, last_clean);
    syntax::give_back(tokens);
    if skip {
        // The tree is still built and kept: the next one copies its statements. (Keeping
        // the last tree instead, linked through these tokens, measured worse: one link
        // spans both edits, and the statements between them are built again.)
        if let Some(tree) = built {
            tree_build::keep(tree);
        }
        #[cfg(debug_assertions)]
        assert_clean_afresh(source);
        #[cfg(test)]
        DOCSTRING_SHORTCUTS.set(DOCSTRING_SHORTCUTS.get() + 1);
        LAST_CLEAN.set(generation);
        return Vec::new();
    }
    let ours = built.is_some();
    let tree = built.unwrap_or_else(|| tree::SyntaxTree::from_tree_sitter(&parse_reusing(source)));
    let mut out = {
        // The model is made from the last one when the edits since are inside units
        // (statements of the module or of a top-level class), on programs long enough
        // for the bookkeeping to pay.
        let reuse = source.len() >= model::REUSE_FROM_BYTES;
        let last = if reuse { LAST_MODEL.take() } else { None };
        let model = last.and_then(|last| model::Model::build_reusing(source, &tree, last)).unwrap_or_else(|| model::Model::build(source, &tree));
        #[cfg(debug_assertions)]
        if let Some(difference) = model.first_difference(&model::Model::build(source, &tree)) {
            panic!("the model made from the last one differs from a fresh one: {difference}\n{source}");
        }
        let ctx = checks::Context::new(source, &tree, &model);
        // The checks keep the findings of the units the edit since the last program
        // analysed on this thread did not touch.
        let out = KEPT.with(|kept| checks::run_all_keeping(&ctx, &mut kept.borrow_mut()));
        if reuse {
            LAST_MODEL.set(Some(model));
        }
        out
    };
    if ours {
        // The next state's tree copies this one's unchanged statements.
        tree_build::keep(tree);
    }
    if out.is_empty() {
        LAST_CLEAN.set(generation);
    }
    out.sort();
    out.dedup();
    out
}

thread_local! {
    /// The generation (`Tokens::generation`) of the program this thread linted last, if
    /// nothing was found in it; 0 otherwise.
    static LAST_CLEAN: Cell<u64> = const { Cell::new(0) };
    /// What the checks kept from the program this thread analysed last.
    static KEPT: RefCell<checks::Kept> = RefCell::new(checks::Kept::default());
    /// The model of the program this thread analysed last.
    static LAST_MODEL: Cell<Option<model::Model>> = const { Cell::new(None) };
}

#[cfg(test)]
thread_local! {
    /// Lint calls answered by [`only_docstring_lines_deleted`] on this thread.
    pub(crate) static DOCSTRING_SHORTCUTS: Cell<usize> = const { Cell::new(0) };
    /// When set, every tree built is compared with tree-sitter's.
    pub(crate) static CHECK_TREES: Cell<bool> = const { Cell::new(false) };
}

/// Whether the program of `tokens` (without a syntax error) is the last one linted on
/// this thread, found clean (generation `last_clean`), with whole lines taken out of the
/// inside of a triple-quoted string that is a statement of its own: a docstring, or a
/// string standing as a comment. The sampler makes such states whenever it draws a line
/// inside a docstring; a long module has many.
///
/// Such a program is clean too, so its analysis can be skipped:
/// - its tokens are the last program's but for that string's, which still holds no
///   `"""` or `'''` of the lines taken out, so it still ends where it did (and its syntax
///   was just checked);
/// - its tree differs only in that string node's text and extent, and positions after it
///   move together, which keeps every order the checks compare;
/// - no check reads the text of a string statement: the model walks only f-string
///   replacement fields (an f-string prefix is refused here), docstrings are recognised by
///   kind, and the strings the checks read (format strings, annotations, literal values)
///   are never statements of their own;
/// - the whole-text guards of the checks (`"def "`, `"class "`, ...) can only turn from
///   true to false when text is taken out, which skips a check that found nothing before.
fn only_docstring_lines_deleted(tokens: &Tokens, last_clean: u64) -> bool {
    let Some(deleted) = tokens.lines_deleted.filter(|d| last_clean != 0 && d.after == last_clean) else {
        return false;
    };
    let list = &tokens.tokens;
    // The token that held the lines taken out starts before the cut, and its closing
    // quotes are at or after it.
    let Some(i) = list.partition_point(|t| (t.start as usize) < deleted.at).checked_sub(1) else {
        return false;
    };
    let string = list[i];
    if string.kind != TokenKind::String || (string.end as usize) < deleted.at + 3 {
        return false;
    }
    let body = tokens.text_of(&string).trim_start_matches(['r', 'R', 'b', 'B', 'u', 'U']);
    if !(body.starts_with("\"\"\"") || body.starts_with("'''")) {
        return false;
    }
    let starts_statement = i == 0 || matches!(list[i - 1].kind, TokenKind::Newline | TokenKind::Indent | TokenKind::Dedent);
    starts_statement && list.get(i + 1).is_some_and(|t| t.kind == TokenKind::Newline)
}

/// Debug builds check [`only_docstring_lines_deleted`]'s claim on every program it
/// answers, with a fresh analysis that shares nothing with the last call.
#[cfg(debug_assertions)]
fn assert_clean_afresh(source: &str) {
    let found = lint_afresh(source);
    assert!(found.is_empty(), "a docstring's lines taken out of a clean program gave {found:?} in:\n{source}");
}

/// [`lint`] from scratch: tree-sitter's tree and nothing kept from earlier calls.
#[cfg(any(test, debug_assertions))]
pub(crate) fn lint_afresh(source: &str) -> Vec<Diagnostic> {
    if let Some(error) = syntax::check_fresh(source) {
        return vec![error];
    }
    let tree = tree::SyntaxTree::from_tree_sitter(&parse(source));
    let model = model::Model::build(source, &tree);
    let ctx = checks::Context::new(source, &tree, &model);
    let mut out = checks::run_all(&ctx);
    out.sort();
    out.dedup();
    out
}

impl Language for Python {
    fn name(&self) -> &'static str {
        "python"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["py", "python3"]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        &["python"]
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["py"]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        &["#"]
    }
    fn checks(&self) -> &'static [CheckInfo] {
        static ALL: OnceLock<Vec<CheckInfo>> = OnceLock::new();
        ALL.get_or_init(checks::all_infos).as_slice()
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        lint(source)
    }
    fn grammar(&self) -> tree_sitter::Language {
        tree_sitter_python::LANGUAGE.into()
    }
}

/// Python with a test's own look at every state it lints first: for the tests that
/// compare what reuse between lint calls gives with what a fresh start gives, on the
/// states the real sampler makes.
#[cfg(test)]
pub(crate) struct Watched<W: Fn(&str) + Send + Sync + 'static>(pub W);

#[cfg(test)]
impl<W: Fn(&str) + Send + Sync + 'static> Language for Watched<W> {
    fn name(&self) -> &'static str {
        "watched-python"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }
    fn fence_tags(&self) -> &'static [&'static str] {
        Python.fence_tags()
    }
    fn extensions(&self) -> &'static [&'static str] {
        &[]
    }
    fn comment_prefixes(&self) -> &'static [&'static str] {
        Python.comment_prefixes()
    }
    fn checks(&self) -> &'static [CheckInfo] {
        Python.checks()
    }
    fn grammar(&self) -> tree_sitter::Language {
        Python.grammar()
    }
    fn lint(&self, source: &str) -> Vec<Diagnostic> {
        (self.0)(source);
        lint(source)
    }
}

/// The longest of [`fixture_programs`].
#[cfg(test)]
pub(crate) fn longest_fixture_program() -> String {
    fixture_programs().into_iter().max_by_key(|p| p.len()).expect("fixture programs")
}

/// The indentation of a line, in bytes.
#[cfg(test)]
pub(crate) fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The Python programs of the fixtures (the stdlib sample and HumanEval), fences removed.
#[cfg(test)]
pub(crate) fn fixture_programs() -> Vec<String> {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut out = Vec::new();
    for path in ["fixtures/corpus/stdlib_sample.jsonl", "fixtures/humaneval.jsonl"] {
        let text = std::fs::read_to_string(format!("{root}/{path}")).expect("fixture");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
            let code = row["response"].as_str().or_else(|| row["completion"].as_str()).unwrap_or("");
            out.push(crate::lintseq::fence::strip_chain_of_thought(code, &["python"]).into_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lintseq::{rng::path_rng, sampler::sample_deletions, SamplerConfig};

    const CLEAN: &str = "import os\n\n\ndef f(path):\n    \"\"\"Join.\n\n    A longer text, ''' aside\n    with a second line\n    and a third.\n    \"\"\"\n    return os.path.join(path, 'x')\n\n\nclass A:\n    r'''Kept.\n    \"\"\" inside\n    more\n    '''\n\n    def m(self):\n        return f(self)\n";

    /// `source` without its lines `from..to` (0-based, `to` excluded).
    fn without(source: &str, from: usize, to: usize) -> String {
        source.split_inclusive('\n').enumerate().filter(|(i, _)| !(from..to).contains(i)).map(|(_, l)| l).collect()
    }

    fn shortcuts() -> usize {
        DOCSTRING_SHORTCUTS.get()
    }

    /// Lints `first`, then `second`: whether the second call was answered without
    /// analysis, and what it found (which must be what a fresh analysis finds).
    fn after(first: &str, second: &str) -> (bool, Vec<Diagnostic>) {
        lint(first);
        let before = shortcuts();
        let found = lint(second);
        assert_eq!(found, lint_afresh(second), "{second}");
        (shortcuts() > before, found)
    }

    #[test]
    fn lines_taken_out_of_a_docstring_of_a_clean_program_need_no_analysis() {
        assert_eq!(lint_afresh(CLEAN), vec![]);
        // One inner line of each docstring, two lines, the blank line.
        for (from, to) in [(7, 8), (8, 9), (7, 9), (5, 6), (16, 17)] {
            assert_eq!(after(CLEAN, &without(CLEAN, from, to)), (true, vec![]), "lines {from}..{to}");
        }
        // The line before the closing quotes, which start the next line at column 0.
        let flush = "def g():\n    \"\"\"Doc\nmore\n\"\"\"\n    return 1\n";
        assert_eq!(after(flush, &without(flush, 2, 3)), (true, vec![]));
    }

    #[test]
    fn other_edits_and_other_strings_are_analysed() {
        // Lines holding the other triple quote, or an opening or closing line.
        for (from, to) in [(6, 7), (6, 8), (15, 16), (4, 5), (9, 10), (14, 15)] {
            let state = without(CLEAN, from, to);
            assert!(!after(CLEAN, &state).0, "lines {from}..{to}");
        }
        // The last program had a finding.
        let dirty = CLEAN.replace("return f(self)", "return g(self)");
        let (skipped, found) = after(&dirty, &without(&dirty, 7, 8));
        assert!(!skipped && found.iter().any(|d| d.code == "E0602"), "{found:?}");
        // Another program linted in between.
        lint(CLEAN);
        lint("x = 1\n");
        let before = shortcuts();
        assert_eq!(lint(&without(CLEAN, 7, 8)), vec![]);
        assert_eq!(shortcuts(), before);
        // Strings that are not statements of their own, and an f-string.
        for program in [
            "x = \"\"\"a\nb\nc\n\"\"\"\n",
            "x = 1\n\"\"\"a\nb\nc\n\"\"\".strip()\n",
            "x = 1; \"\"\"a\nb\nc\n\"\"\"\n",
            "x = 1\nf\"\"\"a\n{x}\nc\n\"\"\"\n",
            "print(\"\"\"a\nb\nc\n\"\"\")\n",
            "x = (\n\"\"\"a\nb\nc\n\"\"\")\n",
        ] {
            assert_eq!(lint_afresh(program), vec![], "{program}");
            assert!(!after(program, &without(program, 2, 3)).0, "{program}");
        }
        // A line of code taken out.
        assert!(!after(CLEAN, &without(CLEAN, 10, 11)).0);
    }

    /// A module whose units have findings of every check that keeps them, some with
    /// another line in their message; comments at the end make it long enough for the
    /// checks to keep findings (`KEEP_FROM_BYTES`).
    static UNITS: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!("{UNITS_CODE}{}", "# A comment line to make the program longer.\n".repeat(40)));
    const UNITS_CODE: &str = "import os\n\n\nclass Base:\n    def __init__(self):\n        self.a = 1\n\n\nclass A(Base):\n    def __init__(self):\n        Base.__init__(self)\n        self.b = 2\n\n    def first(self, path):\n        x = os.path.join(path, 'x')\n        print(x)\n        print(x, path)\n        return x\n\n    def second(self):\n        y = self.c\n        self.c = 3\n        return undefined_name + y + '%s %s' % (1,)\n\n    def second(self):\n        return self.first() + self.missing\n\n\ndef helper(a, b):\n    print(a)\n    return helper(a)\n";

    fn unit_reuses() -> (usize, usize) {
        (checks::UNIT_REUSES.get(), checks::NAMES_REUSES.get())
    }

    /// Lints `first`, then `second` (checked against a fresh analysis): how many checks
    /// and names checks ran on one unit only.
    fn reused_after(first: &str, second: &str) -> (usize, usize) {
        lint(first);
        let (units, names) = unit_reuses();
        assert_eq!(lint(second), lint_afresh(second), "{second}");
        let (units_now, names_now) = unit_reuses();
        (units_now - units, names_now - names)
    }

    #[test]
    fn findings_of_units_an_edit_did_not_touch_are_kept() {
        let found = lint_afresh(&UNITS);
        for code in ["E1101", "E0203", "E0602", "E1306", "E0102", "E1120"] {
            assert!(found.iter().any(|d| d.code == code), "{code} in {found:?}");
        }
        // A read taken out of `first` (lines 15, 16): the other units keep their
        // findings, those after it one line up, the E0102 message's line too.
        assert_eq!(reused_after(&UNITS, &without(&UNITS, 16, 17)), (5, 1));
        assert_eq!(reused_after(&UNITS, &without(&UNITS, 15, 17)), (5, 1));
        // A line of `helper`, the last unit; then its read of `helper`, the module
        // name's first read: the names check runs on the whole program.
        assert_eq!(reused_after(&UNITS, &without(&UNITS, 29, 30)), (5, 1));
        assert_eq!(reused_after(&UNITS, &without(&UNITS, 30, 31)), (5, 0));
        // The only read of `os` in the module: its first read moves, so the names check
        // runs on the whole program; the other checks keep their findings.
        let lone = UNITS.replace("x = os.path.join(path, 'x')", "x = path");
        assert_eq!(reused_after(&UNITS, &lone), (5, 0));
    }

    /// Edits in several units at once, and units taken out whole: the other units keep
    /// their findings.
    #[test]
    fn several_units_changed_or_taken_out_keep_the_others_findings() {
        // A line of `first` and one of `helper`, in one state.
        assert_eq!(reused_after(&UNITS, &without(&without(&UNITS, 29, 30), 16, 17)), (5, 1));
        // `helper` taken out: nothing else names it (its read of itself was the module
        // name's first read, so the names check runs whole).
        assert_eq!(reused_after(&UNITS, &without(&UNITS, 28, 31)), (5, 0));
        // `first` taken out: the method that calls it is judged again (E1101 now), the
        // rest kept; its read of `os` was the only one, so the names check runs whole.
        let state = without(&UNITS, 13, 18);
        assert!(lint_afresh(&state).iter().any(|d| d.code == "E1101" && d.message.contains("'first'")), "{:?}", lint_afresh(&state));
        assert_eq!(reused_after(&UNITS, &state), (5, 0));
    }

    /// Lines taken out of a docstring outside the units (the module's, a class's): the
    /// units keep their findings.
    #[test]
    fn lines_taken_out_of_a_docstring_keep_the_units_findings() {
        let documented = format!("\"\"\"The module.\n\nMore about it.\nAnd more.\n\"\"\"\n{}", &*UNITS).replace("class A(Base):\n", "class A(Base):\n    \"\"\"A class.\n\n    Its details.\n    \"\"\"\n");
        assert_eq!(reused_after(&documented, &without(&documented, 2, 3)), (5, 1));
        let line = documented.lines().position(|l| l.contains("Its details.")).expect("the class docstring");
        assert_eq!(reused_after(&documented, &without(&documented, line, line + 1)), (5, 1));
        // Both at once.
        assert_eq!(reused_after(&documented, &without(&without(&documented, line, line + 1), 2, 4)), (5, 1));
    }

    #[test]
    fn edits_that_reach_other_units_are_analysed_whole() {
        for (what, state) in [
            // An attribute assignment (other methods read the class's attributes).
            ("store", without(&UNITS, 11, 12)),
            // The first statement of a base's `__init__` (W0231 of subclasses reads it).
            ("abstract init", UNITS.replace("        self.a = 1\n", "        pass\n        self.a = 1\n")),
            // A header, a whole method, a class line, a module-level statement.
            ("header", UNITS.replace("def first(self, path)", "def first(self, path, more)")),
            ("method", without(&UNITS, 24, 26)),
            ("class", UNITS.replace("class A(Base)", "class A")),
            ("module", without(&UNITS, 0, 1)),
            // A `global` or a nested def in the unit.
            ("global", UNITS.replace("        print(x)\n", "        global g\n        g = x\n")),
            ("nested", UNITS.replace("        print(x)\n", "        def inner():\n            return x\n")),
        ] {
            assert_eq!(reused_after(&UNITS, &state), (0, 0), "{what}");
        }
    }

    /// The sampler's own states of every fixture program: the shortcut is taken (each
    /// time checked against a fresh analysis by `lint` itself in a debug build), and
    /// every tree built on the way is tree-sitter's.
    #[test]
    fn the_sampler_makes_such_states_and_they_are_clean() {
        CHECK_TREES.set(true);
        let before = shortcuts();
        let cfg = SamplerConfig::default();
        for (row, program) in fixture_programs().iter().enumerate() {
            for seed in 0..2 {
                let _ = sample_deletions(&Python, program, &cfg, &mut path_rng(seed, row as u64, 0));
            }
        }
        let taken = shortcuts() - before;
        eprintln!("{taken} lint calls answered without analysis");
        assert!(taken > 20, "only {taken}");
    }

    /// The sampler's own states of every fixture program: findings are kept for the
    /// units an edit did not touch (each time checked against a whole run by
    /// `run_all_keeping` itself, in this debug build).
    #[test]
    fn the_sampler_makes_states_that_keep_units_findings() {
        let (units, names) = unit_reuses();
        let cfg = SamplerConfig::default();
        for (row, program) in fixture_programs().iter().enumerate() {
            for seed in 0..2 {
                let _ = sample_deletions(&Python, program, &cfg, &mut path_rng(seed, row as u64, 0));
            }
        }
        let (units, names) = (unit_reuses().0 - units, unit_reuses().1 - names);
        eprintln!("{units} checks and {names} names checks ran on one unit");
        assert!(units > 50 && names > 10, "only {units} and {names}");
    }

    /// The same on a long module: the stdlib sample's programs one after another (the
    /// fixtures are short, and most states of a short program are below the size from
    /// which findings are kept).
    #[test]
    fn a_long_module_keeps_findings_of_its_units() {
        let programs = fixture_programs();
        let long: String = programs.iter().filter(|p| lint_afresh(p).iter().all(|d| d.code != "E0001")).take(24).map(|p| format!("{p}\n\n")).collect();
        assert!(long.len() > 8 * checks::KEEP_FROM_BYTES, "{}", long.len());
        let (units, names) = unit_reuses();
        let cfg = SamplerConfig::default();
        for seed in 0..6 {
            let _ = sample_deletions(&Python, &long, &cfg, &mut path_rng(seed, 0, 0));
        }
        let (units, names) = (unit_reuses().0 - units, unit_reuses().1 - names);
        eprintln!("{units} checks and {names} names checks ran on one unit of {} bytes", long.len());
        assert!(units > 300 && names > 60, "only {units} and {names}");
    }

    /// The same module's states get models made from the last one's (each compared with
    /// a fresh model by `lint` itself, in this debug build).
    #[test]
    fn a_long_module_makes_its_models_from_the_last_ones() {
        let programs = fixture_programs();
        let long: String = programs.iter().filter(|p| lint_afresh(p).iter().all(|d| d.code != "E0001")).take(24).map(|p| format!("{p}\n\n")).collect();
        assert!(long.len() > 2 * model::REUSE_FROM_BYTES, "{}", long.len());
        let before = model::MODELS_REUSED.get();
        let cfg = SamplerConfig::default();
        for seed in 0..4 {
            let _ = sample_deletions(&Python, &long, &cfg, &mut path_rng(seed, 0, 0));
        }
        let reused = model::MODELS_REUSED.get() - before;
        eprintln!("{reused} models made from the last one");
        assert!(reused > 40, "only {reused}");
    }

}

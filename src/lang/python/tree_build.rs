//! tree-sitter-python's syntax tree, built from our own tokens instead of a tree-sitter
//! parse.
//!
//! The linter checks every program with its CPython-faithful tokenizer and parser first
//! (`syntax.rs`); only programs without a syntax error get a tree. For those the tokens
//! are already there, and a recursive-descent pass over them that emits the nodes
//! tree-sitter-python would give costs a fraction of a tree-sitter parse plus the copy
//! into [`SyntaxTree`]. [`build`] mirrors the grammar rule by rule (one method per rule,
//! named after it, with tree-sitter's precedences, which are not Python's for `&` and
//! `^`) and returns `None` wherever it is not sure the tree would be the same; the caller
//! then asks tree-sitter. It gives up on constructs it does not know (`match`, `except*`,
//! parenthesized `with` items, `f"{x=}"`, nested format specifiers), on shapes where
//! tree-sitter's conflict resolution surprises (`type(x).y = z`, a trailing comma at the
//! end of a statement, `List[int] | None`), on places where tree-sitter's own parse of
//! valid Python breaks (see `Builder::flush`), on tabs and form feeds between tokens,
//! and on `\r`.
//!
//! What is not in CPython's tokens is rebuilt here:
//! - Extras (comments, line continuations). An extra ends up in the deepest node that has
//!   children on both sides of it. Emitting pending extras just before a node is opened
//!   or a token is added gives that placement, since a node is opened at its first token
//!   and a node known only later (`a + b` once `+` is seen) wraps from its first child.
//! - The scanner's zero-width `_newline`, `_indent` and `_dedent` tokens, which decide
//!   where blocks end: a block ends at its last statement, or at the last comment before
//!   its dedent (comment lines indented at least as deep as the block, up to the first
//!   that is not).
//! - String pieces: `string_start`, `string_content` with its `escape_sequence`s, cut
//!   where the scanner cuts them, `interpolation`s (their expressions are tokenized on
//!   their own), `string_end`.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::LazyLock;

use tree_sitter::Point;

use super::tokenizer::{Reused, Token, TokenKind, TokenMap, Tokens};
use super::tree::{Raw, SyntaxTree, TreeBuilder};

/// Kind ids of the nodes the builder emits, looked up once.
struct Kinds {
    module: u16,
    comment: u16,
    block: u16,
    expression_statement: u16,
    assignment: u16,
    augmented_assignment: u16,
    pattern_list: u16,
    expression_list: u16,
    tuple_pattern: u16,
    list_pattern: u16,
    list_splat_pattern: u16,
    dictionary_splat_pattern: u16,
    return_statement: u16,
    pass_statement: u16,
    break_statement: u16,
    continue_statement: u16,
    delete_statement: u16,
    raise_statement: u16,
    global_statement: u16,
    nonlocal_statement: u16,
    assert_statement: u16,
    import_statement: u16,
    import_from_statement: u16,
    future_import_statement: u16,
    aliased_import: u16,
    dotted_name: u16,
    relative_import: u16,
    import_prefix: u16,
    wildcard_import: u16,
    if_statement: u16,
    elif_clause: u16,
    else_clause: u16,
    for_statement: u16,
    while_statement: u16,
    try_statement: u16,
    except_clause: u16,
    finally_clause: u16,
    with_statement: u16,
    with_clause: u16,
    with_item: u16,
    function_definition: u16,
    class_definition: u16,
    decorated_definition: u16,
    decorator: u16,
    parameters: u16,
    lambda_parameters: u16,
    typed_parameter: u16,
    default_parameter: u16,
    typed_default_parameter: u16,
    keyword_separator: u16,
    positional_separator: u16,
    type_: u16,
    generic_type: u16,
    type_parameter: u16,
    identifier: u16,
    integer: u16,
    float: u16,
    true_: u16,
    false_: u16,
    none: u16,
    ellipsis: u16,
    string: u16,
    concatenated_string: u16,
    string_start: u16,
    string_content: u16,
    string_end: u16,
    escape_sequence: u16,
    escape_interpolation: u16,
    interpolation: u16,
    type_conversion: u16,
    format_specifier: u16,
    line_continuation: u16,
    binary_operator: u16,
    unary_operator: u16,
    comparison_operator: u16,
    not_operator: u16,
    boolean_operator: u16,
    conditional_expression: u16,
    named_expression: u16,
    lambda: u16,
    await_: u16,
    yield_: u16,
    attribute: u16,
    subscript: u16,
    slice: u16,
    call: u16,
    argument_list: u16,
    keyword_argument: u16,
    list_splat: u16,
    dictionary_splat: u16,
    parenthesized_expression: u16,
    tuple: u16,
    list: u16,
    set: u16,
    dictionary: u16,
    pair: u16,
    list_comprehension: u16,
    set_comprehension: u16,
    dictionary_comprehension: u16,
    generator_expression: u16,
    for_in_clause: u16,
    if_clause: u16,
    as_pattern: u16,
    as_pattern_target: u16,
    not_in: u16,
    is_not: u16,
    /// `_not_escape_sequence`: a backslash that starts no escape sequence.
    backslash: u16,
}

static KINDS: LazyLock<Kinds> = LazyLock::new(|| {
    let named = |name: &str| super::fields::kind_id(name, true);
    let anon = |name: &str| super::fields::kind_id(name, false);
    Kinds {
        module: named("module"),
        comment: named("comment"),
        block: named("block"),
        expression_statement: named("expression_statement"),
        assignment: named("assignment"),
        augmented_assignment: named("augmented_assignment"),
        pattern_list: named("pattern_list"),
        expression_list: named("expression_list"),
        tuple_pattern: named("tuple_pattern"),
        list_pattern: named("list_pattern"),
        list_splat_pattern: named("list_splat_pattern"),
        dictionary_splat_pattern: named("dictionary_splat_pattern"),
        return_statement: named("return_statement"),
        pass_statement: named("pass_statement"),
        break_statement: named("break_statement"),
        continue_statement: named("continue_statement"),
        delete_statement: named("delete_statement"),
        raise_statement: named("raise_statement"),
        global_statement: named("global_statement"),
        nonlocal_statement: named("nonlocal_statement"),
        assert_statement: named("assert_statement"),
        import_statement: named("import_statement"),
        import_from_statement: named("import_from_statement"),
        future_import_statement: named("future_import_statement"),
        aliased_import: named("aliased_import"),
        dotted_name: named("dotted_name"),
        relative_import: named("relative_import"),
        import_prefix: named("import_prefix"),
        wildcard_import: named("wildcard_import"),
        if_statement: named("if_statement"),
        elif_clause: named("elif_clause"),
        else_clause: named("else_clause"),
        for_statement: named("for_statement"),
        while_statement: named("while_statement"),
        try_statement: named("try_statement"),
        except_clause: named("except_clause"),
        finally_clause: named("finally_clause"),
        with_statement: named("with_statement"),
        with_clause: named("with_clause"),
        with_item: named("with_item"),
        function_definition: named("function_definition"),
        class_definition: named("class_definition"),
        decorated_definition: named("decorated_definition"),
        decorator: named("decorator"),
        parameters: named("parameters"),
        lambda_parameters: named("lambda_parameters"),
        typed_parameter: named("typed_parameter"),
        default_parameter: named("default_parameter"),
        typed_default_parameter: named("typed_default_parameter"),
        keyword_separator: named("keyword_separator"),
        positional_separator: named("positional_separator"),
        type_: named("type"),
        generic_type: named("generic_type"),
        type_parameter: named("type_parameter"),
        identifier: named("identifier"),
        integer: named("integer"),
        float: named("float"),
        true_: named("true"),
        false_: named("false"),
        none: named("none"),
        ellipsis: named("ellipsis"),
        string: named("string"),
        concatenated_string: named("concatenated_string"),
        string_start: named("string_start"),
        string_content: named("string_content"),
        string_end: named("string_end"),
        escape_sequence: named("escape_sequence"),
        escape_interpolation: named("escape_interpolation"),
        interpolation: named("interpolation"),
        type_conversion: named("type_conversion"),
        format_specifier: named("format_specifier"),
        line_continuation: named("line_continuation"),
        binary_operator: named("binary_operator"),
        unary_operator: named("unary_operator"),
        comparison_operator: named("comparison_operator"),
        not_operator: named("not_operator"),
        boolean_operator: named("boolean_operator"),
        conditional_expression: named("conditional_expression"),
        named_expression: named("named_expression"),
        lambda: named("lambda"),
        await_: named("await"),
        yield_: named("yield"),
        attribute: named("attribute"),
        subscript: named("subscript"),
        slice: named("slice"),
        call: named("call"),
        argument_list: named("argument_list"),
        keyword_argument: named("keyword_argument"),
        list_splat: named("list_splat"),
        dictionary_splat: named("dictionary_splat"),
        parenthesized_expression: named("parenthesized_expression"),
        tuple: named("tuple"),
        list: named("list"),
        set: named("set"),
        dictionary: named("dictionary"),
        pair: named("pair"),
        list_comprehension: named("list_comprehension"),
        set_comprehension: named("set_comprehension"),
        dictionary_comprehension: named("dictionary_comprehension"),
        generator_expression: named("generator_expression"),
        for_in_clause: named("for_in_clause"),
        if_clause: named("if_clause"),
        as_pattern: named("as_pattern"),
        as_pattern_target: named("as_pattern_target"),
        not_in: anon("not in"),
        is_not: anon("is not"),
        backslash: anon("\\"),
    }
});

/// Field ids, looked up once (0 is "no field").
struct Fields {
    alias: u16,
    alternative: u16,
    argument: u16,
    arguments: u16,
    attribute: u16,
    body: u16,
    cause: u16,
    condition: u16,
    consequence: u16,
    definition: u16,
    expression: u16,
    format_specifier: u16,
    function: u16,
    key: u16,
    left: u16,
    module_name: u16,
    name: u16,
    object: u16,
    operator: u16,
    operators: u16,
    parameters: u16,
    return_type: u16,
    right: u16,
    subscript: u16,
    superclasses: u16,
    type_: u16,
    type_conversion: u16,
    value: u16,
}

static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
    let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
    let id = |name: &str| {
        language.field_id_for_name(name).unwrap_or_else(|| panic!("tree-sitter-python has no field {name:?}")).get()
    };
    Fields {
        alias: id("alias"),
        alternative: id("alternative"),
        argument: id("argument"),
        arguments: id("arguments"),
        attribute: id("attribute"),
        body: id("body"),
        cause: id("cause"),
        condition: id("condition"),
        consequence: id("consequence"),
        definition: id("definition"),
        expression: id("expression"),
        format_specifier: id("format_specifier"),
        function: id("function"),
        key: id("key"),
        left: id("left"),
        module_name: id("module_name"),
        name: id("name"),
        object: id("object"),
        operator: id("operator"),
        operators: id("operators"),
        parameters: id("parameters"),
        return_type: id("return_type"),
        right: id("right"),
        subscript: id("subscript"),
        superclasses: id("superclasses"),
        type_: id("type"),
        type_conversion: id("type_conversion"),
        value: id("value"),
    }
});

/// The keyword and operator tokens the builder adds as anonymous leaves.
const TOKENS: [&str; 79] = [
        "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "->", "@", "*", "**", "/", "//", "%", "+", "-",
        "~", "<<", ">>", "&", "|", "^", "<", ">", "<=", ">=", "==", "!=", ":=", "+=", "-=", "*=", "/=", "@=",
        "//=", "%=", "**=", ">>=", "<<=", "&=", "^=", "|=", "if", "elif", "else", "for", "in", "while", "try",
        "except", "finally", "with", "as", "def", "class", "return", "pass", "break", "continue", "import",
        "from", "global", "nonlocal", "del", "assert", "raise", "lambda", "not", "and", "or", "is", "yield",
        "await", "async", "__future__",
];

/// Their kind ids, in the order of [`TOKENS`].
static TOKEN_KINDS: LazyLock<[u16; TOKENS.len()]> =
    LazyLock::new(|| TOKENS.map(|text| super::fields::kind_id(text, false)));

/// The index of `text` in [`TOKENS`] (a `match` compiles to a switch on the length).
fn token_index(text: &str) -> Option<usize> {
    Some(match text {
        "(" => 0, ")" => 1, "[" => 2, "]" => 3, "{" => 4, "}" => 5, "," => 6, ":" => 7, ";" => 8, "." => 9,
        "=" => 10, "->" => 11, "@" => 12, "*" => 13, "**" => 14, "/" => 15, "//" => 16, "%" => 17, "+" => 18,
        "-" => 19, "~" => 20, "<<" => 21, ">>" => 22, "&" => 23, "|" => 24, "^" => 25, "<" => 26, ">" => 27,
        "<=" => 28, ">=" => 29, "==" => 30, "!=" => 31, ":=" => 32, "+=" => 33, "-=" => 34, "*=" => 35,
        "/=" => 36, "@=" => 37, "//=" => 38, "%=" => 39, "**=" => 40, ">>=" => 41, "<<=" => 42, "&=" => 43,
        "^=" => 44, "|=" => 45, "if" => 46, "elif" => 47, "else" => 48, "for" => 49, "in" => 50,
        "while" => 51, "try" => 52, "except" => 53, "finally" => 54, "with" => 55, "as" => 56, "def" => 57,
        "class" => 58, "return" => 59, "pass" => 60, "break" => 61, "continue" => 62, "import" => 63,
        "from" => 64, "global" => 65, "nonlocal" => 66, "del" => 67, "assert" => 68, "raise" => 69,
        "lambda" => 70, "not" => 71, "and" => 72, "or" => 73, "is" => 74, "yield" => 75, "await" => 76,
        "async" => 77, "__future__" => 78,
        _ => return None,
    })
}

/// The anonymous kind id of a keyword or operator token, by its text (0 for none).
fn token_kind(text: &str) -> u16 {
    token_index(text).map_or(0, |i| TOKEN_KINDS[i])
}

/// tree-sitter's precedence of a binary operator (its `PREC` table), with whether it
/// groups to the right.
fn binary_precedence(op: &str) -> Option<(u8, bool)> {
    Some(match op {
        "|" => (14, false),
        "&" => (15, false),
        "^" => (16, false),
        "<<" | ">>" => (17, false),
        "+" | "-" => (18, false),
        "*" | "@" | "/" | "%" | "//" => (19, false),
        "**" => (21, true),
        _ => return None,
    })
}

/// How deep the builder goes into nested nodes before it leaves the program to
/// tree-sitter.
const MAX_DEPTH: usize = 400;

/// Precedence of unary operators and `await`: their operand binds only `**`.
const PREC_UNARY: u8 = 20;
/// Below every binary operator.
const PREC_NONE: u8 = 0;

const COMPARISONS: &[&str] = &["<", "<=", "==", "!=", ">=", ">", "in", "is", "not"];

const AUGMENTED: &[&str] = &["+=", "-=", "*=", "/=", "@=", "//=", "%=", "**=", ">>=", "<<=", "&=", "^=", "|="];

/// Builds tree-sitter-python's tree of `source` from its tokens (those of
/// `tokenizer::tokenize(source)`, without error), or `None` when this builder is not sure
/// the tree would be tree-sitter's.
pub fn build(source: &str, tokens: &Tokens) -> Option<SyntaxTree> {
    if tokens.error.is_some() || source.len() >= u32::MAX as usize {
        return None;
    }
    // The tokens' offsets must be offsets of `source`: the tokenizer copies the text only
    // to append a final newline or to translate `\r`.
    if let Cow::Owned(text) = &tokens.text {
        if text.len() != source.len() + 1 || !text.starts_with(source) {
            return None;
        }
    }
    // (`\r` is translated, so a source with one never passes.)
    let (previous, last_scan) = LAST_TREE.with(|last| {
        let mut last = last.borrow_mut();
        let Some((_, map)) = tokens.since_last_valid.as_ref().filter(|(generation, _)| *generation == last.generation) else {
            return (None, None);
        };
        let scan = last.scan.take().map(|scan| (scan, map.hull(tokens.tokens.len())));
        let spare = std::mem::take(&mut last.spare);
        let previous = last.nodes.take().map(|nodes| Previous { nodes, nodes_base: 0, statements: std::mem::take(&mut last.statements), map, run: Cell::new(0), spare });
        (previous, scan)
    });
    let mut built = Builder::new_carrying(source, &tokens.tokens, last_scan).and_then(|mut builder| {
        // About as many statements as the last tree (growing by doubling costs a copy of
        // each half of the list on a long program).
        builder.statements = Vec::with_capacity(previous.as_ref().map_or(0, |p| p.statements.len() + 16));
        builder.previous = previous;
        builder.module()?;
        (!builder.unsure).then_some(builder)
    });
    LAST_TREE.with(|last| {
        let mut last = last.borrow_mut();
        *last = LastTree::default();
        if let Some(builder) = &mut built {
            if let Some(previous) = builder.previous.take() {
                last.spare = if previous.nodes_base > 0 { previous.nodes } else { previous.spare };
            }
            last.generation = tokens.generation;
            last.statements = std::mem::take(&mut builder.statements);
            last.scan = Some(Scan {
                comments: std::mem::take(&mut builder.comments),
                lines: std::mem::take(&mut builder.lines),
                len: source.len(),
                ends_with_newline: source.ends_with('\n'),
            });
            // Recorded in pre-order, so already sorted but for odd cases.
            if !last.statements.is_sorted_by_key(|s| s.start) {
                last.statements.sort_unstable_by_key(|s| s.start);
            }
        }
    });
    Some(built?.out.finish())
}

/// [`build`] without copying from the last tree (to test the copying against).
#[cfg(test)]
fn build_fresh(source: &str, tokens: &Tokens) -> Option<SyntaxTree> {
    let mut builder = Builder::new(source, &tokens.tokens)?;
    builder.module()?;
    (!builder.unsure).then(|| builder.out.finish())
}

/// Hands the tree [`build`] returned back, so that the next build (of a program a few
/// lines away) can copy the statements that did not change.
pub fn keep(tree: SyntaxTree) {
    LAST_TREE.with(|last| {
        let mut last = last.borrow_mut();
        if last.generation != 0 {
            last.nodes = Some(tree.into_raw());
        }
    });
}

/// A statement of the last tree built on this thread, as [`Builder::statement`] built it.
///
/// What the builder makes of a statement depends only on its tokens, the text between
/// them, the token after it (where a block's trailing comments go depends on it), the
/// indentation of the enclosing block and how deep the statement is; positions shift with
/// the text. So a statement whose tokens through the one after it were taken over
/// unchanged (see [`Tokens::since_last_valid`]), at the same indentation and depth, is
/// copied from the last tree, moved, instead of built again.
#[derive(Debug, Clone, Copy)]
struct Statement {
    /// Its first token and the token after it.
    start: usize,
    end: usize,
    /// Its nodes (the statements of a line of `;`-separated ones, and their comments):
    /// indices `nodes.0..nodes.1` of the tree.
    nodes: (u32, u32),
    /// How many comments and line continuations it emitted.
    comments: usize,
    indent: usize,
    depth: usize,
    /// Byte and row of its first token; end and row of what it emitted last.
    start_byte: u32,
    start_row: usize,
    last_end: u32,
    last_row: usize,
}

impl Statement {
    /// The record of a statement still being built (a build that fails to fill one in is
    /// not kept).
    const PENDING: Statement = Statement {
        start: 0,
        end: 0,
        nodes: (0, 0),
        comments: 0,
        indent: 0,
        depth: 0,
        start_byte: 0,
        start_row: 0,
        last_end: 0,
        last_row: 0,
    };

    /// The same statement `tokens` tokens, `bytes` bytes and `rows` rows further on, its
    /// nodes `nodes` further on.
    fn moved(self, tokens: isize, nodes: i64, bytes: i64, rows: i64) -> Statement {
        Statement {
            start: self.start.wrapping_add_signed(tokens),
            end: self.end.wrapping_add_signed(tokens),
            nodes: ((self.nodes.0 as i64 + nodes) as u32, (self.nodes.1 as i64 + nodes) as u32),
            start_byte: (self.start_byte as i64 + bytes) as u32,
            start_row: (self.start_row as i64 + rows) as usize,
            last_end: (self.last_end as i64 + bytes) as u32,
            last_row: (self.last_row as i64 + rows) as usize,
            ..self
        }
    }
}

/// The last tree built on this thread (once handed back by [`keep`]), its statements,
/// and the number of the program it is the tree of.
#[derive(Default)]
struct LastTree {
    generation: u64,
    nodes: Option<Vec<Raw>>,
    statements: Vec<Statement>,
    /// The last build's extras and line starts, and its source's length and whether that
    /// ends with a newline: the next build takes over those before and after its edit.
    scan: Option<Scan>,
    /// Room for the nodes of the last tree after its head (see
    /// [`Builder::take_over_head`]).
    spare: Vec<Raw>,
}

/// Extras (byte ranges) and line starts, as [`Builder`] holds them.
type Scanned = (Vec<(u32, u32)>, Vec<u32>);

/// What [`Builder::new`] finds in a whole source: its extras (comments and line
/// continuations) and the byte offset of each line's start.
struct Scan {
    comments: Vec<(u32, u32)>,
    lines: Vec<u32>,
    len: usize,
    ends_with_newline: bool,
}

thread_local! {
    static LAST_TREE: RefCell<LastTree> = RefCell::new(LastTree::default());
}

#[cfg(test)]
thread_local! {
    /// Statements copied on this thread (for the test that copying happens at all).
    static COPIED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// The nodes of those statements.
    static COPIED_NODES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Builds that took the last build's extras and line starts over.
    static CARRIED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// What a build may copy from: the last tree, its statements (sorted by first token),
/// and which of its tokens are which of the new ones.
struct Previous<'a> {
    /// The last tree's nodes from index `nodes_base` on (those before were taken over
    /// in place, see [`Builder::take_over_head`]).
    nodes: Vec<Raw>,
    nodes_base: usize,
    statements: Vec<Statement>,
    map: &'a TokenMap,
    /// The run of `map` the last statement looked up was in (they come in order).
    run: Cell<usize>,
    /// Room kept from build to build for the nodes after the head.
    spare: Vec<Raw>,
}

/// `None`: the builder is not sure of tree-sitter's tree (the caller falls back).
type Built<T = ()> = Option<T>;

struct Builder<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    /// Extras, comments and line continuations (byte ranges), in order; `next_comment` is
    /// the first not yet emitted.
    comments: Vec<(u32, u32)>,
    next_comment: usize,
    /// Byte offset of the start of each line.
    lines: Vec<u32>,
    /// The indentation of the innermost block.
    indent: usize,
    /// Set when a comment is where tree-sitter's parse may break (see
    /// `Builder::flush`).
    unsure: bool,
    /// End of the last token or comment emitted, and a guess at its line.
    last_end: u32,
    last_row: usize,
    out: TreeBuilder,
    /// The last tree, to copy unchanged statements from.
    previous: Option<Previous<'a>>,
    /// The statements of this tree (built or copied).
    statements: Vec<Statement>,
}

impl<'a> Builder<'a> {
    #[cfg(test)]
    fn new(src: &'a str, toks: &'a [Token]) -> Built<Self> {
        Self::new_carrying(src, toks, None)
    }

    /// A builder for `src`, its extras and line starts found by a scan of the text, or,
    /// given the last build's scan and which tokens were taken over since (`carry`),
    /// taken over from that scan outside the edit and found by a scan only inside it.
    fn new_carrying(src: &'a str, toks: &'a [Token], carry: Option<(Scan, Reused)>) -> Built<Self> {
        let bytes = src.as_bytes();
        let whole = || -> Built<Scanned> {
            let mut lines = Vec::with_capacity(src.len() / 24 + 2);
            lines.push(0);
            lines.extend(newline_offsets(bytes).map(|i| i as u32 + 1));
            let mut comments = Vec::new();
            scan_gaps(bytes, toks, 0, bytes.len(), &mut comments)?;
            Some((comments, lines))
        };
        let (comments, lines) = match carry.and_then(|(last, map)| carried_scan(bytes, toks, last, map)) {
            Some(scan) => {
                // Tests check every scan taken over against a scan of the whole text.
                #[cfg(test)]
                {
                    CARRIED.with(|carried| carried.set(carried.get() + 1));
                    assert_eq!(scan, whole(), "extras and line starts taken over from the last build");
                }
                scan?
            }
            None => whole()?,
        };
        let comments_len = comments.len();
        Some(Builder {
            src,
            toks,
            pos: 0,
            comments,
            next_comment: 0,
            lines,
            indent: 0,
            unsure: false,
            last_end: 0,
            last_row: 0,
            // Trees have about twice as many nodes as tokens (comments included).
            out: TreeBuilder::with_capacity(2 * toks.len() + comments_len + 16),
            previous: None,
            statements: Vec::new(),
        })
    }

    // ---- positions, tokens ---------------------------------------------------------

    fn point(&self, offset: u32) -> Point {
        let row = self.lines.partition_point(|&start| start <= offset) - 1;
        Point { row, column: (offset - self.lines[row]) as usize }
    }

    /// [`Builder::point`] for an offset that is probably on line `row`. `row` is only a
    /// hint: any value gives the right point (a copied statement's last row, moved, can
    /// be off the text).
    #[inline]
    fn point_near(&self, row: usize, offset: u32) -> Point {
        match (self.lines.get(row), self.lines.get(row.saturating_add(1))) {
            (Some(&start), next) if start <= offset && next.is_none_or(|&next| offset < next) => {
                Point { row, column: (offset - start) as usize }
            }
            _ => self.point(offset),
        }
    }

    fn tok(&self) -> Token {
        self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek(&self, ahead: usize) -> Token {
        self.toks[(self.pos + ahead).min(self.toks.len() - 1)]
    }

    fn text(&self, token: Token) -> &'a str {
        &self.src[(token.start as usize).min(self.src.len())..(token.end as usize).min(self.src.len())]
    }

    /// Whether the current token is the operator or keyword `s`.
    #[inline]
    fn at(&self, s: &str) -> bool {
        let t = self.tok();
        (t.end - t.start) as usize == s.len()
            && matches!(t.kind, TokenKind::Op | TokenKind::Name)
            && self.src.as_bytes().get(t.start as usize..t.end as usize) == Some(s.as_bytes())
    }

    fn at_kind(&self, kind: TokenKind) -> bool {
        self.tok().kind == kind
    }

    fn expect(&mut self, s: &str) -> Built {
        if !self.at(s) {
            return None;
        }
        self.keyword()
    }

    /// Adds the current token as an anonymous leaf of its own text.
    fn keyword(&mut self) -> Built {
        self.keyword_in(0)
    }

    fn keyword_in(&mut self, field: u16) -> Built {
        let kind = token_kind(self.text(self.tok()));
        if kind == 0 {
            return None;
        }
        self.leaf(kind, field, false);
        Some(())
    }

    // ---- emitting ----------------------------------------------------------------

    /// Emits the extras that start before `offset` as children of the innermost open
    /// node.
    ///
    /// A comment on a line of its own, indented less than the block, inside a statement
    /// (in brackets after an operator, between a decorator and its definition): there the
    /// scanner takes the comment's column for the line's indentation and emits a dedent
    /// that breaks tree-sitter's parse, so the build is marked unsure.
    fn flush(&mut self, offset: usize) {
        while let Some(&(start, end)) = self.comments.get(self.next_comment) {
            if start as usize >= offset {
                break;
            }
            self.next_comment += 1;
            if !self.at_line_start() && self.own_line_column(start).is_some_and(|column| column < self.indent) {
                self.unsure = true;
            }
            let kind = if self.src.as_bytes()[start as usize] == b'#' { KINDS.comment } else { KINDS.line_continuation };
            self.out.leaf(kind, 0, true, start, end, self.point(start), self.point(end));
            self.last_end = end;
        }
    }

    /// Whether the current token starts a logical line.
    fn at_line_start(&self) -> bool {
        self.pos == 0 || matches!(self.toks[self.pos - 1].kind, TokenKind::Newline | TokenKind::Indent | TokenKind::Dedent)
    }

    /// The column of the comment at `start` when only spaces come before it on its line.
    fn own_line_column(&self, start: u32) -> Option<usize> {
        let point = self.point(start);
        let line = &self.src.as_bytes()[self.lines[point.row] as usize..start as usize];
        line.iter().all(|&b| b == b' ').then_some(point.column)
    }

    /// Adds the current token as a leaf and moves past it.
    fn leaf(&mut self, kind: u16, field: u16, named: bool) -> u32 {
        let t = self.tok();
        self.flush(t.start as usize);
        let (start, end) = (t.start, t.end);
        let index = self.out.leaf(kind, field, named, start, end, self.point_near(t.line as usize, start), self.point_near(t.line as usize, end));
        self.last_end = end;
        self.last_row = t.line as usize;
        self.pos += 1;
        index
    }

    /// Adds a leaf for part of a token.
    fn piece(&mut self, kind: u16, named: bool, start: u32, end: u32) {
        self.out.leaf(kind, 0, named, start, end, self.point(start), self.point(end));
    }

    /// Opens a node at the current token.
    fn open(&mut self, kind: u16, field: u16) -> u32 {
        let t = self.tok();
        self.flush(t.start as usize);
        let start = t.start;
        self.out.open(kind, field, true, start, self.point_near(t.line as usize, start))
    }

    /// Closes the innermost open node at the end of what was emitted last.
    fn close(&mut self) {
        let end = self.last_end;
        self.out.close(end, self.point_near(self.last_row, end));
    }

    /// Wraps the nodes from `first` to the last one added in a new node of kind `kind`
    /// that takes over `first`'s field; `first` gets `role`.
    /// The wrapper stays open until [`Builder::close`].
    fn wrap(&mut self, first: u32, kind: u16, role: u16) -> u32 {
        let field = self.out.node(first).field;
        self.wrap_with(first, kind, field, role)
    }

    fn wrap_with(&mut self, first: u32, kind: u16, field: u16, role: u16) -> u32 {
        self.out.wrap_open(first, kind, field, true);
        self.out.set_field(first + 1, role);
        first
    }

    fn kind_of(&self, index: u32) -> u16 {
        self.out.node(index).kind
    }

    /// Consumes a NEWLINE token; the comments before it (on the same line) go to the
    /// innermost open node.
    fn newline(&mut self) -> Built {
        if !self.at_kind(TokenKind::Newline) {
            return None;
        }
        let t = self.tok();
        self.flush(t.start as usize);
        self.pos += 1;
        Some(())
    }

    // ---- statements ----------------------------------------------------------------

    fn module(&mut self) -> Built {
        let k = &*KINDS;
        // The root starts at its first token or comment and ends at the end of the text.
        let first_start = match (self.comments.first(), self.toks.first()) {
            (Some(&(c, _)), Some(t)) => c.min(t.start),
            (None, Some(t)) => t.start,
            (Some(&(c, _)), None) => c,
            (None, None) => 0,
        }
        .min(self.src.len() as u32);
        if !self.take_over_head() {
            self.out.open(k.module, 0, true, first_start, self.point(first_start));
        }
        while !self.at_kind(TokenKind::EndMarker) {
            if self.at_kind(TokenKind::Newline) {
                // A blank NEWLINE at the start of a file with only comments.
                return None;
            }
            self.statement()?;
        }
        self.flush(usize::MAX);
        let end = self.src.len() as u32;
        self.out.close(end, self.point(end));
        Some(())
    }

    /// Takes over in place the last tree's nodes of the top-level statements before the
    /// first edit (their tokens through the one after them unchanged, not moved): the new
    /// tree starts as the last one's first nodes, root included (closed again at the
    /// end), and the builder goes on after them as if it had copied them. The last
    /// tree's later nodes stay for [`Builder::copy_statement`]. Copying those statements
    /// one by one would write every one of their nodes again.
    fn take_over_head(&mut self) -> bool {
        let Some(previous) = &mut self.previous else {
            return false;
        };
        let Some(&(0, 0, head)) = previous.map.runs().first() else {
            return false;
        };
        // The top-level statements (one node open, the root's) whose tokens through the
        // one after are all before the edit; the last of them.
        let Some(last) = previous.statements.iter().take_while(|s| s.end < head || s.depth != 1).filter(|s| s.depth == 1 && s.end < head).last().copied() else {
            return false;
        };
        if last.indent != 0 || previous.nodes_base != 0 {
            return false;
        }
        let kept = previous.statements.partition_point(|s| s.start < last.end);
        self.statements.extend_from_slice(&previous.statements[..kept]);
        let mut nodes = std::mem::take(&mut previous.nodes);
        let mut rest = std::mem::take(&mut previous.spare);
        rest.clear();
        rest.extend_from_slice(&nodes[last.nodes.1 as usize..]);
        nodes.truncate(last.nodes.1 as usize);
        previous.nodes = rest;
        previous.nodes_base = last.nodes.1 as usize;
        #[cfg(test)]
        {
            COPIED.with(|copied| copied.set(copied.get() + self.statements.iter().filter(|s| s.depth == 1).count()));
            COPIED_NODES.with(|copied| copied.set(copied.get() + nodes.len() - 1));
        }
        self.out = TreeBuilder::resume_under_root(nodes);
        self.pos = last.end;
        self.next_comment = self.comments.partition_point(|&(start, _)| start < last.start_byte) + last.comments;
        self.last_end = last.last_end;
        self.last_row = last.last_row;
        true
    }

    /// One statement: copied from the last tree when it is unchanged, else built (and
    /// recorded for the next build). The comments before it go to the enclosing node
    /// first, as the statement's first node would flush them.
    fn statement(&mut self) -> Built {
        let t = self.tok();
        self.flush(t.start as usize);
        if self.copy_statement() {
            return Some(());
        }
        let (start, first, comments, indent, depth) =
            (self.pos, self.out.len() as u32, self.next_comment, self.indent, self.out.depth());
        // Its record goes before those of the statements inside it (filled in below): the
        // list comes out in pre-order, sorted by first token.
        let slot = self.statements.len();
        self.statements.push(Statement::PENDING);
        self.statement_uncached()?;
        if !self.unsure {
            self.statements[slot] = Statement {
                start,
                end: self.pos,
                nodes: (first, self.out.len() as u32),
                comments: self.next_comment - comments,
                indent,
                depth,
                start_byte: t.start,
                start_row: t.line as usize,
                last_end: self.last_end,
                last_row: self.last_row,
            };
        }
        Some(())
    }

    /// Copies the statement at the current token from the last tree, if it is there
    /// unchanged (see [`Statement`]).
    fn copy_statement(&mut self) -> bool {
        let Some(previous) = &self.previous else {
            return false;
        };
        let Some((old_start, run_end)) = previous.map.old_run(self.pos, &previous.run) else {
            return false;
        };
        let Ok(at) = previous.statements.binary_search_by_key(&old_start, |s| s.start) else {
            return false;
        };
        let s = previous.statements[at];
        if s.indent != self.indent || s.depth != self.out.depth() {
            return false;
        }
        // Its tokens through the one after it, all in one run taken over.
        if s.end >= run_end {
            return false;
        }
        let token_shift = self.pos as isize - old_start as isize;
        let t = self.toks[self.pos];
        let byte_shift = t.start as i64 - s.start_byte as i64;
        let row_shift = t.line as i64 - s.start_row as i64;
        let node_shift = self.out.len() as i64 - s.nodes.0 as i64;
        let nodes = &previous.nodes[s.nodes.0 as usize - previous.nodes_base..s.nodes.1 as usize - previous.nodes_base];
        self.out.append_moved(nodes, s.nodes.0, node_shift, byte_shift, row_shift);
        let inner = previous.statements[at..].iter().take_while(|inner| inner.start < s.end);
        self.statements.extend(inner.map(|inner| inner.moved(token_shift, node_shift, byte_shift, row_shift)));
        self.pos = s.end.wrapping_add_signed(token_shift);
        self.next_comment += s.comments;
        self.last_end = (s.last_end as i64 + byte_shift) as u32;
        self.last_row = (s.last_row as i64 + row_shift) as usize;
        #[cfg(test)]
        COPIED.with(|copied| copied.set(copied.get() + 1));
        #[cfg(test)]
        COPIED_NODES.with(|copied| copied.set(copied.get() + nodes.len()));
        true
    }

    fn statement_uncached(&mut self) -> Built {
        let t = self.tok();
        match t.kind {
            TokenKind::Name => match self.text(t) {
                "if" => self.if_statement(),
                "for" => self.for_statement(0),
                "while" => self.while_statement(),
                "try" => self.try_statement(),
                "with" => self.with_statement(0),
                "def" => self.function_definition(0),
                "class" => self.class_definition(0),
                "async" => match self.text(self.peek(1)) {
                    "def" => self.function_definition(0),
                    "for" => self.for_statement(0),
                    "with" => self.with_statement(0),
                    _ => None,
                },
                "match" | "print" | "exec" | "type" => {
                    // Soft keywords tree-sitter may read as statements of their own
                    // (`type(x).y = z` is a `type_alias_statement` to it).
                    let next = self.peek(1);
                    let word = self.text(t);
                    let plain = next.kind == TokenKind::Op
                        && match self.text(next) {
                            "=" | "." => true,
                            "(" => word != "type" || !self.assigns(),
                            _ => false,
                        };
                    if plain {
                        self.simple_statements()
                    } else {
                        None
                    }
                }
                _ => self.simple_statements(),
            },
            TokenKind::Op if self.text(t) == "@" => self.decorated_definition(),
            TokenKind::Indent | TokenKind::Dedent | TokenKind::Newline | TokenKind::EndMarker => None,
            _ => self.simple_statements(),
        }
    }

    /// Whether the simple statement at the current token has an `=` outside brackets.
    fn assigns(&self) -> bool {
        self.toks[self.pos..]
            .iter()
            .take_while(|t| t.kind != TokenKind::Newline && !(t.level == 0 && self.text(**t) == ";"))
            .any(|t| t.level == 0 && t.kind == TokenKind::Op && self.text(*t) == "=")
    }

    /// `_simple_statements`: statements separated by `;`, then the (hidden) newline.
    fn simple_statements(&mut self) -> Built {
        loop {
            self.simple_statement()?;
            if self.at_kind(TokenKind::Newline) && self.text(self.toks[self.pos - 1]) == "," {
                // tree-sitter may read on past a trailing comma at the end of a line.
                return None;
            }
            if self.at(";") {
                self.keyword()?;
            } else if !self.at_kind(TokenKind::Newline) {
                return None;
            }
            if self.at_kind(TokenKind::Newline) {
                return self.newline();
            }
        }
    }

    fn simple_statement(&mut self) -> Built {
        let k = &*KINDS;
        let t = self.tok();
        if t.kind == TokenKind::Name {
            match self.text(t) {
                "pass" => return self.keyword_statement(k.pass_statement),
                "break" => return self.keyword_statement(k.break_statement),
                "continue" => return self.keyword_statement(k.continue_statement),
                "return" => {
                    self.open(k.return_statement, 0);
                    self.keyword()?;
                    if !self.at_statement_end() {
                        self.expressions(0)?;
                    }
                    self.close();
                    return Some(());
                }
                "del" => {
                    self.open(k.delete_statement, 0);
                    self.keyword()?;
                    self.expressions(0)?;
                    self.close();
                    return Some(());
                }
                "raise" => {
                    self.open(k.raise_statement, 0);
                    self.keyword()?;
                    if !self.at_statement_end() && !self.at("from") {
                        self.expressions(0)?;
                    }
                    if self.at("from") {
                        self.keyword()?;
                        self.expression(FIELDS.cause)?;
                    }
                    self.close();
                    return Some(());
                }
                "global" | "nonlocal" => {
                    let kind = if self.text(t) == "global" { k.global_statement } else { k.nonlocal_statement };
                    self.open(kind, 0);
                    self.keyword()?;
                    loop {
                        self.identifier(0)?;
                        if !self.at(",") {
                            break;
                        }
                        self.keyword()?;
                    }
                    self.close();
                    return Some(());
                }
                "assert" => {
                    self.open(k.assert_statement, 0);
                    self.keyword()?;
                    self.expression(0)?;
                    if self.at(",") {
                        self.keyword()?;
                        self.expression(0)?;
                    }
                    self.close();
                    return Some(());
                }
                "import" => return self.import_statement(),
                "from" => return self.import_from_statement(),
                _ => {}
            }
        }
        self.expression_statement()
    }

    fn at_statement_end(&self) -> bool {
        self.at_kind(TokenKind::Newline) || self.at(";")
    }

    /// A node over one keyword or operator token (`pass`, the `*` of parameters).
    fn keyword_statement(&mut self, kind: u16) -> Built {
        self.open(kind, 0);
        self.keyword()?;
        self.close();
        Some(())
    }

    fn import_statement(&mut self) -> Built {
        self.open(KINDS.import_statement, 0);
        self.keyword()?;
        self.import_list()?;
        self.close();
        Some(())
    }

    fn import_from_statement(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        if self.text(self.peek(1)) == "__future__" {
            self.open(k.future_import_statement, 0);
            self.keyword()?;
            self.keyword()?;
        } else {
            self.open(k.import_from_statement, 0);
            self.keyword()?;
            if self.at(".") || self.at("...") {
                self.open(k.relative_import, f.module_name);
                self.open(k.import_prefix, 0);
                while self.at(".") || self.at("...") {
                    if self.at("...") {
                        return None;
                    }
                    self.keyword()?;
                }
                self.close();
                if !self.at("import") {
                    self.dotted_name(0)?;
                }
                self.close();
            } else {
                self.dotted_name(f.module_name)?;
            }
        }
        self.expect("import")?;
        if self.at("*") {
            self.open(k.wildcard_import, 0);
            self.keyword()?;
            self.close();
        } else if self.at("(") {
            self.keyword()?;
            self.import_list()?;
            self.expect(")")?;
        } else {
            self.import_list()?;
        }
        self.close();
        Some(())
    }

    /// `_import_list`: names, each maybe `as` an alias, with an optional trailing comma.
    fn import_list(&mut self) -> Built {
        let f = &*FIELDS;
        loop {
            let first = self.dotted_name(f.name)?;
            if self.at("as") {
                self.wrap(first, KINDS.aliased_import, f.name);
                self.keyword()?;
                self.identifier(f.alias)?;
                self.close();
            }
            if !self.at(",") {
                return Some(());
            }
            self.keyword()?;
            if !self.at_kind(TokenKind::Name) {
                return Some(());
            }
        }
    }

    fn dotted_name(&mut self, field: u16) -> Built<u32> {
        let index = self.open(KINDS.dotted_name, field);
        loop {
            self.identifier(0)?;
            if !self.at(".") {
                break;
            }
            self.keyword()?;
        }
        self.close();
        Some(index)
    }

    fn identifier(&mut self, field: u16) -> Built<u32> {
        let t = self.tok();
        if t.kind != TokenKind::Name || t.sym.is_keyword() {
            return None;
        }
        Some(self.leaf(KINDS.identifier, field, true))
    }

    /// `expression_statement`, `assignment` and `augmented_assignment`.
    fn expression_statement(&mut self) -> Built {
        let k = &*KINDS;
        self.open(k.expression_statement, 0);
        if self.at("yield") {
            self.yield_expression(0)?;
            self.close();
            return Some(());
        }
        let (first, count, comma) = self.expression_run(true)?;
        if self.at("=") || self.at(":") || self.at_augmented() {
            self.as_target(first, count, comma)?;
            self.assignment_rest(first)?;
        }
        self.close();
        Some(())
    }

    fn at_augmented(&self) -> bool {
        let t = self.tok();
        t.kind == TokenKind::Op && AUGMENTED.contains(&self.text(t))
    }

    /// Turns the run of `count` expressions at `first` into a target: one pattern, or a
    /// `pattern_list`.
    fn as_target(&mut self, first: u32, count: usize, comma: bool) -> Built {
        if count == 1 && !comma {
            self.convert_to_pattern(first)
        } else {
            let mut child = first;
            for _ in 0..count {
                self.convert_to_pattern(child)?;
                child = self.next_element(child);
            }
            self.wrap(first, KINDS.pattern_list, 0);
            self.close();
            Some(())
        }
    }

    /// The node after `index`'s subtree that is not a comma or a comment.
    fn next_element(&self, index: u32) -> u32 {
        let comma = token_kind(",");
        let mut next = self.out.node(index).next;
        while (next as usize) < self.out.len() {
            let kind = self.kind_of(next);
            if kind != comma && kind != KINDS.comment {
                break;
            }
            next = self.out.node(next).next;
        }
        next
    }

    /// After a target at `first` (a pattern or pattern list): `= ...`, `: type [= ...]`
    /// or `op= ...`, wrapped into an assignment.
    fn assignment_rest(&mut self, first: u32) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        if self.at_augmented() {
            self.wrap(first, k.augmented_assignment, f.left);
            self.keyword_in(f.operator)?;
            self.right_hand_side()?;
        } else if self.at(":") {
            self.wrap(first, k.assignment, f.left);
            self.keyword()?;
            self.type_(f.type_)?;
            if self.at("=") {
                self.keyword()?;
                self.right_hand_side()?;
            }
        } else {
            self.wrap(first, k.assignment, f.left);
            self.expect("=")?;
            self.right_hand_side()?;
        }
        self.close();
        Some(())
    }

    /// `_right_hand_side`, in field `right`: expressions, a yield, or another assignment.
    fn right_hand_side(&mut self) -> Built {
        let f = &*FIELDS;
        if self.at("yield") {
            self.yield_expression(f.right)?;
            return Some(());
        }
        let (first, count, comma) = self.expression_run(true)?;
        if self.at("=") || self.at(":") || self.at_augmented() {
            if self.at(":") || self.at_augmented() {
                return None;
            }
            self.as_target(first, count, comma)?;
            self.out.set_field(first, f.right);
            return self.assignment_rest(first);
        }
        self.finish_run(first, count, comma, f.right);
        Some(())
    }

    /// Gives a run of expressions its field, wrapped into an `expression_list` when there
    /// is more than one (or a trailing comma).
    fn finish_run(&mut self, first: u32, count: usize, comma: bool, field: u16) {
        if count == 1 && !comma {
            self.out.set_field(first, field);
        } else {
            self.wrap_with(first, KINDS.expression_list, field, 0);
            self.close();
        }
    }

    /// `_expressions`: one expression or an `expression_list`.
    fn expressions(&mut self, field: u16) -> Built {
        let (first, count, comma) = self.expression_run(false)?;
        self.finish_run(first, count, comma, field);
        Some(())
    }

    /// Expressions separated by commas, added flat at the current depth: the index of
    /// the first, how many, and whether a comma was seen. `star` allows `*x` items.
    fn expression_run(&mut self, star: bool) -> Built<(u32, usize, bool)> {
        let first = self.star_item(star)?;
        let mut count = 1;
        let mut comma = false;
        while self.at(",") {
            comma = true;
            self.keyword()?;
            if !self.starts_expression() {
                break;
            }
            self.star_item(star)?;
            count += 1;
        }
        Some((first, count, comma))
    }

    fn star_item(&mut self, star: bool) -> Built<u32> {
        if self.at("*") {
            if !star {
                return None;
            }
            // Outside brackets tree-sitter reads `*x` as a pattern, whose operand is a
            // name, attribute or subscript.
            let index = self.open(KINDS.list_splat, 0);
            self.keyword()?;
            let operand = self.primary(0)?;
            let kind = self.kind_of(operand);
            let k = &*KINDS;
            if kind != k.identifier && kind != k.attribute && kind != k.subscript {
                return None;
            }
            self.close();
            return Some(index);
        }
        self.expression(0)
    }

    /// Whether the current token can start an expression (after a trailing comma).
    fn starts_expression(&self) -> bool {
        let t = self.tok();
        match t.kind {
            TokenKind::Name => {
                !t.sym.is_keyword() || matches!(self.text(t), "not" | "lambda" | "await" | "None" | "True" | "False" | "yield")
            }
            TokenKind::Number | TokenKind::String => true,
            TokenKind::Op => matches!(self.text(t), "(" | "[" | "{" | "-" | "+" | "~" | "*" | "..." | "**"),
            _ => false,
        }
    }

    /// Converts an expression just built into tree-sitter's pattern for it.
    fn convert_to_pattern(&mut self, index: u32) -> Built {
        let k = &*KINDS;
        let kind = self.kind_of(index);
        let children = |b: &Self| {
            let mut out = Vec::new();
            let mut child = index + 1;
            while child < b.out.node(index).next {
                let c = b.out.node(child);
                if c.flags & 1 != 0 && c.kind != k.comment {
                    out.push(child);
                }
                child = c.next;
            }
            out
        };
        if kind == k.identifier || kind == k.attribute || kind == k.subscript {
            Some(())
        } else if kind == k.tuple || kind == k.list || kind == k.expression_list {
            let new = if kind == k.tuple {
                k.tuple_pattern
            } else if kind == k.list {
                k.list_pattern
            } else {
                k.pattern_list
            };
            self.out.set_kind(index, new, true);
            for child in children(self) {
                self.convert_to_pattern(child)?;
            }
            Some(())
        } else if kind == k.list_splat {
            let inner = children(self);
            let &[operand] = inner.as_slice() else { return None };
            let operand_kind = self.kind_of(operand);
            if operand_kind != k.identifier && operand_kind != k.attribute && operand_kind != k.subscript {
                return None;
            }
            self.out.set_kind(index, k.list_splat_pattern, true);
            Some(())
        } else {
            None
        }
    }

    // ---- compound statements ----------------------------------------------------------

    /// `_suite`: an indented block or simple statements on the header's line.
    fn suite(&mut self, field: u16) -> Built {
        let k = &*KINDS;
        if !self.at_kind(TokenKind::Newline) {
            self.open(k.block, field);
            self.simple_statements()?;
            self.close();
            return Some(());
        }
        self.newline()?;
        if !self.at_kind(TokenKind::Indent) {
            return None;
        }
        self.pos += 1;
        let start = self.tok().start;
        let column = self.point(start).column;
        let outer = std::mem::replace(&mut self.indent, column);
        self.open(k.block, field);
        while !self.at_kind(TokenKind::Dedent) {
            self.statement()?;
        }
        // The scanner puts the dedent before the first comment line indented less than
        // the block; the comment lines before that are the block's.
        let next = self.tok().start;
        while let Some(&(start, _)) = self.comments.get(self.next_comment) {
            if start as usize >= (next as usize) || self.point(start).column < column {
                break;
            }
            self.flush(start as usize + 1);
        }
        self.indent = outer;
        self.close();
        self.pos += 1;
        Some(())
    }

    fn if_statement(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        self.open(k.if_statement, 0);
        self.keyword()?;
        self.expression(f.condition)?;
        self.expect(":")?;
        self.suite(f.consequence)?;
        while self.at("elif") {
            self.open(k.elif_clause, f.alternative);
            self.keyword()?;
            self.expression(f.condition)?;
            self.expect(":")?;
            self.suite(f.consequence)?;
            self.close();
        }
        if self.at("else") {
            self.else_clause(f.alternative)?;
        }
        self.close();
        Some(())
    }

    fn else_clause(&mut self, field: u16) -> Built {
        self.open(KINDS.else_clause, field);
        self.keyword()?;
        self.expect(":")?;
        self.suite(FIELDS.body)?;
        self.close();
        Some(())
    }

    fn for_statement(&mut self, field: u16) -> Built {
        let f = &*FIELDS;
        self.open(KINDS.for_statement, field);
        if self.at("async") {
            self.keyword()?;
        }
        self.expect("for")?;
        self.targets(f.left)?;
        self.expect("in")?;
        self.expressions(f.right)?;
        self.expect(":")?;
        self.suite(f.body)?;
        if self.at("else") {
            self.else_clause(f.alternative)?;
        }
        self.close();
        Some(())
    }

    /// `_left_hand_side` of `for`: targets up to `in`.
    fn targets(&mut self, field: u16) -> Built {
        let first = self.target_item()?;
        let mut count = 1;
        let mut comma = false;
        while self.at(",") {
            comma = true;
            self.keyword()?;
            if self.at("in") {
                break;
            }
            self.target_item()?;
            count += 1;
        }
        self.as_target(first, count, comma)?;
        self.out.set_field(first, field);
        Some(())
    }

    fn target_item(&mut self) -> Built<u32> {
        if self.at("*") {
            return self.star_item(true);
        }
        self.binary(0, PREC_NONE)
    }

    fn while_statement(&mut self) -> Built {
        let f = &*FIELDS;
        self.open(KINDS.while_statement, 0);
        self.keyword()?;
        self.expression(f.condition)?;
        self.expect(":")?;
        self.suite(f.body)?;
        if self.at("else") {
            self.else_clause(f.alternative)?;
        }
        self.close();
        Some(())
    }

    fn try_statement(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        self.open(k.try_statement, 0);
        self.keyword()?;
        self.expect(":")?;
        self.suite(f.body)?;
        while self.at("except") {
            self.open(k.except_clause, 0);
            self.keyword()?;
            if self.at("*") {
                return None;
            }
            if !self.at(":") {
                let value = self.expression(f.value)?;
                if self.at("as") {
                    self.as_pattern(value)?;
                } else if self.at(",") {
                    return None;
                }
            }
            self.expect(":")?;
            self.suite(0)?;
            self.close();
        }
        if self.at("else") {
            self.else_clause(0)?;
        }
        if self.at("finally") {
            self.open(k.finally_clause, 0);
            self.keyword()?;
            self.expect(":")?;
            self.suite(0)?;
            self.close();
        }
        self.close();
        Some(())
    }

    fn with_statement(&mut self, field: u16) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        self.open(k.with_statement, field);
        if self.at("async") {
            self.keyword()?;
        }
        self.expect("with")?;
        if self.at("(") {
            return None;
        }
        self.open(k.with_clause, 0);
        loop {
            self.open(k.with_item, 0);
            let value = self.expression(f.value)?;
            if self.at("as") {
                self.as_pattern(value)?;
            }
            self.close();
            if !self.at(",") {
                break;
            }
            self.keyword()?;
        }
        self.close();
        self.expect(":")?;
        self.suite(f.body)?;
        self.close();
        Some(())
    }

    /// `x as y` (in `with` and `except`), from `as`, around the expression at `value`.
    fn as_pattern(&mut self, value: u32) -> Built {
        self.wrap(value, KINDS.as_pattern, 0);
        self.keyword()?;
        self.open(KINDS.as_pattern_target, FIELDS.alias);
        self.target_item()?;
        self.close();
        self.close();
        Some(())
    }

    fn function_definition(&mut self, field: u16) -> Built {
        let f = &*FIELDS;
        self.open(KINDS.function_definition, field);
        if self.at("async") {
            self.keyword()?;
        }
        self.expect("def")?;
        self.identifier(f.name)?;
        if !self.at("(") {
            return None;
        }
        self.open(KINDS.parameters, f.parameters);
        self.keyword()?;
        if !self.at(")") {
            self.parameter_list(true)?;
        }
        self.expect(")")?;
        self.close();
        if self.at("->") {
            self.keyword()?;
            self.type_(f.return_type)?;
        }
        self.expect(":")?;
        self.suite(f.body)?;
        self.close();
        Some(())
    }

    /// `_parameters`: the parameters of a `def` (`typed`) or a lambda.
    fn parameter_list(&mut self, typed: bool) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        loop {
            if self.at("/") {
                self.keyword_statement(k.positional_separator)?;
            } else if self.at("*") && matches!(self.text(self.peek(1)), "," | ")" | ":") {
                self.keyword_statement(k.keyword_separator)?;
            } else if self.at("*") || self.at("**") {
                let kind = if self.at("*") { k.list_splat_pattern } else { k.dictionary_splat_pattern };
                let first = self.open(kind, 0);
                self.keyword()?;
                self.identifier(0)?;
                self.close();
                if typed && self.at(":") {
                    self.wrap(first, k.typed_parameter, 0);
                    self.keyword()?;
                    self.type_(f.type_)?;
                    self.close();
                }
            } else {
                let name = self.identifier(0)?;
                if typed && self.at(":") {
                    self.keyword()?;
                    self.type_(f.type_)?;
                    if self.at("=") {
                        self.wrap(name, k.typed_default_parameter, f.name);
                        self.keyword()?;
                        self.expression(f.value)?;
                    } else {
                        self.wrap(name, k.typed_parameter, 0);
                    }
                    self.close();
                } else if self.at("=") {
                    self.wrap(name, k.default_parameter, f.name);
                    self.keyword()?;
                    self.expression(f.value)?;
                    self.close();
                }
            }
            if !self.at(",") {
                return Some(());
            }
            self.keyword()?;
            if self.at(")") || self.at(":") {
                return Some(());
            }
        }
    }

    /// `type`: an annotation. `Name[...]` is a `generic_type` whose parameters are
    /// types; anything else is an expression.
    fn type_(&mut self, field: u16) -> Built {
        let k = &*KINDS;
        self.open(k.type_, field);
        let t = self.tok();
        if t.kind == TokenKind::Name && self.peek(1).kind == TokenKind::Op && self.text(self.peek(1)) == "[" {
            self.open(k.generic_type, 0);
            self.identifier(0)?;
            self.open(k.type_parameter, 0);
            self.keyword()?;
            loop {
                self.type_(0)?;
                if !self.at(",") {
                    break;
                }
                self.keyword()?;
                if self.at("]") {
                    break;
                }
            }
            self.expect("]")?;
            self.close();
            self.close();
            // `List[int] | None` is a `union_type`, `List[int].x` something else again.
            if !matches!(self.text(self.tok()), "," | ")" | "]" | "=" | ":") && !self.at_kind(TokenKind::Newline) {
                return None;
            }
        } else {
            let index = self.expression(0)?;
            // A subscript of a name inside (`int | List[str]`) may be a generic type too.
            let end = self.out.len() as u32;
            if (index..end).any(|i| self.kind_of(i) == k.subscript && self.kind_of(i + 1) == k.identifier) {
                return None;
            }
        }
        self.close();
        Some(())
    }

    fn class_definition(&mut self, field: u16) -> Built {
        let f = &*FIELDS;
        self.open(KINDS.class_definition, field);
        self.keyword()?;
        self.identifier(f.name)?;
        if self.at("(") {
            self.argument_list(f.superclasses)?;
        }
        self.expect(":")?;
        self.suite(f.body)?;
        self.close();
        Some(())
    }

    fn decorated_definition(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        self.open(k.decorated_definition, 0);
        let column = self.point(self.tok().start).column;
        while self.at("@") {
            self.open(k.decorator, 0);
            self.keyword()?;
            self.expression(0)?;
            self.newline()?;
            self.close();
            // After a decorator the scanner reads a comment line's column as the
            // indentation (see `flush`).
            let next = self.tok().start;
            let pending = &self.comments[self.next_comment..];
            if pending.iter().take_while(|c| (c.0 as usize) < (next as usize)).any(|c| self.own_line_column(c.0).is_some_and(|col| col < column)) {
                return None;
            }
        }
        match self.text(self.tok()) {
            "def" => self.function_definition(f.definition)?,
            "class" => self.class_definition(f.definition)?,
            "async" if self.text(self.peek(1)) == "def" => self.function_definition(f.definition)?,
            _ => return None,
        }
        self.close();
        Some(())
    }

    // ---- expressions ---------------------------------------------------------------

    /// `expression`: everything but a bare tuple, with conditionals and lambdas.
    fn expression(&mut self, field: u16) -> Built<u32> {
        // Deep nesting is left to tree-sitter rather than to this thread's stack.
        if self.out.depth() > MAX_DEPTH {
            return None;
        }
        let k = &*KINDS;
        if self.at("lambda") {
            return self.lambda(field);
        }
        let t = self.tok();
        if t.kind == TokenKind::Name && self.peek(1).kind == TokenKind::Op && self.text(self.peek(1)) == ":=" {
            let index = self.open(k.named_expression, field);
            self.identifier(FIELDS.name)?;
            self.keyword()?;
            self.expression(FIELDS.value)?;
            self.close();
            return Some(index);
        }
        let first = self.disjunction(field)?;
        if self.at("if") {
            self.wrap(first, k.conditional_expression, 0);
            self.keyword()?;
            self.disjunction(0)?;
            self.expect("else")?;
            self.expression(0)?;
            self.close();
        }
        Some(first)
    }

    fn lambda(&mut self, field: u16) -> Built<u32> {
        let f = &*FIELDS;
        let index = self.open(KINDS.lambda, field);
        self.keyword()?;
        if !self.at(":") {
            self.open(KINDS.lambda_parameters, f.parameters);
            self.parameter_list(false)?;
            self.close();
        }
        self.expect(":")?;
        self.expression(f.body)?;
        self.close();
        Some(index)
    }

    /// `or` and `and` (`boolean_operator`), over `not`.
    fn disjunction(&mut self, field: u16) -> Built<u32> {
        self.boolean_chain(field, "or", Self::conjunction)
    }

    fn conjunction(&mut self, field: u16) -> Built<u32> {
        self.boolean_chain(field, "and", Self::inversion)
    }

    /// `operand (keyword operand)*`, nested to the left as tree-sitter nests it.
    fn boolean_chain(&mut self, field: u16, keyword: &str, operand: fn(&mut Self, u16) -> Built<u32>) -> Built<u32> {
        let first = operand(self, field)?;
        while self.at(keyword) {
            self.wrap(first, KINDS.boolean_operator, FIELDS.left);
            self.keyword_in(FIELDS.operator)?;
            operand(self, FIELDS.right)?;
            self.close();
        }
        Some(first)
    }

    fn inversion(&mut self, field: u16) -> Built<u32> {
        if self.at("not") {
            let index = self.open(KINDS.not_operator, field);
            self.keyword()?;
            self.inversion(FIELDS.argument)?;
            self.close();
            return Some(index);
        }
        self.comparison(field)
    }

    fn comparison(&mut self, field: u16) -> Built<u32> {
        let first = self.binary(field, PREC_NONE)?;
        if !self.at_comparison() {
            return Some(first);
        }
        self.wrap(first, KINDS.comparison_operator, 0);
        while self.at_comparison() {
            let f = FIELDS.operators;
            if self.at("not") {
                self.compound_operator(KINDS.not_in, "in")?;
            } else if self.at("is") && self.text(self.peek(1)) == "not" {
                self.compound_operator(KINDS.is_not, "not")?;
            } else {
                self.keyword_in(f)?;
            }
            self.binary(0, PREC_NONE)?;
        }
        self.close();
        Some(first)
    }

    /// `not in` and `is not`: an anonymous node over the two keywords.
    fn compound_operator(&mut self, kind: u16, second: &str) -> Built {
        let start = self.tok().start;
        self.flush(start as usize);
        self.out.open(kind, FIELDS.operators, false, start, self.point(start));
        self.keyword()?;
        self.expect(second)?;
        self.close();
        Some(())
    }

    fn at_comparison(&self) -> bool {
        let t = self.tok();
        matches!(t.kind, TokenKind::Op | TokenKind::Name) && COMPARISONS.contains(&self.text(t))
    }

    /// Binary operators by tree-sitter's precedences (which differ from Python's for
    /// `&` and `^`), over unary operators.
    fn binary(&mut self, field: u16, min: u8) -> Built<u32> {
        let first = self.unary(field)?;
        loop {
            let t = self.tok();
            if t.kind != TokenKind::Op {
                break;
            }
            let Some((prec, right)) = binary_precedence(self.text(t)) else { break };
            if prec <= min {
                break;
            }
            let f = &*FIELDS;
            self.wrap(first, KINDS.binary_operator, f.left);
            self.keyword_in(f.operator)?;
            self.binary(f.right, if right { prec - 1 } else { prec })?;
            self.close();
        }
        Some(first)
    }

    fn unary(&mut self, field: u16) -> Built<u32> {
        let f = &*FIELDS;
        if self.at("-") || self.at("+") || self.at("~") {
            let index = self.open(KINDS.unary_operator, field);
            self.keyword_in(f.operator)?;
            self.binary(f.argument, PREC_UNARY)?;
            self.close();
            return Some(index);
        }
        if self.at("await") {
            let index = self.open(KINDS.await_, field);
            self.keyword()?;
            self.binary(0, PREC_UNARY)?;
            self.close();
            return Some(index);
        }
        self.primary(field)
    }

    /// An atom with its calls, attributes and subscripts.
    fn primary(&mut self, field: u16) -> Built<u32> {
        let k = &*KINDS;
        let f = &*FIELDS;
        let first = self.atom(field)?;
        loop {
            if self.at(".") {
                self.wrap(first, k.attribute, f.object);
                self.keyword()?;
                self.identifier(f.attribute)?;
                self.close();
            } else if self.at("(") {
                self.wrap(first, k.call, f.function);
                self.argument_list(f.arguments)?;
                self.close();
            } else if self.at("[") {
                self.wrap(first, k.subscript, f.value);
                self.keyword()?;
                loop {
                    self.subscript_item()?;
                    if !self.at(",") {
                        break;
                    }
                    self.keyword()?;
                    if self.at("]") {
                        break;
                    }
                }
                self.expect("]")?;
                self.close();
            } else {
                return Some(first);
            }
        }
    }

    fn subscript_item(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        if self.at("*") {
            return None;
        }
        if self.at(":") {
            self.open(k.slice, f.subscript);
            self.slice_rest()?;
            self.close();
            return Some(());
        }
        let first = self.expression(f.subscript)?;
        if self.at(":") {
            self.wrap(first, k.slice, 0);
            self.slice_rest()?;
            self.close();
        }
        Some(())
    }

    /// A slice from its first `:`.
    fn slice_rest(&mut self) -> Built {
        self.expect(":")?;
        if !self.at(":") && !self.at(",") && !self.at("]") {
            self.expression(0)?;
        }
        if self.at(":") {
            self.keyword()?;
            if !self.at(",") && !self.at("]") {
                self.expression(0)?;
            }
        }
        Some(())
    }

    /// `argument_list` (or the `generator_expression` of `f(x for x in y)`).
    fn argument_list(&mut self, field: u16) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        let list = self.open(k.argument_list, field);
        self.keyword()?;
        let mut first = true;
        while !self.at(")") {
            if self.at("*") {
                self.open(k.list_splat, 0);
                self.keyword()?;
                self.expression(0)?;
                self.close();
            } else if self.at("**") {
                self.open(k.dictionary_splat, 0);
                self.keyword()?;
                self.expression(0)?;
                self.close();
            } else if self.tok().kind == TokenKind::Name && self.text(self.peek(1)) == "=" && self.peek(1).kind == TokenKind::Op {
                self.open(k.keyword_argument, 0);
                self.identifier(f.name)?;
                self.keyword()?;
                self.expression(f.value)?;
                self.close();
            } else {
                let value = self.expression(0)?;
                if first && (self.at("for") || self.at("async")) {
                    self.out.set_kind(list, k.generator_expression, true);
                    self.out.set_field(value, f.body);
                    self.comprehension_clauses()?;
                    break;
                }
            }
            first = false;
            if !self.at(",") {
                break;
            }
            self.keyword()?;
        }
        self.expect(")")?;
        self.close();
        Some(())
    }

    fn atom(&mut self, field: u16) -> Built<u32> {
        let k = &*KINDS;
        let t = self.tok();
        match t.kind {
            TokenKind::Name => {
                let kind = match self.text(t) {
                    "True" => k.true_,
                    "False" => k.false_,
                    "None" => k.none,
                    "yield" | "lambda" | "not" | "await" => return None,
                    _ if t.sym.is_keyword() => return None,
                    _ => k.identifier,
                };
                Some(self.leaf(kind, field, true))
            }
            TokenKind::Number => {
                let text = self.text(t).as_bytes();
                let hex = text.len() > 1 && text[0] == b'0' && matches!(text[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B');
                let is_float = !hex && text.iter().any(|&b| matches!(b, b'.' | b'e' | b'E'));
                Some(self.leaf(if is_float { k.float } else { k.integer }, field, true))
            }
            TokenKind::String => {
                if self.peek(1).kind == TokenKind::String {
                    let index = self.open(k.concatenated_string, field);
                    while self.at_kind(TokenKind::String) {
                        self.string(0)?;
                    }
                    self.close();
                    Some(index)
                } else {
                    self.string(field)
                }
            }
            TokenKind::Op => match self.text(t) {
                "..." => Some(self.leaf(k.ellipsis, field, true)),
                "(" => self.parenthesized(field),
                "[" => self.bracketed(field),
                "{" => self.braced(field),
                _ => None,
            },
            _ => None,
        }
    }

    /// A string token: `string_start`, `string_content` (with its escape sequences),
    /// `string_end`. The content is cut where tree-sitter-python's scanner cuts it: a
    /// last stretch that has only characters the scanner steps over without counting them
    /// as content (`\\` in a raw string, `\N` in bytes) goes to `string_end`.
    fn string(&mut self, field: u16) -> Built<u32> {
        let k = &*KINDS;
        let t = self.tok();
        let text = self.text(t).as_bytes();
        let prefix = text.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        let flags = &text[..prefix];
        let raw = flags.iter().any(|&b| b == b'r' || b == b'R');
        let bytes = flags.iter().any(|&b| b == b'b' || b == b'B');
        let format = flags.iter().any(|&b| b == b'f' || b == b'F');
        let quote = *text.get(prefix)?;
        let triple = text.len() >= prefix + 6 && text[prefix + 1] == quote && text[prefix + 2] == quote;
        let quotes = if triple { 3 } else { 1 };
        let start = t.start;
        let content_start = t.start as usize + prefix + quotes;
        let content_end = t.end as usize - quotes;
        if content_end < content_start {
            return None;
        }
        let index = self.open(k.string, field);
        self.piece(k.string_start, true, start, content_start as u32);
        let src = self.src.as_bytes();
        let mut segment = (self.out.mark(), content_start);
        self.out.open(k.string_content, 0, true, content_start as u32, self.point(content_start as u32));
        // Where the scanner's current call started, and whether it has seen content.
        let (mut chunk, mut has) = (content_start, false);
        let mut i = content_start;
        while i < content_end {
            let b = src[i];
            if format && b == b'{' && src.get(i + 1) != Some(&b'{') {
                if !has && chunk < i {
                    return None;
                }
                self.end_segment(segment, i);
                i = self.interpolation(i, content_end)?;
                segment = (self.out.mark(), i);
                self.out.open(k.string_content, 0, true, i as u32, self.point(i as u32));
                (chunk, has) = (i, false);
            } else if format && (b == b'{' || b == b'}') {
                if i + 1 >= content_end || src[i + 1] != b {
                    return None;
                }
                self.piece(k.escape_interpolation, true, i as u32, i as u32 + 2);
                i += 2;
                (chunk, has) = (i, false);
            } else if b == b'\\' && raw {
                i += 1;
                if i < content_end && (src[i] == quote || src[i] == b'\\') {
                    i += 1;
                }
                if i < content_end && src[i] == b'\n' {
                    i += 1;
                }
            } else if b == b'\\' && bytes && matches!(src.get(i + 1), Some(b'N' | b'u' | b'U')) {
                i += 2;
            } else if b == b'\\' {
                let len = escape_length(&src[i..content_end]);
                if len > 0 {
                    self.piece(k.escape_sequence, true, i as u32, (i + len) as u32);
                    i += len;
                } else {
                    self.piece(k.backslash, false, i as u32, i as u32 + 1);
                    i += 1;
                }
                (chunk, has) = (i, false);
            } else if b == quote && triple {
                while i < content_end && src[i] == quote {
                    i += 1;
                }
                (chunk, has) = (i, false);
            } else {
                i += 1;
                has = true;
            }
        }
        let end_start = if has { content_end } else { chunk };
        self.end_segment(segment, end_start);
        let end_start = end_start as u32;
        self.piece(k.string_end, true, end_start, t.end);
        self.last_end = t.end;
        self.pos += 1;
        self.close();
        Some(index)
    }

    /// Ends the `string_content` opened at `segment` (a mark and the offset) at `end`, or
    /// drops it when it is empty.
    fn end_segment(&mut self, segment: ((usize, usize), usize), end: usize) {
        if end == segment.1 {
            self.out.truncate(segment.0);
        } else {
            self.out.close(end as u32, self.point(end as u32));
        }
    }

    /// An f-string's `interpolation` from its `{` at `open`: the expression (parsed from
    /// its own tokens), `!r`, a format specifier without nested fields. Returns the offset
    /// after its `}`.
    fn interpolation(&mut self, open: usize, content_end: usize) -> Built<usize> {
        let k = &*KINDS;
        let f = &*FIELDS;
        let src = self.src.as_bytes();
        // The expression runs to a `!`, `:` or `}` outside brackets and strings.
        let (mut depth, mut quote, mut j) = (0usize, None, open + 1);
        while j < content_end {
            let c = src[j];
            if let Some(q) = quote {
                if c == q {
                    quote = None;
                }
            } else {
                match c {
                    b'\'' | b'"' => quote = Some(c),
                    b'(' | b'[' | b'{' => depth += 1,
                    b')' | b']' | b'}' if depth > 0 => depth -= 1,
                    b'}' => break,
                    b'!' if depth == 0 && src.get(j + 1) != Some(&b'=') => break,
                    b':' if depth == 0 => break,
                    b'=' if depth == 0 && !matches!(src[j - 1], b'=' | b'!' | b'<' | b'>') && src.get(j + 1) != Some(&b'=') => return None,
                    b'\n' | b'#' | b'\\' => return None,
                    _ => {}
                }
            }
            j += 1;
        }
        if j >= content_end {
            return None;
        }
        let lead = src[open + 1..j].iter().take_while(|&&b| b == b' ').count();
        let from = open + 1 + lead;
        let tokens = super::tokenizer::tokenize(&self.src[from..j]);
        if tokens.error.is_some() {
            return None;
        }
        let shifted: Vec<Token> =
            tokens.tokens.iter().map(|t| Token { start: t.start + from as u32, end: t.end + from as u32, ..*t }).collect();
        self.out.open(k.interpolation, 0, true, open as u32, self.point(open as u32));
        self.piece(token_kind("{"), false, open as u32, open as u32 + 1);
        let mut inner = Builder {
            src: self.src,
            toks: &shifted,
            pos: 0,
            comments: Vec::new(),
            next_comment: 0,
            lines: std::mem::take(&mut self.lines),
            indent: self.indent,
            unsure: false,
            last_end: open as u32 + 1,
            last_row: 0,
            out: std::mem::take(&mut self.out),
            previous: None,
            statements: Vec::new(),
        };
        let parsed = inner.expressions(f.expression).filter(|_| inner.at_kind(TokenKind::Newline));
        self.out = std::mem::take(&mut inner.out);
        self.lines = std::mem::take(&mut inner.lines);
        parsed?;
        if src[j] == b'!' {
            if !src.get(j + 1).is_some_and(u8::is_ascii_lowercase) {
                return None;
            }
            let at = j as u32;
            self.out.leaf(k.type_conversion, f.type_conversion, true, at, at + 2, self.point(at), self.point(at + 2));
            j += 2;
        }
        if src.get(j) == Some(&b':') {
            let spec_end = j + src[j..content_end].iter().position(|&b| b == b'}')?;
            if src[j..spec_end].iter().any(|&b| b == b'{' || b == b'\n') {
                return None;
            }
            let at = j as u32;
            self.out.open(k.format_specifier, f.format_specifier, true, at, self.point(at));
            self.piece(token_kind(":"), false, at, at + 1);
            self.out.close(spec_end as u32, self.point(spec_end as u32));
            j = spec_end;
        }
        if src.get(j) != Some(&b'}') {
            return None;
        }
        self.piece(token_kind("}"), false, j as u32, j as u32 + 1);
        self.out.close(j as u32 + 1, self.point(j as u32 + 1));
        Some(j + 1)
    }

    /// `(`: a tuple, a parenthesized expression, a generator expression.
    fn parenthesized(&mut self, field: u16) -> Built<u32> {
        let k = &*KINDS;
        let index = self.open(k.tuple, field);
        self.keyword()?;
        if self.at(")") {
            self.keyword()?;
            self.close();
            return Some(index);
        }
        if self.at("yield") {
            self.out.set_kind(index, k.parenthesized_expression, true);
            self.yield_expression(0)?;
            self.expect(")")?;
            self.close();
            return Some(index);
        }
        let first = self.collection_item()?;
        if self.at("for") || self.at("async") {
            self.out.set_kind(index, k.generator_expression, true);
            self.out.set_field(first, FIELDS.body);
            self.comprehension_clauses()?;
        } else if self.at(")") {
            if self.kind_of(first) == k.list_splat {
                return None;
            }
            self.out.set_kind(index, k.parenthesized_expression, true);
        } else {
            self.collection_rest(")")?;
        }
        self.expect(")")?;
        self.close();
        Some(index)
    }

    /// `[`: a list or a list comprehension.
    fn bracketed(&mut self, field: u16) -> Built<u32> {
        let k = &*KINDS;
        let index = self.open(k.list, field);
        self.keyword()?;
        if !self.at("]") {
            let first = self.collection_item()?;
            if self.at("for") || self.at("async") {
                self.out.set_kind(index, k.list_comprehension, true);
                self.out.set_field(first, FIELDS.body);
                self.comprehension_clauses()?;
            } else {
                self.collection_rest("]")?;
            }
        }
        self.expect("]")?;
        self.close();
        Some(index)
    }

    /// `{`: a dictionary, a set, or their comprehensions.
    fn braced(&mut self, field: u16) -> Built<u32> {
        let k = &*KINDS;
        let f = &*FIELDS;
        let index = self.open(k.dictionary, field);
        self.keyword()?;
        if self.at("}") {
            self.keyword()?;
            self.close();
            return Some(index);
        }
        if self.at("**") {
            loop {
                self.dictionary_item()?;
                if !self.at(",") {
                    break;
                }
                self.keyword()?;
                if self.at("}") {
                    break;
                }
            }
            self.expect("}")?;
            self.close();
            return Some(index);
        }
        let first = self.collection_item()?;
        if self.at(":") {
            if self.kind_of(first) == k.list_splat {
                return None;
            }
            self.wrap(first, k.pair, f.key);
            self.keyword()?;
            self.expression(f.value)?;
            self.close();
            if self.at("for") || self.at("async") {
                self.out.set_kind(index, k.dictionary_comprehension, true);
                self.out.set_field(first, f.body);
                self.comprehension_clauses()?;
            } else {
                while self.at(",") {
                    self.keyword()?;
                    if self.at("}") {
                        break;
                    }
                    self.dictionary_item()?;
                }
            }
        } else if self.at("for") || self.at("async") {
            self.out.set_kind(index, k.set_comprehension, true);
            self.out.set_field(first, f.body);
            self.comprehension_clauses()?;
        } else {
            self.out.set_kind(index, k.set, true);
            self.collection_rest("}")?;
        }
        self.expect("}")?;
        self.close();
        Some(index)
    }

    fn dictionary_item(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        if self.at("**") {
            self.open(k.dictionary_splat, 0);
            self.keyword()?;
            self.binary(0, PREC_NONE)?;
            self.close();
            return Some(());
        }
        let first = self.expression(0)?;
        self.wrap(first, k.pair, f.key);
        self.expect(":")?;
        self.expression(f.value)?;
        self.close();
        Some(())
    }

    /// `_collection_elements` after the first: `, item` up to the closing bracket.
    fn collection_rest(&mut self, closing: &str) -> Built {
        while self.at(",") {
            self.keyword()?;
            if self.at(closing) {
                break;
            }
            self.collection_item()?;
        }
        Some(())
    }

    fn collection_item(&mut self) -> Built<u32> {
        if self.at("*") {
            let index = self.open(KINDS.list_splat, 0);
            self.keyword()?;
            self.expression(0)?;
            self.close();
            return Some(index);
        }
        if self.at("yield") {
            return None;
        }
        self.expression(0)
    }

    /// `_comprehension_clauses`: `for ... in ...` and `if ...`, after the body.
    fn comprehension_clauses(&mut self) -> Built {
        let k = &*KINDS;
        let f = &*FIELDS;
        loop {
            if self.at("for") || self.at("async") {
                self.open(k.for_in_clause, 0);
                if self.at("async") {
                    self.keyword()?;
                }
                self.expect("for")?;
                self.targets(f.left)?;
                self.expect("in")?;
                if self.at("lambda") {
                    return None;
                }
                self.disjunction(f.right)?;
                if self.at(",") {
                    return None;
                }
                self.close();
            } else if self.at("if") {
                self.open(k.if_clause, 0);
                self.keyword()?;
                if self.at("lambda") {
                    return None;
                }
                self.disjunction(0)?;
                self.close();
            } else {
                return Some(());
            }
        }
    }

    /// `yield`, `yield x`, `yield x, y`, `yield from x`.
    fn yield_expression(&mut self, field: u16) -> Built<u32> {
        let index = self.open(KINDS.yield_, field);
        self.keyword()?;
        if self.at("from") {
            self.keyword()?;
            self.expression(0)?;
        } else if self.starts_expression() {
            self.expressions(0)?;
        }
        self.close();
        Some(index)
    }
}

/// The extras in the gaps before `toks` (strings are tokens), from byte `from` on (the
/// end of the tokens before them), and, when `to` is the end of `bytes`, after the last.
fn scan_gaps(bytes: &[u8], toks: &[Token], from: usize, to: usize, comments: &mut Vec<(u32, u32)>) -> Built {
    let mut gap_start = from;
    for token in toks {
        let gap_end = (token.start as usize).min(bytes.len());
        if gap_end > gap_start {
            scan_gap(bytes, gap_start, gap_end, token.kind == TokenKind::String, comments)?;
        }
        gap_start = gap_start.max((token.end as usize).min(bytes.len()));
    }
    if to == bytes.len() && gap_start < bytes.len() {
        scan_gap(bytes, gap_start, bytes.len(), false, comments)?;
    }
    Some(())
}

/// The extras and line starts of `bytes` made from the last build's (`last`): `map` says
/// which tokens were taken over since, unchanged. The text up to the end of the last
/// head token is the last text's, and the text from the first tail token on is the last
/// text's moved by the change in length (`retokenize` takes tokens over only there), so
/// the extras and newlines there are the last ones, and only the text between is
/// scanned. `None` when the two cannot be lined up that way (the caller scans it all);
/// `Some(None)` for a gap the builder refuses.
fn carried_scan(bytes: &[u8], toks: &[Token], last: Scan, map: Reused) -> Option<Built<Scanned>> {
    let len = bytes.len();
    let n = toks.len();
    if map.head > map.tail_new || map.tail_new > n || (last.ends_with_newline != bytes.ends_with(b"\n")) {
        return None;
    }
    // Head: everything before `from`; tail: everything from `to` on.
    let from = if map.head > 0 { (toks[map.head - 1].end as usize).min(len) } else { 0 };
    let to = if map.tail_new < n { (toks[map.tail_new].start as usize).min(len) } else { len };
    let delta = len as i64 - last.len as i64;
    let old_to = to as i64 - delta;
    if from > to || old_to < from as i64 || old_to > last.len as i64 {
        return None;
    }
    let old_to = old_to as u32;
    let moved = |offset: u32| (offset as i64 + delta) as u32;
    let mut comments = Vec::with_capacity(last.comments.len() + 8);
    let head = last.comments.partition_point(|&(_, end)| end as usize <= from);
    comments.extend_from_slice(&last.comments[..head]);
    let scanned = toks.get(map.head..(map.tail_new + 1).min(n)).unwrap_or(&[]);
    if scan_gaps(bytes, scanned, from, to, &mut comments).is_none() {
        return Some(None);
    }
    let tail = last.comments.partition_point(|&(start, _)| start < old_to);
    comments.extend(last.comments[tail..].iter().map(|&(start, end)| (moved(start), moved(end))));
    // A line starts after each newline: those before `from`, between, and from `to` on.
    let mut lines = Vec::with_capacity(last.lines.len() + 8);
    let head = last.lines.partition_point(|&start| start as usize <= from);
    lines.extend_from_slice(&last.lines[..head]);
    lines.extend(newline_offsets(&bytes[from..to]).map(|i| (from + i) as u32 + 1));
    let tail = last.lines.partition_point(|&start| start <= old_to);
    lines.extend(last.lines[tail..].iter().map(|&start| moved(start)));
    Some(Some((comments, lines)))
}

/// Offsets of the newlines of `bytes`.
fn newline_offsets(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    // Word at a time: a long program has ~50,000 bytes and every build of a state scans
    // them all.
    memchr::memchr_iter(b'\n', bytes)
}

/// Collects the extras of a gap between tokens: comments and line continuations. `None`
/// for anything but spaces, newlines and those (tabs and form feeds change how
/// tree-sitter measures indentation). A continuation before a string is no node: the
/// scanner steps over it as it looks for the string's start.
fn scan_gap(bytes: &[u8], start: usize, end: usize, before_string: bool, comments: &mut Vec<(u32, u32)>) -> Built {
    let mut i = start;
    while i < end {
        match bytes[i] {
            b' ' | b'\n' => i = skip_blank(bytes, i + 1, end),
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => {
                // tree-sitter errs on a continued line indented less than its first.
                let line_start = bytes[..i].iter().rposition(|&b| b == b'\n').map_or(0, |n| n + 1);
                let indent = |from: usize| bytes[from..].iter().take_while(|&&b| b == b' ').count();
                // ... and on one continued by a blank line.
                let next_line = &bytes[i + 2..];
                let blank = next_line.iter().take_while(|&&b| b != b'\n').all(|&b| b == b' ');
                if blank || indent(i + 2) < indent(line_start) {
                    return None;
                }
                if !before_string {
                    comments.push((i as u32, i as u32 + 2));
                }
                i += 2;
            }
            b'#' => {
                let stop = bytes[i..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |n| i + n);
                comments.push((i as u32, stop as u32));
                i = stop;
            }
            _ => return None,
        }
    }
    Some(())
}

/// The first offset from `i` on (before `end`) of a byte that is neither a space nor a
/// newline, or `end`. Most gaps between tokens are a newline and an indentation, and every
/// build scans all of them: eight bytes at a time.
fn skip_blank(bytes: &[u8], mut i: usize, end: usize) -> usize {
    const LOW: u64 = u64::from_ne_bytes([0x7f; 8]);
    // High bit of each byte set where the byte of `v` is not zero.
    let nonzero = |v: u64| ((v & LOW).wrapping_add(LOW) | v) & !LOW;
    while i + 8 <= end {
        let word = u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
        let other = nonzero(word ^ u64::from_ne_bytes([b' '; 8])) & nonzero(word ^ u64::from_ne_bytes([b'\n'; 8]));
        if other != 0 {
            return i + (other.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < end && matches!(bytes[i], b' ' | b'\n') {
        i += 1;
    }
    i
}

/// The length of the escape sequence at the start of `text` (a backslash first), as
/// tree-sitter-python's `escape_sequence` token matches it, or 0.
fn escape_length(text: &[u8]) -> usize {
    let hex = |n: usize| text.len() > n + 1 && text[2..2 + n].iter().all(|b| b.is_ascii_hexdigit());
    match text.get(1) {
        Some(b'u') if hex(4) => 6,
        Some(b'U') if hex(8) => 10,
        Some(b'x') if hex(2) => 4,
        Some(b'0'..=b'7' | b'8' | b'9') => 1 + text[1..].iter().take(3).take_while(|b| b.is_ascii_digit()).count(),
        Some(b'\n') => 2,
        Some(b'\'' | b'"' | b'a' | b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'\\') => 2,
        Some(b'N') if text.get(2) == Some(&b'{') => match text[3..].iter().position(|&b| b == b'}') {
            Some(0) | None => 0,
            Some(n) => 4 + n,
        },
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::super::fields::kind_name;
    use super::super::tree::SyntaxTree;
    use super::super::{fixture_programs, indent_of, longest_fixture_program, parse, syntax, Watched};
    use crate::lang::python;
    use crate::lintseq::{rng::path_rng, sampler::sample_deletions, SamplerConfig};

    /// On a state without a syntax error: builds its tree copying from the last one and
    /// from scratch, checks that the two are the same and tree-sitter's, and hands the
    /// tree back. Returns whether the builder made a tree.
    fn copy_and_compare(source: &str) -> Option<bool> {
        let tokens = syntax::check_keeping_tokens(source).ok()?;
        let copied = super::build(source, &tokens);
        let fresh = super::build_fresh(source, &tokens);
        syntax::give_back(tokens);
        assert_eq!(copied.as_ref().map(|t| t.raw().to_vec()), fresh.as_ref().map(|t| t.raw().to_vec()), "{source:?}");
        let Some(tree) = copied else { return Some(false) };
        let theirs = SyntaxTree::from_tree_sitter(&parse(source));
        assert_eq!(tree.first_difference(&theirs), None, "{source:?}");
        super::keep(tree);
        Some(true)
    }

    /// Reuse must not silently stop: linting a long program and then the same program
    /// without one blank line in its middle copies every statement but the one around
    /// that line (and its enclosing ones).
    #[test]
    fn a_state_one_line_away_copies_its_unchanged_statements() {
        let program = &longest_fixture_program();
        let lines: Vec<&str> = program.split('\n').collect();
        let blank = (lines.len() / 2..lines.len()).find(|&i| lines[i].trim().is_empty()).expect("a blank line");
        let state: String = lines.iter().enumerate().filter(|(i, _)| *i != blank).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        python::lint(program);
        let before = super::COPIED.with(|c| c.get());
        let carried = super::CARRIED.with(|c| c.get());
        python::lint(&state);
        let copied = super::COPIED.with(|c| c.get()) - before;
        assert_eq!(super::CARRIED.with(|c| c.get()), carried + 1, "the extras and line starts were scanned again");
        let statements = lines.iter().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count();
        assert!(copied * 4 >= statements, "{copied} statements copied of a {statements}-line program");
    }

    /// States that differ from the last tree's in two places far apart (in one call, or
    /// through a state with a syntax error between them) still copy the statements
    /// between the two edits, and the trees are the ones built from scratch.
    #[test]
    fn statements_between_two_edits_are_copied() {
        let program = &longest_fixture_program();
        let lines: Vec<&str> = program.split('\n').collect();
        let indent = indent_of;
        // A block header (not right after another header or a decorator) past the first
        // third, with the lines of its block, and an import near the start.
        let header = (lines.len() / 3..lines.len() - 2)
            .find(|&i| lines[i].trim_end().ends_with(':') && indent(lines[i + 1]) > indent(lines[i]) && !lines[i - 1].trim_end().ends_with(':') && !lines[i - 1].trim_start().starts_with('@'))
            .expect("a block header");
        let block: Vec<usize> = (header..lines.len()).take_while(|&i| i == header || lines[i].trim().is_empty() || indent(lines[i]) > indent(lines[header])).collect();
        let last = (1..lines.len() / 4).find(|&i| lines[i].starts_with("import ")).expect("an import");
        let without = |gone: &[usize]| lines.iter().enumerate().filter(|(i, _)| !gone.contains(i)).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        // The block and the import taken out at once; then the header alone first (its
        // body is then an unexpected indent), as the sampler takes them out.
        let valid = without(&[&block[..], &[last]].concat());
        // And a bracket that a deleted line leaves open (the tokens then run in brackets
        // to the end of the file, and those after the edit come back from the last
        // complete tokenization): a call over two lines added near the start.
        let opened: Vec<&str> = [&lines[..2], &["probe = max(", "    1, 2)"], &lines[2..]].concat();
        let join = |lines: &[&str]| lines.join("\n");
        let open_states = vec![join(&[&opened[..3], &opened[4..]].concat()), join(&[&opened[..2], &opened[4..]].concat())];
        let cases = [(program.clone(), vec![valid.clone()]), (program.clone(), vec![without(&[header]), valid]), (join(&opened), open_states)];
        for (first, states) in cases {
            assert_eq!(copy_and_compare(&first), Some(true));
            let (valid, between) = states.split_last().expect("a state");
            for state in between {
                assert!(syntax::check_keeping_tokens(state).is_err(), "a syntax error");
            }
            let before = super::COPIED_NODES.with(|c| c.get());
            assert_eq!(copy_and_compare(valid), Some(true));
            let copied = super::COPIED_NODES.with(|c| c.get()) - before;
            let nodes = SyntaxTree::from_tree_sitter(&parse(valid)).len();
            assert!(copied * 10 >= nodes * 9, "{copied} nodes copied of {nodes}");
        }
    }

    #[test]
    fn skip_blank_stops_at_the_first_other_byte() {
        let text = b"\n        \n   \n            x = 1  # c\n\n\n";
        for start in 0..text.len() {
            for end in start..=text.len() {
                let slow = (start..end).find(|&i| !matches!(text[i], b' ' | b'\n')).unwrap_or(end);
                assert_eq!(super::skip_blank(text, start, end), slow, "{start}..{end}");
            }
        }
    }

    /// The sampler's own sequences of states on every fixture program, three seeds each:
    /// a tree that copies the unchanged statements of the last one is the tree built from
    /// scratch, and tree-sitter's.
    #[test]
    fn copied_statements_give_the_tree_built_from_scratch() {
        let counts = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let seen = counts.clone();
        let lang = Watched(move |source: &str| {
            if let Some(ours) = copy_and_compare(source) {
                seen[0].fetch_add(1, Ordering::Relaxed);
                seen[1].fetch_add(ours as usize, Ordering::Relaxed);
            }
        });
        let cfg = SamplerConfig::default();
        for (row, program) in fixture_programs().iter().enumerate() {
            for seed in 0..3 {
                let _ = sample_deletions(&lang, program, &cfg, &mut path_rng(seed, row as u64, 0));
            }
        }
        let (valid, ours) = (counts[0].load(Ordering::Relaxed), counts[1].load(Ordering::Relaxed));
        eprintln!("{valid} valid states, {ours} trees built by us");
        assert!(ours > 2_000 && ours * 100 >= valid * 95, "{ours} of {valid}");
    }

    /// The same on a long module (fixture programs one after another), where states
    /// change in places far apart: the runs of tokens between edits are found, and the
    /// statements there copied, as the trees built from scratch have them.
    #[test]
    fn copies_between_edits_on_a_long_module_give_the_tree_built_from_scratch() {
        let programs = fixture_programs();
        let long: String = programs.iter().filter(|p| syntax::check_fresh(p).is_none()).take(24).map(|p| format!("{p}\n\n")).collect();
        let valid = Arc::new(AtomicUsize::new(0));
        let seen = valid.clone();
        let lang = Watched(move |source: &str| {
            // The parses carried over between edits give the verdict of a fresh check.
            let fresh = syntax::check_fresh(source);
            let built = copy_and_compare(source);
            assert_eq!(built.is_some(), fresh.is_none(), "{fresh:?} on {source:?}");
            if built.is_some() {
                seen.fetch_add(1, Ordering::Relaxed);
            }
        });
        let islands = crate::lang::python::tokenizer::ISLANDS_FOUND.get();
        for seed in 0..4 {
            let _ = sample_deletions(&lang, &long, &SamplerConfig::default(), &mut path_rng(seed, 0, 0));
        }
        let islands = crate::lang::python::tokenizer::ISLANDS_FOUND.get() - islands;
        let valid = valid.load(Ordering::Relaxed);
        assert!(valid > 50 && islands > 0, "{valid} valid states, {islands} calls with runs between edits");
    }

    /// The programs of a JSONL file (the code of `response`, or of `completion`).
    fn programs(path: &str) -> Vec<String> {
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        text.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let row: serde_json::Value = serde_json::from_str(line).expect("a JSON row");
                let code = row["response"].as_str().or_else(|| row["completion"].as_str()).unwrap_or("");
                crate::lintseq::fence::strip_chain_of_thought(code, &["python"]).into_owned()
            })
            .collect()
    }

    /// The program and intermediate states of it, as the sampler makes them (lines
    /// deleted): each line alone, random runs, every k-th line, random shares of the lines.
    /// Fixed seed.
    fn states(program: &str, seed: u64) -> Vec<String> {
        let lines: Vec<&str> = program.split('\n').collect();
        let n = lines.len();
        let keep = |drop: &dyn Fn(usize) -> bool| -> String {
            lines.iter().enumerate().filter(|(i, _)| !drop(*i)).map(|(_, l)| *l).collect::<Vec<_>>().join("\n")
        };
        let mut out = vec![program.to_string()];
        let mut rng = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let mut next = |bound: usize| {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((rng >> 33) as usize) % bound.max(1)
        };
        let singles = n.min(40);
        for _ in 0..singles {
            let line = next(n);
            out.push(keep(&|i| i == line));
        }
        for _ in 0..20 {
            let start = next(n);
            let len = 1 + next(8);
            out.push(keep(&|i| i >= start && i < start + len));
        }
        for k in 2..5 {
            let offset = next(k);
            out.push(keep(&|i| i % k == offset));
        }
        // Comments where code was (commented-out lines at any indentation, notes at
        // the ends of lines), which decide where blocks end.
        for _ in 0..4 {
            let mut lines: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            for _ in 0..3 {
                let at = next(n);
                let indent = lines[at].len() - lines[at].trim_start().len();
                let column = [0, indent, indent + 4, indent.saturating_sub(4)][next(4)];
                lines.insert(at, format!("{:column$}# note", ""));
                let end = next(lines.len());
                if !lines[end].ends_with('\\') {
                    lines[end].push_str(["  # end", "  "][next(2)]);
                }
                let blank = next(lines.len());
                lines.insert(blank, " ".repeat(next(9)));
                // A line continued with a backslash at one of its spaces.
                let split = next(lines.len());
                let line = lines[split].clone();
                let indent = line.len() - line.trim_start().len();
                let spaces: Vec<usize> = line.match_indices(' ').map(|(i, _)| i).filter(|&i| i > indent).collect();
                if !spaces.is_empty() && !line.contains(['#', '\'', '"', '\\']) {
                    let at = spaces[next(spaces.len())];
                    let extra = [0, 4, 8][next(3)];
                    lines[split] = format!("{} \\", &line[..at]);
                    lines.insert(split + 1, format!("{:w$}{}", "", &line[at + 1..], w = indent + extra));
                }
            }
            out.push(lines.join("\n"));
        }
        // Later states of the sampler: many lines gone at once.
        for percent in [20, 40, 60, 80] {
            let gone: Vec<bool> = (0..n).map(|_| next(100) < percent).collect();
            out.push(keep(&|i| gone[i]));
        }
        out
    }

    /// Where the builder gave up on `state`: the line and the token, or why.
    fn bail_point(state: &str, tokens: &super::Tokens) -> String {
        let Some(mut builder) = super::Builder::new(state, &tokens.tokens) else { return "gap".into() };
        if builder.module().is_some() {
            return if builder.unsure { "unsure".into() } else { "built".into() };
        }
        let t = builder.tok();
        let line = state[..(t.start as usize).min(state.len())].lines().count();
        format!("{:?} {:?} | {}", t.kind, builder.text(t), state.lines().nth(line.saturating_sub(1)).unwrap_or(""))
    }

    #[test]
    #[ignore]
    fn where_the_builder_gives_up() {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut counts: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let path = std::env::var("CORPUS").unwrap_or_else(|_| format!("{root}/fixtures/corpus/stdlib_sample.jsonl"));
        for (i, program) in programs(&path).iter().enumerate() {
            for state in states(program, i as u64).into_iter().take(1) {
                let Ok(tokens) = syntax::check_keeping_tokens(&state) else { continue };
                let point = bail_point(&state, &tokens);
                if point != "built" {
                    println!("{point}");
                    *counts.entry(point.split(" | ").next().unwrap().to_string()).or_default() += 1;
                }
            }
        }
        let mut counts: Vec<_> = counts.into_iter().collect();
        counts.sort_by_key(|c| std::cmp::Reverse(c.1));
        println!("{counts:?}");
    }

    #[test]
    fn every_token_has_its_kind() {
        for (i, text) in super::TOKENS.iter().enumerate() {
            assert_eq!(super::token_index(text), Some(i), "{text}");
            assert_ne!(super::TOKEN_KINDS[i], 0, "{text}");
        }
    }

    /// Constructs the corpora have few of.
    const SNIPPETS: &[&str] = &[
        "a = 1; b = 2;  # c\nif a: b; a  # d\nelse: pass\n",
        "async def f(x, /, y=1, *args, z: int = 2, **kw) -> 'T':\n    async with a as b, c:\n        await x ** 2\n    async for i in y: yield\n    return [j async for j in x if j]\n",
        "def g():\n    global a, b\n    def h():\n        nonlocal c\n        del a[0], b.c\n    assert x, 'm'\n    raise E('x') from None\n",
        "try:\n    pass\nexcept (A, B) as e:\n    raise\nexcept C:\n    pass\nelse:\n    x = 1\nfinally:\n    y = 2\n",
        "while x:\n    break\nelse:\n    continue\nfor a, (b, c) in d: pass\nelse: pass\n",
        "@dec(1, k=2)\n@other.attr\nclass A(B, metaclass=M):\n    x: int\n    y: List[int] = []\n    def f(self): ...\n",
        "x = {k: v for k, v in d.items()}, {i for i in s}, (i for i in s), [*a, *b], {**c}\n",
        "y = lambda a, b=1, *c, **d: a if b else c\nz = a[1:2, ::3, :], a[...], a[-1]\n",
        r#"s = b'\x00\N' rb'\d' u'\u1234'"#,
        "s = f'{x!r:>10}' f'{a}{b!s}{{}}'\n",
        "s = F'''{x}\\n'''\n",
        "if (n := len(a)) > 10 and not b or c is not d and e not in f: pass\n",
        "print(x, end='')\nexec('x')\nmatch = 1\ntype = 2\nprint >> f\n",
        "from ... import x\nfrom .a.b import (c as d, e,)\nimport a.b.c as d, e\n",
        "x = [\n    1,  # one\n    # two\n    2,\n]\ny = (a  # c\n     + b)\n",
        "class A:\n    def f(self):\n        pass\n        # inner\n    # outer\n# top\n\n    def g(self): pass\n",
        "x = 1 + \\\n    2\nif a and \\\n   b:\n    pass\n",
        "t = 1,\nu = -x ** -y, ~a & b ^ c | d << e >> f // g % h @ i\n",
        "\u{e9}t\u{e9} = '\u{e9}'\nx = r'\\\\' + r'\\'' + '\\\n'\n",
        "",
        "# only a comment\n",
        "\n\n\n",
    ];

    #[test]
    fn the_built_tree_is_tree_sitters_on_rare_constructs() {
        let (mut tally, mut report) = (Tally::default(), Vec::new());
        for snippet in SNIPPETS {
            compare(snippet, &mut tally, &mut report);
        }
        eprintln!("{tally:?}");
        assert!(report.is_empty(), "{tally:?}\n{}", report.join("\n\n"));
        assert!(tally.built * 10 >= tally.valid * 7, "{tally:?}");
    }

    #[derive(Default, Debug)]
    struct Tally {
        valid: usize,
        built: usize,
        mismatches: usize,
    }

    fn compare(state: &str, tally: &mut Tally, report: &mut Vec<String>) {
        let Ok(tokens) = syntax::check_keeping_tokens(state) else { return };
        tally.valid += 1;
        let Some(ours) = super::build(state, &tokens) else { return };
        tally.built += 1;
        let theirs = SyntaxTree::from_tree_sitter(&parse(state));
        if let Some(mut difference) = ours.first_difference(&theirs) {
            tally.mismatches += 1;
            // The first node that differs in more than its subtree's extent.
            let same = |a: &super::super::tree::Raw, b: &super::super::tree::Raw| {
                (a.kind, a.field, a.flags, a.start, a.end, a.parent) == (b.kind, b.field, b.flags, b.start, b.end, b.parent)
            };
            let mut context = String::new();
            if let Some(i) = ours.raw().iter().zip(theirs.raw()).position(|(a, b)| !same(a, b)) {
                difference = format!("node {i}: ours {:?} {:?} vs {:?} {:?}", kind_name(ours.raw()[i].kind), ours.raw()[i], kind_name(theirs.raw()[i].kind), theirs.raw()[i]);
                let row = ours.raw()[i].start_row as usize;
                for (n, line) in state.lines().enumerate().skip(row.saturating_sub(4)).take(8) {
                    context += &format!("{n:4}| {line}\n");
                }
            }
            if let Some(error) = theirs.nodes().find(|n| n.is_error()) {
                let row = error.start_position().row;
                context += &format!("  error at row {row}:\n");
                for (n, line) in state.lines().enumerate().skip(row.saturating_sub(3)).take(5) {
                    context += &format!("{n:4}| {line}\n");
                }
            }
            if report.len() < 10 {
                report.push(format!("{difference}\n{context}"));
            }
        }
    }

    fn run(paths: &[&str]) -> (Tally, Vec<String>) {
        let mut tally = Tally::default();
        let mut report = Vec::new();
        for path in paths {
            for (i, program) in programs(path).iter().enumerate() {
                for state in states(program, i as u64) {
                    compare(&state, &mut tally, &mut report);
                }
            }
        }
        (tally, report)
    }

    #[test]
    fn the_built_tree_is_tree_sitters_on_the_fixtures() {
        let root = env!("CARGO_MANIFEST_DIR");
        let (tally, report) = run(&[&format!("{root}/fixtures/humaneval.jsonl"), &format!("{root}/fixtures/corpus/stdlib_sample.jsonl")]);
        eprintln!("{tally:?}");
        assert!(report.is_empty(), "{tally:?}\n{}", report.join("\n\n"));
        assert!(tally.built * 100 >= tally.valid * COVERAGE_FLOOR, "coverage fell: {tally:?}");
    }

    /// The share (%) of syntax-valid fixture states that get a built tree.
    const COVERAGE_FLOOR: usize = 99;

    /// The 3,000 programs of `out/corpus.jsonl` (not in the repository).
    #[test]
    #[ignore]
    fn the_built_tree_is_tree_sitters_on_the_corpus() {
        let path = std::env::var("CORPUS").unwrap_or_else(|_| "/work/main/out/corpus.jsonl".into());
        let (tally, report) = run(&[&path]);
        eprintln!("{tally:?}");
        assert!(report.is_empty(), "{tally:?}\n{}", report.join("\n\n"));
    }
}

//! Syntax errors as CPython 3.11's `ast.parse` reports them, on the line pylint (and so
//! pylintseq) blames.
//!
//! CPython finds a syntax error in up to three steps, and which error wins depends on
//! all three (`Parser/pegen.c`, `Parser/pegen_errors.c`):
//! 1. The parser pulls tokens lazily. If it pulls a token the tokenizer cannot make,
//!    that tokenizer error is the answer. Otherwise the first pass fails at the
//!    furthest token it looked at.
//! 2. A second pass re-parses with the `invalid_*` grammar rules switched on; the first
//!    one that matches raises a specific error ("expected an indented block after 'if'
//!    statement on line N", "expected 'except' or 'finally' block", ...). If none does,
//!    the error is "unexpected indent"/"unexpected unindent" when the furthest token was
//!    an INDENT/DEDENT, else "invalid syntax" at the furthest token.
//! 3. Unless the answer was unexpected indent/unindent, the rest of the file is
//!    tokenized: a tokenizer error that CPython raises at once (strings, numbers,
//!    brackets, characters) replaces the parser's error wherever it is, and a bracket
//!    left open at the end replaces it if the bracket opened on an earlier line than the
//!    furthest token.
//!
//! [`Parser`] is a recursive-descent recognizer of the 3.11 grammar over the tokens of
//! [`super::tokenizer`], written so that it looks at the same furthest token as
//! CPython's PEG parser, with the `invalid_*` rules that real edits trigger.

mod memo;

use tree_sitter::Tree;

use super::tokenizer::{tokenize, ErrorKind, Kept, Sym, Token, TokenKind, Tokens};
use crate::lang::Diagnostic;

const CODE: &str = "E0001";

/// The first syntax error of `source` as CPython 3.11's `ast.parse` reports it, with
/// `line` set to the line LintSeq deletes (for "... on line N" messages: line N).
pub fn first_error(source: &str, _tree: &Tree) -> Option<Diagnostic> {
    check(source)
}

/// [`first_error`] without a tree-sitter parse.
pub fn check(source: &str) -> Option<Diagnostic> {
    match check_keeping_tokens(source) {
        Ok(tokens) => {
            give_back(tokens);
            None
        }
        Err(error) => Some(error),
    }
}

pub use memo::give_back;

/// [`check`], keeping the tokens of a program without a syntax error (for
/// [`super::tree_build`]): the tokenizer runs once. Handing them back afterwards
/// ([`give_back`]) lets the next check reuse them.
pub fn check_keeping_tokens(source: &str) -> Result<Tokens<'_>, Diagnostic> {
    cpython_error(source).map_err(|mut diagnostic| {
        // pylint reports "... on line N" errors on line N (the header, the opening bracket).
        if let Some(line) = named_line(&diagnostic.message) {
            diagnostic.line = line;
        }
        diagnostic
    })
}

/// [`check`] without reusing anything from earlier checks (to test the reuse against).
pub fn check_fresh(source: &str) -> Option<Diagnostic> {
    if source.contains('\0') || source.len() >= u32::MAX as usize - 1 {
        return check(source);
    }
    let tokens = tokenize(source);
    let (verdict, _) = analyze(&tokens, &Default::default());
    verdict.map(|mut diagnostic| {
        if let Some(line) = named_line(&diagnostic.message) {
            diagnostic.line = line;
        }
        diagnostic
    })
}

/// N - 1 for a message ending in "on line N".
fn named_line(message: &str) -> Option<usize> {
    let (_, number) = message.rsplit_once("on line ")?;
    number.parse::<usize>().ok()?.checked_sub(1)
}

/// CPython's error, on CPython's line, or the tokens of a program without one.
fn cpython_error(source: &str) -> Result<Tokens<'_>, Diagnostic> {
    // Tokens hold 32-bit offsets (a final newline may be appended).
    if source.len() >= u32::MAX as usize - 1 {
        return Err(Diagnostic::new(0, 0, CODE, "source code string is too long (4 GiB or more)"));
    }
    let (mut tokens, known) = match memo::tokenize(source) {
        Ok(tokenized) => tokenized,
        Err(offset) => {
            // ast.parse refuses these before tokenizing (a ValueError in 3.11).
            let line = source[..offset].matches('\n').count();
            return Err(Diagnostic::new(line, 0, CODE, "source code string cannot contain null bytes"));
        }
    };
    let (verdict, fresh) = analyze(&tokens, &known);
    match verdict {
        Some(error) => {
            memo::keep(Kept::from_tokens(tokens), known, fresh, None);
            Err(error)
        }
        None => {
            // The tokens go to the caller, who may give them back (`give_back`).
            let count = Some(tokens.tokens.len());
            (tokens.since_last_valid, tokens.generation) = memo::keep(Kept::default(), known, fresh, count);
            Ok(tokens)
        }
    }
}

/// A custom error raised by a grammar rule.
#[derive(Debug, Clone)]
struct Raised {
    line: usize,
    column: usize,
    message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// The parser pulled the token the tokenizer failed on.
    Tokenizer,
    /// A rule raised an error.
    Raised,
}

fn diagnostic_from_tokenizer(tokens: &Tokens) -> Option<Diagnostic> {
    let error = tokens.error.as_ref()?;
    Some(Diagnostic::new(
        error.line,
        error.column,
        CODE,
        error.message.clone(),
    ))
}

/// CPython's `_PyPegen_tokenize_full_source_to_check_for_errors`: whether the rest of
/// the file replaces a parser error whose furthest token is on `furthest_line`.
fn tokenizer_override(tokens: &Tokens, furthest_line: usize) -> Option<Diagnostic> {
    let error = tokens.error.as_ref()?;
    match error.kind {
        ErrorKind::Raised => diagnostic_from_tokenizer(tokens),
        ErrorKind::Deferred => {
            let (line, column, bracket) = error.open_bracket?;
            (line < furthest_line).then(|| {
                Diagnostic::new(
                    line,
                    column,
                    CODE,
                    format!("'{}' was never closed", bracket as char),
                )
            })
        }
    }
}

/// The verdict on `tokens`, reusing the parses in `known` of statements that did not
/// change since the last check; also returns the statements parsed now.
fn analyze(tokens: &Tokens, known: &memo::Known) -> (Option<Diagnostic>, memo::Known) {
    let mut first = Parser::new(tokens, false, 0, &known[0]);
    let parsed = first.file();
    let mut fresh = [std::mem::take(&mut first.fresh), Vec::new()];
    match first.stop {
        Some(Stop::Tokenizer) => return (diagnostic_from_tokenizer(tokens), fresh),
        Some(Stop::Raised) => return (Some(first.custom_error(tokens)), fresh),
        None if parsed => return (None, fresh),
        None => {}
    }
    let mut second = Parser::new(tokens, true, first.max_seen, &known[1]);
    second.file();
    fresh[1] = std::mem::take(&mut second.fresh);
    (second_pass_verdict(tokens, &first, &second), fresh)
}

fn second_pass_verdict(tokens: &Tokens, first: &Parser, second: &Parser) -> Option<Diagnostic> {
    match second.stop {
        Some(Stop::Tokenizer) => return diagnostic_from_tokenizer(tokens),
        Some(Stop::Raised) => return Some(second.custom_error(tokens)),
        None => {}
    }
    let Some(last) = tokens.tokens.get(first.max_seen) else {
        return diagnostic_from_tokenizer(tokens);
    };
    let column = tokens.column_of(last.start as usize);
    match last.kind {
        TokenKind::Indent => Some(Diagnostic::new(
            last.line as usize,
            column,
            CODE,
            "unexpected indent",
        )),
        TokenKind::Dedent => Some(Diagnostic::new(
            last.line as usize,
            column,
            CODE,
            "unexpected unindent",
        )),
        _ => {
            let furthest_line = second.line_of(second.max_seen);
            tokenizer_override(tokens, furthest_line)
                .or_else(|| Some(Diagnostic::new(last.line as usize, column, CODE, "invalid syntax")))
        }
    }
}

/// What an expression is, as far as the grammar's later checks care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Name,
    /// Attribute or subscript: a valid single target.
    AttrSub,
    Tuple,
    List,
    Starred,
    Other(What),
}

/// What an expression that is no target is, in CPython's messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum What {
    Expression,
    NamedExpression,
    ConditionalExpression,
    Comparison,
    Lambda,
    Literal,
    None,
    Ellipsis,
    FunctionCall,
    AwaitExpression,
    GeneratorExpression,
    ListComprehension,
    DictComprehension,
    SetComprehension,
    DictLiteral,
    SetDisplay,
    YieldExpression,
}

impl What {
    fn text(self) -> &'static str {
        match self {
            What::Expression => "expression",
            What::NamedExpression => "named expression",
            What::ConditionalExpression => "conditional expression",
            What::Comparison => "comparison",
            What::Lambda => "lambda",
            What::Literal => "literal",
            What::None => "None",
            What::Ellipsis => "ellipsis",
            What::FunctionCall => "function call",
            What::AwaitExpression => "await expression",
            What::GeneratorExpression => "generator expression",
            What::ListComprehension => "list comprehension",
            What::DictComprehension => "dict comprehension",
            What::SetComprehension => "set comprehension",
            What::DictLiteral => "dict literal",
            What::SetDisplay => "set display",
            What::YieldExpression => "yield expression",
        }
    }
}

/// Every grammar rule returns one of these, and each rule level copies it, so it is
/// kept to 16 bytes (token indices as `u32`, names of things as a byte) instead of 64.
#[derive(Debug, Clone, Copy)]
struct Expr {
    /// Token index where the expression starts.
    start: u32,
    kind: Kind,
    /// The first part that cannot be assigned to: (token index, what it is).
    bad_target: Option<(u32, What)>,
    /// True unless the expression is a `bitwise_or` (comparisons, boolean operators,
    /// conditional expressions, lambdas).
    loose: bool,
}

impl Expr {
    /// `start` is a token index: a program with 2^32 tokens would not fit in memory.
    fn new(start: usize, kind: Kind) -> Self {
        let start = start as u32;
        let bad_target = match kind {
            Kind::Other(what) => Some((start, what)),
            _ => None,
        };
        Expr {
            start,
            kind,
            bad_target,
            loose: false,
        }
    }

    fn other(start: usize, what: What) -> Self {
        Expr::new(start, Kind::Other(what))
    }

    fn loose(start: usize, what: What) -> Self {
        Expr {
            loose: true,
            ..Expr::other(start, what)
        }
    }

    fn start(&self) -> usize {
        self.start as usize
    }

    fn what(&self) -> &'static str {
        match self.kind {
            Kind::Name => "name",
            Kind::AttrSub => "attribute",
            Kind::Tuple => "tuple",
            Kind::List => "list",
            Kind::Starred => "starred",
            Kind::Other(what) => what.text(),
        }
    }
}

/// Deeper nesting than this is refused rather than risking the stack (CPython allows
/// 200 brackets; real code stays far below).
const MAX_DEPTH: usize = 120;

struct Parser<'a> {
    tokens: &'a [Token],
    /// `tokens` until the parse stops, then empty (see [`Parser::look`]).
    live: &'a [Token],
    text: &'a str,
    /// True when the token list ends at a tokenizer error instead of ENDMARKER.
    has_error: bool,
    pos: usize,
    /// The furthest token index looked at (CPython's `p->fill - 1`).
    max_seen: usize,
    /// Second pass: the `invalid_*` rules are on.
    invalid_rules: bool,
    stop: Option<Stop>,
    raised: Option<Raised>,
    depth: usize,
    /// The furthest token looked at before the statements being parsed began (see
    /// [`Parser::statement`]): `max_seen` restarts at each statement.
    floor: usize,
    /// Statements parsed by the last check that are unchanged in this one.
    known: &'a [memo::Parsed],
    /// Where in `known` to look first for the next statement (see [`memo::find_from`]).
    next_known: usize,
    /// Statements parsed without raising in this check.
    fresh: Vec<memo::Parsed>,
}

type P<T> = Option<T>;

impl<'a> Parser<'a> {
    fn new(tokens: &'a Tokens, invalid_rules: bool, max_seen: usize, known: &'a [memo::Parsed]) -> Self {
        Parser {
            tokens: &tokens.tokens,
            live: &tokens.tokens,
            text: &tokens.text,
            has_error: tokens.error.is_some(),
            pos: 0,
            max_seen,
            invalid_rules,
            stop: None,
            raised: None,
            depth: 0,
            floor: 0,
            known,
            next_known: 0,
            fresh: Vec::new(),
        }
    }

    fn line_of(&self, index: usize) -> usize {
        match self.tokens.get(index).or_else(|| self.tokens.last()) {
            Some(t) => t.line as usize,
            None => 0,
        }
    }

    fn custom_error(&self, tokens: &Tokens) -> Diagnostic {
        let raised = self.raised.clone().unwrap_or(Raised {
            line: 0,
            column: 0,
            message: "invalid syntax".into(),
        });
        let own = Diagnostic::new(raised.line, raised.column, CODE, raised.message);
        tokenizer_override(tokens, self.line_of(self.max_seen)).unwrap_or(own)
    }

    // ---- token access -------------------------------------------------------------

    /// The token at `index` as CPython's parser fetches it: the furthest index looked
    /// at moves, fetching past the tokenizer's error stops the parse, and nothing is
    /// fetched once the parse has stopped.
    #[inline]
    fn look(&mut self, index: usize) -> Option<&'a Token> {
        // `live` is every token until the parse stops, so the common case is one
        // bounds check.
        if let Some(token) = self.live.get(index) {
            self.max_seen = self.max_seen.max(index);
            return Some(token);
        }
        self.look_past_live(index)
    }

    #[cold]
    fn look_past_live(&mut self, index: usize) -> Option<&'a Token> {
        if self.stop.is_some() {
            return None;
        }
        if self.has_error {
            self.max_seen = self.max_seen.max(index);
            self.halt(Stop::Tokenizer);
            return None;
        }
        // Past ENDMARKER CPython keeps returning ENDMARKER.
        self.tokens.last()
    }

    fn halt(&mut self, stop: Stop) {
        self.stop = Some(stop);
        self.live = &[];
    }

    fn peek(&mut self) -> Option<&'a Token> {
        self.look(self.pos)
    }

    fn text(&self, token: &Token) -> &'a str {
        self.text.get(token.start as usize..token.end as usize).unwrap_or("")
    }

    /// The keyword or operator at `index` ([`Sym::Other`] when the parse has stopped).
    #[inline]
    fn sym_at(&mut self, index: usize) -> Sym {
        self.look(index).map_or(Sym::Other, |t| t.sym)
    }

    fn kind_at(&mut self, index: usize, kind: TokenKind) -> bool {
        self.look(index).is_some_and(|t| t.kind == kind)
    }

    fn at_kind(&mut self, kind: TokenKind) -> bool {
        self.kind_at(self.pos, kind)
    }

    /// Whether the token at `index` is the keyword or operator `sym` (never `Other`).
    #[inline]
    fn sym_is(&mut self, index: usize, sym: Sym) -> bool {
        self.sym_at(index) == sym
    }

    #[inline]
    fn at(&mut self, sym: Sym) -> bool {
        self.sym_is(self.pos, sym)
    }

    #[inline]
    fn eat(&mut self, sym: Sym) -> bool {
        let found = self.at(sym);
        if found {
            self.pos += 1;
        }
        found
    }

    fn expect(&mut self, sym: Sym) -> P<()> {
        self.eat(sym).then_some(())
    }

    fn name_at(&mut self, index: usize) -> bool {
        self.look(index)
            .is_some_and(|t| t.kind == TokenKind::Name && !t.sym.is_keyword())
    }

    fn at_name(&mut self) -> bool {
        self.name_at(self.pos)
    }

    fn eat_name(&mut self) -> P<()> {
        if self.at_name() {
            self.pos += 1;
            Some(())
        } else {
            None
        }
    }

    fn eat_newline(&mut self) -> bool {
        let found = self.at_kind(TokenKind::Newline);
        if found {
            self.pos += 1;
        }
        found
    }

    // ---- raising errors -------------------------------------------------------------

    fn raise_at(&mut self, index: usize, message: String) {
        if self.stop.is_some() {
            return;
        }
        let (line, column) = match self.tokens.get(index).or_else(|| self.tokens.last()) {
            Some(t) => (t.line, column_of(self.text, t.start as usize)),
            None => (0, 0),
        };
        self.raised = Some(Raised {
            line: line as usize,
            column,
            message,
        });
        self.halt(Stop::Raised);
    }

    /// `RAISE_SYNTAX_ERROR` without a location: CPython blames the furthest token.
    fn raise_at_furthest(&mut self, message: &str) {
        self.raise_at(self.max_seen.max(self.floor), message.to_string())
    }

    fn raise_on_line(&mut self, line: usize, message: String) {
        if self.stop.is_some() {
            return;
        }
        self.raised = Some(Raised {
            line,
            column: 0,
            message,
        });
        self.halt(Stop::Raised);
    }

    fn enter(&mut self) -> P<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let at = self.pos;
            self.raise_at(at, "too many nested parentheses".into());
            return None;
        }
        Some(())
    }

    fn leave<T>(&mut self, result: P<T>) -> P<T> {
        self.depth = self.depth.saturating_sub(1);
        result
    }

    // ---- statements -------------------------------------------------------------------

    fn file(&mut self) -> bool {
        while !self.at_kind(TokenKind::EndMarker) {
            if !self.statement() {
                return false;
            }
        }
        self.stop.is_none()
    }

    /// One statement, stepped over when the last check parsed the same tokens. Its own
    /// furthest token is tracked apart (`max_seen` restarts, `floor` keeps the furthest
    /// before it) so that a statement parsed now can be kept for the next check.
    fn statement(&mut self) -> bool {
        let start = self.pos;
        if self.stop.is_none() {
            match memo::find_from(self.known, self.next_known, start) {
                Ok(i) => {
                    #[cfg(test)]
                    memo::STEPPED_OVER.with(|n| n.set(n.get() + 1));
                    let parsed = self.known[i];
                    self.next_known = i + 1;
                    self.pos = parsed.end;
                    self.max_seen = self.max_seen.max(parsed.furthest);
                    return true;
                }
                Err(i) => self.next_known = i,
            }
        }
        debug_assert_eq!(self.depth, 0, "statements start outside expressions");
        let (outer_max, outer_floor) = (self.max_seen, self.floor);
        self.floor = outer_floor.max(outer_max);
        self.max_seen = 0;
        let parsed = self.statement_uncached();
        let furthest = self.max_seen;
        self.max_seen = outer_max.max(furthest);
        self.floor = outer_floor;
        if parsed && self.stop.is_none() {
            self.fresh.push(memo::Parsed { start, end: self.pos, furthest });
        }
        parsed
    }

    fn statement_uncached(&mut self) -> bool {
        let Some(token) = self.peek() else {
            return false;
        };
        let result = match token.sym {
            Sym::At => self.decorated(),
            Sym::If => self.if_stmt(),
            Sym::While => self.while_stmt(),
            Sym::For => self.for_stmt(self.pos),
            Sym::Try => self.try_stmt(),
            Sym::With => self.with_stmt(self.pos),
            Sym::Def => self.function_def(self.pos),
            Sym::Class => self.class_def(),
            Sym::Async => self.async_stmt(),
            Sym::Match => return self.match_stmt_or_simple(),
            _ => return self.simple_stmts(),
        };
        result.is_some()
    }

    fn simple_stmts(&mut self) -> bool {
        loop {
            if self.simple_stmt().is_none() {
                return false;
            }
            if self.eat(Sym::Semi) {
                if self.eat_newline() {
                    return true;
                }
                continue;
            }
            return self.eat_newline();
        }
    }

    fn simple_stmt(&mut self) -> P<()> {
        let token = self.peek()?;
        if token.kind == TokenKind::Name {
            match token.sym {
                Sym::Pass | Sym::Break | Sym::Continue => {
                    self.pos += 1;
                    return Some(());
                }
                Sym::Return => {
                    self.pos += 1;
                    if self.can_start_expression(true) {
                        self.star_expressions()?;
                    }
                    return Some(());
                }
                Sym::Raise => {
                    self.pos += 1;
                    if self.can_start_expression(false) {
                        self.expression()?;
                        if self.eat(Sym::From) {
                            self.expression()?;
                        }
                    }
                    return Some(());
                }
                Sym::Global | Sym::Nonlocal => {
                    self.pos += 1;
                    loop {
                        self.eat_name()?;
                        if !self.eat(Sym::Comma) {
                            return Some(());
                        }
                    }
                }
                Sym::Del => {
                    self.pos += 1;
                    self.del_targets()?;
                    return (self.at(Sym::Semi) || self.at_kind(TokenKind::Newline)).then_some(());
                }
                Sym::Assert => {
                    self.pos += 1;
                    self.expression()?;
                    if self.eat(Sym::Comma) {
                        self.expression()?;
                    }
                    return Some(());
                }
                Sym::Import => return self.import_name(),
                Sym::From => return self.import_from(),
                Sym::Yield => return self.yield_expr().map(|_| ()),
                Sym::None | Sym::True | Sym::False | Sym::Not | Sym::Lambda | Sym::Await => {}
                sym if sym.is_keyword() => return None,
                _ => {}
            }
        }
        self.assignment_or_expression()
    }

    fn assignment_or_expression(&mut self) -> P<()> {
        if self.at_name() && self.sym_is(self.pos + 1, Sym::Colon) {
            self.pos += 2;
            self.expression()?;
            if self.eat(Sym::Equal) {
                self.annotated_rhs()?;
            }
            return Some(());
        }
        let target = self.star_expressions()?;
        if self.at(Sym::Colon) {
            let single = matches!(target.kind, Kind::AttrSub | Kind::Name);
            if !single {
                // invalid_assignment only matches when an annotation follows the colon.
                self.pos += 1;
                if self.invalid_rules && self.expression().is_some() {
                    let message = match target.kind {
                        Kind::Tuple => "only single target (not tuple) can be annotated",
                        Kind::List => "only single target (not list) can be annotated",
                        _ => "illegal target for annotation",
                    };
                    self.raise_at(target.start(), message.into());
                }
                return None;
            }
            self.pos += 1;
            self.expression()?;
            if self.eat(Sym::Equal) {
                self.annotated_rhs()?;
            }
            return Some(());
        }
        if self.at(Sym::Equal) {
            let mut target = target;
            while self.at(Sym::Equal) {
                if let Some((index, what)) = target.bad_target {
                    if self.invalid_rules {
                        self.raise_at(index as usize, format!("cannot assign to {}", what.text()));
                    }
                    return None;
                }
                self.pos += 1;
                target = self.annotated_rhs()?;
            }
            return Some(());
        }
        if self.at_augassign() {
            if !matches!(target.kind, Kind::Name | Kind::AttrSub) {
                if self.invalid_rules {
                    self.raise_at(
                        target.start(),
                        format!(
                            "'{}' is an illegal expression for augmented assignment",
                            target.what()
                        ),
                    );
                }
                return None;
            }
            self.pos += 1;
            self.annotated_rhs()?;
        }
        Some(())
    }

    fn annotated_rhs(&mut self) -> P<Expr> {
        if self.at(Sym::Yield) {
            self.yield_expr()
        } else {
            self.star_expressions()
        }
    }

    fn at_augassign(&mut self) -> bool {
        matches!(
            self.sym_at(self.pos),
            Sym::PlusEqual
                | Sym::MinEqual
                | Sym::StarEqual
                | Sym::AtEqual
                | Sym::SlashEqual
                | Sym::PercentEqual
                | Sym::AmperEqual
                | Sym::VBarEqual
                | Sym::CircumflexEqual
                | Sym::LeftShiftEqual
                | Sym::RightShiftEqual
                | Sym::DoubleStarEqual
                | Sym::DoubleSlashEqual
        )
    }

    fn del_targets(&mut self) -> P<()> {
        loop {
            let target = self.primary()?;
            if target.bad_target.is_some() || matches!(target.kind, Kind::Starred) {
                return None;
            }
            if !self.eat(Sym::Comma) || !self.can_start_target() {
                return Some(());
            }
        }
    }

    fn dotted_name(&mut self) -> P<()> {
        self.eat_name()?;
        while self.at(Sym::Dot) {
            if !self.name_at(self.pos + 1) {
                // `a.` followed by something else: the dot is where it fails.
                self.pos += 1;
                return None;
            }
            self.pos += 2;
        }
        Some(())
    }

    fn import_name(&mut self) -> P<()> {
        self.pos += 1;
        loop {
            self.dotted_name()?;
            if self.eat(Sym::As) {
                self.eat_name()?;
            }
            if !self.eat(Sym::Comma) {
                return Some(());
            }
        }
    }

    fn import_from(&mut self) -> P<()> {
        self.pos += 1;
        let mut dots = 0;
        while self.eat(Sym::Dot) || self.eat(Sym::Ellipsis) {
            dots += 1;
        }
        if self.at_name() {
            self.dotted_name()?;
        } else if dots == 0 {
            return None;
        }
        if !self.eat(Sym::Import) {
            return None;
        }
        if self.eat(Sym::Star) {
            return Some(());
        }
        let parenthesized = self.eat(Sym::LPar);
        loop {
            self.eat_name()?;
            if self.eat(Sym::As) {
                self.eat_name()?;
            }
            if !self.eat(Sym::Comma) {
                break;
            }
            if parenthesized && self.at(Sym::RPar) {
                break;
            }
            if !parenthesized && self.at_kind(TokenKind::Newline) {
                if self.invalid_rules {
                    self.raise_at_furthest(
                        "trailing comma not allowed without surrounding parentheses",
                    );
                }
                return None;
            }
        }
        if parenthesized {
            self.expect(Sym::RPar)?;
        }
        Some(())
    }

    /// After a compound statement's header: the `:` (forced or not), with the
    /// `invalid_*` rules for a missing colon and a missing indented block.
    fn header_colon(&mut self, what: &str, header: usize, forced: bool) -> P<()> {
        if self.eat(Sym::Colon) {
            if self.invalid_rules
                && self.at_kind(TokenKind::Newline)
                && !self.kind_at(self.pos + 1, TokenKind::Indent)
            {
                let line = self.line_of(header);
                self.raise_on_line(
                    line,
                    format!(
                        "expected an indented block after {what} on line {}",
                        line + 1
                    ),
                );
                return None;
            }
            return Some(());
        }
        if forced {
            // `&&':'` raises at once, in the first pass too.
            let at = self.pos;
            self.peek();
            self.raise_at(at, "expected ':'".into());
        } else if self.invalid_rules && self.at_kind(TokenKind::Newline) {
            self.raise_at_furthest("expected ':'");
        }
        None
    }

    fn block(&mut self) -> P<()> {
        if !self.eat_newline() {
            return self.simple_stmts().then_some(());
        }
        if !self.at_kind(TokenKind::Indent) {
            if self.invalid_rules {
                self.raise_at_furthest("expected an indented block");
            }
            return None;
        }
        self.pos += 1;
        loop {
            if self.at_kind(TokenKind::Dedent) {
                self.pos += 1;
                return Some(());
            }
            if !self.statement() {
                return None;
            }
        }
    }

    fn if_stmt(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        self.named_expression()?;
        self.header_colon("'if' statement", header, false)?;
        self.block()?;
        while self.at(Sym::Elif) {
            let header = self.pos;
            self.pos += 1;
            self.named_expression()?;
            self.header_colon("'elif' statement", header, false)?;
            self.block()?;
        }
        self.else_block()
    }

    fn else_block(&mut self) -> P<()> {
        if self.at(Sym::Else) {
            let header = self.pos;
            self.pos += 1;
            self.header_colon("'else' statement", header, true)?;
            self.block()?;
        }
        Some(())
    }

    fn while_stmt(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        self.named_expression()?;
        self.header_colon("'while' statement", header, false)?;
        self.block()?;
        self.else_block()
    }

    fn for_stmt(&mut self, header: usize) -> P<()> {
        self.pos += 1;
        let after_for = self.pos;
        if self.star_targets().is_none() || !self.at(Sym::In) {
            if self.invalid_rules && self.stop.is_none() {
                // invalid_for_target: what follows `for` is not a target.
                self.pos = after_for;
                if let Some(expr) = self.star_expressions() {
                    if let Some((index, what)) = expr.bad_target {
                        self.raise_at(index as usize, format!("cannot assign to {}", what.text()));
                    }
                }
            }
            return None;
        }
        self.pos += 1;
        self.star_expressions()?;
        self.header_colon("'for' statement", header, false)?;
        self.block()?;
        self.else_block()
    }

    fn try_stmt(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        self.header_colon("'try' statement", header, true)?;
        self.block()?;
        if self.at(Sym::Finally) {
            return self.finally_block();
        }
        if !self.at(Sym::Except) {
            if self.invalid_rules {
                self.raise_at_furthest("expected 'except' or 'finally' block");
            }
            return None;
        }
        while self.at(Sym::Except) {
            self.except_block()?;
        }
        self.else_block()?;
        if self.at(Sym::Finally) {
            self.finally_block()?;
        }
        Some(())
    }

    fn except_block(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        let star = self.eat(Sym::Star);
        let what = if star {
            "'except*' statement"
        } else {
            "'except' statement"
        };
        if star || !self.at(Sym::Colon) {
            if star
                && self.invalid_rules
                && (self.at(Sym::Colon) || self.at_kind(TokenKind::Newline))
            {
                self.raise_at_furthest("expected one or more exception types");
                return None;
            }
            let first = self.pos;
            self.expression()?;
            if self.at(Sym::Comma) && self.invalid_rules {
                self.raise_at(
                    first,
                    "multiple exception types must be parenthesized".into(),
                );
                return None;
            }
            if self.eat(Sym::As) {
                self.eat_name()?;
            }
        }
        self.header_colon(what, header, false)?;
        self.block()
    }

    fn finally_block(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        self.header_colon("'finally' statement", header, true)?;
        self.block()
    }

    fn with_stmt(&mut self, header: usize) -> P<()> {
        self.pos += 1;
        let after_with = self.pos;
        let mut parenthesized = false;
        if self.at(Sym::LPar) {
            self.pos += 1;
            parenthesized =
                self.with_items(true).is_some() && self.eat(Sym::RPar) && self.at(Sym::Colon);
            if self.stop.is_some() {
                return None;
            }
            if !parenthesized {
                self.pos = after_with;
            }
        }
        if !parenthesized {
            self.with_items(false)?;
        }
        self.header_colon("'with' statement", header, false)?;
        self.block()
    }

    fn with_items(&mut self, in_parens: bool) -> P<()> {
        loop {
            self.expression()?;
            if self.eat(Sym::As) {
                self.star_target()?;
                if !(self.at(Sym::Comma) || self.at(Sym::RPar) || self.at(Sym::Colon)) {
                    return None;
                }
            }
            if !self.eat(Sym::Comma) {
                return Some(());
            }
            if in_parens && self.at(Sym::RPar) {
                return Some(());
            }
        }
    }

    fn function_def(&mut self, header: usize) -> P<()> {
        self.pos += 1;
        self.eat_name()?;
        if !self.at(Sym::LPar) {
            let at = self.pos;
            self.peek();
            self.raise_at(at, "expected '('".into());
            return None;
        }
        self.pos += 1;
        self.parameters(false)?;
        self.expect(Sym::RPar)?;
        if self.eat(Sym::RArrow) {
            self.expression()?;
        }
        self.header_colon("function definition", header, true)?;
        self.block()
    }

    fn class_def(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        self.eat_name()?;
        if self.eat(Sym::LPar) {
            self.arguments()?;
        }
        self.header_colon("class definition", header, false)?;
        self.block()
    }

    fn decorated(&mut self) -> P<()> {
        while self.eat(Sym::At) {
            self.named_expression()?;
            if !self.eat_newline() {
                return None;
            }
        }
        if self.at(Sym::Def) {
            self.function_def(self.pos)
        } else if self.at(Sym::Class) {
            self.class_def()
        } else if self.at(Sym::Async) && self.sym_is(self.pos + 1, Sym::Def) {
            self.pos += 1;
            self.function_def(self.pos)
        } else {
            None
        }
    }

    fn async_stmt(&mut self) -> P<()> {
        let next = self.pos + 1;
        if self.sym_is(next, Sym::Def) {
            self.pos = next;
            self.function_def(next)
        } else if self.sym_is(next, Sym::For) {
            self.pos = next;
            self.for_stmt(next)
        } else if self.sym_is(next, Sym::With) {
            self.pos = next;
            self.with_stmt(next)
        } else {
            None
        }
    }

    /// `match` is a soft keyword: a match statement only if a subject and `:` follow.
    fn match_stmt_or_simple(&mut self) -> bool {
        let header = self.pos;
        self.pos += 1;
        let subject = self.can_start_expression(true) && self.subject_expr().is_some();
        if self.stop.is_some() {
            return false;
        }
        if subject
            && (self.at(Sym::Colon) || (self.invalid_rules && self.at_kind(TokenKind::Newline)))
        {
            if self
                .header_colon("'match' statement", header, false)
                .is_none()
            {
                return false;
            }
            if !self.eat_newline() || !self.at_kind(TokenKind::Indent) {
                return false;
            }
            self.pos += 1;
            if !self.at(Sym::Case) {
                return false;
            }
            while self.at(Sym::Case) {
                if self.case_block().is_none() {
                    return false;
                }
            }
            return self.at_kind(TokenKind::Dedent) && {
                self.pos += 1;
                true
            };
        }
        self.pos = header;
        self.simple_stmts()
    }

    fn subject_expr(&mut self) -> P<()> {
        self.star_named_expression()?;
        while self.eat(Sym::Comma) {
            if !self.can_start_expression(true) {
                break;
            }
            self.star_named_expression()?;
        }
        Some(())
    }

    fn case_block(&mut self) -> P<()> {
        let header = self.pos;
        self.pos += 1;
        self.patterns()?;
        if self.eat(Sym::If) {
            self.named_expression()?;
        }
        self.header_colon("'case' statement", header, false)?;
        self.block()
    }

    fn patterns(&mut self) -> P<()> {
        self.pattern()?;
        while self.eat(Sym::Comma) {
            if self.at(Sym::Colon) || self.at(Sym::If) || self.at(Sym::RPar) || self.at(Sym::RSqb) {
                break;
            }
            self.pattern()?;
        }
        Some(())
    }

    fn pattern(&mut self) -> P<()> {
        self.enter()?;
        let result = self.pattern_inner();
        self.leave(result)
    }

    fn pattern_inner(&mut self) -> P<()> {
        loop {
            self.closed_pattern()?;
            if !self.eat(Sym::VBar) {
                break;
            }
        }
        if self.eat(Sym::As) {
            self.eat_name()?;
        }
        Some(())
    }

    fn closed_pattern(&mut self) -> P<()> {
        let token = self.peek()?;
        match token.kind {
            TokenKind::Number => {
                self.pos += 1;
                if self.eat(Sym::Plus) || self.eat(Sym::Minus) {
                    return self.at_kind(TokenKind::Number).then(|| self.pos += 1);
                }
                Some(())
            }
            TokenKind::String => {
                while self.at_kind(TokenKind::String) {
                    self.pos += 1;
                }
                Some(())
            }
            TokenKind::Name => {
                if matches!(token.sym, Sym::None | Sym::True | Sym::False) {
                    self.pos += 1;
                    return Some(());
                }
                self.dotted_name()?;
                if self.eat(Sym::LPar) {
                    if self.eat(Sym::RPar) {
                        return Some(());
                    }
                    loop {
                        if self.at_name() && self.sym_is(self.pos + 1, Sym::Equal) {
                            self.pos += 2;
                        }
                        self.pattern()?;
                        if !self.eat(Sym::Comma) || self.at(Sym::RPar) {
                            break;
                        }
                    }
                    self.expect(Sym::RPar)?;
                }
                Some(())
            }
            TokenKind::Op => match token.sym {
                Sym::Minus => {
                    self.pos += 1;
                    self.at_kind(TokenKind::Number).then(|| self.pos += 1)?;
                    if self.eat(Sym::Plus) || self.eat(Sym::Minus) {
                        return self.at_kind(TokenKind::Number).then(|| self.pos += 1);
                    }
                    Some(())
                }
                Sym::Star => {
                    self.pos += 1;
                    self.eat_name()
                }
                Sym::LPar | Sym::LSqb => {
                    let close = if token.sym == Sym::LPar {
                        Sym::RPar
                    } else {
                        Sym::RSqb
                    };
                    self.pos += 1;
                    if !self.at(close) {
                        self.patterns()?;
                    }
                    self.expect(close)
                }
                Sym::LBrace => {
                    self.pos += 1;
                    while !self.at(Sym::RBrace) {
                        if self.eat(Sym::DoubleStar) {
                            self.eat_name()?;
                        } else {
                            self.closed_pattern()?;
                            self.expect(Sym::Colon)?;
                            self.pattern()?;
                        }
                        if !self.eat(Sym::Comma) {
                            break;
                        }
                    }
                    self.expect(Sym::RBrace)
                }
                _ => None,
            },
            _ => None,
        }
    }

    // ---- parameters and arguments ---------------------------------------------------

    /// Parameters of a `def` (up to, not including, `)`) or of a lambda (up to `:`).
    fn parameters(&mut self, lambda: bool) -> P<()> {
        let close = if lambda { Sym::Colon } else { Sym::RPar };
        let (mut seen_default, mut seen_star, mut seen_slash, mut seen_double_star, mut bare_star) =
            (false, false, false, false, false);
        let mut count = 0;
        while !self.at(close) {
            if seen_double_star {
                return None;
            }
            if self.eat(Sym::Slash) {
                if seen_slash || seen_star || count == 0 {
                    return None;
                }
                seen_slash = true;
            } else if self.eat(Sym::DoubleStar) {
                self.eat_name()?;
                self.annotation(lambda, false)?;
                seen_double_star = true;
            } else if self.eat(Sym::Star) {
                if seen_star {
                    return None;
                }
                seen_star = true;
                if self.at_name() {
                    self.pos += 1;
                    self.annotation(lambda, true)?;
                } else {
                    bare_star = true;
                    let star = self.pos - 1;
                    let nothing_named = self.at(close)
                        || (self.at(Sym::Comma)
                            && (self.sym_is(self.pos + 1, close)
                                || self.sym_is(self.pos + 1, Sym::DoubleStar)));
                    if self.invalid_rules && nothing_named {
                        let message = "named arguments must follow bare *";
                        if lambda {
                            self.raise_at_furthest(message);
                        } else {
                            self.raise_at(star, message.into());
                        }
                        return None;
                    }
                }
            } else if self.at_name() {
                self.pos += 1;
                self.annotation(lambda, false)?;
                if self.eat(Sym::Equal) {
                    self.expression()?;
                    seen_default = true;
                } else if seen_default && !seen_star {
                    return None;
                }
                bare_star = false;
            } else {
                return None;
            }
            count += 1;
            if !self.eat(Sym::Comma) {
                break;
            }
        }
        (!bare_star).then_some(())
    }

    fn annotation(&mut self, lambda: bool, starred: bool) -> P<()> {
        if !lambda && self.eat(Sym::Colon) {
            if starred {
                self.star_expression()?;
            } else {
                self.expression()?;
            }
        }
        Some(())
    }

    /// Call arguments after `(`, through the closing `)`.
    fn arguments(&mut self) -> P<()> {
        if self.eat(Sym::RPar) {
            return Some(());
        }
        let (mut seen_keyword, mut seen_double_star) = (false, false);
        let mut count = 0;
        // A positional argument after keywords: CPython parses the remaining arguments
        // before raising, so the error sits on the furthest token (usually the `)`).
        let mut misplaced: Option<&'static str> = None;
        loop {
            let item = self.pos;
            if self.eat(Sym::Star) {
                self.expression()?;
                if seen_double_star && misplaced.is_none() {
                    if self.invalid_rules {
                        // Blamed on the `*` argument itself.
                        self.raise_at(
                            item,
                            "iterable argument unpacking follows keyword argument unpacking".into(),
                        );
                    }
                    return None;
                }
            } else if self.eat(Sym::DoubleStar) {
                self.expression()?;
                seen_double_star = true;
            } else if self.at_name() && self.sym_is(self.pos + 1, Sym::Equal) {
                self.pos += 2;
                self.expression()?;
                seen_keyword = true;
            } else {
                if self.at_name() && self.sym_is(self.pos + 1, Sym::ColonEqual) {
                    self.pos += 2;
                    self.expression()?;
                } else {
                    let value = self.expression()?;
                    if self.at(Sym::ColonEqual) {
                        return None;
                    }
                    if self.at(Sym::Equal) {
                        // invalid_kwarg: `f(a.b=1)`, `f(True=1)`.
                        if self.invalid_rules {
                            let message = match self.look(item).map(|t| self.text(t)) {
                                Some(constant @ ("True" | "False" | "None")) if value.start() + 1 == self.pos => {
                                    format!("cannot assign to {constant}")
                                }
                                _ => "expression cannot contain assignment, perhaps you meant \"==\"?".to_string(),
                            };
                            self.raise_at(item, message);
                        }
                        return None;
                    }
                }
                if (seen_keyword || seen_double_star) && misplaced.is_none() {
                    if !self.invalid_rules {
                        return None;
                    }
                    misplaced = Some(if seen_double_star {
                        "positional argument follows keyword argument unpacking"
                    } else {
                        "positional argument follows keyword argument"
                    });
                }
                if self.at_for_clause() {
                    self.for_if_clauses()?;
                    // A bare generator expression must be the only argument. CPython
                    // names the mistake when another argument precedes it or a comma
                    // follows it; anything else is a plain syntax error.
                    if count > 0 || !self.at(Sym::RPar) {
                        if self.invalid_rules && (count > 0 || self.at(Sym::Comma)) {
                            self.raise_at(
                                item,
                                "Generator expression must be parenthesized".into(),
                            );
                        }
                        return None;
                    }
                }
            }
            count += 1;
            let more = self.eat(Sym::Comma) && !self.at(Sym::RPar);
            if !more {
                if let Some(message) = misplaced {
                    self.raise_at_furthest(message);
                    return None;
                }
                return self.expect(Sym::RPar);
            }
        }
    }

    // ---- expressions ------------------------------------------------------------------

    fn can_start_expression(&mut self, star: bool) -> bool {
        let Some(token) = self.peek() else {
            return false;
        };
        match token.kind {
            TokenKind::Number | TokenKind::String => true,
            TokenKind::Name => {
                !token.sym.is_keyword()
                    || matches!(
                        token.sym,
                        Sym::Not | Sym::Lambda | Sym::Await | Sym::None | Sym::True | Sym::False
                    )
            }
            TokenKind::Op => {
                matches!(
                    token.sym,
                    Sym::LPar
                        | Sym::LSqb
                        | Sym::LBrace
                        | Sym::Minus
                        | Sym::Plus
                        | Sym::Tilde
                        | Sym::Ellipsis
                ) || (star && token.sym == Sym::Star)
            }
            _ => false,
        }
    }

    fn can_start_target(&mut self) -> bool {
        self.at_name() || self.at(Sym::LPar) || self.at(Sym::LSqb) || self.at(Sym::Star)
    }

    fn star_expressions(&mut self) -> P<Expr> {
        let first = self.star_expression()?;
        if !self.at(Sym::Comma) {
            return Some(first);
        }
        let mut tuple = Expr::new(first.start(), Kind::Tuple);
        tuple.bad_target = first.bad_target;
        while self.eat(Sym::Comma) {
            if !self.can_start_expression(true) {
                break;
            }
            let item = self.star_expression()?;
            tuple.bad_target = tuple.bad_target.or(item.bad_target);
        }
        Some(tuple)
    }

    fn star_expression(&mut self) -> P<Expr> {
        let start = self.pos;
        if self.eat(Sym::Star) {
            let inner = self.bitwise_or()?;
            return Some(Expr {
                bad_target: inner.bad_target,
                ..Expr::new(start, Kind::Starred)
            });
        }
        self.expression()
    }

    fn star_named_expression(&mut self) -> P<Expr> {
        let start = self.pos;
        if self.eat(Sym::Star) {
            let inner = self.bitwise_or()?;
            return Some(Expr {
                bad_target: inner.bad_target,
                ..Expr::new(start, Kind::Starred)
            });
        }
        self.named_expression()
    }

    fn named_expression(&mut self) -> P<Expr> {
        let start = self.pos;
        if self.at_name() && self.sym_is(start + 1, Sym::ColonEqual) {
            self.pos += 2;
            self.expression()?;
            return Some(Expr::loose(start, What::NamedExpression));
        }
        let expr = self.expression()?;
        if self.invalid_rules {
            self.invalid_named_expression(start, expr);
            if self.stop.is_some() {
                return None;
            }
        }
        if self.at(Sym::ColonEqual) {
            return None;
        }
        Some(expr)
    }

    /// `invalid_named_expression`, given the expression already parsed from `start`.
    fn invalid_named_expression(&mut self, start: usize, expr: Expr) {
        let after = self.pos;
        if self.eat(Sym::ColonEqual) {
            if self.expression().is_some() {
                self.raise_at(
                    start,
                    format!("cannot use assignment expressions with {}", expr.what()),
                );
            }
        } else if self.at(Sym::Equal) && !expr.loose {
            let first = self.look(start);
            let single_name = expr.kind == Kind::Name && after == start + 1;
            // `!(list|tuple|genexp|'True'|'None'|'False')`: a lookahead on the first atom
            // only, so `(a) + b = c` is not excluded but `(a, b) = c` is.
            let excluded = match first.map(|t| t.sym) {
                Some(Sym::True | Sym::None | Sym::False) | None => true,
                Some(Sym::LPar | Sym::LSqb) => {
                    self.pos = start;
                    let atom = self.atom();
                    self.pos = after;
                    matches!(
                        atom.map(|a| a.kind),
                        Some(Kind::Tuple | Kind::List | Kind::Other(What::GeneratorExpression))
                    )
                }
                Some(_) => false,
            };
            if single_name || !excluded {
                self.pos += 1;
                if self.bitwise_or().is_some() && !self.at(Sym::Equal) && !self.at(Sym::ColonEqual)
                {
                    let message = if single_name {
                        "invalid syntax. Maybe you meant '==' or ':=' instead of '='?".to_string()
                    } else {
                        format!(
                            "cannot assign to {} here. Maybe you meant '==' instead of '='?",
                            expr.what()
                        )
                    };
                    self.raise_at(start, message);
                }
            }
        }
        if self.stop.is_none() {
            self.pos = after;
        }
    }

    fn expression(&mut self) -> P<Expr> {
        self.enter()?;
        let result = self.expression_inner();
        self.leave(result)
    }

    fn expression_inner(&mut self) -> P<Expr> {
        let start = self.pos;
        if self.at(Sym::Lambda) {
            return self.lambdef();
        }
        let first = self.disjunction()?;
        if self.invalid_rules {
            self.invalid_expression(start, first);
            if self.stop.is_some() {
                return None;
            }
        }
        if self.eat(Sym::If) {
            self.disjunction()?;
            if !self.eat(Sym::Else) {
                return None;
            }
            self.expression()?;
            return Some(Expr::loose(start, What::ConditionalExpression));
        }
        Some(first)
    }

    /// `invalid_expression` and `invalid_legacy_expression`: two expressions side by
    /// side inside brackets ("Perhaps you forgot a comma?"), an `if` without `else`, and
    /// Python 2's print statement.
    fn invalid_expression(&mut self, start: usize, first: Expr) {
        let after = self.pos;
        let first_token = self.look(start);
        let starts_excluded = match first_token {
            Some(t) if t.kind == TokenKind::Name => {
                matches!(self.text(t), "_" | "case" | "match")
                    || self.kind_at(start + 1, TokenKind::String)
            }
            _ => false,
        };
        let legacy = first.kind == Kind::Name
            && after == start + 1
            && first_token.is_some_and(|t| matches!(self.text(t), "print" | "exec"));
        if !starts_excluded && self.can_start_expression(false) {
            let saved_rules = self.invalid_rules;
            self.invalid_rules = false;
            let second = self.expression_without_invalid();
            self.invalid_rules = saved_rules;
            if second.is_some() && !legacy && self.stop.is_none() {
                let level = self
                    .pos
                    .checked_sub(1)
                    .and_then(|i| self.tokens.get(i))
                    .map_or(0, |t| t.level);
                if level > 0 {
                    self.raise_at(start, "invalid syntax. Perhaps you forgot a comma?".into());
                    return;
                }
            }
            if self.stop.is_some() {
                return;
            }
            self.pos = after;
        }
        if self.at(Sym::If) {
            self.pos += 1;
            if self.disjunction().is_some() && !self.at(Sym::Else) && !self.at(Sym::Colon) {
                self.raise_at(start, "expected 'else' after 'if' expression".into());
                return;
            }
            if self.stop.is_some() {
                return;
            }
            self.pos = after;
        }
        if legacy && !self.at(Sym::LPar) && self.can_start_expression(true) {
            if self.star_expressions().is_some() {
                let name = first_token.map_or("print", |t| self.text(t));
                self.raise_at(
                    start,
                    format!("Missing parentheses in call to '{name}'. Did you mean {name}(...)?"),
                );
                return;
            }
            if self.stop.is_some() {
                return;
            }
            self.pos = after;
        }
    }

    fn expression_without_invalid(&mut self) -> P<Expr> {
        if self.at(Sym::Lambda) {
            return self.lambdef();
        }
        let start = self.pos;
        let first = self.disjunction()?;
        if self.eat(Sym::If) {
            self.disjunction()?;
            if !self.eat(Sym::Else) {
                return None;
            }
            self.expression()?;
            return Some(Expr::loose(start, What::ConditionalExpression));
        }
        Some(first)
    }

    fn lambdef(&mut self) -> P<Expr> {
        let start = self.pos;
        self.pos += 1;
        self.parameters(true)?;
        self.expect(Sym::Colon)?;
        self.expression()?;
        Some(Expr::loose(start, What::Lambda))
    }

    /// `disjunction` and `conjunction` in one loop: inversions joined by `or` and `and`
    /// in any order parse the same, the two rules look at the same token after each
    /// inversion, and either operator makes the same expression.
    fn disjunction(&mut self) -> P<Expr> {
        let first = self.inversion()?;
        let mut joined = false;
        while matches!(self.sym_at(self.pos), Sym::Or | Sym::And) {
            self.pos += 1;
            self.inversion()?;
            joined = true;
        }
        Some(if joined {
            Expr::loose(first.start(), What::Expression)
        } else {
            first
        })
    }

    fn inversion(&mut self) -> P<Expr> {
        let start = self.pos;
        if self.eat(Sym::Not) {
            self.enter()?;
            let inner = self.inversion();
            self.leave(inner)?;
            return Some(Expr::loose(start, What::Expression));
        }
        self.comparison()
    }

    fn comparison(&mut self) -> P<Expr> {
        let first = self.bitwise_or()?;
        let mut compared = false;
        while let Some(token) = self.peek() {
            let width = match token.sym {
                Sym::EqEqual
                | Sym::NotEqual
                | Sym::Less
                | Sym::LessEqual
                | Sym::Greater
                | Sym::GreaterEqual
                | Sym::In => 1,
                Sym::Not if self.sym_is(self.pos + 1, Sym::In) => 2,
                Sym::Is if self.sym_is(self.pos + 1, Sym::Not) => 2,
                Sym::Is => 1,
                _ => break,
            };
            self.pos += width;
            self.bitwise_or()?;
            compared = true;
        }
        Some(if compared {
            Expr::loose(first.start(), What::Comparison)
        } else {
            first
        })
    }

    /// `bitwise_or` and the binary operators below it (`^`, `&`, shifts, `+ -`,
    /// `* / // % @`). Their precedence shapes the tree, not what parses: every
    /// sequence of factors joined by binary operators is accepted, and the grammar's
    /// levels look at the same tokens, so one loop recognizes all six.
    fn bitwise_or(&mut self) -> P<Expr> {
        let first = self.factor()?;
        let mut combined = false;
        loop {
            let is_operator = matches!(
                self.sym_at(self.pos),
                Sym::VBar
                    | Sym::Circumflex
                    | Sym::Amper
                    | Sym::LeftShift
                    | Sym::RightShift
                    | Sym::Plus
                    | Sym::Minus
                    | Sym::Star
                    | Sym::Slash
                    | Sym::DoubleSlash
                    | Sym::Percent
                    | Sym::At
            );
            if !is_operator {
                break;
            }
            self.pos += 1;
            self.factor()?;
            combined = true;
        }
        Some(if combined {
            Expr::other(first.start(), What::Expression)
        } else {
            first
        })
    }

    fn factor(&mut self) -> P<Expr> {
        let start = self.pos;
        if matches!(self.sym_at(start), Sym::Plus | Sym::Minus | Sym::Tilde) {
            self.pos += 1;
            self.enter()?;
            let inner = self.factor();
            self.leave(inner)?;
            return Some(Expr::other(start, What::Expression));
        }
        self.power()
    }

    fn power(&mut self) -> P<Expr> {
        let start = self.pos;
        let base = if self.eat(Sym::Await) {
            self.primary()?;
            Expr::other(start, What::AwaitExpression)
        } else {
            self.primary()?
        };
        if self.eat(Sym::DoubleStar) {
            self.enter()?;
            let exponent = self.factor();
            self.leave(exponent)?;
            return Some(Expr::other(start, What::Expression));
        }
        Some(base)
    }

    fn primary(&mut self) -> P<Expr> {
        let start = self.pos;
        let mut expr = self.atom()?;
        loop {
            let before = self.pos;
            let extended = if self.at(Sym::Dot) {
                self.pos += 1;
                self.eat_name().map(|_| Expr::new(start, Kind::AttrSub))
            } else if self.at(Sym::LPar) {
                self.pos += 1;
                self.enter()?;
                let arguments = self.arguments();
                self.leave(arguments)
                    .map(|_| Expr::other(start, What::FunctionCall))
            } else if self.at(Sym::LSqb) {
                self.pos += 1;
                self.enter()?;
                let slices = self.slices();
                self.leave(slices).map(|_| Expr::new(start, Kind::AttrSub))
            } else {
                return Some(expr);
            };
            match extended {
                Some(longer) => expr = longer,
                None if self.stop.is_some() => return None,
                None => {
                    // Like the PEG parser, fall back to the primary without the failed
                    // trailer: `a[ ]` is `a` followed by `[ ]` for the error rules.
                    self.pos = before;
                    return Some(expr);
                }
            }
        }
    }

    /// Subscript contents after `[`, through the closing `]`.
    fn slices(&mut self) -> P<()> {
        loop {
            if self.eat(Sym::Star) {
                self.expression()?;
            } else {
                if !self.at(Sym::Colon) {
                    self.named_expression()?;
                }
                if self.eat(Sym::Colon) {
                    if self.can_start_expression(false) {
                        self.expression()?;
                    }
                    if self.eat(Sym::Colon) && self.can_start_expression(false) {
                        self.expression()?;
                    }
                }
            }
            if !self.eat(Sym::Comma) || self.at(Sym::RSqb) {
                break;
            }
        }
        self.expect(Sym::RSqb)
    }

    fn atom(&mut self) -> P<Expr> {
        let start = self.pos;
        let token = self.peek()?;
        match token.kind {
            TokenKind::Name => {
                let expr = match token.sym {
                    Sym::True | Sym::False => Expr::other(start, What::Literal),
                    Sym::None => Expr::other(start, What::None),
                    sym if sym.is_keyword() => return None,
                    _ => Expr::new(start, Kind::Name),
                };
                self.pos += 1;
                Some(expr)
            }
            TokenKind::Number => {
                self.pos += 1;
                Some(Expr::other(start, What::Literal))
            }
            TokenKind::String => {
                let (mut bytes, mut text) = (false, false);
                while let Some(token) = self.peek().filter(|t| t.kind == TokenKind::String) {
                    let prefix = self.text(token).split(['\'', '"']).next().unwrap_or("");
                    if prefix.contains(['b', 'B']) {
                        bytes = true;
                    } else {
                        text = true;
                    }
                    self.pos += 1;
                }
                if bytes && text {
                    // Raised while building the AST, so in the first pass too.
                    self.raise_at_furthest("cannot mix bytes and nonbytes literals");
                    return None;
                }
                for index in start..self.pos {
                    let Some(token) = self.tokens.get(index) else {
                        break;
                    };
                    match fstring_error(self.text(token)) {
                        None => {}
                        Some(FStringError::AtFurthest(message)) => {
                            self.raise_at_furthest(message);
                            return None;
                        }
                        Some(FStringError::InField { offset }) => {
                            let text = self.text(token);
                            let line = token.line as usize
                                + text.get(..offset).map_or(0, |t| t.matches('\n').count());
                            self.raise_on_line(line, "f-string: invalid syntax".into());
                            return None;
                        }
                    }
                }
                Some(Expr::other(start, What::Literal))
            }
            TokenKind::Op => match token.sym {
                Sym::LPar => self.parenthesized(),
                Sym::LSqb => self.list_display(),
                Sym::LBrace => self.brace_display(),
                Sym::Ellipsis => {
                    self.pos += 1;
                    Some(Expr::other(start, What::Ellipsis))
                }
                _ => None,
            },
            _ => None,
        }
    }

    fn at_for_clause(&mut self) -> bool {
        self.at(Sym::For) || (self.at(Sym::Async) && self.sym_is(self.pos + 1, Sym::For))
    }

    fn for_if_clauses(&mut self) -> P<()> {
        while self.at_for_clause() {
            if self.at(Sym::Async) {
                self.pos += 1;
            }
            self.pos += 1;
            self.star_targets()?;
            if !self.eat(Sym::In) {
                return None;
            }
            self.disjunction()?;
            while self.eat(Sym::If) {
                self.disjunction()?;
            }
        }
        Some(())
    }

    fn star_targets(&mut self) -> P<Expr> {
        let first = self.star_target()?;
        if !self.at(Sym::Comma) {
            return Some(first);
        }
        while self.eat(Sym::Comma) {
            if !self.can_start_target() {
                break;
            }
            self.star_target()?;
        }
        Some(Expr::new(first.start(), Kind::Tuple))
    }

    fn star_target(&mut self) -> P<Expr> {
        let start = self.pos;
        if self.eat(Sym::Star) {
            if self.at(Sym::Star) {
                return None;
            }
            self.enter()?;
            let inner = self.star_target();
            self.leave(inner)?;
            return Some(Expr::new(start, Kind::Starred));
        }
        let target = self.primary()?;
        if target.bad_target.is_some() {
            return None;
        }
        Some(target)
    }

    fn parenthesized(&mut self) -> P<Expr> {
        let start = self.pos;
        self.pos += 1;
        self.enter()?;
        let result = self.parenthesized_inner(start);
        self.leave(result)
    }

    fn parenthesized_inner(&mut self, start: usize) -> P<Expr> {
        if self.eat(Sym::RPar) {
            return Some(Expr::new(start, Kind::Tuple));
        }
        if self.at(Sym::Yield) {
            self.yield_expr()?;
            self.expect(Sym::RPar)?;
            return Some(Expr::other(start, What::YieldExpression));
        }
        let first = self.star_named_expression()?;
        if self.at_for_clause() {
            self.for_if_clauses()?;
            self.expect(Sym::RPar)?;
            return Some(Expr::other(start, What::GeneratorExpression));
        }
        if self.at(Sym::Comma) {
            let mut tuple = Expr::new(start, Kind::Tuple);
            tuple.bad_target = first.bad_target;
            while self.eat(Sym::Comma) {
                if self.at(Sym::RPar) {
                    break;
                }
                let item = self.star_named_expression()?;
                tuple.bad_target = tuple.bad_target.or(item.bad_target);
            }
            self.expect(Sym::RPar)?;
            return Some(tuple);
        }
        self.expect(Sym::RPar)?;
        if first.kind == Kind::Starred {
            if self.invalid_rules {
                self.raise_at(first.start(), "cannot use starred expression here".into());
            }
            return None;
        }
        Some(first)
    }

    fn list_display(&mut self) -> P<Expr> {
        let start = self.pos;
        self.pos += 1;
        self.enter()?;
        let result = self.list_inner(start);
        self.leave(result)
    }

    fn list_inner(&mut self, start: usize) -> P<Expr> {
        if self.eat(Sym::RSqb) {
            return Some(Expr::new(start, Kind::List));
        }
        let first = self.star_named_expression()?;
        if self.at_for_clause() {
            self.for_if_clauses()?;
            self.expect(Sym::RSqb)?;
            return Some(Expr::other(start, What::ListComprehension));
        }
        let mut list = Expr::new(start, Kind::List);
        list.bad_target = first.bad_target;
        while self.eat(Sym::Comma) {
            if self.at(Sym::RSqb) {
                break;
            }
            let item = self.star_named_expression()?;
            list.bad_target = list.bad_target.or(item.bad_target);
        }
        self.expect(Sym::RSqb)?;
        Some(list)
    }

    fn brace_display(&mut self) -> P<Expr> {
        let start = self.pos;
        self.pos += 1;
        self.enter()?;
        let result = self.brace_inner(start);
        self.leave(result)
    }

    fn brace_inner(&mut self, start: usize) -> P<Expr> {
        if self.eat(Sym::RBrace) {
            return Some(Expr::other(start, What::DictLiteral));
        }
        let is_dict = if self.eat(Sym::DoubleStar) {
            self.bitwise_or()?;
            true
        } else {
            self.star_named_expression()?;
            if self.eat(Sym::Colon) {
                self.expression()?;
                true
            } else {
                false
            }
        };
        if self.at_for_clause() {
            self.for_if_clauses()?;
            self.expect(Sym::RBrace)?;
            return Some(Expr::other(
                start,
                if is_dict {
                    What::DictComprehension
                } else {
                    What::SetComprehension
                },
            ));
        }
        while self.eat(Sym::Comma) {
            if self.at(Sym::RBrace) {
                break;
            }
            if is_dict {
                if self.eat(Sym::DoubleStar) {
                    self.bitwise_or()?;
                } else {
                    self.expression()?;
                    self.expect(Sym::Colon)?;
                    self.expression()?;
                }
            } else {
                self.star_named_expression()?;
            }
        }
        self.expect(Sym::RBrace)?;
        Some(Expr::other(
            start,
            if is_dict {
                What::DictLiteral
            } else {
                What::SetDisplay
            },
        ))
    }

    fn yield_expr(&mut self) -> P<Expr> {
        let start = self.pos;
        self.pos += 1;
        if self.eat(Sym::From) {
            self.expression()?;
        } else if self.can_start_expression(true) {
            self.star_expressions()?;
        }
        Some(Expr::other(start, What::YieldExpression))
    }
}

/// An error in the replacement fields of an f-string. CPython 3.11 tokenizes f-strings
/// as plain strings and checks their fields while building the AST, during the first
/// pass (`Parser/string_parser.c`).
#[derive(Debug, PartialEq, Eq)]
enum FStringError {
    /// Raised without a location: CPython blames the furthest token.
    AtFurthest(&'static str),
    /// The field's expression does not parse: blamed on the line of its `{` (byte
    /// offset in the token text).
    InField { offset: usize },
}

/// Checks the replacement fields of a string token if it is an f-string.
fn fstring_error(token_text: &str) -> Option<FStringError> {
    let prefix_len = token_text.find(['\'', '"'])?;
    let prefix = &token_text[..prefix_len];
    if !prefix.contains(['f', 'F']) {
        return None;
    }
    let raw = prefix.contains(['r', 'R']);
    let rest = &token_text[prefix_len..];
    let quote_len = if rest.starts_with("\"\"\"") || rest.starts_with("'''") {
        3
    } else {
        1
    };
    let body_end = rest.len().checked_sub(quote_len)?;
    let body = rest.get(quote_len..body_end.max(quote_len))?.as_bytes();
    let mut scan = FStringScan {
        body,
        raw,
        base: prefix_len + quote_len,
        i: 0,
    };
    scan.literal(0, false).err()
}

struct FStringScan<'a> {
    body: &'a [u8],
    raw: bool,
    /// Offset of the body in the token text.
    base: usize,
    i: usize,
}

const EXPECTING_BRACE: FStringError = FStringError::AtFurthest("f-string: expecting '}'");

impl FStringScan<'_> {
    fn at(&self, i: usize) -> Option<u8> {
        self.body.get(i).copied()
    }

    /// Literal text, up to the end (or, inside a format spec, up to its closing `}`).
    fn literal(&mut self, depth: usize, in_spec: bool) -> Result<(), FStringError> {
        while let Some(c) = self.at(self.i) {
            match c {
                b'\\' if !self.raw => {
                    // `\N{NAME}` braces belong to the escape.
                    if self.at(self.i + 1) == Some(b'N') && self.at(self.i + 2) == Some(b'{') {
                        self.i += 3;
                        while self.at(self.i).is_some_and(|c| c != b'}') {
                            self.i += 1;
                        }
                        self.i += 1;
                    } else {
                        self.i += if self.at(self.i + 1) == Some(b'\\') {
                            2
                        } else {
                            1
                        };
                    }
                }
                b'{' if !in_spec && self.at(self.i + 1) == Some(b'{') => self.i += 2,
                b'{' => self.field(depth)?,
                b'}' if in_spec => return Ok(()),
                b'}' if self.at(self.i + 1) == Some(b'}') => self.i += 2,
                b'}' => {
                    return Err(FStringError::AtFurthest(
                        "f-string: single '}' is not allowed",
                    ))
                }
                _ => self.i += 1,
            }
        }
        if in_spec {
            return Err(EXPECTING_BRACE);
        }
        Ok(())
    }

    /// A replacement field starting at `{`: expression, `=`, `!conversion`, `:spec`, `}`.
    fn field(&mut self, depth: usize) -> Result<(), FStringError> {
        if depth >= 2 {
            return Err(FStringError::AtFurthest(
                "f-string: expressions nested too deeply",
            ));
        }
        let brace = self.i;
        self.i += 1;
        let start = self.i;
        let mut brackets = [0u8; 200];
        let mut nesting = 0;
        let mut quote: Option<(u8, usize)> = None;
        while let Some(c) = self.at(self.i) {
            if c == b'\\' {
                return Err(FStringError::AtFurthest(
                    "f-string expression part cannot include a backslash",
                ));
            }
            if let Some((q, size)) = quote {
                if c == q
                    && (size == 1
                        || (self.at(self.i + 1) == Some(q) && self.at(self.i + 2) == Some(q)))
                {
                    self.i += size;
                    quote = None;
                } else {
                    self.i += 1;
                }
                continue;
            }
            match c {
                b'\'' | b'"' => {
                    let size = if self.at(self.i + 1) == Some(c) && self.at(self.i + 2) == Some(c) {
                        3
                    } else {
                        1
                    };
                    quote = Some((c, size));
                    self.i += size;
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    if nesting >= brackets.len() {
                        return Err(FStringError::AtFurthest(
                            "f-string: too many nested parenthesis",
                        ));
                    }
                    brackets[nesting] = c;
                    nesting += 1;
                }
                b'#' => {
                    return Err(FStringError::AtFurthest(
                        "f-string expression part cannot include '#'",
                    ))
                }
                // `!=`, `==`, `<=`, `>=` are operators, not the end of the expression.
                b'!' | b'=' | b'<' | b'>' if self.at(self.i + 1) == Some(b'=') => self.i += 1,
                b'!' | b':' | b'}' | b'=' if nesting == 0 => break,
                b')' | b']' | b'}' => {
                    if nesting == 0 {
                        return Err(FStringError::AtFurthest(
                            "f-string: unmatched closing parenthesis",
                        ));
                    }
                    nesting -= 1;
                    let opening = brackets[nesting];
                    if !matches!((opening, c), (b'(', b')') | (b'[', b']') | (b'{', b'}')) {
                        return Err(FStringError::AtFurthest(
                            "f-string: closing parenthesis does not match opening parenthesis",
                        ));
                    }
                }
                _ => {}
            }
            self.i += 1;
        }
        if quote.is_some() {
            return Err(FStringError::AtFurthest("f-string: unterminated string"));
        }
        if nesting > 0 {
            return Err(FStringError::AtFurthest(
                "f-string: unmatched opening parenthesis",
            ));
        }
        let Some(mut c) = self.at(self.i) else {
            return Err(EXPECTING_BRACE);
        };
        let expression = &self.body[start..self.i];
        if expression.iter().all(|b| b.is_ascii_whitespace()) {
            return Err(FStringError::AtFurthest(
                "f-string: empty expression not allowed",
            ));
        }
        if !fstring_expression_parses(expression) {
            return Err(FStringError::InField {
                offset: self.base + brace,
            });
        }
        if c == b'=' {
            // Self-documenting `{x = }`: white space may follow the `=`.
            self.i += 1;
            while self.at(self.i).is_some_and(|b| b.is_ascii_whitespace()) {
                self.i += 1;
            }
            c = self.at(self.i).ok_or(EXPECTING_BRACE)?;
        }
        if c == b'!' {
            let conversion = self.at(self.i + 1).ok_or(EXPECTING_BRACE)?;
            if !matches!(conversion, b's' | b'r' | b'a') {
                return Err(FStringError::AtFurthest(
                    "f-string: invalid conversion character: expected 's', 'r', or 'a'",
                ));
            }
            self.i += 2;
            c = self.at(self.i).ok_or(EXPECTING_BRACE)?;
        }
        if c == b':' {
            self.i += 1;
            self.literal(depth + 1, true)?;
            c = self.at(self.i).ok_or(EXPECTING_BRACE)?;
        }
        if c != b'}' {
            return Err(EXPECTING_BRACE);
        }
        self.i += 1;
        Ok(())
    }
}

/// Whether an f-string field's expression parses (CPython parses it as `(expr)`).
fn fstring_expression_parses(expression: &[u8]) -> bool {
    let Ok(expression) = std::str::from_utf8(expression) else {
        return false;
    };
    let source = format!("({expression})");
    let tokens = tokenize(&source);
    if tokens.error.is_some() {
        return false;
    }
    let mut parser = Parser::new(&tokens, false, 0, &[]);
    parser.star_expressions().is_some()
        && parser.eat_newline()
        && parser.at_kind(TokenKind::EndMarker)
        && parser.stop.is_none()
}

fn column_of(text: &str, offset: usize) -> usize {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let line_start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    bytes[line_start..offset]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(source: &str) -> Option<(usize, String)> {
        check(source).map(|d| (d.line + 1, d.message))
    }

    fn line(source: &str) -> Option<usize> {
        verdict(source).map(|v| v.0)
    }

    #[test]
    fn clean_programs() {
        for source in [
            "",
            "\n\n",
            "# only a comment",
            "x = 1\r\nif x:\r\n    y = 2\r\n",
            "def f(a, b=1, *args, c, d=2, **kw) -> int:\n    return a\n",
            "def g(a, /, b, *, c):\n  pass\n",
            "class A(B, metaclass=M):\n\tdef f(self): return [x for x in self if x]\n",
            "async def f():\n    async with a as b, c:\n        await x\n    async for i in y:\n        pass\n",
            "with (open(a) as f, open(b) as g):\n    pass\n",
            "with (a, b) as c:\n    pass\n",
            "match x:\n    case [1, 2, *rest] if rest:\n        pass\n    case {'a': 1, **kw}:\n        pass\n    case Point(x=0) | None:\n        pass\n    case _:\n        pass\n",
            "match = 1\nmatch.x = 2\nprint(match)\n",
            "x = lambda a, *b, **c: (a, b, c)\n",
            "x = {**a, 'b': 1}\ny = {1, 2}\nz = {k: v for k, v in d}\n",
            "x = a if b else c\ny = [*a, *b]\nf(*a, **b)\nf(x for x in y)\n",
            "try:\n    pass\nexcept (A, B) as e:\n    pass\nelse:\n    pass\nfinally:\n    pass\n",
            "try:\n    pass\nexcept* A:\n    pass\n",
            "from . import (a, b,)\nfrom .. x import *\nimport a.b as c, d\n",
            "x: int = 1\nself.y: List[int] = []\n(z): int\n",
            "a, *b = c\n[a, b] = c\na.b[0], c = d\nx += 1\n",
            "if (n := len(a)) > 10:\n    pass\n",
            "s = f'{x!r:>{width}}' 'abc' f\"x\"\nb = b'x' rb'y'\n",
            "x = 1if y else 2\n",
            "del a, b[0], c.d\nglobal x, y\nassert x, 'm'\nraise X from e\n",
            "@dec\n@dec.attr(1)\nclass A: pass\n",
            "x = \\\n    1\n",
            "x[1:2, ::3, ...] = y[a:b]\n",
            "def f():\n    yield\n    x = yield 1\n    yield from g()\n",
            "print(*a, sep='')\n",
            "if x:\n\n    # comment\n\n    pass\n",
        ] {
            assert_eq!(verdict(source), None, "{source:?}");
        }
    }

    #[test]
    fn missing_blocks_blame_the_header() {
        assert_eq!(
            verdict("if x:\ny = 1\n"),
            Some((
                1,
                "expected an indented block after 'if' statement on line 1".into()
            ))
        );
        assert_eq!(line("def f():\n    if x:\n    return 1\n"), Some(2));
        assert_eq!(line("class A:\n\ndef f():\n    pass\n"), Some(1));
        assert_eq!(line("try:\n    x\nexcept E:\nfoo()\n"), Some(3));
        assert_eq!(line("for x in y:\n# c\n"), Some(1));
        assert_eq!(line("@dec\ndef f():\nx\n"), Some(2));
    }

    #[test]
    fn indentation_errors() {
        assert_eq!(
            verdict("x = 1\n    y = 2\n"),
            Some((2, "unexpected indent".into()))
        );
        assert_eq!(
            verdict("if x:\n    y\n  z\n"),
            Some((
                3,
                "unindent does not match any outer indentation level".into()
            ))
        );
        // An unexpected indent wins over a tokenizer error further down.
        assert_eq!(line("x = 1\n    y = 2)\n"), Some(2));
    }

    #[test]
    fn orphans_and_try() {
        assert_eq!(
            verdict("x = 1\nelse:\n    y\n"),
            Some((2, "invalid syntax".into()))
        );
        assert_eq!(
            line("def f():\n    x = 1\n    except E:\n        y\n"),
            Some(3)
        );
        assert_eq!(
            verdict("try:\n    x = 1\ny = 2\n"),
            Some((3, "expected 'except' or 'finally' block".into()))
        );
        assert_eq!(line("try:\n    x = 1\n"), Some(2));
    }

    #[test]
    fn brackets_and_precedence() {
        assert_eq!(
            verdict("x = (1,\n2\ny = 3\n"),
            Some((1, "'(' was never closed".into()))
        );
        assert_eq!(verdict("x = 1)\n"), Some((1, "unmatched ')'".into())));
        assert_eq!(line("x = (1,\n2]\n"), Some(1));
        assert_eq!(
            verdict("f(\n  a b\n  c)\n"),
            Some((2, "invalid syntax. Perhaps you forgot a comma?".into()))
        );
        // A tokenizer error later in the file beats an earlier parser error.
        assert_eq!(line("x = = 1\ny = 'abc\n"), Some(2));
        // An open bracket on the error's own line does not.
        assert_eq!(line("x = = (1,\n"), Some(1));
    }

    #[test]
    fn unparenthesized_generators() {
        assert_eq!(line("f(a,\n  x for x in y)\n"), Some(2));
        assert_eq!(line("f(x for x in y,\n  a)\n"), Some(1));
        assert_eq!(
            verdict("f(\n  x for x in y\nz = 1)\n"),
            Some((3, "invalid syntax".into()))
        );
    }

    #[test]
    fn peg_fallbacks_and_parameters() {
        assert_eq!(line("def f(\n  a: A[\n  ],\n) -> None:\n  pass\n"), Some(2));
        assert_eq!(line("def f(\n  a,\n  *,\n) -> None: ...\n"), Some(3));
        assert_eq!(line("def f(a, *, **k): ...\n"), Some(1));
    }

    #[test]
    fn assignment_inside_brackets() {
        assert_eq!(
            verdict("[(a) + b = 1]\n").map(|v| v.1),
            Some("cannot assign to expression here. Maybe you meant '==' instead of '='?".into())
        );
        assert_eq!(
            verdict("[(a, b) = 1]\n").map(|v| v.1),
            Some("invalid syntax".into())
        );
    }

    #[test]
    fn argument_order() {
        assert_eq!(line("f(a=1,\n  b,\n  c,\n)\n"), Some(4));
        assert_eq!(line("f(a,\n  **k,\n  *b)\n"), Some(3));
    }

    #[test]
    fn keyword_argument_mistakes() {
        assert_eq!(line("f(1,\n  a.b = 2)\n"), Some(2));
        assert_eq!(
            verdict("f(True=1)\n").map(|v| v.1),
            Some("cannot assign to True".into())
        );
    }

    #[test]
    fn annotation_targets() {
        assert_eq!(
            verdict("a, b: int\n").map(|v| v.1),
            Some("only single target (not tuple) can be annotated".into())
        );
        assert_eq!(
            verdict("f(): int\n").map(|v| v.1),
            Some("illegal target for annotation".into())
        );
        // Without an annotation after the colon it is a plain syntax error at the newline.
        assert_eq!(
            verdict("f(a,\n  b):\n    pass\n"),
            Some((2, "invalid syntax".into()))
        );
    }

    #[test]
    fn fstring_fields() {
        for ok in [
            "f'{a!r:>{w}} {{}} {b=} {c!=d} {e:%Y-%m-%d}'\n",
            "rf'\\d{x}'\n",
            "f'\\N{DASH} {x}'\n",
            "f'''{\na\n}'''\n",
            "f'{x[\"k\"]}'\n",
            "f'{x = } {y = !r} {z=:>4}'\n",
        ] {
            assert_eq!(verdict(ok), None, "{ok:?}");
        }
        assert_eq!(line("x = 1\ny = f'a}b'\nz = 2\n"), Some(2));
        assert_eq!(line("x = 1\ny = f'a{b'\n"), Some(2));
        assert_eq!(line("y = f'{}'\n"), Some(1));
        assert_eq!(line("x = f'''\nab\n{c d}\n'''\n"), Some(3));
        assert_eq!(line("y = f'{a!x}'\n"), Some(1));
        assert_eq!(line("y = f'{a:{b:{c}}}'\n"), Some(1));
        // Not reached: the parser fails first.
        assert_eq!(
            verdict("x = 1 +\ny = f'a}b'\n"),
            Some((1, "invalid syntax".into()))
        );
    }

    #[test]
    fn strings() {
        assert_eq!(line("def f():\n    '''doc\n    x = 1\n"), Some(2));
        assert_eq!(line("x = 1\ny = 'abc\n"), Some(2));
    }

    #[test]
    fn forced_tokens() {
        assert_eq!(
            verdict("def f\n    pass\n"),
            Some((1, "expected '('".into()))
        );
        assert_eq!(
            verdict("if x:\n    pass\nelse\n    pass\n"),
            Some((3, "expected ':'".into()))
        );
    }

    #[test]
    fn never_panics() {
        let samples = [
            "(",
            ")",
            "[}",
            "'''",
            "\\",
            "@",
            "lambda",
            "match",
            "match x:",
            "case",
            "def",
            "class",
            "if",
            "x = ",
            "*",
            "**",
            ":=",
            "async",
            "await",
            "from",
            "import",
            "f(**)",
            "a[",
            "{**}",
            "((((((((((",
            "-----1",
            "not not not",
            "\u{0}",
            "é = 1",
            "x = €",
            "\t\tif x:\n  \ty",
        ];
        for a in samples {
            for b in samples {
                let _ = check(&format!("{a} {b}\n{b}\n    {a}"));
            }
        }
        let _ = check(&"(".repeat(10_000));
        let _ = check(&"-".repeat(10_000));
        let _ = check(&"not ".repeat(10_000));
        let _ = check(&"[".repeat(150));
        let _ = check(&format!("x = {}1{}", "(".repeat(150), ")".repeat(150)));
    }

    /// Prints our verdict for each file listed in `$LINTSEQ_SYNTAX_PROBES` as JSON lines
    /// (used by benches/syntax_oracle.py).
    #[test]
    #[ignore]
    fn probe_files() {
        let Ok(listing) = std::env::var("LINTSEQ_SYNTAX_PROBES") else {
            return;
        };
        let paths = std::fs::read_to_string(listing).unwrap();
        for path in paths.lines() {
            let source = std::fs::read_to_string(path).unwrap();
            let tree = crate::lang::python::parse(&source);
            if let Some(d) = first_error(&source, &tree) {
                println!(
                    "{}",
                    serde_json::json!({"path": path, "line": d.line + 1, "column": d.column, "code": d.code, "message": d.message})
                );
            }
        }
    }
}

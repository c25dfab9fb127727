//! A tokenizer that mirrors CPython 3.11's (`Parser/tokenizer.c`), so that syntax errors
//! are found on the token, and reported on the line, that CPython blames.
//!
//! What it reproduces: the indentation stack (with CPython's tab rules: columns with tab
//! size 8 must agree with columns with tab size 1), the bracket stack (newlines inside
//! brackets are not tokens), string literals with their prefixes (f-strings are plain
//! strings in 3.11), line continuations, number literals with CPython's checks, and the
//! identifier rules for non-ASCII characters. Like CPython it reads `\r\n` and a lone
//! `\r` as a newline, and acts as if the source ended with a newline.
//!
//! CPython's tokenizer errors come in two kinds, and the difference decides which error
//! wins (see `syntax.rs`): most call `syntaxerror()` and set the exception at once
//! ([`ErrorKind::Raised`]); indentation errors, `\` followed by a non-newline, and end of
//! file inside brackets or after `\` only set `tok->done` and become an exception when
//! the parser fetches that token ([`ErrorKind::Deferred`]).

use std::borrow::Cow;
use std::cell::RefCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Name,
    Number,
    String,
    Op,
    Newline,
    Indent,
    Dedent,
    EndMarker,
}

/// 16 bytes: the sampler's states keep most tokens of the last one, and moving or copying
/// the list is a large part of a check on a long program. Offsets and lines fit in 32 bits
/// (the syntax check refuses longer programs), bracket depth in 8 (CPython stops at 200).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte range in [`Tokens::text`].
    pub start: u32,
    pub end: u32,
    /// 0-based line CPython gives the token (INDENT and DEDENT sit on the line of the
    /// token that follows them; tokens at end of file sit on the last line).
    pub line: u32,
    /// Bracket depth after the token (CPython's `tok->level`).
    pub level: u8,
    /// Which keyword or operator the token is, so that the parser compares a byte
    /// instead of the token's text.
    pub sym: Sym,
}

const _: () = assert!(std::mem::size_of::<Token>() == 16);

/// The keywords and operators the grammar names, decided once per token by the
/// tokenizer. Only NAME tokens carry a keyword and only OP tokens an operator, so a
/// `Sym` also tells the token's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sym {
    /// Any other token: a plain name, a number, a string, NEWLINE, an operator the
    /// grammar never names (`<>`, `!`, `$`).
    Other,
    // Python 3.11's hard keywords (`async` and `await` included), kept together so
    // that `is_keyword` is one range check.
    False,
    None,
    True,
    And,
    As,
    Assert,
    Async,
    Await,
    Break,
    Class,
    Continue,
    Def,
    Del,
    Elif,
    Else,
    Except,
    Finally,
    For,
    From,
    Global,
    If,
    Import,
    In,
    Is,
    Lambda,
    Nonlocal,
    Not,
    Or,
    Pass,
    Raise,
    Return,
    Try,
    While,
    With,
    Yield,
    // Soft keywords: names everywhere except where the grammar looks for them.
    Match,
    Case,
    // Operators, with the names of CPython's `Grammar/Tokens`.
    LPar,
    RPar,
    LSqb,
    RSqb,
    LBrace,
    RBrace,
    Colon,
    Comma,
    Semi,
    Plus,
    Minus,
    Star,
    Slash,
    VBar,
    Amper,
    Less,
    Greater,
    Equal,
    Dot,
    Percent,
    EqEqual,
    NotEqual,
    LessEqual,
    GreaterEqual,
    Tilde,
    Circumflex,
    LeftShift,
    RightShift,
    DoubleStar,
    PlusEqual,
    MinEqual,
    StarEqual,
    SlashEqual,
    PercentEqual,
    AmperEqual,
    VBarEqual,
    CircumflexEqual,
    LeftShiftEqual,
    RightShiftEqual,
    DoubleStarEqual,
    DoubleSlash,
    DoubleSlashEqual,
    At,
    AtEqual,
    RArrow,
    Ellipsis,
    ColonEqual,
}

impl Sym {
    /// A hard keyword: never a name.
    pub fn is_keyword(self) -> bool {
        (Sym::False as u8..=Sym::Yield as u8).contains(&(self as u8))
    }

    fn of_name(text: &[u8]) -> Sym {
        match text {
            b"False" => Sym::False,
            b"None" => Sym::None,
            b"True" => Sym::True,
            b"and" => Sym::And,
            b"as" => Sym::As,
            b"assert" => Sym::Assert,
            b"async" => Sym::Async,
            b"await" => Sym::Await,
            b"break" => Sym::Break,
            b"class" => Sym::Class,
            b"continue" => Sym::Continue,
            b"def" => Sym::Def,
            b"del" => Sym::Del,
            b"elif" => Sym::Elif,
            b"else" => Sym::Else,
            b"except" => Sym::Except,
            b"finally" => Sym::Finally,
            b"for" => Sym::For,
            b"from" => Sym::From,
            b"global" => Sym::Global,
            b"if" => Sym::If,
            b"import" => Sym::Import,
            b"in" => Sym::In,
            b"is" => Sym::Is,
            b"lambda" => Sym::Lambda,
            b"nonlocal" => Sym::Nonlocal,
            b"not" => Sym::Not,
            b"or" => Sym::Or,
            b"pass" => Sym::Pass,
            b"raise" => Sym::Raise,
            b"return" => Sym::Return,
            b"try" => Sym::Try,
            b"while" => Sym::While,
            b"with" => Sym::With,
            b"yield" => Sym::Yield,
            b"match" => Sym::Match,
            b"case" => Sym::Case,
            _ => Sym::Other,
        }
    }

    fn of_operator(text: &[u8]) -> Sym {
        match *text {
            [c] => ONE_BYTE_OPERATORS[c as usize],
            [a, b] => match (a, b) {
                (b'=', b'=') => Sym::EqEqual,
                (b'!', b'=') => Sym::NotEqual,
                (b'<', b'=') => Sym::LessEqual,
                (b'>', b'=') => Sym::GreaterEqual,
                (b'<', b'<') => Sym::LeftShift,
                (b'>', b'>') => Sym::RightShift,
                (b'*', b'*') => Sym::DoubleStar,
                (b'+', b'=') => Sym::PlusEqual,
                (b'-', b'=') => Sym::MinEqual,
                (b'*', b'=') => Sym::StarEqual,
                (b'/', b'=') => Sym::SlashEqual,
                (b'%', b'=') => Sym::PercentEqual,
                (b'&', b'=') => Sym::AmperEqual,
                (b'|', b'=') => Sym::VBarEqual,
                (b'^', b'=') => Sym::CircumflexEqual,
                (b'/', b'/') => Sym::DoubleSlash,
                (b'@', b'=') => Sym::AtEqual,
                (b'-', b'>') => Sym::RArrow,
                (b':', b'=') => Sym::ColonEqual,
                _ => Sym::Other,
            },
            [a, b, c] => match (a, b, c) {
                (b'<', b'<', b'=') => Sym::LeftShiftEqual,
                (b'>', b'>', b'=') => Sym::RightShiftEqual,
                (b'*', b'*', b'=') => Sym::DoubleStarEqual,
                (b'/', b'/', b'=') => Sym::DoubleSlashEqual,
                (b'.', b'.', b'.') => Sym::Ellipsis,
                _ => Sym::Other,
            },
            _ => Sym::Other,
        }
    }
}

/// The one-byte operators by byte: a table lookup, where a `match` compiles to a
/// jump per operator.
static ONE_BYTE_OPERATORS: [Sym; 256] = {
    let pairs = [
        (b'(', Sym::LPar),
        (b')', Sym::RPar),
        (b'[', Sym::LSqb),
        (b']', Sym::RSqb),
        (b'{', Sym::LBrace),
        (b'}', Sym::RBrace),
        (b':', Sym::Colon),
        (b',', Sym::Comma),
        (b';', Sym::Semi),
        (b'+', Sym::Plus),
        (b'-', Sym::Minus),
        (b'*', Sym::Star),
        (b'/', Sym::Slash),
        (b'|', Sym::VBar),
        (b'&', Sym::Amper),
        (b'<', Sym::Less),
        (b'>', Sym::Greater),
        (b'=', Sym::Equal),
        (b'.', Sym::Dot),
        (b'%', Sym::Percent),
        (b'~', Sym::Tilde),
        (b'^', Sym::Circumflex),
        (b'@', Sym::At),
    ];
    let mut table = [Sym::Other; 256];
    let mut i = 0;
    while i < pairs.len() {
        table[pairs[i].0 as usize] = pairs[i].1;
        i += 1;
    }
    table
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Set as an exception the moment the tokenizer meets it: it beats any error the
    /// parser finds, wherever it is in the file.
    Raised,
    /// Only an error once the parser fetches this token.
    Deferred,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenizerError {
    pub kind: ErrorKind,
    /// 0-based line and column (in characters) CPython reports.
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The innermost bracket still open when the error happened: (0-based line, column, char).
    pub open_bracket: Option<(usize, usize, u8)>,
}

/// The tokens of a program, up to the first tokenizer error (which stands where the next
/// token would be). Without an error the last token is [`TokenKind::EndMarker`].
#[derive(Debug)]
pub struct Tokens<'a> {
    pub text: Cow<'a, str>,
    pub tokens: Vec<Token>,
    pub error: Option<TokenizerError>,
    /// Every INDENT (with the level it opens) and DEDENT, by token index: the
    /// indentation stack at any line start, for [`retokenize`].
    pub indent_log: IndentLog,
    /// Set by the syntax check on a program without a syntax error: which of these
    /// tokens are those of the last such program checked on this thread (its
    /// `generation`, and the tokens taken over unchanged).
    pub since_last_valid: Option<(u64, TokenMap)>,
    /// Which program without a syntax error these tokens are (0: none).
    pub generation: u64,
    /// Set by [`retokenize`] when the text is the kept one with whole lines taken out at
    /// one place, none of them holding a triple quote (see [`LinesDeleted`]).
    pub lines_deleted: Option<LinesDeleted>,
    /// When `text` borrows the source, the kept text's buffer [`retokenize`] turned into
    /// the same text (else empty): [`Kept::from_tokens`] takes it instead of a copy.
    spare: String,
    /// When these tokens stop at an error: the tail of the last tokenization without
    /// one, for the next [`retokenize`] to meet (see [`Reserve`]).
    reserve: Option<Box<Reserve>>,
}

/// INDENT tokens with their level (columns with tabs to 8 and to 1) and DEDENT tokens
/// (`None`), by token index, in order.
pub type IndentLog = Vec<(usize, Option<(usize, usize)>)>;

impl Tokens<'_> {
    pub fn text_of(&self, token: &Token) -> &str {
        self.text.get(token.start as usize..token.end as usize).unwrap_or("")
    }

    /// 0-based column, in characters, of a byte offset.
    pub fn column_of(&self, offset: usize) -> usize {
        column_at(self.text.as_bytes(), offset)
    }
}

fn column_at(bytes: &[u8], offset: usize) -> usize {
    let offset = offset.min(bytes.len());
    let line_start = bytes[..offset]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    // Counting non-continuation bytes counts characters.
    bytes[line_start..offset]
        .iter()
        .filter(|&&b| (b & 0xC0) != 0x80)
        .count()
}

const TAB_SIZE: usize = 8;
/// CPython caps the indentation stack at 100 levels and the bracket stack at 200.
const MAX_INDENT: usize = 100;
const MAX_LEVEL: usize = 200;

/// CPython's view of the source: newlines translated to `\n`, a newline appended when the
/// last line has none. Borrows when nothing changes. (A leading byte-order mark stays:
/// `ast.parse` of a `str` rejects it as a non-printable character.)
fn normalize(source: &str) -> Cow<'_, str> {
    let needs_newline = !source.is_empty() && !source.ends_with('\n') && !source.ends_with('\r');
    if !source.contains('\r') && !needs_newline {
        return Cow::Borrowed(source);
    }
    let mut out = String::with_capacity(source.len() + 1);
    let mut rest = source;
    while let Some(i) = rest.find('\r') {
        out.push_str(&rest[..i]);
        out.push('\n');
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('\n') {
            rest = after;
        }
    }
    out.push_str(rest);
    // CPython's `translate_newlines` appends a newline when the source does not end in
    // one, and, by a quirk of its loop, also when it ends in "\r\n": that extra blank
    // line moves errors at end of file one line down.
    if (!out.is_empty() && !out.ends_with('\n')) || source.ends_with("\r\n") {
        out.push('\n');
    }
    Cow::Owned(out)
}

/// Tokenizes a whole program the way CPython does.
pub fn tokenize(source: &str) -> Tokens<'_> {
    debug_assert!(source.len() < u32::MAX as usize - 1, "offsets fit in a token");
    let text = normalize(source);
    let mut tokenizer = Tokenizer::new(text.as_bytes());
    let mut tokens = Vec::with_capacity(text.len() / 4 + 4);
    let mut indent_log = Vec::new();
    let error = tokenizer.run(0, &mut tokens, &mut indent_log, |_, _| false).err();
    Tokens {
        text,
        tokens,
        error,
        indent_log,
        since_last_valid: None,
        generation: 0,
        lines_deleted: None,
        spare: String::new(),
        reserve: None,
    }
}

/// The new text of a [`retokenize`] is the kept one with the `len` bytes at `at` taken
/// out: whole lines (`at` is a line start of both texts, and the bytes taken out end with
/// a line break), none of which holds `"""` or `'''`. `after` is the generation of the
/// program without a syntax error whose tokens were the kept ones (set by the syntax
/// check's memo; 0 when the kept tokens were not such a program's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinesDeleted {
    pub at: usize,
    pub len: usize,
    pub after: u64,
}

impl LinesDeleted {
    /// From the kept text `old`, the new text's length and the texts' common ends.
    fn find(old: &[u8], new_len: usize, prefix: usize, suffix: usize) -> Option<LinesDeleted> {
        let len = old.len().checked_sub(new_len).filter(|&len| len > 0)?;
        // Nothing inserted: the old text without the `len` bytes at `cut` is the new one.
        let cut = prefix.min(new_len);
        if cut + suffix < new_len {
            return None;
        }
        // The same cut made at the start of that line gives the new text too when the
        // bytes from there to `cut` come again right after the bytes taken out.
        let at = memchr::memrchr(b'\n', &old[..cut]).map_or(0, |i| i + 1);
        if old[at..cut] != old[at + len..cut + len] {
            return None;
        }
        let removed = &old[at..at + len];
        if removed.last() != Some(&b'\n') || has_triple_quote(removed) {
            return None;
        }
        Some(LinesDeleted { at, len, after: 0 })
    }
}

/// Whether `text` holds `"""` or `'''` (the bytes taken out are a line or a few: a
/// plain scan, without a searcher to set up).
fn has_triple_quote(text: &[u8]) -> bool {
    let mut from = 0;
    while let Some(i) = memchr::memchr2(b'"', b'\'', &text[from..]) {
        let q = text[from + i];
        if text[from + i + 1..].starts_with(&[q, q]) {
            return true;
        }
        from += i + 1;
    }
    false
}

/// A tokenization kept so that the next program can reuse it (see [`retokenize`]).
#[derive(Debug, Default)]
pub struct Kept {
    pub text: String,
    pub tokens: Vec<Token>,
    pub error: Option<TokenizerError>,
    pub indent_log: IndentLog,
    reserve: Option<Box<Reserve>>,
}

impl Kept {
    pub fn from_tokens(tokens: Tokens) -> Kept {
        let text = match tokens.text {
            Cow::Owned(text) => text,
            // The spare buffer is the text or empty.
            Cow::Borrowed(text) if tokens.spare.len() == text.len() => tokens.spare,
            Cow::Borrowed(text) => text.to_owned(),
        };
        Kept { text, tokens: tokens.tokens, error: tokens.error, indent_log: tokens.indent_log, reserve: tokens.reserve }
    }
}

/// The tail of the last tokenization without an error, kept aside by [`retokenize`]
/// when the next one stops at an error: a tokenizer error ends the list there, and a
/// bracket left open keeps the rest of the file in brackets, so the kept tokens have
/// nothing a later program's tokens can meet after the edit, and every token to the
/// end of the file would be made again. A later program meets these tokens instead,
/// at a NEWLINE in the part of its text that is the reserve's text, with the same
/// indentation stack: from there on it is tokenized as that text was, without error.
#[derive(Debug)]
struct Reserve {
    /// The length of the text these are tokens of, and how many bytes at its end are
    /// known to be those at the end of the kept text (a lower bound, kept from call to
    /// call as the smaller of itself and each call's common suffix).
    text_len: usize,
    common: usize,
    /// The tokens that start in those bytes (offsets in that text), the indentation
    /// stack before the first, and the INDENTs and DEDENTs among them (indices from the
    /// first).
    tokens: Vec<Token>,
    stack: Vec<(usize, usize)>,
    log: IndentLog,
    /// The index of the first of `tokens` in that tokenization.
    base: usize,
}

impl Reserve {
    /// Takes `tokens[from..]` (of a text `text_len` bytes long, whose last `common` bytes
    /// they are in) out of a complete tokenization, with the indentation it logged.
    fn take(tokens: &mut Vec<Token>, log: &IndentLog, from: usize, text_len: usize, common: usize) -> Reserve {
        let rest = tokens.split_off(from);
        let stack = stack_at(log, from);
        let log = log.iter().filter(|(i, _)| *i >= from).map(|&(i, level)| (i - from, level)).collect();
        Reserve { text_len, common, tokens: rest, stack, log, base: from }
    }
}

/// A walk through a [`Reserve`]'s tokens behind the tokenizer, looking for the token
/// where the new tokenization meets it.
struct ReserveWalk<'r> {
    reserve: &'r Reserve,
    /// Where the common bytes start in the new text, and how far the reserve's offsets
    /// are from the new text's there.
    sync_from: usize,
    byte_shift: i64,
    index: usize,
    stack: Vec<(usize, usize)>,
    next_log: usize,
}

impl<'r> ReserveWalk<'r> {
    fn new(reserve: &'r Reserve, new_len: usize) -> Self {
        ReserveWalk {
            reserve,
            sync_from: new_len - reserve.common.min(new_len),
            byte_shift: new_len as i64 - reserve.text_len as i64,
            index: 0,
            stack: reserve.stack.clone(),
            next_log: 0,
        }
    }

    /// The index of the reserve's token that `token` (a NEWLINE the tokenizer just made,
    /// in state `tokenizer`) is, when the rest of the new tokenization is the reserve's,
    /// and how many lines later the new text has it.
    fn meets(&mut self, tokenizer: &Tokenizer, token: &Token) -> Option<(usize, i64)> {
        if token.kind != TokenKind::Newline || (token.start as usize) < self.sync_from || !tokenizer.brackets.is_empty() {
            return None;
        }
        let old = &self.reserve.tokens;
        let old_end = token.end as i64 - self.byte_shift;
        while self.index < old.len() && ((old[self.index].end as i64) < old_end || (old[self.index].end as i64 == old_end && old[self.index].kind != token.kind)) {
            while let Some(&(i, level)) = self.reserve.log.get(self.next_log) {
                if i > self.index {
                    break;
                }
                match level {
                    Some(level) => self.stack.push(level),
                    None => {
                        self.stack.pop();
                    }
                }
                self.next_log += 1;
            }
            self.index += 1;
        }
        let same = old.get(self.index)?;
        let moved_start = same.start as i64 + self.byte_shift;
        (same.end as i64 == old_end && same.kind == token.kind && same.sym == token.sym && moved_start == token.start as i64 && same.level == 0 && self.stack == tokenizer.indents)
            .then_some((self.index, token.line as i64 - same.line as i64))
    }
}

/// Which tokens [`retokenize`] took over from the kept tokenization unchanged: the
/// first `head`, and the old ones from `tail_old` on, which are the new ones from
/// `tail_new` on (moved, same kinds and texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reused {
    pub head: usize,
    pub tail_old: usize,
    pub tail_new: usize,
}

/// What [`retokenize`] finds besides the tokens, for its caller to map tokens with: runs
/// of the tokens it made again that are kept ones (see [`find_islands`]), and what it
/// did with a [`Reserve`].
#[derive(Debug, Default)]
pub struct Found {
    /// `(new index, old index, count)`, in order, between the head and the tail.
    pub islands: Vec<(usize, usize, usize)>,
    pub reserve: ReserveUse,
}

/// What a [`retokenize`] did with the tail of the last complete tokenization.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum ReserveUse {
    #[default]
    None,
    /// The kept tokens were complete and the new ones stop at an error: the kept
    /// tokens after the edit were kept aside.
    Saved,
    /// The new tokens from `new_from` on are those of the tokenization kept aside from
    /// its index `old_from` on, moved.
    Met { new_from: usize, old_from: usize },
}


/// Which tokens of an older tokenization are tokens of a newer one, unchanged (same
/// kinds, texts and text between them, moved), in runs: one [`Reused`] gives a run
/// before its edit and one after, and a chain of them (programs with a syntax error
/// between two without) gives a run between each two edits, which one [`Reused`]
/// spanning them all would lose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TokenMap {
    /// `(new, old, len)`: new tokens `new..new + len` are old tokens `old..old + len`;
    /// `len` is `usize::MAX` for the run that goes on to the end of both lists. Sorted
    /// by `new` (and by `old`), not overlapping.
    runs: Vec<(usize, usize, usize)>,
}

impl TokenMap {
    /// Every token, unchanged.
    pub fn all() -> TokenMap {
        TokenMap { runs: vec![(0, 0, usize::MAX)] }
    }

    /// Makes this map every token, unchanged (keeping its room).
    pub fn reset(&mut self) {
        self.runs.clear();
        self.runs.push((0, 0, usize::MAX));
    }

    /// The map of one [`retokenize`]: its head, the `islands` it found, its tail.
    #[cfg(test)]
    pub fn of_call(reused: Reused, islands: &[(usize, usize, usize)]) -> TokenMap {
        let mut map = TokenMap { runs: Vec::new() };
        map.set_call(reused, &Found { islands: islands.to_vec(), reserve: ReserveUse::None });
        map
    }

    /// Makes this map the one of a [`retokenize`] (keeping its room): its head, the
    /// islands it found, and its tail unless it took the tail from a [`Reserve`].
    pub fn set_call(&mut self, reused: Reused, found: &Found) {
        self.runs.clear();
        if reused.head > 0 {
            self.runs.push((0, 0, reused.head));
        }
        self.runs.extend_from_slice(&found.islands);
        if !matches!(found.reserve, ReserveUse::Met { .. }) {
            self.runs.push((reused.tail_new, reused.tail_old, usize::MAX));
        }
    }

    /// This map (old -> middle) followed by `next` (middle -> new): the old tokens that
    /// are new ones through both.
    #[cfg(test)]
    pub fn then(&self, next: &TokenMap) -> TokenMap {
        let mut runs = Vec::new();
        self.compose(next, &mut runs);
        TokenMap { runs }
    }

    /// [`TokenMap::then`] in place, with `spare` for room.
    pub fn then_in_place(&mut self, next: &TokenMap, spare: &mut Vec<(usize, usize, usize)>) {
        spare.clear();
        self.compose(next, spare);
        std::mem::swap(&mut self.runs, spare);
    }

    fn compose(&self, next: &TokenMap, runs: &mut Vec<(usize, usize, usize)>) {
        let (mut i, mut j) = (0, 0);
        while let (Some(&(mid, old, len)), Some(&(new, next_mid, next_len))) = (self.runs.get(i), next.runs.get(j)) {
            let (end, next_end) = (mid.saturating_add(len), next_mid.saturating_add(next_len));
            let (from, to) = (mid.max(next_mid), end.min(next_end));
            if from < to {
                let len = if to == usize::MAX { usize::MAX } else { to - from };
                runs.push((new + (from - next_mid), old + (from - mid), len));
            }
            if end <= next_end {
                i += 1;
            } else {
                j += 1;
            }
        }
    }

    /// Adds the runs of `earlier` (old -> a tokenization kept aside) from that
    /// tokenization's index `from` on, as this map's new tokens from `to` on (those the
    /// new tokenization took over from the kept-aside one).
    pub fn extend_moved(&mut self, earlier: &TokenMap, from: usize, to: usize) {
        for &(new, old, len) in &earlier.runs {
            let end = new.saturating_add(len);
            let start = new.max(from);
            if start >= end {
                continue;
            }
            let old_start = old + (start - new);
            // Runs stay in order on both sides.
            if self.runs.last().is_some_and(|&(n, o, l)| n.saturating_add(l) > to + (start - from) || o.saturating_add(l) > old_start) {
                continue;
            }
            let len = if len == usize::MAX { usize::MAX } else { end - start };
            self.runs.push((to + (start - from), old_start, len));
        }
    }

    /// The runs, `(new index, old index, count)`, in order (`count` `usize::MAX`: to the
    /// end of both lists).
    pub fn runs(&self) -> &[(usize, usize, usize)] {
        &self.runs
    }

    /// For new token `index`, when it is one taken over: its old index, and the end
    /// (exclusive, old indices) of the run it is in. `hint` is the run the last question
    /// was answered from (questions mostly come in order), and is set to this one's.
    #[inline]
    pub fn old_run(&self, index: usize, hint: &std::cell::Cell<usize>) -> Option<(usize, usize)> {
        let runs = &self.runs;
        let mut i = hint.get();
        if runs.get(i).is_none_or(|&(new, _, _)| new > index) {
            i = runs.partition_point(|&(new, _, _)| new <= index).checked_sub(1)?;
        }
        while runs.get(i + 1).is_some_and(|&(new, _, _)| new <= index) {
            i += 1;
        }
        hint.set(i);
        let (new, old, len) = runs[i];
        (index - new < len).then(|| (old + (index - new), old.saturating_add(len)))
    }

    /// The first and last runs as one [`Reused`] (`new_len`: the new list's length): the
    /// tokens before its head and those from its tail on are taken over, the rest is
    /// taken as new.
    pub fn hull(&self, new_len: usize) -> Reused {
        let head = match self.runs.first() {
            Some(&(0, 0, len)) => len.min(new_len),
            _ => 0,
        };
        match self.runs.last() {
            Some(&(new, old, usize::MAX)) if new >= head => Reused { head, tail_old: old, tail_new: new },
            _ => Reused { head, tail_old: usize::MAX, tail_new: new_len },
        }
    }
}

/// The indentation stack after the tokens before index `upto`, from an indent log.
fn stack_at(log: &[(usize, Option<(usize, usize)>)], upto: usize) -> Vec<(usize, usize)> {
    let mut stack = vec![(0, 0)];
    for &(_, level) in log.iter().take_while(|(i, _)| *i < upto) {
        match level {
            Some(level) => stack.push(level),
            None => {
                stack.pop();
            }
        }
    }
    stack
}

/// Bytes the two texts share at the start: whole blocks first (one `memcmp` each), then
/// 8 bytes at a time, then bytes.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + BLOCK <= n && a[i..i + BLOCK] == b[i..i + BLOCK] {
        i += BLOCK;
    }
    while i + 8 <= n && word(a, i) == word(b, i) {
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// The bytes [`common_prefix`] and [`common_suffix`] compare as one slice.
const BLOCK: usize = 512;

#[inline]
fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(bytes[at..at + 8].try_into().expect("8 bytes"))
}

/// Bytes the two texts share at the start, and then at the end.
pub fn common_ends(a: &[u8], b: &[u8]) -> (usize, usize) {
    let prefix = common_prefix(a, b);
    (prefix, common_suffix(a, b, a.len().min(b.len()) - prefix))
}

/// [`common_ends`] of `a` and `b` followed by a newline (when `newline`), without
/// making that text.
fn common_ends_with_newline(a: &[u8], b: &[u8], newline: bool) -> (usize, usize) {
    if !newline {
        return common_ends(a, b);
    }
    let mut prefix = common_prefix(a, b);
    if prefix == b.len() && a.get(prefix) == Some(&b'\n') {
        prefix += 1;
    }
    let room = a.len().min(b.len() + 1) - prefix;
    if room == 0 || a[a.len() - 1] != b'\n' {
        return (prefix, 0);
    }
    (prefix, 1 + common_suffix(&a[..a.len() - 1], b, room - 1))
}

/// Turns `text` into `source` followed by a newline (when `newline`), given the bytes
/// they share at the start ([`common_ends_with_newline`]): those stay, the rest is
/// copied from `source`, so that the text is not allocated again. (Moving the kept
/// tail instead copies as many bytes: those after the edit.)
fn rewrite(text: &mut String, source: &str, newline: bool, mut prefix: usize) {
    if prefix > source.len() {
        // All of `source` and the newline after it.
        text.truncate(prefix);
        return;
    }
    // Cut between characters: a byte starts a character or not whatever surrounds it.
    while !text.is_char_boundary(prefix) {
        prefix -= 1;
    }
    text.truncate(prefix);
    text.push_str(&source[prefix..]);
    if newline {
        text.push('\n');
    }
}

/// Bytes the two texts share at the end, at most `room`.
fn common_suffix(a: &[u8], b: &[u8], room: usize) -> usize {
    let (la, lb) = (a.len(), b.len());
    let mut i = 0;
    while i + BLOCK <= room && a[la - i - BLOCK..la - i] == b[lb - i - BLOCK..lb - i] {
        i += BLOCK;
    }
    while i + 8 <= room && word(a, la - i - 8) == word(b, lb - i - 8) {
        i += 8;
    }
    while i < room && a[la - i - 1] == b[lb - i - 1] {
        i += 1;
    }
    i
}

/// [`tokenize`], reusing `kept`, the tokenization of a program that differs from
/// `source` in one region: the tokens up to the last line break before the region are
/// copied, the tokenizer restarts after them in the state it had there (indentation
/// and bracket stacks, see [`Restart`]), and once it makes a token after the region
/// (a NEWLINE, or in brackets the first token of a line) that the kept tokenization
/// has at the same distance from the end, in the same state, the rest is the kept
/// tokens, moved, and the kept tokenizer error, if any, moved too. The result is
/// exactly what [`tokenize`] gives: from the same state and the same text the tokenizer
/// makes the same tokens, and it reads no further than the line break after a token
/// before returning it.
///
/// `kept` must come from a text without NUL bytes (the syntax check never tokenizes
/// one). `Err` is the offset of the first NUL byte of `source`: only the bytes that
/// differ from the kept text are scanned for NUL and `\r`.
pub fn retokenize<'s>(source: &'s str, kept: Kept, found: &mut Found) -> Result<(Tokens<'s>, Reused), usize> {
    found.reserve = ReserveUse::None;
    found.islands.clear();
    // What `normalize` gives when `source` has no `\r` (checked below, where it differs
    // from the kept text, which has none): `source` and a newline when it ends without.
    let needs_newline = !source.is_empty() && !source.ends_with('\n') && !source.ends_with('\r');
    let mut kept_text = kept.text;
    let old_len = kept_text.len();
    let (mut prefix, mut suffix) = common_ends_with_newline(kept_text.as_bytes(), source.as_bytes(), needs_newline);
    let new_len = source.len() + needs_newline as usize;
    let lines_deleted = LinesDeleted::find(kept_text.as_bytes(), new_len, prefix, suffix);
    let middle = &source.as_bytes()[prefix.min(source.len())..(new_len - suffix).min(source.len())];
    // (`contains` scans a word at a time; the position only when there is one.)
    if middle.contains(&0) {
        return Err(prefix + middle.iter().position(|&b| b == 0).unwrap_or_default());
    }
    // Where the old lines of a long edit start (`find_islands` finds those the new text still
    // has), when they were kept aside.
    let mut old_middle_from = None;
    let (text, spare) = if middle.contains(&b'\r') {
        let text = normalize(source);
        (prefix, suffix) = common_ends(kept_text.as_bytes(), text.as_bytes());
        (text, String::new())
    } else {
        if old_len - suffix >= prefix + ISLANDS_FROM {
            let from = memchr::memrchr(b'\n', &kept_text.as_bytes()[..prefix.min(old_len)]).map_or(0, |i| i + 1);
            OLD_MIDDLE.with_borrow_mut(|old_middle| {
                old_middle.clear();
                old_middle.extend_from_slice(&kept_text.as_bytes()[from..old_len - suffix]);
            });
            old_middle_from = Some(from);
        }
        // The kept text becomes the new one in place; the tokens borrow `source` when
        // it is that text.
        rewrite(&mut kept_text, source, needs_newline, prefix);
        if needs_newline {
            (Cow::Owned(kept_text), String::new())
        } else {
            (Cow::Borrowed(source), kept_text)
        }
    };
    let new_text = text.as_bytes();
    // The kept tokens become the new ones in place: the head stays, the middle is
    // replaced and the tail moved.
    let mut tokens = kept.tokens;
    let old = &tokens;
    let restart = Restart::before(old, new_text, prefix);
    let head = restart.head;
    let mut indent_log: IndentLog = kept.indent_log.iter().take_while(|(i, _)| *i < head).copied().collect();
    let mut tokenizer = Tokenizer::new(new_text);
    if head > 0 {
        tokenizer.pos = restart.pos;
        tokenizer.line = restart.line;
        tokenizer.at_line_start = restart.at_line_start;
        tokenizer.indents = stack_at(&indent_log, head);
        tokenizer.brackets.clone_from(&restart.brackets);
    }
    // The reserve, when the kept tokens stopped at an error; the bytes known to be the
    // same at its end and at the new text's are fewer than at the kept text's or as many.
    let mut reserve = kept.reserve.filter(|_| kept.error.is_some());
    if let Some(reserve) = &mut reserve {
        reserve.common = reserve.common.min(suffix);
    }
    // A kept error whose message holds a line number cannot be moved, so the kept tokens
    // after the edit are of no use: the new ones go straight after the head, in place
    // (unless there is a reserve to meet).
    let mut unmovable = kept.error.as_ref().is_some_and(|error| error.message.contains(" line "));
    if unmovable && reserve.is_none() {
        let old_len = tokens.len();
        tokens.truncate(head);
        let error = tokenizer.run(0, &mut tokens, &mut indent_log, |_, _| false).err();
        let reused = Reused { head, tail_old: old_len, tail_new: tokens.len() };
        return Ok((Tokens { text, tokens, error, indent_log, since_last_valid: None, generation: 0, lines_deleted, spare, reserve: None }, reused));
    }
    // The re-made tokens go to a list the thread keeps, so that its room grows once,
    // not on every call.
    let mut middle = MIDDLE.take();
    middle.clear();
    // Tokens from `sync_from` on are in the common suffix; the kept tokenization is
    // followed along (index, indentation and bracket stacks) to find the same token
    // there, after which both tokenizers are in the same state.
    let sync_from = new_text.len() - suffix;
    let old_changed_end = old_len - suffix;
    let byte_shift = new_text.len() as i64 - old_len as i64;
    let shift = |offset: u32| (offset as i64 + byte_shift) as u32;
    let mut old_index = head;
    let mut old_stack = tokenizer.indents.clone();
    let mut old_log = kept.indent_log.iter().skip(indent_log.len()).peekable();
    let mut synced = None;
    let mut walk = reserve.as_deref().map(|r| ReserveWalk::new(r, new_text.len()));
    let mut met_reserve = None;
    let error = tokenizer
        .run(head, &mut middle, &mut indent_log, |tokenizer, token| {
            let at = token.start as usize;
            'kept: {
                if at < sync_from || unmovable {
                    break 'kept;
                }
                // In brackets, where no NEWLINE comes: the first token of a line, when all
                // of that line is in the common suffix (so that columns there are the same).
                if token.kind != TokenKind::Newline && memchr::memrchr(b'\n', &new_text[..at]).map_or(0, |i| i + 1) < sync_from {
                    break 'kept;
                }
                // The kept token ending at the same distance from the end, if any. (A
                // line's last token ends where its NEWLINE starts: step over it for one.)
                let old_end = (token.end as i64 - byte_shift) as usize;
                while old_index < old.len()
                    && ((old[old_index].end as usize) < old_end || (old[old_index].end as usize == old_end && old[old_index].kind != token.kind))
                {
                    while let Some(&&(i, level)) = old_log.peek() {
                        if i > old_index {
                            break;
                        }
                        match level {
                            Some(level) => old_stack.push(level),
                            None => {
                                old_stack.pop();
                            }
                        }
                        old_log.next();
                    }
                    old_index += 1;
                }
                let Some(&same) = old.get(old_index) else {
                    break 'kept;
                };
                if same.end as usize != old_end || same.kind != token.kind || same.sym != token.sym || shift(same.start) != token.start {
                    break 'kept;
                }
                if old_stack != tokenizer.indents {
                    break 'kept;
                }
                // The kept bracket stack after that token, each bracket where the new text
                // has it, against the new one.
                let line_shift = token.line as i64 - same.line as i64;
                let moved = Moved { prefix, old_changed_end, line_shift, byte_shift };
                if same.level as usize != tokenizer.brackets.len() || (same.level > 0 && !moved.same_brackets(old, old_index, &tokenizer.brackets)) {
                    break 'kept;
                }
                // The kept error, if any, comes after the same tokens: moved too.
                let error = match &kept.error {
                    None => None,
                    Some(error) => match error.moved(restart.line, same.line as usize, line_shift) {
                        Some(error) => Some(error),
                        None => {
                            // Its position is among the changed lines, as it will be at
                            // any later meeting point.
                            unmovable = true;
                            break 'kept;
                        }
                    },
                };
                synced = Some((old_index + 1, line_shift, error));
                return true;
            }
            if let Some(met) = walk.as_mut().and_then(|walk| walk.meets(tokenizer, token)) {
                met_reserve = Some(met);
                return true;
            }
            false
        })
        .err();
    #[cfg(test)]
    REMADE.set(middle.len());
    let made_to = synced.as_ref().map_or(old.len(), |&(tail_old, _, _)| tail_old);
    let islands = &mut found.islands;
    match old_middle_from.filter(|_| met_reserve.is_none()) {
        None => {}
        Some(from) => OLD_MIDDLE.with_borrow_mut(|old_middle| {
            // Both edits end with the rest of the line the common suffix starts in, so
            // that their last lines are whole.
            let new_to = new_text.len() - suffix;
            let to = memchr::memchr(b'\n', &new_text[new_to..]).map_or(new_text.len(), |k| new_to + k + 1);
            old_middle.extend_from_slice(&new_text[new_to..to]);
            find_islands(old_middle, from, &new_text[..to], from, &old[head..made_to], head, &middle, head, islands);
        }),
    }
    let reserve_shift = walk.map_or(0, |walk| walk.byte_shift);
    let old_len = old.len();
    let Some((tail_old, line_shift, kept_error)) = synced else {
        let mut reserve = reserve;
        // The kept tokens, complete, give way to tokens that stop at an error: their part
        // after the edit is kept aside for the next programs to meet.
        let from = tokens.partition_point(|t| (t.start as usize) < old_changed_end).max(head);
        if kept.error.is_none() && error.is_some() && from < tokens.len() {
            reserve = Some(Box::new(Reserve::take(&mut tokens, &kept.indent_log, from, old_changed_end + suffix, suffix)));
            found.reserve = ReserveUse::Saved;
        }
        tokens.truncate(head);
        tokens.append(&mut middle);
        MIDDLE.set(middle);
        let tail_new = tokens.len();
        if let (Some((at, line_shift)), Some(r)) = (met_reserve, &reserve) {
            // The rest is the reserve's tokens, moved, and ends without error.
            let line_shift = line_shift as i32;
            let shift = |offset: u32| (offset as i64 + reserve_shift) as u32;
            tokens.extend(r.tokens[at + 1..].iter().map(|t| Token { start: shift(t.start), end: shift(t.end), line: t.line.wrapping_add_signed(line_shift), ..*t }));
            indent_log.extend(r.log.iter().filter(|(i, _)| *i > at).map(|&(i, level)| (i - (at + 1) + tail_new, level)));
            found.reserve = ReserveUse::Met { new_from: tail_new, old_from: r.base + at + 1 };
            let reused = Reused { head, tail_old: old_len, tail_new: tokens.len() };
            return Ok((Tokens { text, tokens, error: None, indent_log, since_last_valid: None, generation: 0, lines_deleted, spare, reserve: None }, reused));
        }
        let reused = Reused { head, tail_old: old_len, tail_new: tokens.len() };
        let reserve = reserve.filter(|_| error.is_some());
        return Ok((Tokens { text, tokens, error, indent_log, since_last_valid: None, generation: 0, lines_deleted, spare, reserve }, reused));
    };
    let tail_new = head + middle.len();
    tokens.splice(head..tail_old, middle.drain(..));
    MIDDLE.set(middle);
    let line_shift = line_shift as i32;
    for t in &mut tokens[tail_new..] {
        t.start = shift(t.start);
        t.end = shift(t.end);
        t.line = t.line.wrapping_add_signed(line_shift);
    }
    indent_log.extend(kept.indent_log.iter().filter(|(i, _)| *i >= tail_old).map(|&(i, level)| (i + tail_new - tail_old, level)));
    let reused = Reused { head, tail_old, tail_new };
    let reserve = reserve.filter(|_| kept_error.is_some());
    Ok((Tokens { text, tokens, error: kept_error, indent_log, since_last_valid: None, generation: 0, lines_deleted, spare, reserve }, reused))
}

/// How positions of the kept text map to the new one: the first `prefix` bytes are
/// the same, those from `old_changed_end` on moved by `byte_shift` bytes and, from the
/// token where the tokenizations meet, `line_shift` lines.
struct Moved {
    prefix: usize,
    old_changed_end: usize,
    line_shift: i64,
    byte_shift: i64,
}

impl Moved {
    /// A bracket of the kept stack where the new text has it (`None`: in the edit).
    fn bracket(&self, &(c, line, offset): &(u8, usize, usize)) -> Option<(u8, usize, usize)> {
        if offset < self.prefix {
            Some((c, line, offset))
        } else if offset >= self.old_changed_end {
            Some((c, (line as i64 + self.line_shift) as usize, (offset as i64 + self.byte_shift) as usize))
        } else {
            None
        }
    }

    /// Whether the kept tokens' bracket stack after token `index` is `new` (as deep),
    /// each bracket where the new text has it.
    #[inline(never)]
    fn same_brackets(&self, old: &[Token], index: usize, new: &[(u8, usize, usize)]) -> bool {
        let mut depth = new.len();
        for bracket in open_brackets(old, index) {
            depth -= 1;
            if self.bracket(&bracket) != Some(new[depth]) {
                return false;
            }
        }
        depth == 0
    }
}

/// Where [`retokenize`] restarts the tokenizer: after the first `head` kept tokens, in
/// the state the tokenizer was in there.
struct Restart {
    head: usize,
    pos: usize,
    line: usize,
    at_line_start: bool,
    brackets: Vec<(u8, usize, usize)>,
}

impl Restart {
    const START: Restart = Restart { head: 0, pos: 0, line: 0, at_line_start: true, brackets: Vec::new() };

    /// After the last of `old` before the last line break of the common prefix of the
    /// texts (the byte after it in the prefix too). The tokenizer looks a few bytes past
    /// a token to end it, never past a line break, so that token and those before it
    /// are what the new text gives. After a NEWLINE the tokenizer is at a line start;
    /// after any other token (in brackets, or before a line continuation) it goes on
    /// with the bracket stack it had, found back from the tokens' depths.
    fn before(old: &[Token], text: &[u8], prefix: usize) -> Restart {
        let mut limit = prefix.saturating_sub(1);
        loop {
            let Some(line_break) = memchr::memrchr(b'\n', &text[..limit.min(text.len())]) else {
                return Restart::START;
            };
            let mut head = old.partition_point(|t| t.start as usize <= line_break);
            // INDENT and DEDENT sit where the next token starts: only a tokenization
            // that stopped at an error can end with them, and then not here.
            while head > 0 && matches!(old[head - 1].kind, TokenKind::Indent | TokenKind::Dedent) {
                head -= 1;
            }
            let Some(&last) = head.checked_sub(1).map(|i| &old[i]) else {
                return Restart::START;
            };
            if last.kind == TokenKind::Newline {
                let (pos, line) = (last.end as usize + 1, last.line as usize + 1);
                return Restart { head, pos, line, at_line_start: true, brackets: Vec::new() };
            }
            if last.end as usize > line_break {
                // A string over several lines: an earlier line break.
                limit = last.start as usize;
                continue;
            }
            let mut brackets: Vec<_> = open_brackets(old, head - 1).collect();
            if brackets.len() != last.level as usize {
                return Restart::START;
            }
            brackets.reverse();
            let newlines = memchr::memchr_iter(b'\n', &text[last.start as usize..last.end as usize]).count();
            return Restart { head, pos: last.end as usize, line: last.line as usize + newlines, at_line_start: false, brackets };
        }
    }
}

/// The bracket a token opens, as the tokenizer's stack holds it.
fn opening(sym: Sym) -> Option<u8> {
    match sym {
        Sym::LPar => Some(b'('),
        Sym::LSqb => Some(b'['),
        Sym::LBrace => Some(b'{'),
        _ => None,
    }
}

/// The brackets still open after token `last` (as the tokenizer's stack holds them),
/// innermost first: going back, the last token opening each depth (a token's `level`
/// is the depth after it, and the depth never drops below an open bracket's).
fn open_brackets(tokens: &[Token], last: usize) -> impl Iterator<Item = (u8, usize, usize)> + '_ {
    let mut depth = tokens[last].level as usize;
    tokens[..=last].iter().rev().map_while(move |t| {
        if depth == 0 {
            return None;
        }
        match opening(t.sym) {
            Some(c) if t.level as usize == depth => {
                depth -= 1;
                Some(Some((c, t.line as usize, t.start as usize)))
            }
            _ => Some(None),
        }
    }).flatten()
}

impl TokenizerError {
    /// This error, found after the same tokens in a text whose lines from
    /// `restart_line` up to `sync_line` changed and whose later lines moved by
    /// `line_shift`; `None` when a position is among the changed lines. (A message with
    /// a line number in it is not moved: the caller does not ask.)
    fn moved(&self, restart_line: usize, sync_line: usize, line_shift: i64) -> Option<TokenizerError> {
        debug_assert!(!self.message.contains(" line "), "a line number in the message");
        let line = |line: usize| {
            if line < restart_line {
                Some(line)
            } else if line >= sync_line {
                Some((line as i64 + line_shift) as usize)
            } else {
                None
            }
        };
        let open_bracket = match self.open_bracket {
            Some((l, column, c)) => Some((line(l)?, column, c)),
            None => None,
        };
        Some(TokenizerError { kind: self.kind, line: line(self.line)?, column: self.column, message: self.message.clone(), open_bracket })
    }
}

thread_local! {
    /// [`retokenize`]'s list of re-made tokens, kept for its room.
    static MIDDLE: std::cell::Cell<Vec<Token>> = const { std::cell::Cell::new(Vec::new()) };
}

thread_local! {
    /// The kept text's lines around a long edit, as they were before [`retokenize`]
    /// rewrote it (empty for a short edit).
    static OLD_MIDDLE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The length of an edit (in the kept text) from which [`retokenize`] looks for
/// [`find_islands`] in it: below it, a few lines whose tokens cost little to build anew.
const ISLANDS_FROM: usize = 1024;

/// Runs of `made` (tokens of the new text from index `made_base` on) that are tokens of
/// `old` (kept tokens from index `old_base` on) unchanged: same kind, texts and text
/// between them, and positions moved by the same amount. The kept text from byte
/// `old_from` on was `old_text`; the new text from byte `new_from` on is `new_text`'s.
/// Lines of the new text are matched to lines of the old one in order (the first equal
/// line each time: the new text is the old one with lines taken out, as between two
/// states of a sampled program); a new line matching none ends the search (nothing is
/// found). Tokens are then matched inside the runs of matched lines. `(new index, old
/// index, count)`, in order.
#[allow(clippy::too_many_arguments)]
fn find_islands(old_text: &[u8], old_from: usize, new_text: &[u8], new_from: usize, old: &[Token], old_base: usize, made: &[Token], made_base: usize, runs: &mut Vec<(usize, usize, usize)>) {
    // Runs of equal lines: (old byte, new byte, length).
    let new_mid = &new_text[new_from.min(new_text.len())..];
    let line_end = |text: &[u8], at: usize| memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |k| at + k + 1);
    let mut lines: Vec<(usize, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    while j < new_mid.len() {
        if i >= old_text.len() {
            return;
        }
        let (oe, ne) = (line_end(old_text, i), line_end(new_mid, j));
        if old_text[i..oe] == new_mid[j..ne] {
            match lines.last_mut() {
                Some((o, n, len)) if *o + *len == old_from + i && *n + *len == new_from + j => *len += ne - j,
                _ => lines.push((old_from + i, new_from + j, ne - j)),
            }
            j = ne;
        }
        i = oe;
    }
    // Tokens inside those runs at the same place in both texts.
    let mut last_run = usize::MAX;
    let (mut b, mut k) = (0, 0);
    for (a, t) in made.iter().enumerate() {
        let (start, end) = (t.start as usize, t.end as usize);
        while k < lines.len() && lines[k].1 + lines[k].2 <= start {
            k += 1;
        }
        let Some(&(o, n, len)) = lines.get(k) else { break };
        if start < n || end > n + len {
            continue;
        }
        let at = start - n + o;
        while b < old.len() && (old[b].start as usize) < at {
            b += 1;
        }
        let Some(u) = old.get(b) else { break };
        let same = u.start as usize == at && u.end as usize == end - n + o && u.kind == t.kind && u.sym == t.sym && u.level == t.level;
        if !same {
            continue;
        }
        let (new_index, old_index) = (made_base + a, old_base + b);
        match runs.last_mut() {
            Some((rn, ro, count)) if last_run == k && *rn + *count == new_index && *ro + *count == old_index && line_shift_of(&made[a - *count..=a], &old[b - *count..=b]) => *count += 1,
            _ => runs.push((new_index, old_index, 1)),
        }
        last_run = k;
        b += 1;
    }
    runs.retain(|&(_, _, count)| count > 1);
    #[cfg(test)]
    ISLANDS_FOUND.set(ISLANDS_FOUND.get() + !runs.is_empty() as usize);
}

/// Whether the tokens of `new` are on the lines of those of `old`, moved by one amount.
fn line_shift_of(new: &[Token], old: &[Token]) -> bool {
    let shift = new[0].line.wrapping_sub(old[0].line);
    new.last().zip(old.last()).is_some_and(|(n, o)| n.line.wrapping_sub(o.line) == shift)
}

#[cfg(test)]
thread_local! {
    /// How many tokens the last [`retokenize`] on this thread made (not taken over).
    pub(crate) static REMADE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    /// Calls of [`retokenize`] on this thread that found [`find_islands`].
    pub(crate) static ISLANDS_FOUND: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

const EOF: i32 = -1;

/// Boxed so that the tokenizer's results are no bigger than a token: each token is
/// then copied once, into the list.
type Failure = Box<TokenizerError>;

struct Tokenizer<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Number of `\n` consumed: the 0-based line of the next character.
    line: usize,
    at_line_start: bool,
    /// Open indentation levels: (column with tabs to 8, column with tabs to 1), one
    /// stack so that a call allocates once for both.
    indents: Vec<(usize, usize)>,
    /// Pending INDENT (> 0) or DEDENT (< 0) tokens.
    pending: isize,
    /// Open brackets: (char, 0-based line, byte offset).
    brackets: Vec<(u8, usize, usize)>,
    /// Byte offset where the current token starts.
    start: usize,
    start_line: usize,
}

/// Any byte of a non-ASCII character may be part of a name (checked by
/// `verify_identifier`).
fn is_identifier_byte(b: u8) -> bool {
    NAME_BYTES[b as usize] != 0
}

const ASCII_NAME_BYTE: u8 = 1;
const NON_ASCII_BYTE: u8 = 2;

/// What each byte can be in a name. A table, because the chain of range checks costs
/// several times more in the loop that scans names (the most frequent bytes of a
/// program).
static NAME_BYTES: [u8; 256] = {
    let mut table = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = if c >= 128 {
            NON_ASCII_BYTE
        } else if c.is_ascii_alphanumeric() || c == b'_' {
            ASCII_NAME_BYTE
        } else {
            0
        };
        b += 1;
    }
    table
};

/// Space, tab and form feed, as a bit set over the bytes below 64.
const BLANKS: u64 = 1 << b' ' | 1 << b'\t' | 1 << 0x0c;

fn is_blank(b: u8) -> bool {
    b < 64 && BLANKS & (1 << b) != 0
}

fn is_identifier_char(c: i32) -> bool {
    u8::try_from(c).is_ok_and(is_identifier_byte)
}

fn is_digit(c: i32) -> bool {
    (b'0' as i32..=b'9' as i32).contains(&c)
}

fn is_hex_digit(c: i32) -> bool {
    is_digit(c)
        || (b'a' as i32..=b'f' as i32).contains(&c)
        || (b'A' as i32..=b'F' as i32).contains(&c)
}

/// An approximation of Python's `str.isprintable` for one character (std has no
/// general-category tables): separators other than the ASCII space and control and
/// format characters are not printable.
fn is_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    !(c.is_control()
        || c.is_whitespace()
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

/// An approximation of XID_Start / XID_Continue with what std offers.
fn is_xid_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_xid_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric() || c == '\u{b7}' || is_combining_mark(c)
}

fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x300..=0x36F | 0x483..=0x489 | 0x591..=0x5BD | 0x610..=0x61A | 0x64B..=0x65F
        | 0x900..=0x903 | 0x93A..=0x94F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0xE0100..=0xE01EF)
}

impl<'a> Tokenizer<'a> {
    /// Tokenizes until ENDMARKER, an error, or `stop` (asked after each NEWLINE token,
    /// and in brackets after the first token of each line) says to, appending the tokens
    /// and logging INDENTs and DEDENTs.
    /// The tokens' indices (in the log) start at `base`.
    fn run(
        &mut self,
        base: usize,
        tokens: &mut Vec<Token>,
        log: &mut IndentLog,
        mut stop: impl FnMut(&Tokenizer, &Token) -> bool,
    ) -> Result<(), TokenizerError> {
        // In brackets no NEWLINE comes: `stop` is asked there once a line.
        let mut asked_on = u32::MAX;
        loop {
            let token = self.next_token().map_err(|error| *error)?;
            match token.kind {
                TokenKind::EndMarker => {
                    tokens.push(token);
                    return Ok(());
                }
                TokenKind::Indent => log.push((base + tokens.len(), self.indents.last().copied())),
                TokenKind::Dedent => log.push((base + tokens.len(), None)),
                _ => {}
            }
            tokens.push(token);
            let ask = if token.kind == TokenKind::Newline {
                true
            } else if !self.brackets.is_empty() && token.line != asked_on {
                asked_on = token.line;
                true
            } else {
                false
            };
            // (One call site, so that `stop` is inlined.)
            if ask && stop(self, &token) {
                return Ok(());
            }
        }
    }

    fn new(buf: &'a [u8]) -> Self {
        Tokenizer {
            buf,
            pos: 0,
            line: 0,
            at_line_start: true,
            indents: vec![(0, 0)],
            pending: 0,
            brackets: Vec::new(),
            start: 0,
            start_line: 0,
        }
    }

    fn nextc(&mut self) -> i32 {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                if b == b'\n' {
                    self.line += 1;
                }
                b as i32
            }
            None => EOF,
        }
    }

    /// Steps back over `c`, the character `nextc` just returned.
    fn backup(&mut self, c: i32) {
        if c != EOF && self.pos > 0 {
            self.pos -= 1;
            if c == b'\n' as i32 {
                self.line = self.line.saturating_sub(1);
            }
        }
    }

    /// CPython's line at the current position; at end of file that is the last line.
    fn current_line(&self) -> usize {
        if self.pos >= self.buf.len() && self.line > 0 && self.buf.last() == Some(&b'\n') {
            self.line - 1
        } else {
            self.line
        }
    }

    fn column(&self, offset: usize) -> usize {
        column_at(self.buf, offset)
    }

    fn innermost_bracket(&self) -> Option<(usize, usize, u8)> {
        self.brackets
            .last()
            .map(|&(c, line, offset)| (line, self.column(offset), c))
    }

    fn error_at(&self, kind: ErrorKind, line: usize, column: usize, message: String) -> Failure {
        Box::new(TokenizerError {
            kind,
            line,
            column,
            message,
            open_bracket: self.innermost_bracket(),
        })
    }

    /// A `syntaxerror()` at the current position.
    fn raised(&self, message: impl Into<String>) -> Failure {
        self.error_at(
            ErrorKind::Raised,
            self.current_line(),
            self.column(self.pos),
            message.into(),
        )
    }

    fn deferred(&self, message: impl Into<String>) -> Failure {
        self.error_at(
            ErrorKind::Deferred,
            self.current_line(),
            self.column(self.pos),
            message.into(),
        )
    }

    fn token(&self, kind: TokenKind) -> Token {
        Token {
            kind,
            start: self.start as u32,
            end: self.pos as u32,
            line: self.start_line as u32,
            level: self.brackets.len() as u8,
            sym: Sym::Other,
        }
    }

    #[inline]
    fn operator_token(&self) -> Token {
        Token {
            sym: Sym::of_operator(&self.buf[self.start..self.pos]),
            ..self.token(TokenKind::Op)
        }
    }

    /// After a `\`: the next character must be a newline, and a line must follow.
    fn continuation_line(&mut self) -> Result<(), Failure> {
        let c = self.nextc();
        if c != b'\n' as i32 {
            return Err(self.deferred("unexpected character after line continuation character"));
        }
        let c = self.nextc();
        if c == EOF {
            return Err(self.unexpected_eof());
        }
        self.backup(c);
        Ok(())
    }

    fn unexpected_eof(&self) -> Failure {
        match self.innermost_bracket() {
            Some((line, column, c)) => self.error_at(
                ErrorKind::Deferred,
                line,
                column,
                format!("'{}' was never closed", c as char),
            ),
            None => self.deferred("unexpected EOF while parsing"),
        }
    }

    fn next_token(&mut self) -> Result<Token, Failure> {
        'nextline: loop {
            let mut blank_line = false;
            if self.at_line_start {
                self.at_line_start = false;
                blank_line = self.read_indentation()?;
            }
            if self.pending != 0 {
                // INDENT/DEDENT sit where the next token starts.
                let (offset, line) = self.peek_token_start();
                self.start = offset;
                self.start_line = line;
                let kind = if self.pending < 0 {
                    self.pending += 1;
                    TokenKind::Dedent
                } else {
                    self.pending -= 1;
                    TokenKind::Indent
                };
                return Ok(Token {
                    kind,
                    start: offset as u32,
                    end: offset as u32,
                    line: line as u32,
                    level: self.brackets.len() as u8,
                    sym: Sym::Other,
                });
            }
            // The hot loops below read `buf` directly instead of through `nextc`: none
            // of them steps over a newline, so the line count needs no bookkeeping.
            'again: loop {
                let buf = self.buf;
                let mut p = self.pos;
                while buf.get(p).is_some_and(|&b| is_blank(b)) {
                    p += 1;
                }
                if buf.get(p) == Some(&b'#') {
                    p = find_any(buf, p, [b'\n']);
                }
                self.pos = p;
                self.start = p;
                let Some(&c) = buf.get(p) else {
                    return self.end_of_file();
                };
                if c == b'\n' {
                    self.start_line = self.line;
                    self.pos += 1;
                    self.line += 1;
                    self.at_line_start = true;
                    if blank_line || !self.brackets.is_empty() {
                        continue 'nextline;
                    }
                    return Ok(Token {
                        end: p as u32,
                        ..self.token(TokenKind::Newline)
                    });
                }
                self.pos += 1;
                self.start_line = self.current_line();
                match c {
                    b'a'..=b'z' | b'A'..=b'Z' | b'_' | 128..=255 => return self.name_or_string(),
                    b'.' => {
                        let next = buf.get(self.pos).copied().unwrap_or(0);
                        if next.is_ascii_digit() {
                            self.pos += 1;
                            return self.fraction(next as i32);
                        }
                        if next == b'.' && buf.get(self.pos + 1) == Some(&b'.') {
                            self.pos += 2;
                        }
                        return Ok(self.operator_token());
                    }
                    b'0'..=b'9' => return self.number(c as i32),
                    b'\'' | b'"' => return self.string(c as i32),
                    b'\\' => {
                        self.continuation_line()?;
                        continue 'again;
                    }
                    _ => return self.operator(c),
                }
            }
        }
    }

    /// End of file: close the indentation blocks left open, then ENDMARKER.
    fn end_of_file(&mut self) -> Result<Token, Failure> {
        if !self.brackets.is_empty() {
            return Err(self.unexpected_eof());
        }
        self.start = self.pos;
        self.start_line = self.current_line();
        if self.indents.len() > 1 {
            self.indents.pop();
            return Ok(self.token(TokenKind::Dedent));
        }
        Ok(self.token(TokenKind::EndMarker))
    }

    /// Reads the indentation of a new line and queues INDENT/DEDENT tokens. Returns
    /// whether the line is blank (only white space and/or a comment).
    fn read_indentation(&mut self) -> Result<bool, Failure> {
        let mut col = 0usize;
        let mut alt_col = 0usize;
        let mut continued_col = 0usize;
        // The character after the indentation is looked at, not consumed.
        let c = loop {
            // Runs of spaces are most of the indentation.
            let spaces = self.buf[self.pos..]
                .iter()
                .take_while(|&&b| b == b' ')
                .count();
            self.pos += spaces;
            col += spaces;
            alt_col += spaces;
            let c = self.buf.get(self.pos).copied();
            match c {
                Some(b'\t') => {
                    col = (col / TAB_SIZE + 1) * TAB_SIZE;
                    alt_col += 1;
                }
                Some(0x0c) => {
                    // Form feed resets the column (for Emacs users, says CPython).
                    col = 0;
                    alt_col = 0;
                }
                Some(b'\\') => {
                    // The first backslash fixes the indentation of what follows.
                    if continued_col == 0 {
                        continued_col = col;
                    }
                    self.pos += 1;
                    self.continuation_line()?;
                    continue;
                }
                _ => break c,
            }
            self.pos += 1;
        };
        let blank = matches!(c, Some(b'#' | b'\n'));
        if blank || !self.brackets.is_empty() {
            return Ok(blank);
        }
        if continued_col != 0 {
            col = continued_col;
            alt_col = continued_col;
        }
        let (top, alt_top) = self.indents.last().copied().unwrap_or((0, 0));
        if col == top {
            if alt_col != alt_top {
                return Err(self.tab_error());
            }
        } else if col > top {
            if self.indents.len() >= MAX_INDENT {
                return Err(self.deferred_at_line_end("too many levels of indentation"));
            }
            if alt_col <= alt_top {
                return Err(self.tab_error());
            }
            self.pending += 1;
            self.indents.push((col, alt_col));
        } else {
            while self.indents.len() > 1 && col < self.indents.last().map_or(0, |level| level.0) {
                self.pending -= 1;
                self.indents.pop();
            }
            let (top, alt_top) = self.indents.last().copied().unwrap_or((0, 0));
            if col != top {
                return Err(self
                    .deferred_at_line_end("unindent does not match any outer indentation level"));
            }
            if alt_col != alt_top {
                return Err(self.tab_error());
            }
        }
        Ok(false)
    }

    fn tab_error(&self) -> Failure {
        self.deferred_at_line_end("inconsistent use of tabs and spaces in indentation")
    }

    /// Indentation errors are reported on the offending line (CPython moves to its end).
    fn deferred_at_line_end(&self, message: &str) -> Failure {
        let end = self.buf[self.pos.min(self.buf.len())..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(self.buf.len(), |i| self.pos + i);
        self.error_at(
            ErrorKind::Deferred,
            self.line,
            self.column(end),
            message.to_string(),
        )
    }

    /// Where the next real token starts (for INDENT/DEDENT), without consuming anything.
    fn peek_token_start(&self) -> (usize, usize) {
        let mut i = self.pos;
        while let Some(&b) = self.buf.get(i) {
            if b == b' ' || b == b'\t' || b == 0x0c {
                i += 1;
            } else {
                break;
            }
        }
        (i, self.current_line())
    }

    /// A name, or a string if the name is a string prefix and a quote follows.
    fn name_or_string(&mut self) -> Result<Token, Failure> {
        let buf = self.buf;
        let mut end = self.pos;
        let mut seen = NAME_BYTES[buf[self.start] as usize];
        while let Some(&b) = buf.get(end) {
            let class = NAME_BYTES[b as usize];
            if class == 0 {
                break;
            }
            seen |= class;
            end += 1;
        }
        let name = &buf[self.start..end];
        if let Some(&quote @ (b'\'' | b'"')) = buf.get(end) {
            if is_string_prefix(name) {
                self.pos = end + 1;
                return self.string(quote as i32);
            }
        }
        self.pos = end;
        if seen & NON_ASCII_BYTE != 0 {
            self.verify_identifier()?;
            return Ok(self.token(TokenKind::Name));
        }
        Ok(Token {
            sym: Sym::of_name(name),
            ..self.token(TokenKind::Name)
        })
    }

    /// CPython's `verify_identifier`: the first character that cannot be part of an
    /// identifier is an "invalid character".
    fn verify_identifier(&mut self) -> Result<(), Failure> {
        let bytes = &self.buf[self.start.min(self.pos)..self.pos];
        let text = String::from_utf8_lossy(bytes);
        for (i, (offset, ch)) in text.char_indices().enumerate() {
            let ok = if i == 0 {
                is_xid_start(ch)
            } else {
                is_xid_continue(ch)
            };
            if !ok {
                let column = self.column(self.start + offset);
                let message = if is_printable(ch) {
                    format!("invalid character '{}' (U+{:04X})", ch, ch as u32)
                } else {
                    format!("invalid non-printable character U+{:04X}", ch as u32)
                };
                return Err(self.error_at(ErrorKind::Raised, self.start_line, column, message));
            }
        }
        Ok(())
    }

    fn string(&mut self, quote: i32) -> Result<Token, Failure> {
        let first_line = self.start_line;
        let mut quote_size = 1;
        let mut end_quote_size = 0;
        let c = self.nextc();
        if c == quote {
            let c2 = self.nextc();
            if c2 == quote {
                quote_size = 3;
            } else {
                end_quote_size = 1; // the empty string
                self.backup(c2);
            }
        } else {
            self.backup(c);
        }
        let buf = self.buf;
        let quote = quote as u8;
        while end_quote_size != quote_size {
            // Only quotes, backslashes and newlines matter inside a string.
            let p = find_any(buf, self.pos, [quote, b'\\', b'\n']);
            if p > self.pos {
                end_quote_size = 0;
            }
            self.pos = p;
            let Some(&c) = buf.get(p) else {
                return Err(self.unterminated(quote_size, self.current_line()));
            };
            self.pos += 1;
            if c == quote {
                end_quote_size += 1;
                continue;
            }
            end_quote_size = 0;
            if c == b'\n' {
                self.line += 1;
                if quote_size == 1 {
                    return Err(self.unterminated(quote_size, self.line - 1));
                }
            } else if let Some(&escaped) = buf.get(self.pos) {
                // After a backslash the next character is never the string's end.
                self.pos += 1;
                if escaped == b'\n' {
                    self.line += 1;
                }
            }
        }
        let mut token = self.token(TokenKind::String);
        token.line = first_line as u32;
        Ok(token)
    }

    /// A string still open at a newline (single quotes) or at the end of the file,
    /// `detected` on that line: blamed on the opening quote.
    fn unterminated(&self, quote_size: usize, detected: usize) -> Failure {
        let message = if quote_size == 3 {
            format!(
                "unterminated triple-quoted string literal (detected at line {})",
                detected + 1
            )
        } else {
            format!(
                "unterminated string literal (detected at line {})",
                detected + 1
            )
        };
        let column = self.column(self.start);
        self.error_at(ErrorKind::Raised, self.start_line, column, message)
    }

    /// Digits with single underscores between them; returns the character after them.
    fn decimal_tail(&mut self) -> Result<i32, Failure> {
        loop {
            let mut c = self.nextc();
            while is_digit(c) {
                c = self.nextc();
            }
            if c != b'_' as i32 {
                return Ok(c);
            }
            let c = self.nextc();
            if !is_digit(c) {
                self.backup(c);
                return Err(self.raised("invalid decimal literal"));
            }
        }
    }

    /// A number may not run into a name, except into the keywords that can follow a
    /// number in valid code (`1if x else y`: only a warning in 3.11).
    fn verify_end_of_number(&mut self, c: i32, kind: &str) -> Result<(), Failure> {
        let rest = self.buf.get(self.pos..).unwrap_or(&[]);
        let keyword_follows = match u8::try_from(c).unwrap_or(0) {
            b'a' => rest.starts_with(b"nd"),
            b'e' => rest.starts_with(b"lse"),
            b'f' => rest.starts_with(b"or"),
            b'i' => matches!(rest.first(), Some(b'f' | b'n' | b's')),
            b'o' => rest.starts_with(b"r"),
            b'n' => rest.starts_with(b"ot"),
            _ => false,
        };
        if !keyword_follows && is_identifier_char(c) {
            self.backup(c);
            return Err(self.raised(format!("invalid {kind} literal")));
        }
        Ok(())
    }

    fn number(&mut self, first: i32) -> Result<Token, Failure> {
        let mut c;
        if first == b'0' as i32 {
            c = self.nextc();
            let lower = if (b'A' as i32..=b'Z' as i32).contains(&c) {
                c + 32
            } else {
                c
            };
            if lower == b'x' as i32 {
                c = self.nextc();
                loop {
                    if c == b'_' as i32 {
                        c = self.nextc();
                    }
                    if !is_hex_digit(c) {
                        self.backup(c);
                        return Err(self.raised("invalid hexadecimal literal"));
                    }
                    while is_hex_digit(c) {
                        c = self.nextc();
                    }
                    if c != b'_' as i32 {
                        break;
                    }
                }
                self.verify_end_of_number(c, "hexadecimal")?;
            } else if lower == b'o' as i32 || lower == b'b' as i32 {
                let (max, kind) = if lower == b'o' as i32 {
                    (b'7' as i32, "octal")
                } else {
                    (b'1' as i32, "binary")
                };
                c = self.nextc();
                loop {
                    if c == b'_' as i32 {
                        c = self.nextc();
                    }
                    if !(b'0' as i32..=max).contains(&c) {
                        if is_digit(c) {
                            return Err(self.raised(format!(
                                "invalid digit '{}' in {kind} literal",
                                c as u8 as char
                            )));
                        }
                        self.backup(c);
                        return Err(self.raised(format!("invalid {kind} literal")));
                    }
                    while (b'0' as i32..=max).contains(&c) {
                        c = self.nextc();
                    }
                    if c != b'_' as i32 {
                        break;
                    }
                }
                if is_digit(c) {
                    return Err(self.raised(format!(
                        "invalid digit '{}' in {kind} literal",
                        c as u8 as char
                    )));
                }
                self.verify_end_of_number(c, kind)?;
            } else {
                // "0", "00", "0_0", or an old-style octal, which is now an error.
                let mut nonzero = false;
                loop {
                    if c == b'_' as i32 {
                        c = self.nextc();
                        if !is_digit(c) {
                            self.backup(c);
                            return Err(self.raised("invalid decimal literal"));
                        }
                    }
                    if c != b'0' as i32 {
                        break;
                    }
                    c = self.nextc();
                }
                if is_digit(c) {
                    nonzero = true;
                    c = self.decimal_tail()?;
                }
                if c == b'.' as i32 {
                    let c2 = self.nextc();
                    return self.fraction(c2);
                } else if c == b'e' as i32 || c == b'E' as i32 {
                    return self.exponent(c);
                } else if c == b'j' as i32 || c == b'J' as i32 {
                    return self.imaginary();
                } else if nonzero {
                    self.backup(c);
                    let column = self.column(self.start);
                    return Err(self.error_at(
                        ErrorKind::Raised,
                        self.current_line(),
                        column,
                        "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers".to_string(),
                    ));
                }
                self.verify_end_of_number(c, "decimal")?;
            }
        } else {
            c = self.decimal_tail()?;
            if c == b'.' as i32 {
                let c2 = self.nextc();
                return self.fraction(c2);
            }
            if c == b'e' as i32 || c == b'E' as i32 {
                return self.exponent(c);
            }
            if c == b'j' as i32 || c == b'J' as i32 {
                return self.imaginary();
            }
            self.verify_end_of_number(c, "decimal")?;
        }
        self.backup(c);
        Ok(self.token(TokenKind::Number))
    }

    /// After the `.` of a number; `c` is the character after the dot.
    fn fraction(&mut self, mut c: i32) -> Result<Token, Failure> {
        if is_digit(c) {
            c = self.decimal_tail()?;
        }
        if c == b'e' as i32 || c == b'E' as i32 {
            return self.exponent(c);
        }
        if c == b'j' as i32 || c == b'J' as i32 {
            return self.imaginary();
        }
        self.verify_end_of_number(c, "decimal")?;
        self.backup(c);
        Ok(self.token(TokenKind::Number))
    }

    fn exponent(&mut self, e: i32) -> Result<Token, Failure> {
        let mut c = self.nextc();
        if c == b'+' as i32 || c == b'-' as i32 {
            c = self.nextc();
            if !is_digit(c) {
                self.backup(c);
                return Err(self.raised("invalid decimal literal"));
            }
        } else if !is_digit(c) {
            // "1e" followed by something else: the number ends before the "e".
            self.backup(c);
            self.verify_end_of_number(e, "decimal")?;
            self.backup(e);
            return Ok(self.token(TokenKind::Number));
        }
        c = self.decimal_tail()?;
        if c == b'j' as i32 || c == b'J' as i32 {
            return self.imaginary();
        }
        self.verify_end_of_number(c, "decimal")?;
        self.backup(c);
        Ok(self.token(TokenKind::Number))
    }

    fn imaginary(&mut self) -> Result<Token, Failure> {
        let c = self.nextc();
        self.verify_end_of_number(c, "imaginary")?;
        self.backup(c);
        Ok(self.token(TokenKind::Number))
    }

    /// After the operator's first byte `byte`.
    fn operator(&mut self, byte: u8) -> Result<Token, Failure> {
        // 0 stands for the end of the file: it is in no operator.
        let at = |i: usize| self.buf.get(i).copied().unwrap_or(0);
        let c2 = at(self.pos);
        if two_char_operator(byte, c2) {
            self.pos += 1;
            if three_char_operator(byte, c2, at(self.pos)) {
                self.pos += 1;
            }
            return Ok(self.operator_token());
        }
        match byte {
            b'(' | b'[' | b'{' => {
                if self.brackets.len() >= MAX_LEVEL {
                    return Err(self.raised("too many nested parentheses"));
                }
                self.brackets.push((byte, self.start_line, self.start));
            }
            b')' | b']' | b'}' => {
                let Some((opening, open_line, _)) = self.brackets.pop() else {
                    return Err(self.raised(format!("unmatched '{}'", byte as char)));
                };
                let matches = matches!((opening, byte), (b'(', b')') | (b'[', b']') | (b'{', b'}'));
                if !matches {
                    let message = if open_line != self.start_line {
                        format!(
                            "closing parenthesis '{}' does not match opening parenthesis '{}' on line {}",
                            byte as char,
                            opening as char,
                            open_line + 1
                        )
                    } else {
                        format!(
                            "closing parenthesis '{}' does not match opening parenthesis '{}'",
                            byte as char, opening as char
                        )
                    };
                    // The error is raised with the bracket already popped.
                    return Err(self.raised(message));
                }
            }
            _ => {}
        }
        if byte < 0x20 || byte == 0x7f {
            return Err(self.raised(format!("invalid non-printable character U+{:04X}", byte)));
        }
        Ok(self.operator_token())
    }
}

/// The index of the first of `targets` in `buf` from `from` (`buf.len()` if none).
/// Comments and string bodies are the longest runs of bytes the tokenizer skips, so
/// it looks at eight bytes at a time: a byte of `word ^ broadcast(t)` is zero where
/// the word has `t`, and `(x - 0x01..01) & !x & 0x80..80` marks zero bytes (exactly
/// up to the first one, which is all that is used).
fn find_any<const N: usize>(buf: &[u8], from: usize, targets: [u8; N]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let masks = targets.map(|t| u64::from_ne_bytes([t; 8]));
    let mut i = from;
    while let Some(chunk) = buf.get(i..i + 8) {
        let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let found = masks
            .iter()
            .fold(0, |found, &mask| found | zero_bytes(word ^ mask));
        if found != 0 {
            return i + (found.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while buf.get(i).is_some_and(|b| !targets.contains(b)) {
        i += 1;
    }
    i
}

/// The string prefixes CPython accepts: `b`, `r`, `u`, `f` in either case, with `r`
/// combined with `b` or `f` in either order.
fn is_string_prefix(prefix: &[u8]) -> bool {
    let (mut saw_b, mut saw_r, mut saw_u, mut saw_f) = (false, false, false, false);
    for &c in prefix {
        match c.to_ascii_lowercase() {
            b'b' if !(saw_b || saw_u || saw_f) => saw_b = true,
            b'u' if !(saw_b || saw_u || saw_r || saw_f) => saw_u = true,
            b'r' if !(saw_r || saw_u) => saw_r = true,
            b'f' if !(saw_f || saw_b || saw_u) => saw_f = true,
            _ => return false,
        }
    }
    true
}

fn two_char_operator(a: u8, b: u8) -> bool {
    matches!(
        (a, b),
        (b'!', b'=')
            | (b'%', b'=')
            | (b'&', b'=')
            | (b'*', b'*')
            | (b'*', b'=')
            | (b'+', b'=')
            | (b'-', b'=')
            | (b'-', b'>')
            | (b'/', b'/')
            | (b'/', b'=')
            | (b':', b'=')
            | (b'<', b'<')
            | (b'<', b'=')
            | (b'<', b'>')
            | (b'=', b'=')
            | (b'>', b'=')
            | (b'>', b'>')
            | (b'@', b'=')
            | (b'^', b'=')
            | (b'|', b'=')
    )
}

fn three_char_operator(a: u8, b: u8, c: u8) -> bool {
    matches!(
        (a, b, c),
        (b'*', b'*', b'=') | (b'/', b'/', b'=') | (b'<', b'<', b'=') | (b'>', b'>', b'=')
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(TokenKind, String, usize)> {
        let tokens = tokenize(source);
        tokens
            .tokens
            .iter()
            .map(|t| (t.kind, tokens.text_of(t).to_string(), t.line as usize))
            .collect()
    }

    fn error(source: &str) -> Option<(ErrorKind, usize, String)> {
        tokenize(source).error.map(|e| (e.kind, e.line, e.message))
    }

    /// A token map as a function: the old index of each of `n` new tokens, if any.
    fn as_function(map: &super::TokenMap, n: usize) -> Vec<Option<usize>> {
        (0..n)
            .map(|i| {
                let &(new, old, len) = map.runs().iter().rev().find(|&&(new, _, _)| new <= i)?;
                (i - new < len).then_some(old + (i - new))
            })
            .collect()
    }

    /// Composing token maps (runs before, between and after edits) gives the composition
    /// of the maps as functions, for every pair of small maps.
    #[test]
    fn token_maps_compose_as_functions() {
        use super::{Reused, TokenMap};
        let n = 12;
        // Every map of one call on 12 tokens with at most one island.
        let mut maps = Vec::new();
        for head in 0..4 {
            for tail_old in [head, head + 3, n] {
                for tail_new in [head, head + 2, n] {
                    let reused = Reused { head, tail_old, tail_new };
                    maps.push(TokenMap::of_call(reused, &[]));
                    if tail_old >= head + 3 && tail_new >= head + 3 {
                        maps.push(TokenMap::of_call(reused, &[(head + 1, head + 1, 1)]));
                    }
                }
            }
        }
        for a in &maps {
            for b in &maps {
                // (Runs to the end reach past `n`: the first map is read further on.)
                let (fa, fb) = (as_function(a, 4 * n), as_function(b, n));
                let expected: Vec<Option<usize>> = fb.iter().map(|&mid| mid.and_then(|m| fa.get(m).copied().flatten())).collect();
                assert_eq!(as_function(&a.then(b), n), expected, "{a:?} then {b:?}");
            }
        }
    }

    #[test]
    fn indentation_and_brackets() {
        use TokenKind::*;
        let got: Vec<TokenKind> = kinds("if x:\n    y = (1,\n 2)\n\n# c\nz\n")
            .into_iter()
            .map(|k| k.0)
            .collect();
        assert_eq!(
            got,
            vec![
                Name, Name, Op, Newline, Indent, Name, Op, Op, Number, Op, Number, Op, Newline,
                Dedent, Name, Newline, EndMarker
            ]
        );
    }

    #[test]
    fn dedent_sits_on_the_next_token_line() {
        let toks = kinds("if x:\n    y\nz\n");
        let dedent = toks.iter().find(|t| t.0 == TokenKind::Dedent).unwrap();
        assert_eq!(dedent.2, 2);
    }

    #[test]
    fn strings_with_prefixes_and_continuations() {
        let toks = kinds("x = rb'a\\'' f\"{y}\" '''a\nb''' 'c\\\nd'\n");
        let strings: Vec<&str> = toks
            .iter()
            .filter(|t| t.0 == TokenKind::String)
            .map(|t| t.1.as_str())
            .collect();
        assert_eq!(
            strings,
            vec!["rb'a\\''", "f\"{y}\"", "'''a\nb'''", "'c\\\nd'"]
        );
        assert_eq!(kinds("ur'x'\n")[0].1, "ur");
    }

    #[test]
    fn errors_and_their_lines() {
        assert_eq!(
            error("x = '''\n\n"),
            Some((
                ErrorKind::Raised,
                0,
                "unterminated triple-quoted string literal (detected at line 2)".into()
            ))
        );
        assert_eq!(
            error("a\nx = 'ab\n"),
            Some((
                ErrorKind::Raised,
                1,
                "unterminated string literal (detected at line 2)".into()
            ))
        );
        assert_eq!(
            error("x = (1,\n2\n"),
            Some((ErrorKind::Deferred, 0, "'(' was never closed".into()))
        );
        assert_eq!(
            error("x = 1)\n"),
            Some((ErrorKind::Raised, 0, "unmatched ')'".into()))
        );
        assert_eq!(
            error("x = (1,\n2]\n"),
            Some((
                ErrorKind::Raised,
                1,
                "closing parenthesis ']' does not match opening parenthesis '(' on line 1".into()
            ))
        );
        assert_eq!(error("if x:\n    y\n  z\n").map(|e| e.1), Some(2));
        assert_eq!(error("x = 0777\n").map(|e| e.1), Some(0));
        assert_eq!(
            error("x = 1_\n").map(|e| e.2),
            Some("invalid decimal literal".into())
        );
        assert_eq!(
            error("x = 1abc\n").map(|e| e.2),
            Some("invalid decimal literal".into())
        );
        assert_eq!(error("x = 1if y else 2\n"), None);
        assert_eq!(
            error("x = 0x\n").map(|e| e.2),
            Some("invalid hexadecimal literal".into())
        );
        assert_eq!(
            error("a = “x”\n").map(|e| e.2),
            Some("invalid character '“' (U+201C)".into())
        );
        assert_eq!(
            error("a = \u{a0}x\n").map(|e| e.2),
            Some("invalid non-printable character U+00A0".into())
        );
        assert_eq!(
            error("x = 1 \\\n").map(|e| e.2),
            Some("unexpected EOF while parsing".into())
        );
        assert_eq!(
            error("x = 1 \\ y\n").map(|e| e.2),
            Some("unexpected character after line continuation character".into())
        );
        assert_eq!(
            error("if x:\n\ty\n        z\n").map(|e| e.2),
            Some("inconsistent use of tabs and spaces in indentation".into())
        );
        assert_eq!(error("if x:\n\ty\n\tz\n"), None);
    }

    #[test]
    fn find_any_agrees_with_a_plain_scan() {
        // Each target followed by itself xor 1 (what the word trick flags wrongly
        // after a match), non-ASCII bytes, and targets at every offset of a word.
        let text = "x = '&\\]\n\u{b}' # é\n\"#\"\"a\nb\\\"\"\" + '''\n\n''' \u{80}\u{7f}\n'a'";
        let buf = text.as_bytes();
        let plain = |from: usize, targets: &[u8]| {
            (from..buf.len())
                .find(|&i| targets.contains(&buf[i]))
                .unwrap_or(buf.len())
        };
        for from in 0..=buf.len() {
            assert_eq!(find_any(buf, from, [b'\n']), plain(from, b"\n"));
            for quote in [b'\'', b'"'] {
                assert_eq!(
                    find_any(buf, from, [quote, b'\\', b'\n']),
                    plain(from, &[quote, b'\\', b'\n'])
                );
            }
        }
    }

    /// The kept text rewritten in place is the new text, and the common ends with an
    /// appended newline are those of the text made whole: on every pair of short texts
    /// of characters of one to three bytes sharing bytes, with and without the newline.
    #[test]
    fn the_kept_text_rewritten_in_place_is_the_new_text() {
        let pieces = ["a", "\n", "é", "è", "€", "x\n"];
        let texts: Vec<String> = (0..=4u32)
            .flat_map(|len| (0..6usize.pow(len)).map(move |n| (0..len).map(|k| pieces[n / 6usize.pow(k) % 6]).collect::<String>()))
            .collect();
        for old in texts.iter().filter(|t| t.is_empty() || t.ends_with('\n')) {
            for source in &texts {
                let newline = !source.is_empty() && !source.ends_with('\n');
                let whole = if newline { format!("{source}\n") } else { source.clone() };
                let (prefix, suffix) = common_ends_with_newline(old.as_bytes(), source.as_bytes(), newline);
                assert_eq!((prefix, suffix), common_ends(old.as_bytes(), whole.as_bytes()), "{old:?} -> {source:?}");
                let mut text = old.clone();
                rewrite(&mut text, source, newline, prefix);
                assert_eq!(text, whole, "{old:?} -> {source:?}");
            }
        }
    }

    #[test]
    fn a_byte_order_mark_is_an_error_in_a_str() {
        assert_eq!(
            error("\u{feff}x = 1\n").map(|e| e.2),
            Some("invalid non-printable character U+FEFF".into())
        );
    }

    #[test]
    fn crlf_and_lone_cr_are_newlines() {
        assert_eq!(error("x = 1\r\ny = (\r\n").map(|e| e.1), Some(1));
        assert_eq!(error("x = 1\ry = (\r").map(|e| e.1), Some(1));
        assert_eq!(error("if x:\r\n  y\r\n z\r\n").map(|e| e.1), Some(2));
        // A final "\r\n" adds a blank line in CPython.
        let tokens = tokenize("@x\r\n\r\n");
        assert_eq!(tokens.tokens.last().map(|t| t.line), Some(2));
    }

    #[test]
    fn never_panics_on_odd_input() {
        for source in [
            "",
            "\n",
            "\\",
            "'",
            "\"\"\"",
            "0",
            "0_",
            "1e",
            "1e+",
            "0b2",
            "0o8",
            "é",
            "\u{feff}",
            "\x0c\tx",
            "((((",
            "\u{0}",
            "\r",
            "a\u{301}b",
        ] {
            let _ = tokenize(source);
        }
        let deep = "(".repeat(300);
        assert_eq!(
            error(&deep).map(|e| e.2),
            Some("too many nested parentheses".into())
        );
    }

    /// `retokenize` of `new` after `old`: where whole lines were taken out, if that is
    /// all that changed (as `(at, text taken out)`).
    fn lines_deleted(old: &str, new: &str) -> Option<(usize, String)> {
        let kept = Kept::from_tokens(tokenize(old));
        let old_text = kept.text.clone();
        let (tokens, _) = retokenize(new, kept, &mut Found::default()).expect("no NUL");
        tokens.lines_deleted.map(|d| (d.at, old_text[d.at..d.at + d.len].to_string()))
    }

    #[test]
    fn whole_lines_taken_out_are_found_wherever_the_texts_differ_first() {
        // The common prefix runs into the line after the cut, or the cut is ambiguous.
        assert_eq!(lines_deleted("a\n    xb\n    yb\nc\n", "a\n    yb\nc\n"), Some((2, "    xb\n".into())));
        assert_eq!(lines_deleted("a\nb\nb\nc\n", "a\nb\nc\n"), Some((4, "b\n".into())));
        assert_eq!(lines_deleted("x\ny\nz\n", "y\nz\n"), Some((0, "x\n".into())));
        assert_eq!(lines_deleted("x\ny\nz\n", "x\ny\n"), Some((4, "z\n".into())));
        assert_eq!(lines_deleted("x\ny\nz", "x\nz"), Some((2, "y\n".into())));
        assert_eq!(lines_deleted("a\n1\n2\n3\nb\n", "a\n1\nb\n"), Some((4, "2\n3\n".into())));
        // Not whole lines, not only taken out, or a triple quote among them.
        assert_eq!(lines_deleted("abc\nd\n", "ac\nd\n"), None);
        assert_eq!(lines_deleted("a\nb\n", "a\nb\nc\n"), None);
        assert_eq!(lines_deleted("a\nb\nc\n", "a\nx\nc\n"), None);
        assert_eq!(lines_deleted("a\nb\nc\nd\n", "b\nd\n"), None);
        assert_eq!(lines_deleted("a\nx = '''\nc\n", "a\nc\n"), None);
        assert_eq!(lines_deleted("a\n\"\"\"\nc\n", "a\nc\n"), None);
        assert_eq!(lines_deleted("a\n'' \"\" '\nc\n", "a\nc\n"), Some((2, "'' \"\" '\n".into())));
        assert_eq!(lines_deleted("a\nb\n", "a\nb\n"), None);
    }
}

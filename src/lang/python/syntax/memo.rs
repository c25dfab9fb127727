//! Tokens and statement parses kept from one syntax check to the next.
//!
//! The sampler checks many states of one program, each a few lines away from the last,
//! and a long module's states are mostly the same statements again. The tokens are
//! re-made only around the edit ([`retokenize`]). A statement's parse (accepted or not,
//! where it ends, the furthest token it looked at) depends only on the tokens from its
//! first to its furthest one: their kinds, keywords and operators, bracket levels and
//! texts. Line numbers and offsets only ever go into error messages, and only a
//! statement that raised nothing is kept. So when a statement's tokens were taken over
//! unchanged from the last check, so is its parse, and the parser steps over it. Each
//! pass (plain, then with the `invalid_*` rules) keeps its own statements: the second
//! pass may raise in a statement the first accepted.

use std::cell::RefCell;

use super::super::tokenizer::{retokenize, Found, Kept, LinesDeleted, ReserveUse, TokenMap, Tokens};

/// A statement that parsed without raising: token indices of its first token, of the
/// token after it, and of the furthest token the parse looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Parsed {
    pub start: usize,
    pub end: usize,
    pub furthest: usize,
}

/// The parses of the statements of one token list, sorted by `start`, one list per pass.
pub(super) type Known = [Vec<Parsed>; 2];

/// What the last check on this thread leaves to the next.
#[derive(Default)]
struct Last {
    kept: Kept,
    known: Known,
    /// The tokens of the last program without a syntax error that are still those of the
    /// last check, and that program's number (see [`Tokens::since_last_valid`]).
    since_valid: Option<TokenMap>,
    /// The map of the current check's [`retokenize`], room for composing maps, and a
    /// map handed back (see [`give_back`]) for the next program without a syntax error.
    call: TokenMap,
    spare_runs: Vec<(usize, usize, usize)>,
    spare_map: Option<TokenMap>,
    /// What the current check's [`retokenize`] found besides its head and tail.
    found: Found,
    /// The map from the last program without a syntax error to the tokenization the
    /// kept tokens' reserve was taken from (see `tokenizer::Reserve`).
    reserve_map: Option<TokenMap>,
    generation: u64,
    /// The number of the valid program whose tokens its caller still has (see
    /// [`give_back`]): until they come back, `kept` is empty and `known` waits for them.
    lent: Option<u64>,
    /// The number of the valid program `kept` holds the tokens of, when it does (for
    /// [`LinesDeleted::after`]).
    kept_generation: u64,
}

thread_local! {
    static LAST: RefCell<Last> = RefCell::new(Last::default());
}

#[cfg(test)]
thread_local! {
    /// Statements stepped over on this thread (for the test that reuse happens at all).
    pub(super) static STEPPED_OVER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Tokenizes `source` reusing the last check's tokens, and returns the last check's
/// statement parses that are still valid, moved to the new token indices, and which
/// tokens were taken over; or the offset of a NUL byte in `source`.
pub(super) fn tokenize(source: &str) -> Result<(Tokens<'_>, Known), usize> {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let last = &mut *last;
        if last.lent.take().is_some() {
            // The tokens did not come back: start afresh.
            *last = Last { generation: last.generation, ..Last::default() };
        }
        let kept_generation = std::mem::take(&mut last.kept_generation);
        let (mut tokens, reused) = match retokenize(source, std::mem::take(&mut last.kept), &mut last.found) {
            Ok(done) => done,
            Err(nul) => {
                // Nothing was kept: the next check starts afresh.
                *last = Last { generation: last.generation, ..Last::default() };
                return Err(nul);
            }
        };
        tokens.lines_deleted = tokens.lines_deleted.filter(|_| kept_generation != 0).map(|d| LinesDeleted { after: kept_generation, ..d });
        last.call.set_call(reused, &last.found);
        let known = std::mem::take(&mut last.known);
        Ok((tokens, known.map(|parsed| carry(parsed, &last.call))))
    })
}

/// The parses whose tokens (through the furthest one the parser looked at) were all
/// taken over in one run of `map`, moved to the new indices.
fn carry(mut parsed: Vec<Parsed>, map: &TokenMap) -> Vec<Parsed> {
    // The parses come sorted by start, as the runs do by old index: one walk.
    let runs = map.runs();
    let mut r = 0;
    let run = |r: usize| runs.get(r).map_or((usize::MAX, usize::MAX, 0), |&(new, old, len)| (old, old.saturating_add(len), new));
    let (mut old, mut end, mut new) = run(0);
    parsed.retain_mut(|p| {
        while end <= p.start && r < runs.len() {
            r += 1;
            (old, end, new) = run(r);
        }
        if p.start < old || p.furthest >= end {
            return false;
        }
        if new != old {
            let moved = |i: usize| i - old + new;
            *p = Parsed { start: moved(p.start), end: moved(p.end), furthest: moved(p.furthest) };
        }
        true
    });
    parsed
}

/// Keeps the tokens and `known` (the carried-over statements plus those parsed now)
/// for the next check. For a program without a syntax error (`valid`: its number of
/// tokens), whose tokens go to the caller (`kept` is then empty; see [`give_back`]),
/// returns its number and its link to the last such program (for
/// [`Tokens::since_last_valid`]).
pub(super) fn keep(kept: Kept, mut known: Known, fresh: Known, valid: Option<usize>) -> (Option<(u64, TokenMap)>, u64) {
    for (list, new) in known.iter_mut().zip(fresh) {
        merge(list, new);
    }
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        let last = &mut *last;
        match last.found.reserve {
            ReserveUse::None => {}
            // The map to the tokens kept aside is the one to the kept tokens.
            ReserveUse::Saved => last.reserve_map.clone_from(&last.since_valid),
            ReserveUse::Met { .. } => {}
        }
        if let Some(since) = &mut last.since_valid {
            since.then_in_place(&last.call, &mut last.spare_runs);
            // The tokens taken over from the ones kept aside are those of the program
            // they came from.
            if let (ReserveUse::Met { new_from, old_from }, Some(earlier)) = (last.found.reserve, &last.reserve_map) {
                since.extend_moved(earlier, old_from, new_from);
            }
        }
        last.kept = kept;
        last.known = known;
        if valid.is_none() {
            return (None, 0);
        }
        let mut fresh_map = last.spare_map.take().unwrap_or_else(TokenMap::all);
        fresh_map.reset();
        let link = last.since_valid.replace(fresh_map).map(|m| (last.generation, m));
        last.generation += 1;
        last.lent = Some(last.generation);
        (link, last.generation)
    })
}

/// Adds the statements parsed now to the sorted `list`. They are few next to it, and
/// come in the order their parses ended (a compound statement after those in its
/// block): sorted apart, then merged in from the back, so that only the entries after
/// the first new one move (sorting the whole list costs O(n log n) on every check).
/// The parser steps over every statement of `list`, so none of the new ones is already
/// there; the same statement parsed twice (after backtracking) is kept once.
fn merge(list: &mut Vec<Parsed>, mut new: Vec<Parsed>) {
    if new.is_empty() {
        return;
    }
    new.sort_unstable_by_key(|p| p.start);
    new.dedup_by_key(|p| p.start);
    let old_len = list.len();
    list.extend_from_slice(&new);
    let (mut i, mut j) = (old_len, new.len());
    // `list[..i]` and `new[..j]` are left to merge into `list[..i + j]`.
    while j > 0 {
        let p = new[j - 1];
        while i > 0 && list[i - 1].start > p.start {
            list[i + j - 1] = list[i - 1];
            i -= 1;
        }
        debug_assert!(i == 0 || list[i - 1].start != p.start, "a statement stepped over was parsed again");
        list[i + j - 1] = p;
        j -= 1;
    }
}

/// Takes back the tokens of a program without a syntax error once the caller is done
/// with them, so that the next check can reuse them without a copy.
pub fn give_back(mut tokens: Tokens) {
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        if last.lent == Some(tokens.generation) {
            last.spare_map = tokens.since_last_valid.take().map(|(_, map)| map);
            last.kept_generation = tokens.generation;
            last.kept = Kept::from_tokens(tokens);
            last.lent = None;
        }
    });
}

/// Where the kept parse of the statement starting at token `start` is in `known`
/// (`Ok`), or where it would go (`Err`), searched from `from`: the parser asks for
/// statements mostly in the order they start, so the answer is most often at `from`
/// (the entry after the last one asked for) or just after it. It gallops forward from
/// there (a statement stepped over is followed by those in its block), and searches
/// all that is before `from` only when the parser went back.
pub(super) fn find_from(known: &[Parsed], from: usize, start: usize) -> Result<usize, usize> {
    let from = from.min(known.len());
    let (lo, hi) = match known.get(from) {
        Some(p) if p.start == start => return Ok(from),
        Some(p) if p.start < start => {
            let (mut lo, mut step) = (from + 1, 1);
            loop {
                let probe = from + step;
                match known.get(probe) {
                    None => break (lo, known.len()),
                    Some(p) if p.start >= start => break (lo, probe + 1),
                    Some(_) => (lo, step) = (probe + 1, step * 2),
                }
            }
        }
        _ if from == 0 || known[from - 1].start < start => return Err(from),
        _ => (0, from),
    };
    match known[lo..hi].binary_search_by_key(&start, |p| p.start) {
        Ok(i) => Ok(lo + i),
        Err(i) => Err(lo + i),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};

    use super::super::super::tokenizer::{tokenize, Found, Kept};
    use super::super::{check, check_fresh};
    use super::retokenize;
    use crate::lang::python::{fixture_programs, indent_of, longest_fixture_program, Watched};
    use crate::lintseq::{rng::path_rng, sampler::sample_deletions, SamplerConfig};

    /// Checks that the tokens re-made from `kept` and the verdict with reuse are exactly
    /// the ones made from scratch, then keeps `source`'s tokens.
    fn compare(kept: &Mutex<Kept>, source: &str) {
        let mut kept = kept.lock().unwrap();
        if source.contains('\0') {
            // Refused before tokenizing, and nothing is kept.
            assert_eq!(check(source), check_fresh(source), "verdict on {source:?}");
            *kept = Kept::default();
            return;
        }
        let (again, _) = retokenize(source, std::mem::take(&mut *kept), &mut Found::default()).expect("no NUL byte");
        let full = tokenize(source);
        assert_eq!(again.tokens, full.tokens, "tokens of {source:?}");
        assert_eq!(again.error, full.error, "tokenizer error of {source:?}");
        assert_eq!(again.indent_log, full.indent_log, "indentation of {source:?}");
        // What was made with reuse is kept (with its reserve, when it stops at an error).
        *kept = Kept::from_tokens(again);
        assert_eq!(check(source), check_fresh(source), "verdict on {source:?}");
    }

    /// The search from a hint finds what a binary search of the whole list finds, from
    /// any hint, for statements present or not.
    #[test]
    fn find_from_agrees_with_a_binary_search() {
        use super::{find_from, Parsed};
        let starts = [0, 2, 3, 5, 8, 9, 10, 14, 15, 20, 21, 22, 30];
        for len in 0..=starts.len() {
            let known: Vec<Parsed> = starts[..len].iter().map(|&start| Parsed { start, end: start + 1, furthest: start + 1 }).collect();
            for from in 0..=len + 1 {
                for start in 0..32 {
                    let expected = known.binary_search_by_key(&start, |p| p.start);
                    assert_eq!(find_from(&known, from, start), expected, "{len} entries, from {from}, start {start}");
                }
            }
        }
    }

    /// Reuse must not silently stop: after a long program, the same program with a syntax
    /// error near its end (a line cut in half) is re-tokenized from near the cut only,
    /// and the parser steps over the statements before it.
    #[test]
    fn a_state_one_line_away_reuses_tokens_and_parses() {
        let program = &longest_fixture_program();
        let lines: Vec<&str> = program.split('\n').collect();
        let cut = (0..lines.len()).rev().find(|&i| lines[i].trim_end().ends_with(')')).expect("a line ending in ')'");
        let mut broken = lines.clone();
        let half = lines[cut].trim_end().trim_end_matches(')');
        broken[cut] = half;
        let state = broken.join("\n");
        assert!(check(program).is_none(), "the fixture program is valid");
        let kept = Kept::from_tokens(tokenize(program));
        let (_, reused) = retokenize(&state, kept, &mut Found::default()).expect("no NUL byte");
        let before = super::STEPPED_OVER.with(|n| n.get());
        assert!(check(&state).is_some(), "a cut call is a syntax error");
        let stepped = super::STEPPED_OVER.with(|n| n.get()) - before;
        let statements = lines[..cut].iter().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count();
        assert!(reused.head * 2 > tokenize(program).tokens.len(), "{reused:?}");
        assert!(stepped * 4 >= statements, "{stepped} statements stepped over before line {cut}");
    }

    /// The tail is taken over too: deleting one simple statement in the middle of a long
    /// program re-makes only the tokens of the lines around it. (Every logical line ends
    /// with a token that ends where its NEWLINE starts; the kept NEWLINE must still be
    /// found behind it.)
    #[test]
    fn a_line_deleted_in_the_middle_re_makes_only_its_neighbourhood() {
        let program = &longest_fixture_program();
        let lines: Vec<&str> = program.split('\n').collect();
        let indent = indent_of;
        let simple = |l: &str| {
            let t = l.trim();
            t.contains(" = ") && !t.starts_with('#') && !t.ends_with(['\\', ',', '(', '[', '{', ':']) && !t.contains("\"\"\"") && !t.contains("'''")
        };
        let middle = lines.len() / 2;
        let cut = (middle..lines.len() - 1)
            .find(|&i| simple(lines[i]) && simple(lines[i - 1]) && indent(lines[i]) == indent(lines[i + 1]) && indent(lines[i]) == indent(lines[i - 1]))
            .expect("a simple statement between two at its indentation");
        let state: String = lines.iter().enumerate().filter(|(i, _)| *i != cut).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        let old_len = tokenize(program).tokens.len();
        let (tokens, reused) = retokenize(&state, Kept::from_tokens(tokenize(program)), &mut Found::default()).expect("no NUL byte");
        assert_eq!(tokens.tokens, tokenize(&state).tokens);
        assert!(reused.tail_old < old_len, "nothing after line {cut} was taken over: {reused:?}");
        assert!(reused.tail_new - reused.head < 40, "{} tokens re-made for one deleted line: {reused:?}", reused.tail_new - reused.head);
    }

    /// In brackets there is no NEWLINE to meet the kept tokens again at: a program whose
    /// first line opens a bracket that never closes is in brackets to its end, and a line
    /// deleted in its middle must still re-make only the tokens around it (the tokenizer
    /// restarts in brackets and meets the kept tokens at a line start), with the kept
    /// error moved: "'(' was never closed", on line 1 still.
    #[test]
    fn a_line_deleted_inside_an_unclosed_bracket_re_makes_only_its_neighbourhood() {
        let program = &longest_fixture_program();
        let opened = format!("x = (\n{program}");
        let lines: Vec<&str> = opened.split('\n').collect();
        let plain = |l: &str| !l.trim().is_empty() && !l.contains(['\'', '"', '#', '\\']);
        let cut = (lines.len() / 2..lines.len() - 1).find(|&i| plain(lines[i - 1]) && plain(lines[i]) && plain(lines[i + 1])).expect("three plain lines");
        let state: String = lines.iter().enumerate().filter(|(i, _)| *i != cut).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        let kept = tokenize(&opened);
        assert!(kept.error.as_ref().is_some_and(|e| e.message == "'(' was never closed" && e.line == 0), "{:?}", kept.error);
        let old_len = kept.tokens.len();
        let (tokens, reused) = retokenize(&state, Kept::from_tokens(kept), &mut Found::default()).expect("no NUL byte");
        let fresh = tokenize(&state);
        assert_eq!(tokens.tokens, fresh.tokens);
        assert_eq!(tokens.error, fresh.error);
        assert_eq!(tokens.indent_log, fresh.indent_log);
        assert!(reused.tail_old < old_len, "nothing after line {cut} was taken over: {reused:?}");
        assert!(reused.tail_new - reused.head < 40, "{} tokens re-made for one deleted line: {reused:?}", reused.tail_new - reused.head);

        // The bracket opened after the edit instead: the error moves up a line with it.
        let program_lines: Vec<&str> = program.split('\n').collect();
        let last = program_lines.len() - 1;
        let late = [&program_lines[..last], &["y = ("], &program_lines[last..]].concat().join("\n");
        let lines: Vec<&str> = late.split('\n').collect();
        let simple = |l: &str| l.trim().contains(" = ") && plain(l) && !l.trim_end().ends_with(['(', '[', '{', ',', ':']);
        let cut = (lines.len() / 2..lines.len() - 1).find(|&i| simple(lines[i])).expect("a simple statement");
        let state: String = lines.iter().enumerate().filter(|(i, _)| *i != cut).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
        let kept = tokenize(&late);
        assert!(kept.error.as_ref().is_some_and(|e| e.line == last), "{:?}", kept.error);
        let (tokens, reused) = retokenize(&state, Kept::from_tokens(kept), &mut Found::default()).expect("no NUL byte");
        let fresh = tokenize(&state);
        assert_eq!(tokens.tokens, fresh.tokens);
        assert_eq!(tokens.error, fresh.error);
        assert!(tokens.error.as_ref().is_some_and(|e| e.line == last - 1), "{:?}", tokens.error);
        assert!(reused.tail_new - reused.head < 40, "{} tokens re-made for one deleted line: {reused:?}", reused.tail_new - reused.head);
    }

    /// Once a program's tokens stop at an error (a bracket left open, an unindent that
    /// matches no outer level), they hold nothing the next program's tokens can meet
    /// after the edit. The tail of the last complete tokenization is kept aside for that:
    /// taking the broken line out again re-makes only the tokens around it, and the rest
    /// is that tail, moved, exactly as a fresh tokenization makes it.
    #[test]
    fn after_a_state_that_stops_at_an_error_the_last_complete_tail_is_met() {
        use crate::lang::python::tokenizer::REMADE;
        let program = &longest_fixture_program();
        let lines: Vec<&str> = program.split('\n').collect();
        let indent = indent_of;
        let plain = |l: &str| !l.trim().is_empty() && !l.contains(['\'', '"', '#', '\\']) && !l.trim_end().ends_with(['(', '[', '{', ',', ':']);
        // A plain line at indentation 4 or more, a few lines in: a line inserted after it
        // two columns less indented dedents to no level.
        let at = (3..lines.len() - 8).find(|&i| plain(lines[i]) && indent(lines[i]) >= 4 && plain(lines[i + 1]) && indent(lines[i + 1]) == indent(lines[i])).expect("a plain indented line");
        let odd = format!("{}y = 1", " ".repeat(indent(lines[at]) - 2));
        let opened = "z = (".to_string();
        for broken_line in [odd, opened] {
            let broken: String = [&lines[..=at], &[broken_line.as_str()], &lines[at + 1..]].concat().join("\n");
            let kept = Kept::from_tokens(tokenize(program));
            let (tokens, _) = retokenize(&broken, kept, &mut Found::default()).expect("no NUL byte");
            let fresh = tokenize(&broken);
            assert!(fresh.error.is_some(), "{broken_line:?} breaks the program");
            assert_eq!((&tokens.tokens, &tokens.error), (&fresh.tokens, &fresh.error));
            // The broken line taken out again, and another line taken out after it: the
            // tokens after the edit are the kept tail's.
            let total = tokenize(program).tokens.len();
            let later = (at + 2..lines.len() - 1).find(|&i| plain(lines[i]) && indent(lines[i]) == indent(lines[i + 1]) && indent(lines[i]) == indent(lines[i - 1])).expect("a plain line");
            let restored: String = lines.iter().enumerate().filter(|(i, _)| *i != later).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
            for (state, kept) in [(program.to_string(), Kept::from_tokens(tokens)), (restored, {
                let (tokens, _) = retokenize(&broken, Kept::from_tokens(tokenize(program)), &mut Found::default()).expect("no NUL byte");
                Kept::from_tokens(tokens)
            })] {
                let (again, reused) = retokenize(&state, kept, &mut Found::default()).expect("no NUL byte");
                let fresh = tokenize(&state);
                assert_eq!(again.tokens, fresh.tokens, "{broken_line:?}");
                assert_eq!(again.error, fresh.error);
                assert_eq!(again.indent_log, fresh.indent_log);
                let remade = REMADE.with(|r| r.get());
                // (Without the reserve: every token after the edit.)
                assert!(remade < 60 && remade * 3 < total - reused.head, "{remade} of {total} tokens re-made after {broken_line:?}: {reused:?}");
            }
        }
    }

    /// The sampler's own sequences of states, on every fixture program with three seeds:
    /// tokens and verdicts with reuse equal those made from scratch.
    #[test]
    fn reuse_gives_what_a_fresh_check_gives_on_sampled_states() {
        let kept = Arc::new(Mutex::new(Kept::default()));
        let calls = Arc::new(AtomicUsize::new(0));
        let (watched_kept, watched_calls) = (kept.clone(), calls.clone());
        let lang = Watched(move |source: &str| {
            compare(&watched_kept, source);
            watched_calls.fetch_add(1, Ordering::Relaxed);
        });
        let cfg = SamplerConfig::default();
        for (row, program) in fixture_programs().iter().enumerate() {
            for seed in 0..3 {
                let _ = sample_deletions(&lang, program, &cfg, &mut path_rng(seed, row as u64, 0));
            }
        }
        let calls = calls.load(Ordering::Relaxed);
        eprintln!("{calls} lint calls compared");
        assert!(calls > 5_000, "only {calls} lint calls compared");
    }

    /// Edits the sampler never makes (insertions, changed indentation, brackets and
    /// strings opened and closed, `\r`, NUL, text swapped between programs): still exact.
    #[test]
    fn reuse_gives_what_a_fresh_check_gives_on_arbitrary_edits() {
        let kept = Mutex::new(Kept::default());
        let mut rng = 7u64;
        let mut next = |bound: usize| {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((rng >> 33) as usize) % bound.max(1)
        };
        let pieces = ["(", ")", "'''", "\"", "\\", "    ", "\t", "if x:", "else:", "# c", "\n", "\n    ", "\n\n", "def f():\n", "x = [\n", "\r\n", "\r", "\0"];
        for program in fixture_programs().iter().take(80) {
            let mut state = program.clone();
            for _ in 0..12 {
                let mut at = next(state.len() + 1);
                while !state.is_char_boundary(at) {
                    at -= 1;
                }
                match next(3) {
                    0 => state.insert_str(at, pieces[next(pieces.len())]),
                    1 => {
                        let mut end = (at + next(40)).min(state.len());
                        while !state.is_char_boundary(end) {
                            end -= 1;
                        }
                        state.replace_range(at..end, "");
                    }
                    _ => {
                        let lines: Vec<&str> = state.split('\n').collect();
                        let drop = next(lines.len());
                        state = lines.iter().enumerate().filter(|(i, _)| *i != drop).map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
                    }
                }
                compare(&kept, &state);
            }
        }
    }
}

//! Questions as tokens, and the English words the engine knows regardless of the schema:
//! question words, aggregates, comparisons, dates, grouping and ordering.

use chrono::NaiveDate;

use crate::{
    query::{Direction, Granularity},
    words,
};

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    /// Lower case, as written.
    pub raw: String,
    /// Lower case and singular, as the lexicon keys names.
    pub key: String,
    pub kind: TokenKind,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum TokenKind {
    Word,
    Number(f64),
    Date(NaiveDate),
}

/// Splits a question into words, numbers (`1,200`, `$15.50`) and ISO dates. `n't` becomes
/// a separate "not", so "aren't" reads as a negation.
pub(super) fn tokenize(question: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let lower = question.to_lowercase();
    let chars: Vec<char> = lower.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || matches!(chars[i], '.' | ',' | '-')) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect::<String>().trim_end_matches(['.', ',', '-']).to_owned();
            i = start + text.chars().count();
            push_number(&mut tokens, &text);
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '\'' || chars[i] == '’') {
                i += 1;
            }
            let word: String = chars[start..i].iter().filter(|c| c.is_alphanumeric()).collect();
            if let Some(base) = word.strip_suffix("nt").filter(|_| chars[start..i].contains(&'\'')) {
                let base = match base {
                    "ca" => "can",
                    "wo" => "will",
                    other => other,
                };
                push_word(&mut tokens, base.to_owned());
                push_word(&mut tokens, "not".to_owned());
            } else if is_quarter(&word) {
                push_word(&mut tokens, word);
            } else {
                for part in words::split(&word) {
                    push_word(&mut tokens, part);
                }
            }
        } else {
            i += 1;
        }
    }
    tokens
}

/// "q1" to "q4" stay whole, where a letter and a digit would otherwise split.
fn is_quarter(word: &str) -> bool {
    matches!(word, "q1" | "q2" | "q3" | "q4")
}

fn push_word(tokens: &mut Vec<Token>, raw: String) {
    let key = words::singular(&raw);
    tokens.push(Token { raw, key, kind: TokenKind::Word });
}

fn push_number(tokens: &mut Vec<Token>, text: &str) {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        tokens.push(Token { raw: text.to_owned(), key: text.to_owned(), kind: TokenKind::Date(date) });
        return;
    }
    let plain = text.replace(',', "");
    if let Ok(value) = plain.parse::<f64>() {
        tokens.push(Token { raw: plain.clone(), key: plain, kind: TokenKind::Number(value) });
    }
}

/// What a known English phrase means to the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    /// "how many", "number of": a count of what follows.
    Count,
    /// "distinct", "different", "unique".
    Distinct,
    Sum,
    Avg,
    Min,
    Max,
    /// "first": a part of a year ("first quarter"), else the earliest.
    First,
    /// "most expensive" (descending), "cheapest" (ascending): ranked by a price.
    Priced(Direction),
    /// "most", "fewest": a superlative over a count or measure.
    Most,
    Least,
    Top,
    Bottom,
    /// "by", "per", "for each": group by what follows.
    By,
    /// "daily", "monthly": group by a time grain.
    Every(Granularity),
    /// A unit of time ("month", "year"), after "by", "last" or a number.
    Unit(Granularity),
    Compare(Comparison),
    Between,
    And,
    Or,
    In,
    Since,
    Before,
    After,
    Last,
    This,
    Today,
    Yesterday,
    Month(u32),
    Quarter(u32),
    Not,
    /// "sorted by", "ordered by".
    OrderBy,
    Ascending,
    Descending,
    /// "list", "show", "which": the rows themselves.
    List,
    /// Words that carry no meaning for the query ("the", "of", "placed").
    Filler,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Comparison {
    Gt,
    Gte,
    Lt,
    Lte,
}

/// Phrases, longest first within each meaning; matched on the raw lower-case words.
const PHRASES: &[(&str, Keyword)] = {
    use Comparison::{Gt, Gte, Lt, Lte};
    use Granularity::{Day, Week, Year};
    use Keyword::*;
    &[
        ("how many", Count),
        ("number of", Count),
        ("count of", Count),
        ("count", Count),
        ("total number of", Count),
        ("distinct", Distinct),
        ("different", Distinct),
        ("unique", Distinct),
        ("sum of", Sum),
        ("sum", Sum),
        ("total", Sum),
        ("average", Avg),
        ("avg", Avg),
        ("mean", Avg),
        ("minimum", Min),
        ("min", Min),
        ("lowest", Min),
        ("smallest", Min),
        ("maximum", Max),
        ("max", Max),
        ("highest", Max),
        ("largest", Max),
        ("biggest", Max),
        ("greatest", Max),
        ("longest", Max),
        ("latest", Max),
        ("newest", Max),
        ("most recent", Max),
        ("shortest", Min),
        ("earliest", Min),
        ("first", First),
        ("most expensive", Priced(Direction::Desc)),
        ("priciest", Priced(Direction::Desc)),
        ("dearest", Priced(Direction::Desc)),
        ("least expensive", Priced(Direction::Asc)),
        ("cheapest", Priced(Direction::Asc)),
        ("most", Most),
        ("least", Least),
        ("fewest", Least),
        ("top", Top),
        ("bottom", Bottom),
        ("by", By),
        ("per", By),
        ("for each", By),
        ("for every", By),
        ("in each", By),
        ("each", By),
        ("grouped by", By),
        ("broken down by", By),
        ("daily", Every(Day)),
        ("weekly", Every(Week)),
        ("monthly", Every(Granularity::Month)),
        ("quarterly", Every(Granularity::Quarter)),
        ("yearly", Every(Year)),
        ("annually", Every(Year)),
        ("annual", Every(Year)),
        ("day", Unit(Day)),
        ("days", Unit(Day)),
        ("week", Unit(Week)),
        ("weeks", Unit(Week)),
        ("month", Unit(Granularity::Month)),
        ("months", Unit(Granularity::Month)),
        ("quarter", Unit(Granularity::Quarter)),
        ("quarters", Unit(Granularity::Quarter)),
        ("year", Unit(Year)),
        ("years", Unit(Year)),
        ("more than", Compare(Gt)),
        ("greater than", Compare(Gt)),
        ("higher than", Compare(Gt)),
        ("larger than", Compare(Gt)),
        ("over", Compare(Gt)),
        ("above", Compare(Gt)),
        ("exceeding", Compare(Gt)),
        ("at least", Compare(Gte)),
        ("no less than", Compare(Gte)),
        ("less than", Compare(Lt)),
        ("fewer than", Compare(Lt)),
        ("lower than", Compare(Lt)),
        ("smaller than", Compare(Lt)),
        ("under", Compare(Lt)),
        ("below", Compare(Lt)),
        ("at most", Compare(Lte)),
        ("no more than", Compare(Lte)),
        ("up to", Compare(Lte)),
        ("between", Between),
        ("and", And),
        ("or", Or),
        ("in", In),
        ("during", In),
        ("since", Since),
        ("before", Before),
        ("prior to", Before),
        ("until", Before),
        ("after", After),
        ("last", Last),
        ("past", Last),
        ("previous", Last),
        ("this", This),
        ("current", This),
        ("today", Today),
        ("yesterday", Yesterday),
        ("january", Month(1)),
        ("february", Month(2)),
        ("march", Month(3)),
        ("april", Month(4)),
        ("may", Month(5)),
        ("june", Month(6)),
        ("july", Month(7)),
        ("august", Month(8)),
        ("september", Month(9)),
        ("october", Month(10)),
        ("november", Month(11)),
        ("december", Month(12)),
        ("jan", Month(1)),
        ("feb", Month(2)),
        ("mar", Month(3)),
        ("apr", Month(4)),
        ("jun", Month(6)),
        ("jul", Month(7)),
        ("aug", Month(8)),
        ("sep", Month(9)),
        ("sept", Month(9)),
        ("oct", Month(10)),
        ("nov", Month(11)),
        ("dec", Month(12)),
        ("q1", Quarter(1)),
        ("q2", Quarter(2)),
        ("q3", Quarter(3)),
        ("q4", Quarter(4)),
        ("not", Not),
        ("excluding", Not),
        ("except", Not),
        ("other than", Not),
        ("outside", Not),
        ("outside of", Not),
        ("sorted by", OrderBy),
        ("ordered by", OrderBy),
        ("order by", OrderBy),
        ("sort by", OrderBy),
        ("sorted", OrderBy),
        ("ranked by", OrderBy),
        ("ascending", Ascending),
        ("descending", Descending),
        ("alphabetically", Ascending),
        ("alphabetical order", Ascending),
        ("in alphabetical order", Ascending),
        ("list", List),
        ("show", List),
        ("display", List),
        ("which", List),
        ("what", List),
        ("who", List),
        ("give", List),
        ("find", List),
        ("get", List),
        ("how much", Filler),
        ("up", Filler),
        ("the", Filler),
        ("a", Filler),
        ("an", Filler),
        ("of", Filler),
        ("is", Filler),
        ("are", Filler),
        ("was", Filler),
        ("were", Filler),
        ("be", Filler),
        ("been", Filler),
        ("there", Filler),
        ("me", Filler),
        ("us", Filler),
        ("please", Filler),
        ("to", Filler),
        ("with", Filler),
        ("that", Filler),
        ("whose", Filler),
        ("have", Filler),
        ("has", Filler),
        ("had", Filler),
        ("do", Filler),
        ("does", Filler),
        ("did", Filler),
        ("all", Filler),
        ("their", Filler),
        ("its", Filler),
        ("on", Filler),
        ("at", Filler),
        ("for", Filler),
        ("from", Filler),
        ("so far", Filler),
        ("overall", Filler),
        ("altogether", Filler),
        ("in total", Filler),
        ("we", Filler),
        ("our", Filler),
        ("i", Filler),
        ("my", Filler),
        ("value", Filler),
        ("amount", Filler),
        ("placed", Filler),
        ("sold", Filler),
        ("bought", Filler),
        ("purchased", Filler),
        ("made", Filler),
        ("recorded", Filler),
        ("registered", Filler),
        ("exist", Filler),
        ("listed", Filler),
        ("along", Filler),
        ("them", Filler),
        ("they", Filler),
        ("it", Filler),
        ("one", Filler),
        ("ones", Filler),
        ("s", Filler),
        ("time", Filler),
        ("when", Filler),
        ("where", Filler),
        ("whom", Filler),
        ("rows", Filler),
        ("records", Filler),
        ("entries", Filler),
    ]
};

/// The longest keyword phrase starting at `tokens[start]`: its meaning and its length.
pub(super) fn keyword_at(tokens: &[Token], start: usize) -> Option<(Keyword, usize)> {
    PHRASES
        .iter()
        .filter_map(|(phrase, keyword)| {
            let words: Vec<&str> = phrase.split(' ').collect();
            let candidate = tokens.get(start..start + words.len())?;
            let matches = candidate.iter().zip(&words).all(|(t, w)| t.kind == TokenKind::Word && t.raw == *w);
            matches.then_some((*keyword, words.len()))
        })
        .max_by_key(|(_, len)| *len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_contractions_tokenize() {
        let tokens = tokenize("Orders over $1,200.50 after 2024-03-01 that aren't shipped?");
        let raw: Vec<&str> = tokens.iter().map(|t| t.raw.as_str()).collect();
        assert_eq!(raw, ["orders", "over", "1200.50", "after", "2024-03-01", "that", "are", "not", "shipped"]);
        assert_eq!(tokens[0].key, "order");
        assert_eq!(tokens[2].kind, TokenKind::Number(1200.5));
        assert!(matches!(tokens[4].kind, TokenKind::Date(_)));
    }

    #[test]
    fn the_longest_phrase_wins() {
        let tokens = tokenize("total number of orders");
        assert_eq!(keyword_at(&tokens, 0), Some((Keyword::Count, 3)));
        assert_eq!(keyword_at(&tokens, 3), None);
    }
}

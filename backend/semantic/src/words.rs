//! Names as words: `order_items`, `OrderItems` and `orderItems` all read as "order items",
//! and "categories" matches "category". Both the draft and the rule-based engine go through
//! here, so a name is split the same way wherever it is compared.

/// The lower-case words of an identifier or a phrase: split on anything not a letter or a
/// digit, and at lower-to-upper case changes (`OrderDate`) and the end of an acronym
/// (`HTTPServer` → "http server").
pub fn split(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            flush(&mut current, &mut words);
            continue;
        }
        if let Some(&previous) = i.checked_sub(1).and_then(|p| chars.get(p)) {
            let next_is_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            let camel = previous.is_lowercase() && c.is_uppercase();
            let acronym_end = previous.is_uppercase() && c.is_uppercase() && next_is_lower;
            let letter_digit = previous.is_alphabetic() != c.is_alphabetic() && previous.is_alphanumeric();
            if camel || acronym_end || letter_digit {
                flush(&mut current, &mut words);
            }
        }
        current.extend(c.to_lowercase());
    }
    flush(&mut current, &mut words);
    words
}

fn flush(current: &mut String, words: &mut Vec<String>) {
    if !current.is_empty() {
        words.push(std::mem::take(current));
    }
}

/// Irregular plurals common in data models; the regular rules below handle the rest.
const IRREGULAR: &[(&str, &str)] = &[
    ("person", "people"),
    ("child", "children"),
    ("man", "men"),
    ("woman", "women"),
    ("datum", "data"),
    ("criterion", "criteria"),
    ("medium", "media"),
];

/// Words ending in `s` that are already singular ("status", "address", "analysis").
fn looks_singular(word: &str) -> bool {
    ["ss", "us", "is", "ics", "news", "series"].iter().any(|end| word.ends_with(end))
}

/// The singular of an English noun, by the regular rules; words it does not recognise as
/// plural come back unchanged, so applying it to a singular is harmless.
pub fn singular(word: &str) -> String {
    if let Some((one, _)) = IRREGULAR.iter().find(|(_, many)| *many == word) {
        return (*one).to_owned();
    }
    if word.len() <= 3 || looks_singular(word) || !word.ends_with('s') {
        return word.to_owned();
    }
    // "statuses", "buses": the singular ends in "us", which the rule below keeps.
    if let Some(stem) = word.strip_suffix("uses") {
        return format!("{stem}us");
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for ending in ["sses", "xes", "ches", "shes", "zes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_owned();
        }
    }
    word[..word.len() - 1].to_owned()
}

/// The plural of an English noun, the inverse of [`singular`] for regular nouns.
pub fn plural(word: &str) -> String {
    if let Some((_, many)) = IRREGULAR.iter().find(|(one, _)| *one == word) {
        return (*many).to_owned();
    }
    let vowel_before_y = word.len() > 1 && word[..word.len() - 1].ends_with(['a', 'e', 'i', 'o', 'u']);
    if word.ends_with('y') && !vowel_before_y {
        return format!("{}ies", &word[..word.len() - 1]);
    }
    if ["s", "x", "ch", "sh", "z"].iter().any(|end| word.ends_with(end)) {
        return format!("{word}es");
    }
    format!("{word}s")
}

/// A crude stem of an English word, enough to meet a verb and the name it is in:
/// "hired" and "hire" (`HireDate`), "admitted" and "admit", "opened" and "open".
pub fn stem(word: &str) -> String {
    let mut stem = word.to_owned();
    if let Some(suffix) =
        ["ing", "ed", "es", "s", "e"].into_iter().find(|s| word.len() > s.len() + 2 && word.ends_with(s))
    {
        stem.truncate(word.len() - suffix.len());
    }
    // "admitt" → "admit", "shipp" → "ship"; "fill", "pass" keep theirs.
    let bytes = stem.as_bytes();
    if let [.., a, b] = bytes
        && a == b
        && bytes.len() > 3
        && !matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'l' | b's' | b'z')
    {
        stem.pop();
    }
    stem
}

/// A phrase for people: the words of `name` joined by spaces.
pub fn phrase(name: &str) -> String {
    split(name).join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_into_words_in_every_naming_style() {
        assert_eq!(split("order_items"), ["order", "items"]);
        assert_eq!(split("OrderItems"), ["order", "items"]);
        assert_eq!(split("orderDate"), ["order", "date"]);
        assert_eq!(split("HTTPServerLog"), ["http", "server", "log"]);
        assert_eq!(split("Q1 2024"), ["q", "1", "2024"]);
        assert_eq!(split("  line-no "), ["line", "no"]);
    }

    #[test]
    fn verbs_meet_the_names_they_are_in() {
        for (verb, name) in
            [("hired", "hire"), ("admitted", "admit"), ("opened", "open"), ("shipped", "ship"), ("priced", "price")]
        {
            assert_eq!(stem(verb), stem(name), "{verb} {name}");
        }
        assert_ne!(stem("order"), stem("ordinal"));
    }

    #[test]
    fn singular_and_plural_invert_each_other_for_regular_nouns() {
        for (one, many) in [
            ("category", "categories"),
            ("order", "orders"),
            ("box", "boxes"),
            ("branch", "branches"),
            ("person", "people"),
            ("day", "days"),
            ("status", "statuses"),
        ] {
            assert_eq!(singular(many), one);
            assert_eq!(plural(one), many);
        }
        for already in ["status", "address", "analysis", "gas", "sales_tax"] {
            assert_eq!(singular(already), already);
        }
    }
}

//! Sentences and terms: the units that quotes are cut from and that claims are compared by.
//!
//! Sources are extracted text (HTML and DOCX as Markdown-like text, PDF pages with their hard
//! line breaks), so sentences are found in two steps: lines are first grouped into blocks
//! (a blank line, a heading or a list item starts a new one; wrapped lines are joined, a
//! word hyphenated across a line break is rejoined), then each block is cut at Unicode
//! sentence boundaries (UAX #29, `unicode-segmentation`). Every sentence remembers the line
//! it starts on, so a quote can cite its line.
//!
//! Terms are what two sentences are compared by: lower-cased words without stop words,
//! stemmed (Snowball English), and numbers kept verbatim, since "30 days" and "60 days"
//! must not count as agreeing.

use std::collections::HashSet;
use std::sync::OnceLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// What kind of line a sentence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Running text.
    Prose,
    /// A heading (`# Title` or a setext underline's title).
    Heading,
    /// An item of a list.
    ListItem,
    /// The term a definition list defines (an API signature, a command-line option, a
    /// glossary word): an unindented line that an indented description follows, as Ledge's
    /// HTML extraction writes `<dt>` and `<dd>`.
    Term,
}

/// A sentence of a longer text.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    /// The sentence with its whitespace collapsed and trimmed.
    pub text: String,
    /// The line it starts on, counted from 0 within the text it was cut from.
    pub line: u32,
    /// The kind of line it comes from.
    pub shape: Shape,
    /// Whether it belongs to the description of the last [`Shape::Term`] before it.
    pub under_term: bool,
}

fn is_list_marker(line: &str) -> bool {
    let line = line.trim_start();
    if let Some(rest) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("• "))
        .or_else(|| line.strip_prefix("+ "))
    {
        return !rest.trim().is_empty();
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && digits <= 3
        && matches!(line.as_bytes().get(digits), Some(b'.' | b')'))
        && line.as_bytes().get(digits + 1) == Some(&b' ')
}

fn is_heading(line: &str) -> bool {
    let hashes = line.bytes().take_while(|&b| b == b'#').count();
    (1..=6).contains(&hashes) && line.as_bytes().get(hashes) == Some(&b' ')
}

fn is_setext_underline(line: &str) -> bool {
    let line = line.trim();
    line.len() >= 3 && (line.bytes().all(|b| b == b'=') || line.bytes().all(|b| b == b'-'))
}

/// A block of lines joined into one string, with the joined offset each line starts at.
struct Block {
    text: String,
    /// (offset in `text`, line number) for every line that contributed.
    starts: Vec<(usize, u32)>,
    shape: Shape,
    under_term: bool,
}

impl Block {
    fn new(shape: Shape) -> Block {
        Block {
            text: String::new(),
            starts: Vec::new(),
            shape,
            under_term: false,
        }
    }

    fn push_line(&mut self, line: &str, number: u32) {
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        // A word broken across the line ("approxi-" / "mately"): joined again, as PDF text
        // wraps that way. A hyphen before an upper-case letter or a digit stays.
        let rejoin = self.text.ends_with('-')
            && self
                .text
                .chars()
                .rev()
                .nth(1)
                .is_some_and(char::is_alphabetic)
            && line.chars().next().is_some_and(char::is_lowercase);
        if rejoin {
            self.text.pop();
        } else if !self.text.is_empty() {
            self.text.push(' ');
        }
        self.starts.push((self.text.len(), number));
        self.text.push_str(line);
    }

    fn line_at(&self, offset: usize) -> u32 {
        let at = self.starts.partition_point(|&(start, _)| start <= offset);
        self.starts
            .get(at.saturating_sub(1))
            .map_or(0, |&(_, line)| line)
    }

    fn sentences(self, out: &mut Vec<Sentence>) {
        if self.text.is_empty() {
            return;
        }
        if matches!(self.shape, Shape::Heading | Shape::Term) {
            let text = self.text.trim_start_matches('#').trim();
            if !text.is_empty() {
                out.push(Sentence {
                    text: collapse(text),
                    line: self.line_at(0),
                    shape: self.shape,
                    under_term: false,
                });
            }
            return;
        }
        for (offset, piece) in self.text.split_sentence_bound_indices() {
            let text = collapse(piece);
            if text.is_empty() {
                continue;
            }
            out.push(Sentence {
                text,
                line: self.line_at(offset),
                shape: self.shape,
                under_term: self.under_term,
            });
        }
    }
}

/// `text` with runs of whitespace made one space, trimmed.
pub fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Longest line taken as a definition list's term.
const MAX_TERM_WORDS: usize = 25;

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether `line` is a definition list's term: unindented, followed at once by an indented
/// line, and not a sentence or a lead-in of its own (those end in `.`, `:` or `;`, and an
/// indented block after them is code or a quotation).
fn is_term(line: &str, next: Option<&&str>) -> bool {
    let trimmed = line.trim();
    indentation(line) == 0
        && next.is_some_and(|next| !next.trim().is_empty() && indentation(next) >= 2)
        && !trimmed.ends_with(['.', ':', ';', ','])
        && trimmed.split_whitespace().count() <= MAX_TERM_WORDS
}

/// The sentences of `text`, in order, each with the line (from 0) it starts on.
pub fn sentences(text: &str) -> Vec<Sentence> {
    let mut out = Vec::new();
    let mut block = Block::new(Shape::Prose);
    let lines: Vec<&str> = text.lines().collect();
    // Inside the indented description of a definition list's term.
    let mut described = false;
    for (index, line) in lines.iter().enumerate() {
        let number = u32::try_from(index).unwrap_or(u32::MAX);
        let trimmed = line.trim();
        if trimmed.is_empty() {
            std::mem::replace(&mut block, Block::new(Shape::Prose)).sentences(&mut out);
            continue;
        }
        if indentation(line) == 0 {
            described = false;
        }
        if is_setext_underline(trimmed) {
            // The block so far was a heading's title (when it is one line).
            if block.starts.len() == 1 {
                block.shape = Shape::Heading;
            }
            std::mem::replace(&mut block, Block::new(Shape::Prose)).sentences(&mut out);
            continue;
        }
        if is_heading(trimmed) {
            std::mem::replace(&mut block, Block::new(Shape::Heading)).sentences(&mut out);
            block.push_line(trimmed, number);
            std::mem::replace(&mut block, Block::new(Shape::Prose)).sentences(&mut out);
            continue;
        }
        if !is_list_marker(trimmed) && is_term(line, lines.get(index + 1)) {
            std::mem::replace(&mut block, Block::new(Shape::Term)).sentences(&mut out);
            block.push_line(trimmed, number);
            std::mem::replace(&mut block, Block::new(Shape::Prose)).sentences(&mut out);
            described = true;
            continue;
        }
        if is_list_marker(trimmed) {
            std::mem::replace(&mut block, Block::new(Shape::ListItem)).sentences(&mut out);
            let item = trimmed
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start_matches(['-', '*', '•', '+', '.', ')'])
                .trim_start();
            block.under_term = described;
            block.push_line(item, number);
            continue;
        }
        if block.starts.is_empty() {
            block.under_term = described;
        }
        block.push_line(trimmed, number);
    }
    block.sentences(&mut out);
    out
}

/// Words that carry no content of their own.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "etc",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "me",
    "more",
    "most",
    "my",
    "myself",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "very",
    "was",
    "we",
    "were",
    "while",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "will",
    "can",
    "may",
    "might",
    "must",
    "shall",
    "s",
    "t",
    "d",
    "ll",
    "re",
    "ve",
    "m",
    "e",
    "g",
    "ie",
    "eg",
    "via",
    "within",
    "upon",
    "thus",
    "therefore",
    "however",
    "which",
    "what",
    "who",
    "whom",
    "whose",
    "where",
    "when",
    "why",
    "how",
];

/// Words a question is phrased with, which say nothing about what is asked.
const QUESTION_WORDS: &[&str] = &[
    "tell",
    "want",
    "need",
    "way",
    "know",
    "happen",
    "happens",
    "say",
    "says",
    "said",
    "ask",
    "please",
    "explain",
    "describe",
    "anyone",
    "someone",
    "something",
    "thing",
    "things",
    "possible",
    "able",
    "get",
    "gets",
    "got",
    "there",
    "exactly",
    "actually",
    "really",
    "kind",
];

/// Words that turn a statement into its opposite.
const NEGATIONS: &[&str] = &[
    "not",
    "no",
    "never",
    "cannot",
    "without",
    "none",
    "neither",
    "nor",
    "nothing",
    "nobody",
    "nowhere",
    "unless",
    "neither",
    "prohibited",
    "forbidden",
    "disallowed",
];

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS.iter().copied().collect())
}

fn question_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| QUESTION_WORDS.iter().copied().collect())
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The terms of a piece of text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Terms {
    /// Content words, stemmed, and numbers, in order of appearance, without repeats.
    pub words: Vec<String>,
    /// The numbers among them (digits with their decimal point; thousands separators gone).
    pub numbers: Vec<String>,
    /// Whether the text negates what it says (`not`, `never`, `n't`, `without`, ...).
    pub negated: bool,
    /// For a question: whether it asks for a number ("how many", "how long", "which port",
    /// "the largest"), so that a sentence with a number in it answers it more likely.
    pub asks_number: bool,
    /// For a question: whether it asks for something by name ("how do I ...", "which
    /// function ..."): the answer is then usually a command, function or option.
    pub asks_name: bool,
    /// The names written as code in the text (`\\endhead`, `gen_random_uuid`, `shutil.rmtree`,
    /// `TemporaryDirectory`, `--port`, `@>`), lower-cased; for a question, also its words,
    /// so that a name it already says is not news.
    pub names: Vec<String>,
}

impl Terms {
    /// Whether `word` is among the terms.
    pub fn contains(&self, word: &str) -> bool {
        self.words.iter().any(|w| w == word)
    }
}

/// Splits text into raw tokens: runs of letters and digits, where `.` or `,` between two
/// digits stays inside a number (`3.5`, `1,000`) and an apostrophe inside a word stays
/// (`can't`, `don’t`).
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let between = |pred: fn(&char) -> bool| {
            i > 0
                && chars.get(i - 1).is_some_and(pred)
                && chars.get(i + 1).is_some_and(pred)
                && !current.is_empty()
        };
        if c.is_alphanumeric()
            || (matches!(c, '.' | ',') && between(char::is_ascii_digit))
            || (matches!(c, '\'' | '’') && between(|c| c.is_alphabetic()))
        {
            current.extend(c.to_lowercase());
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn is_negation(token: &str) -> bool {
    NEGATIONS.contains(&token) || token.ends_with("n't") || token.ends_with("n’t")
}

/// Phrases of a question that ask for a number, matched as whole words in its lower case.
const ASKS_NUMBER: &[&str] = &[
    "how many",
    "how much",
    "how long",
    "how large",
    "how big",
    "how high",
    "how often",
    "how old",
    "largest",
    "smallest",
    "maximum",
    "minimum",
    "the most",
    "at most",
    "at least",
];

/// Things counted or measured: "which TCP port", "what compression level".
const NUMBER_NOUNS: &[&str] = &[
    "port", "version", "year", "size", "number", "level", "limit", "length", "count",
];

/// Whether the text of `tokens` says one of `phrases` (whole words, lower case).
fn says(tokens: &[String], phrases: &[&str]) -> bool {
    let words = format!(" {} ", tokens.join(" "));
    phrases
        .iter()
        .any(|phrase| words.contains(&format!(" {phrase} ")))
}

/// Whether a question (its `tokens`) says one of `phrases`, or "what" or "which" with one of
/// `nouns` among the three words after it.
fn asks(tokens: &[String], phrases: &[&str], nouns: &[&str]) -> bool {
    says(tokens, phrases)
        || tokens.iter().enumerate().any(|(i, token)| {
            matches!(token.as_str(), "what" | "which")
                && tokens
                    .iter()
                    .skip(i + 1)
                    .take(3)
                    .any(|next| nouns.contains(&next.trim_end_matches('s')))
        })
}

/// Phrases of a question that ask how to do something: its answer names the means.
const ASKS_HOW: &[&str] = &[
    "how do i",
    "how can i",
    "how should i",
    "how would i",
    "how do you",
    "how to",
    "is there a",
    "is there an",
];

/// Things known by name: "which function", "what command".
const NAME_NOUNS: &[&str] = &[
    "function",
    "command",
    "method",
    "class",
    "module",
    "package",
    "option",
    "operator",
    "setting",
    "parameter",
    "variable",
    "macro",
    "keyword",
    "tool",
    "flag",
    "helper",
    "type",
    "environment",
    "statement",
    "clause",
    "call",
    "library",
];

/// Whether a word (split at whitespace, surrounding punctuation trimmed) is written as code:
/// a TeX command, a name with an underscore, a dotted or called name, an inner capital, an
/// option, an operator made of symbols, or a keyword in capitals.
fn is_code(word: &str) -> bool {
    let letters = |s: &str| s.chars().filter(|c| c.is_alphabetic()).count();
    let mut chars = word.chars();
    let first = chars.next();
    let second = chars.next();
    if first == Some('\\') && second.is_some_and(char::is_alphabetic) {
        return true;
    }
    if word.starts_with('-')
        && word
            .trim_start_matches('-')
            .chars()
            .next()
            .is_some_and(char::is_alphabetic)
    {
        return true;
    }
    if (2..=3).contains(&word.chars().count()) && word.chars().all(|c| "@<>=|&#~!?-".contains(c)) {
        return true;
    }
    let inner = |c: char| {
        word.char_indices().any(|(i, x)| {
            x == c
                && i > 0
                && word[..i]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric)
                && word[i + x.len_utf8()..]
                    .chars()
                    .next()
                    .is_some_and(|n| n.is_alphanumeric() || n == ')')
        })
    };
    if inner('_') || inner('.') && letters(word) >= 4 || word.contains("()") {
        return true;
    }
    let camel = word
        .chars()
        .zip(word.chars().skip(1))
        .any(|(a, b)| a.is_lowercase() && b.is_uppercase());
    camel || (letters(word) >= 4 && word.chars().all(|c| c.is_uppercase() || c == '_'))
}

/// The names written as code in `text`, lower-cased, in order, without repeats.
fn code_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        let word = word.trim_matches(|c: char| ",;:\"'“”‘’[]{}".contains(c));
        let word = word.strip_suffix('.').unwrap_or(word);
        if is_code(word) {
            let name = word.to_lowercase();
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The terms of `text` (a sentence or a question): stop words and, with
/// `question`, the words questions are phrased with, left out.
pub fn terms(text: &str, question: bool) -> Terms {
    let all = tokens(text);
    let mut out = Terms {
        asks_number: question && asks(&all, ASKS_NUMBER, NUMBER_NOUNS),
        asks_name: question && asks(&all, ASKS_HOW, NAME_NOUNS),
        names: code_names(text),
        ..Terms::default()
    };
    if question {
        for token in &all {
            if !out.names.contains(token) {
                out.names.push(token.clone());
            }
        }
    }
    let stop = stop_words();
    let asked = question_words();
    for (index, token) in all.iter().enumerate() {
        // "128MB", "5min", "five minutes": the number a measure states.
        if let Some(number) = measured_number(token, all.get(index + 1))
            && !out.numbers.contains(&number)
        {
            out.numbers.push(number);
        }
        if is_negation(token) {
            out.negated = true;
            continue;
        }
        let token = token.replace('’', "'");
        let token = token.split('\'').next().unwrap_or_default().to_owned();
        if token.is_empty() || stop.contains(token.as_str()) {
            continue;
        }
        if question && asked.contains(token.as_str()) {
            continue;
        }
        let word = if token.chars().any(|c| c.is_ascii_digit()) {
            let number = if token
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            {
                token.replace(',', "")
            } else {
                token.clone()
            };
            if number.chars().all(|c| c.is_ascii_digit() || c == '.')
                && !out.numbers.contains(&number)
            {
                out.numbers.push(number.clone());
            }
            number
        } else {
            if token.chars().count() < 2 {
                continue;
            }
            stemmer().stem(&token).into_owned()
        };
        if !out.words.contains(&word) {
            out.words.push(word);
        }
    }
    // "Out of the box", "unless I say otherwise": the question asks for the default.
    if question && !out.contains(DEFAULT) && says(&all, DEFAULT_IDIOMS) {
        out.words.push(DEFAULT.to_owned());
    }
    out
}

/// The stem of "default", "defaults", "defaulted".
pub(crate) const DEFAULT: &str = "default";

/// How a question asks for a default without saying the word.
const DEFAULT_IDIOMS: &[&str] = &[
    "out of the box",
    "unless i say otherwise",
    "unless i specify",
    "unless told otherwise",
    "if i don't say",
    "if i do not say",
    "if i don't specify",
    "if i do not specify",
    "if nothing is specified",
    "when nothing is specified",
    "if i leave it unset",
    "left unset",
    "if unset",
    "as shipped",
    "standard setting",
    "standard settings",
];

/// Units written straight after a number: "128MB", "5min", "16kB", "10pt".
const UNITS: &[&str] = &[
    "b", "kb", "mb", "gb", "tb", "kib", "mib", "gib", "ms", "us", "s", "sec", "min", "h", "pt",
    "px", "em", "ex", "cm", "mm", "bp", "k", "m",
];

/// Number words that state a quantity when a plural follows ("five minutes", "two files").
const NUMBER_WORDS: &[(&str, u32)] = &[
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fifteen", 15),
    ("twenty", 20),
    ("thirty", 30),
    ("sixty", 60),
    ("hundred", 100),
    ("thousand", 1000),
];

/// The number `token` states with a unit glued to it, or as a word before a plural.
fn measured_number(token: &str, next: Option<&String>) -> Option<String> {
    let digits: String = token.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() && digits.len() < token.len() {
        return UNITS.contains(&&token[digits.len()..]).then_some(digits);
    }
    let plural = next.is_some_and(|n| n.chars().count() > 3 && n.ends_with('s'));
    NUMBER_WORDS
        .iter()
        .find(|(word, _)| *word == token)
        .filter(|_| plural)
        .map(|(_, value)| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sentences: &[Sentence]) -> Vec<&str> {
        sentences.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn wrapped_lines_are_joined_and_cut_at_sentence_ends() {
        let text = "The licence terminates\nautomatically. You may not sub-\nlicense it.\n\nNew paragraph here.";
        let found = sentences(text);
        assert_eq!(
            texts(&found),
            [
                "The licence terminates automatically.",
                "You may not sublicense it.",
                "New paragraph here."
            ]
        );
        assert_eq!(found.iter().map(|s| s.line).collect::<Vec<_>>(), [0, 1, 4]);
    }

    #[test]
    fn headings_and_list_items_stand_alone() {
        let text = "# Installing\nRun the script. It\ntakes a minute.\n- first item\n- second item\n\nTitle\n=====\n1. numbered";
        let found = sentences(text);
        assert_eq!(
            texts(&found),
            [
                "Installing",
                "Run the script.",
                "It takes a minute.",
                "first item",
                "second item",
                "Title",
                "numbered"
            ]
        );
        let shapes: Vec<Shape> = found.iter().map(|s| s.shape).collect();
        assert_eq!(shapes[0], Shape::Heading);
        assert_eq!(shapes[3], Shape::ListItem);
        assert_eq!(shapes[5], Shape::Heading);
        assert_eq!(
            found[2].line, 1,
            "a sentence starts on the line where its first word is"
        );
    }

    #[test]
    fn terms_are_stemmed_content_words_and_exact_numbers() {
        let t = terms(
            "The licenses terminated after 30 days, at 1,000 users (v3.5).",
            false,
        );
        assert_eq!(
            t.words,
            ["licens", "termin", "30", "day", "1000", "user", "v3.5"]
        );
        assert_eq!(t.numbers, ["30", "1000"]);
        assert!(!t.negated);
        assert!(terms("You can't install it.", false).negated);
        assert!(terms("It is never allowed.", false).negated);
        assert!(
            terms("Ça ne marche pas sans ça", false)
                .words
                .contains(&"ça".to_owned())
        );
    }

    #[test]
    fn a_measure_states_its_number_glued_to_a_unit_or_as_a_word() {
        let t = terms(
            "The default is 128MB; checkpoints come every five minutes.",
            false,
        );
        assert_eq!(t.numbers, ["128", "5"]);
        assert!(t.words.contains(&"128mb".to_owned()));
        // A number word without a plural after it counts nothing; nor does an unknown suffix.
        assert!(
            terms("One of the options, in 3rd place.", false)
                .numbers
                .is_empty()
        );
        assert_eq!(terms("Pick two options.", false).numbers, ["2"]);
    }

    #[test]
    fn a_question_can_ask_for_the_default_without_the_word() {
        for asked in [
            "How much memory does the server use out of the box?",
            "Which port does it listen on unless I say otherwise?",
        ] {
            assert!(terms(asked, true).contains(DEFAULT), "{asked}");
        }
        assert!(!terms("How big is the box?", true).contains(DEFAULT));
        assert!(!terms("It works out of the box.", false).contains(DEFAULT));
    }

    #[test]
    fn question_phrasing_is_not_a_term() {
        let t = terms(
            "How do I tell which function checks that two floats are close?",
            true,
        );
        assert_eq!(t.words, ["function", "check", "two", "float", "close"]);
    }

    #[test]
    fn names_written_as_code_are_told_from_words() {
        let names = code_names(
            "Use \\endhead, gen_random_uuid(), shutil.rmtree or tempfile.TemporaryDirectory; \
             pass --port, test with @> and run ANALYZE. Plain words, e.g. this one, and 3.5 are not.",
        );
        assert_eq!(
            names,
            [
                "\\endhead",
                "gen_random_uuid()",
                "shutil.rmtree",
                "tempfile.temporarydirectory",
                "--port",
                "@>",
                "analyze"
            ]
        );
        assert!(code_names("The end. A sentence, with (brackets) and a - dash.").is_empty());
    }

    #[test]
    fn a_question_that_asks_how_or_which_function_asks_for_a_name() {
        for asked in [
            "How do I delete a folder with everything in it?",
            "Which built-in function gives me a random UUID?",
            "Is there a helper that hashes a file?",
            "What command sets up an environment?",
        ] {
            assert!(terms(asked, true).asks_name, "{asked}");
        }
        for asked in [
            "What is the largest integer chr() accepts?",
            "Why does the server refuse connections?",
        ] {
            assert!(!terms(asked, true).asks_name, "{asked}");
        }
        // A sentence's terms never ask; a question's names include its words, so a name the
        // question already says is not news.
        assert!(!terms("How do I do it?", false).asks_name);
        let asked = terms("How do I use \\includegraphics with a width?", true);
        assert!(asked.names.contains(&"\\includegraphics".to_owned()));
        assert!(asked.names.contains(&"width".to_owned()));
    }
}

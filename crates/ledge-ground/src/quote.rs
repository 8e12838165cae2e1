//! The extractive answer: the one to three sentences of the sources that best answer the
//! question, quoted verbatim with their file line or page, before any model runs.
//!
//! A sentence scores by how much of the question's weight it covers (rare question words
//! count most), with its headings counting at half weight (a sentence under "Patent
//! licence" answers a question about patent licences even when it says only "grant"),
//! discounted by its source's retrieval rank and when it is too short to say anything.
//! The best sentence is quoted; a second and third follow when they cover what the first
//! left out, or when they continue it (the first is short or ends with a colon).

use serde::{Deserialize, Serialize};

use crate::evidence::{Evidence, Unit};
use crate::text::{DEFAULT, Shape, Terms, terms};

/// A sentence quoted from a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    /// The source's number.
    pub n: usize,
    /// The sentence, verbatim but for whitespace.
    pub text: String,
    /// The line of the file it starts on, 1-based.
    pub line: u32,
    /// Its page, for paged formats.
    pub page: Option<u32>,
    /// How well it answers the question, from 0 to about 1.
    pub score: f32,
}

/// How well a passage answers a question (see [`Evidence::passage_scores`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PassageScore {
    /// Its best sentence's score, discounted by the passage's retrieval rank.
    pub ranked: f32,
    /// The same, whatever the rank.
    pub alone: f32,
}

/// How much to quote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuoteLimits {
    /// At most this many sentences.
    pub sentences: usize,
    /// At most about this many words in all.
    pub words: usize,
    /// A best sentence scoring below this is no answer: nothing is quoted.
    pub min_score: f32,
}

impl Default for QuoteLimits {
    fn default() -> Self {
        QuoteLimits {
            sentences: 3,
            words: 90,
            min_score: 0.2,
        }
    }
}

/// What a sentence with a number is worth more, to a question that asks for one (see
/// [`Terms::asks_number`]).
const NUMBER_BONUS: f32 = 1.5;

/// What a sentence that names something as code is worth more, to a question that asks how
/// to do something or which function does it (see [`Terms::asks_name`]).
const NAME_BONUS: f32 = 1.5;

/// How fast a sentence's worth falls with its passage's retrieval rank: the passage ranked
/// second counts 1/1.4, the fifth 1/2.6. Set on the answer benchmark's dev half over hybrid
/// retrieval (BENCHMARKS.md, "Answers"): at 0.08, sentences of lower-ranked passages that
/// shared more words with the question won, and the answer's first source was right for
/// 0.51 of the questions against retrieval's own 0.61.
const RANK_DISCOUNT: f32 = 0.4;

/// Openings of a sentence that point back at what the sentence before named.
const POINTING_BACK: &[&str] = &[
    "this ",
    "these ",
    "it ",
    "its ",
    "they ",
    "such ",
    "if set ",
    "if true",
    "if false",
    "when set ",
    "if enabled",
    "if this ",
    "the former",
    "the latter",
];

/// Whether `sentence` opens by pointing back at the one before it.
fn refers_back(sentence: &str) -> bool {
    let opening: String = sentence
        .chars()
        .take(12)
        .flat_map(char::to_lowercase)
        .collect();
    POINTING_BACK.iter().any(|p| opening.starts_with(p))
}

pub(crate) fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

/// Covered weight of `question` terms by `terms`, and by `context` for the rest.
fn coverage(evidence: &Evidence, question: &Terms, unit: &Unit) -> (f32, f32) {
    let total: f32 = question
        .words
        .iter()
        .map(|w| evidence.question_weight(w))
        .sum();
    if total <= 0.0 {
        return (0.0, 0.0);
    }
    let mut own = 0.0;
    let mut context = 0.0;
    for word in &question.words {
        // A question that names the document ("under the Apache License") is answered by
        // its sentences as if each said the name.
        if unit.terms.contains(word) || evidence.documents[unit.passage].contains(word) {
            own += evidence.question_weight(word);
        } else if unit.context.contains(word) {
            context += evidence.question_weight(word);
        }
    }
    (own / total, context / total)
}

/// Whether the sentence (or the term it describes) names, as code, something the question
/// does not: "how do I ...?" is answered by a sentence that says which command does it.
fn names_something_new(question: &Terms, unit: &Unit) -> bool {
    let new = |names: &[String]| {
        names.iter().any(|name| {
            let core = name.trim_start_matches(['\\', '-']).trim_end_matches("()");
            !question
                .names
                .iter()
                .any(|asked| asked == name || asked == core)
        })
    };
    reads_as_prose(&unit.sentence.text) && (new(&unit.terms.names) || new(&unit.context.names))
}

/// Whether a sentence is mostly plain words (at least four, half of all): a line of an
/// example (`toml_str = """ python-version = "3.11.0" """`) is full of names and says
/// nothing about which one does what.
fn reads_as_prose(sentence: &str) -> bool {
    let all = word_count(sentence);
    let plain = sentence
        .split_whitespace()
        .filter(|word| {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric());
            !word.is_empty() && word.chars().all(char::is_alphabetic)
        })
        .count();
    plain >= 4 && 2 * plain >= all
}

pub(crate) fn score(evidence: &Evidence, question: &Terms, unit: &Unit) -> f32 {
    unranked_score(evidence, question, unit) * rank_factor(unit)
}

/// What a sentence's worth is kept for its passage's retrieval rank.
fn rank_factor(unit: &Unit) -> f32 {
    1.0 / (1.0 + RANK_DISCOUNT * unit.passage as f32)
}

/// How well a sentence answers `question` on its own, whatever its passage's rank.
fn unranked_score(evidence: &Evidence, question: &Terms, unit: &Unit) -> f32 {
    // Headings and definition terms are labels: they count as the context of the
    // sentences under them, and a term is quoted with its description.
    if matches!(unit.sentence.shape, Shape::Heading | Shape::Term) {
        return 0.0;
    }
    let (own, context) = coverage(evidence, question, unit);
    let words = word_count(&unit.sentence.text);
    let length = match words {
        0..=3 => 0.4,
        4..=6 => 0.8,
        7..=60 => 1.0,
        61..=90 => 0.85,
        // A "sentence" this long is a table or a listing without full stops.
        _ => 0.5,
    };
    // Text that is mostly symbols (code, tables) quotes badly.
    let letters = unit
        .sentence
        .text
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .count() as f32;
    let prose = (letters / unit.sentence.text.chars().count().max(1) as f32).clamp(0.5, 1.0);
    // "Which port ...?" is answered by a sentence that names one.
    let answer_type = if question.asks_number && !unit.terms.numbers.is_empty() {
        NUMBER_BONUS
    } else if question.asks_name && names_something_new(question, unit) {
        NAME_BONUS
    } else {
        1.0
    };
    (own + 0.5 * context) * length * prose * answer_type
}

/// `text` cut after `words` words, marked with an ellipsis when cut.
fn shortened(text: &str, words: usize) -> String {
    if word_count(text) <= words {
        return text.to_owned();
    }
    let mut out: String = text
        .split_whitespace()
        .take(words)
        .collect::<Vec<_>>()
        .join(" ");
    out.push_str(" …");
    out
}

impl Evidence {
    /// How well each passage answers `question`, in passage order: its best sentence's
    /// score, as [`Evidence::quotes`] weighs them with retrieval rank (the assistant puts the
    /// passages that answer first, so a prompt cut for speed keeps them), and the same
    /// without the rank (how well it answers on its own, for leaving weak ones out).
    pub fn passage_scores(&self, question: &str) -> Vec<PassageScore> {
        let asked = terms(question, true);
        let mut best = vec![PassageScore::default(); self.passages.len()];
        if asked.words.is_empty() {
            return best;
        }
        for unit in &self.units {
            let alone = unranked_score(self, &asked, unit);
            if let Some(slot) = best.get_mut(unit.passage) {
                slot.ranked = slot.ranked.max(alone * rank_factor(unit));
                slot.alone = slot.alone.max(alone);
            }
        }
        best
    }

    /// The sentences that best answer `question`, best first, within `limits`; empty when
    /// no sentence answers well enough.
    pub fn quotes(&self, question: &str, limits: QuoteLimits) -> Vec<Quote> {
        let asked = terms(question, true);
        if asked.words.is_empty() || self.units.is_empty() {
            return Vec::new();
        }
        let mut scored: Vec<(usize, f32)> = self
            .units
            .iter()
            .enumerate()
            .map(|(i, unit)| (i, score(self, &asked, unit)))
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let Some(&(best, best_score)) = scored.first() else {
            return Vec::new();
        };
        if best_score < limits.min_score {
            return Vec::new();
        }
        let mut chosen = vec![best];
        let mut words = word_count(&self.units[best].sentence.text);
        let mut covered: Vec<&String> = asked
            .words
            .iter()
            .filter(|w| self.units[best].terms.contains(w))
            .collect();

        // A sentence that opens by pointing back ("This function returns a version 4
        // UUID", "If set to true ...") is about what the sentence before it names
        // ("gen_random_uuid () → uuid", "keepaspectratio Boolean valued key"): that goes first.
        if refers_back(&self.units[best].sentence.text)
            && let Some(before) = best.checked_sub(1)
            && self.units[before].passage == self.units[best].passage
            && self.units[before].sentence.shape != Shape::Heading
            && self.units[best].term.is_none_or(|term| term != before)
            && words + word_count(&self.units[before].sentence.text) <= limits.words
        {
            chosen.insert(0, before);
            words += word_count(&self.units[before].sentence.text);
        }

        // A short lead-in or one ending in a colon goes on in the next sentence; when that
        // is an indented block's first line (code after "a simple policy can be used:" reads
        // like a definition's term), in the block too.
        let lead = &self.units[best].sentence.text;
        let mut after = best + 1;
        while (word_count(lead) < 10 || lead.ends_with(':'))
            && let Some(next) = self.units.get(after)
            && next.passage == self.units[best].passage
            && next.sentence.shape != Shape::Heading
            && (after == best + 1 || next.term == Some(best + 1))
            && words + word_count(&next.sentence.text) <= limits.words
        {
            chosen.push(after);
            words += word_count(&next.sentence.text);
            if self.units[best + 1].sentence.shape != Shape::Term {
                break;
            }
            after += 1;
        }

        // Asked for a default, a description that states one further on says it: "Specifies
        // a fraction of the table size ... The default is 0.2".
        if asked.contains(DEFAULT)
            && let Some(term) = self.units[best].term
            && let Some(stated) = (best + 1..self.units.len())
                .take_while(|&u| self.units[u].term == Some(term))
                .find(|&u| self.units[u].terms.contains(DEFAULT))
            && !chosen.contains(&stated)
            && words + word_count(&self.units[stated].sentence.text) <= limits.words
        {
            chosen.push(stated);
            words += word_count(&self.units[stated].sentence.text);
        }

        for &(candidate, candidate_score) in scored.iter().skip(1) {
            if chosen.len() >= limits.sentences || candidate_score < 0.2 * best_score {
                break;
            }
            if chosen.contains(&candidate) {
                continue;
            }
            let unit = &self.units[candidate];
            let adds = asked
                .words
                .iter()
                .any(|w| unit.terms.contains(w) && !covered.contains(&w));
            let length = word_count(&unit.sentence.text);
            let repeats = chosen
                .iter()
                .any(|&c| self.units[c].sentence.text == unit.sentence.text);
            if adds && !repeats && words + length <= limits.words {
                covered.extend(asked.words.iter().filter(|w| unit.terms.contains(w)));
                chosen.push(candidate);
                words += length;
            }
        }

        // A description is quoted after the term it describes ("heapq.nlargest(n,
        // iterable)" before "Return a list with the n largest elements"): the term is often
        // the answer to "how do I", and the description alone does not name it.
        let mut quoted: Vec<(usize, f32)> = Vec::with_capacity(chosen.len() + 1);
        for i in chosen {
            let own = score(self, &asked, &self.units[i]);
            if let Some(term) = self.units[i].term
                && !quoted.iter().any(|&(q, _)| q == term)
            {
                quoted.push((term, own));
            }
            if !quoted.iter().any(|&(q, _)| q == i) {
                quoted.push((i, own));
            }
        }
        quoted
            .into_iter()
            .map(|(i, score)| {
                let unit = &self.units[i];
                let passage = &self.passages[unit.passage];
                Quote {
                    n: passage.n,
                    text: shortened(&unit.sentence.text, limits.words),
                    line: self.line_of(unit),
                    page: passage.page,
                    score,
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::evidence::SourcePassage;

    fn passage(n: usize, text: &str, heading: &str) -> SourcePassage {
        SourcePassage {
            n,
            text: text.to_owned(),
            heading: heading.to_owned(),
            first_line: 100,
            page: None,
        }
    }

    /// The texts `evidence` quotes for `question`, best first.
    fn quoted(evidence: &Evidence, question: &str) -> Vec<String> {
        evidence
            .quotes(question, QuoteLimits::default())
            .into_iter()
            .map(|q| q.text)
            .collect()
    }

    #[test]
    fn the_sentence_that_answers_is_quoted_with_its_line() {
        let evidence = Evidence::new(vec![
            passage(
                1,
                "You may not impose further restrictions.\nEach time you convey a work, the recipient receives a license.",
                "Terms",
            ),
            passage(
                2,
                "3. Grant of Patent License.\nSubject to the terms of this License, each Contributor grants You a patent license.\nIf You institute patent litigation against any entity alleging that the Work infringes a patent,\nthen any patent licenses granted to You under this License for that Work shall terminate\nas of the date such litigation is filed.",
                "Apache License",
            ),
        ]);
        let quotes = evidence.quotes(
            "When do the patent licenses granted to me end if I sue someone over patents?",
            QuoteLimits::default(),
        );
        assert!(!quotes.is_empty());
        assert_eq!(quotes[0].n, 2);
        assert!(
            quotes[0]
                .text
                .contains("shall terminate as of the date such litigation is filed"),
            "{quotes:?}"
        );
        assert_eq!(quotes[0].line, 102);
    }

    #[test]
    fn the_passage_that_answers_outscores_one_that_only_shares_words() {
        let evidence = Evidence::new(vec![
            passage(
                1,
                "The rights granted under this License will terminate automatically if You fail to comply with any of its terms.",
                "Mozilla Public License > Termination",
            ),
            passage(
                2,
                "If You institute patent litigation against any entity, then any patent licenses granted to You under this License for that Work shall terminate as of the date such litigation is filed.",
                "Apache License",
            ),
        ]);
        let scores =
            evidence.passage_scores("When do patent licenses terminate under the Apache License?");
        assert_eq!(scores.len(), 2);
        assert!(scores[1].ranked > scores[0].ranked, "{scores:?}");
        assert!(scores[1].alone > scores[1].ranked, "{scores:?}");
        assert_eq!(
            scores[0].alone, scores[0].ranked,
            "the first passage keeps its score"
        );
        assert_eq!(
            evidence.passage_scores("?"),
            [PassageScore::default(), PassageScore::default()]
        );
    }

    #[test]
    fn nothing_is_quoted_when_no_sentence_answers() {
        let evidence = Evidence::new(vec![passage(
            1,
            "The quick brown fox jumps over the lazy dog.",
            "",
        )]);
        assert!(
            evidence
                .quotes(
                    "What is the default port of the server?",
                    QuoteLimits::default()
                )
                .is_empty()
        );
        assert!(evidence.quotes("", QuoteLimits::default()).is_empty());
        assert!(
            Evidence::new(Vec::new())
                .quotes("port", QuoteLimits::default())
                .is_empty()
        );
    }

    #[test]
    fn a_second_sentence_is_quoted_when_it_covers_what_the_first_left_out() {
        let evidence = Evidence::new(vec![
            passage(
                1,
                "The server listens on port 5432 by default, which the port setting changes.",
                "",
            ),
            passage(
                2,
                "Connections are refused once max_connections clients are connected, and the setting defaults to 100 connections.",
                "",
            ),
            passage(
                3,
                "Unrelated words about weather and rivers and mountains go here.",
                "",
            ),
        ]);
        let quotes = evidence.quotes(
            "Which port does the server listen on and how many connections does it allow?",
            QuoteLimits::default(),
        );
        let numbers: Vec<usize> = quotes.iter().map(|q| q.n).collect();
        assert_eq!(numbers, [1, 2], "{quotes:?}");
    }

    #[test]
    fn quotes_stay_within_the_word_limit() {
        let long = "port ".repeat(200);
        let evidence = Evidence::new(vec![
            passage(1, "The port is 5432.", ""),
            passage(2, &long, ""),
        ]);
        let quotes = evidence.quotes(
            "Which port?",
            QuoteLimits {
                words: 20,
                ..QuoteLimits::default()
            },
        );
        assert_eq!(quotes.len(), 1);
        assert_eq!(quotes[0].text, "The port is 5432.");
    }

    /// Python's `heapq` page as Ledge's HTML extraction writes it (`<dt>`, then `<dd>`
    /// indented), from python3.11-doc.
    const HEAPQ: &str = "heapq.heappushpop(heap, item)\n  Push item on the heap, then pop and \
        return the smallest item from the heap.\n\nheapq.nlargest(n, iterable, key=None)\n  \
        Return a list with the n largest elements from the dataset defined by iterable.\n\n  \
        Equivalent to: sorted(iterable, key=key, reverse=True)[:n].\n";

    #[test]
    fn a_description_is_quoted_after_the_term_it_describes() {
        let evidence = Evidence::new(vec![passage(1, HEAPQ, "heapq — Heap queue algorithm")]);
        let quotes = evidence.quotes(
            "How do I get the n largest elements of an iterable?",
            QuoteLimits::default(),
        );
        let texts: Vec<&str> = quotes.iter().map(|q| q.text.as_str()).collect();
        assert_eq!(
            texts[0], "heapq.nlargest(n, iterable, key=None)",
            "{quotes:?}"
        );
        assert!(
            texts[1].starts_with("Return a list with the n largest"),
            "{quotes:?}"
        );
        assert_eq!((quotes[0].line, quotes[1].line), (103, 104));
        // The term is quoted for its description, with the description's score.
        assert_eq!(quotes[0].score, quotes[1].score);
        assert!(
            !texts.contains(&"heapq.heappushpop(heap, item)"),
            "{quotes:?}"
        );
    }

    #[test]
    fn the_collections_rarity_decides_which_words_of_a_question_matter() {
        // Two sentences, each covering half of the question's words.
        let sources = || {
            Evidence::new(vec![
                passage(1, "This package lets you write graphs in your files.", ""),
                passage(
                    2,
                    "Arithmetic in the length argument of setlength works.",
                    "",
                ),
            ])
        };
        let question = "Which package lets me write arithmetic in a setlength argument?";
        let alone = sources().quotes(question, QuoteLimits::default());
        // Among the sources alone every word is as rare as the next: the first wins a tie.
        assert_eq!(alone[0].n, 1, "{alone:?}");
        // In a folder of LaTeX manuals "package" and "write" are everywhere.
        let rarity: HashMap<String, f32> = [
            ("packag", 0.4),
            ("let", 1.5),
            ("write", 1.2),
            ("arithmet", 6.0),
            ("setlength", 7.5),
            ("argument", 2.0),
        ]
        .into_iter()
        .map(|(w, r)| (w.to_owned(), r))
        .collect();
        let weighed = sources()
            .with_collection_rarity(rarity)
            .quotes(question, QuoteLimits::default());
        assert_eq!(weighed[0].n, 2, "{weighed:?}");
    }

    #[test]
    fn a_question_that_asks_for_a_number_prefers_the_sentence_that_gives_one() {
        // PostgreSQL 15's runtime-config-connection.html and ssl-tcp.html, one sentence each.
        let sources = Evidence::new(vec![
            passage(
                1,
                "The server listens for TCP connections on its port and negotiates encryption.",
                "",
            ),
            passage(
                2,
                "The TCP port the server listens on; 5432 by default.",
                "",
            ),
        ]);
        let asked = "Which TCP port does the server listen on?";
        assert!(terms(asked, true).asks_number);
        assert_eq!(sources.quotes(asked, QuoteLimits::default())[0].n, 2);
        // Asked for no number, the first source's sentence is as good an answer.
        let plain = "Does the server listen for TCP connections?";
        assert!(!terms(plain, true).asks_number);
        assert_eq!(sources.quotes(plain, QuoteLimits::default())[0].n, 1);
    }

    #[test]
    fn a_lead_in_goes_on_into_the_indented_code_after_it() {
        // PostgreSQL 15's ddl-rowsecurity.html as extracted: a `<pre>` whose second line is
        // indented reads like a definition's term and its description.
        let text = "To allow all users to access only their own row in a users table, a simple \
                    policy can be used:\n\nCREATE POLICY user_policy ON users\n    USING \
                    (user_name = current_user);\n\nThis works similarly to the previous example.\n";
        let evidence = Evidence::new(vec![passage(1, text, "Row Security Policies")]);
        let texts = quoted(
            &evidence,
            "How do I let each user see only their own rows of a users table?",
        );
        assert!(
            texts[0].ends_with("a simple policy can be used:"),
            "{texts:?}"
        );
        assert_eq!(texts[1], "CREATE POLICY user_policy ON users", "{texts:?}");
        assert_eq!(texts[2], "USING (user_name = current_user);", "{texts:?}");
    }

    #[test]
    fn asked_for_a_default_the_description_that_states_it_is_quoted_to_it() {
        // PostgreSQL 15's runtime-config-autovacuum.html as extracted.
        let text = "autovacuum_vacuum_scale_factor (floating point)\n  Specifies a fraction of \
                    the table size to add to autovacuum_vacuum_threshold when deciding whether \
                    to trigger a VACUUM. This parameter can only be set in the postgresql.conf \
                    file or on the server command line. The default is 0.2 (20% of table \
                    size).\n";
        let evidence = Evidence::new(vec![passage(1, text, "Automatic Vacuuming")]);
        let texts = quoted(
            &evidence,
            "What fraction of a table must change before autovacuum vacuums it, by default?",
        );
        assert!(
            texts
                .iter()
                .any(|t| t == "The default is 0.2 (20% of table size)."),
            "{texts:?}"
        );
    }

    #[test]
    fn asked_how_a_sentence_that_names_the_means_outscores_one_that_only_describes() {
        // Python 3.11's tempfile.html and shutil.html, a sentence each, as two sources.
        let evidence = Evidence::new(vec![
            passage(
                1,
                "The directory can be removed when the program is done with it.",
                "tempfile",
            ),
            passage(
                2,
                "Call tempfile.TemporaryDirectory() and the directory is removed when the program is done.",
                "tempfile",
            ),
        ]);
        let asked = "How do I get a directory that is removed when the program is done?";
        assert!(terms(asked, true).asks_name);
        assert_eq!(evidence.quotes(asked, QuoteLimits::default())[0].n, 2);
        // Asked for no name, the first source (ranked higher, covering as much) wins.
        let plain = "Is the directory removed when the program is done?";
        assert_eq!(evidence.quotes(plain, QuoteLimits::default())[0].n, 1);
    }

    #[test]
    fn a_line_of_an_example_full_of_names_gets_no_bonus_for_them() {
        // Python 3.11's tomllib.html: an example's line and the sentence that names the module.
        let evidence = Evidence::new(vec![
            passage(
                1,
                "toml_str = \"\"\" python-version = \"3.11.0\" python-implementation = \"CPython\" \"\"\"",
                "tomllib",
            ),
            passage(
                2,
                "This module provides an interface for parsing TOML configuration files; use tomllib.load() to read one.",
                "tomllib",
            ),
        ]);
        assert!(!reads_as_prose(&evidence.units[0].sentence.text));
        assert!(reads_as_prose(&evidence.units[1].sentence.text));
        let asked = "Which module reads TOML configuration files?";
        assert_eq!(evidence.quotes(asked, QuoteLimits::default())[0].n, 2);
    }

    #[test]
    fn a_sentence_that_points_back_is_quoted_after_what_it_points_at() {
        // PostgreSQL 15's functions-uuid.html as extracted: the function's signature is a
        // line of its own, and the sentence that answers says only "This function".
        let text = "PostgreSQL includes one function to generate a UUID:\n\ngen_random_uuid () \
                    → uuid\n\nThis function returns a version 4 (random) UUID. This is the most \
                    commonly used type of UUID and is appropriate for most applications.\n";
        let evidence = Evidence::new(vec![passage(1, text, "UUID Functions")]);
        let texts = quoted(&evidence, "Which function returns a random version 4 UUID?");
        let signature = texts.iter().position(|t| t == "gen_random_uuid () → uuid");
        let answer = texts
            .iter()
            .position(|t| t.starts_with("This function returns"));
        assert!(
            matches!((signature, answer), (Some(s), Some(a)) if s + 1 == a),
            "{texts:?}"
        );
        // TeX Live's grfguide.pdf: a key's name, then "If set to true ...".
        let text = "keepaspectratio Boolean valued key like ‘clip’. If set to true then \
                    specifying both ‘width’ and ‘height’ does not distort the figure but scales \
                    such that neither of the specified dimensions is exceeded.";
        let evidence = Evidence::new(vec![passage(1, text, "Including graphics")]);
        let texts = quoted(
            &evidence,
            "How do I keep a figure from being distorted when I give both its width and height?",
        );
        assert!(texts[0].starts_with("keepaspectratio"), "{texts:?}");
        assert!(texts[1].starts_with("If set to true"), "{texts:?}");
    }

    #[test]
    fn a_lower_ranked_passage_needs_clearly_more_of_the_question_to_win() {
        let sources = |second: &str| {
            Evidence::new(vec![
                passage(
                    1,
                    "Checkpoints are started every five minutes by default.",
                    "",
                ),
                passage(2, second, ""),
            ])
        };
        let asked = "How often are WAL checkpoints started by default?";
        // One more word of the question is not enough to outrank the first source...
        let one_more = sources("WAL checkpoints are started when the log fills up.");
        assert_eq!(one_more.quotes(asked, QuoteLimits::default())[0].n, 1);
    }

    #[test]
    fn asked_how_much_the_description_that_states_the_amount_is_quoted() {
        let evidence = Evidence::new(vec![passage(
            1,
            "shared_buffers (integer)\n  Sets the amount of memory the database server uses for shared memory buffers. The default is typically 128 megabytes (128MB), but might be less if your kernel settings will not support it.\n  A reasonable starting value for the buffers is 25% of the memory of a dedicated server.",
            "Memory",
        )]);
        let texts = quoted(
            &evidence,
            "How much memory does the server set aside for shared buffers out of the box?",
        );
        assert!(texts.join(" ").contains("128MB"), "{texts:?}");
    }
}

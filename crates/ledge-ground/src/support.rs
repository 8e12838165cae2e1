//! Each sentence of a generated answer checked against the sources it was given.
//!
//! A sentence is *supported* when one place in the sources (a sentence and the one after
//! it, in one passage) covers most of its weighted terms, every number it states appears in
//! that passage, and it does not negate what that place affirms (or the reverse). A
//! supported sentence the model did not cite gets the source Ledge matched, marked as
//! Ledge's ([`CheckedSentence::matched`]); an unsupported one says why. Sentences without
//! content words ("Sure.", "[2][3]") make no claim and are counted apart.
//!
//! The check is lexical and costs microseconds a sentence, so it runs on the stream as each
//! sentence completes. [`SupportCheck`] is the seam where a better judge (an NLI model,
//! where one is installed) can replace it.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::evidence::{Evidence, Unit};
use crate::text::{Shape, Terms, terms};

/// Whether the sources back a sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Support {
    /// The sources say it.
    Supported,
    /// The sources do not say it (or say otherwise).
    Unsupported,
    /// The sentence claims nothing to check (a greeting, a bare citation, "the files do not
    /// say").
    NoClaim,
}

/// One sentence of an answer with its verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedSentence {
    /// The sentence as the model wrote it, with its whitespace: the checked sentences of an
    /// answer, joined, give the answer's text.
    pub text: String,
    /// The verdict.
    pub support: Support,
    /// The share of the sentence's weighted terms found at its best place, 0 to 1.
    pub score: f32,
    /// The sources the model cited in it (`[n]`).
    pub cited: Vec<usize>,
    /// The source Ledge found it in, when it is supported and the model did not cite that
    /// source: a citation added by Ledge, shown apart from the model's own.
    pub matched: Option<usize>,
    /// The source sentence that supports it (or comes closest), for a tooltip.
    pub evidence: Option<String>,
    /// The number of the source `evidence` comes from.
    pub evidence_source: Option<usize>,
    /// Why it is not supported, in words for the person.
    pub reason: Option<String>,
}

impl CheckedSentence {
    /// Whether the sentence carries a citation: the model's or one Ledge matched.
    pub fn is_cited(&self) -> bool {
        !self.cited.is_empty() || self.matched.is_some()
    }
}

/// Judges a sentence against the sources. The lexical check ([`Evidence`]) implements it; an
/// NLI model can too.
pub trait SupportCheck {
    /// The verdict on one sentence of an answer.
    fn check(&self, sentence: &str) -> CheckedSentence;
}

/// Words an answer uses to talk about its sources rather than about the subject.
const META_WORDS: &[&str] = &[
    "sourc", "file", "document", "accord", "base", "answer", "found", "find", "provid", "context",
    "inform", "mention", "state", "excerpt", "passag", "text", "seem", "appear", "contain",
    "question", "user", "cite", "citat", "say", "said", "note", "sure", "yes", "ok", "okay",
    "certain", "hello", "thank", "glad", "hope", "here",
];

/// The model's citations in `sentence`, and the sentence without them.
fn split_citations(sentence: &str) -> (Vec<usize>, String) {
    let cited: BTreeSet<usize> = crate::citations(sentence);
    let mut plain = String::with_capacity(sentence.len());
    let mut rest = sentence;
    while let Some(open) = rest.find('[') {
        plain.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close)
                if after[..close]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
                    || after[..close].trim_start().starts_with("source") =>
            {
                rest = &after[close + 1..];
            }
            _ => {
                plain.push('[');
                rest = after;
            }
        }
    }
    plain.push_str(rest);
    (cited.into_iter().collect(), plain)
}

/// The smallest share of a claim's weight one place must cover.
pub const SUPPORT_THRESHOLD: f32 = 0.6;

struct Place<'a> {
    score: f32,
    /// The unit holding most of the matched weight.
    anchor: &'a Unit,
    anchor_index: usize,
}

impl Evidence {
    /// Weighted share of `claim` covered by the unit at `index` and the one after it in the
    /// same passage, and which of the two holds more of it.
    fn place(&self, claim: &Terms, index: usize) -> Option<Place<'_>> {
        let unit = &self.units[index];
        if unit.sentence.shape == Shape::Heading {
            return None;
        }
        let next = self
            .units
            .get(index + 1)
            .filter(|next| next.passage == unit.passage && next.sentence.shape != Shape::Heading);
        let total: f32 = claim.words.iter().map(|w| self.weight(w)).sum();
        if total <= 0.0 {
            return None;
        }
        let (mut own, mut follow, mut context) = (0.0, 0.0, 0.0);
        for word in &claim.words {
            let weight = self.weight(word);
            if unit.terms.contains(word) {
                own += weight;
            } else if next.is_some_and(|n| n.terms.contains(word)) {
                follow += weight;
            } else if unit.context.contains(word) {
                context += weight;
            }
        }
        // A heading's words back a claim only a little: "the patent licence ends" is not
        // supported by a sentence under "Patent licence" that says nothing of ending.
        let score = (own + follow + 0.5 * context) / total;
        let (anchor, anchor_index) = match next {
            Some(next) if follow > own => (next, index + 1),
            _ => (unit, index),
        };
        Some(Place {
            score,
            anchor,
            anchor_index,
        })
    }

    /// Checks one sentence of an answer against the sources.
    pub fn check_sentence(&self, sentence: &str) -> CheckedSentence {
        let (mut cited, plain) = split_citations(sentence);
        cited.retain(|n| self.passages.iter().any(|p| p.n == *n));
        let mut claim = terms(&plain, false);
        claim.words.retain(|w| !META_WORDS.contains(&w.as_str()));
        let mut checked = CheckedSentence {
            text: sentence.to_owned(),
            support: Support::NoClaim,
            score: 0.0,
            cited: cited.clone(),
            matched: None,
            evidence: None,
            evidence_source: None,
            reason: None,
        };
        if claim.words.is_empty() {
            return checked;
        }
        let best = (0..self.units.len())
            .filter_map(|i| self.place(&claim, i))
            .max_by(|a, b| {
                let cited_bonus = |p: &Place| {
                    if cited.contains(&self.passages[p.anchor.passage].n) {
                        0.02
                    } else {
                        0.0
                    }
                };
                (a.score + cited_bonus(a))
                    .total_cmp(&(b.score + cited_bonus(b)))
                    .then(b.anchor_index.cmp(&a.anchor_index))
            });
        let Some(best) = best else {
            checked.support = Support::Unsupported;
            checked.reason = Some("the sources say nothing like it".to_owned());
            return checked;
        };
        let passage = &self.passages[best.anchor.passage];
        checked.score = best.score;
        checked.evidence = Some(best.anchor.sentence.text.clone());
        checked.evidence_source = Some(passage.n);

        let passage_numbers: Vec<&String> = self
            .units
            .iter()
            .filter(|u| u.passage == best.anchor.passage)
            // A number in the source's heading or file name counts ("Apache-2.0 says ...").
            .flat_map(|u| u.terms.numbers.iter().chain(u.context.numbers.iter()))
            .collect();
        let missing_number = claim
            .numbers
            .iter()
            .find(|number| !passage_numbers.contains(number));
        checked.reason = if let Some(number) = missing_number {
            Some(format!("the number {number} is not in the source"))
        } else if best.score < SUPPORT_THRESHOLD {
            Some(if best.score < 0.3 {
                "the sources say nothing like it".to_owned()
            } else {
                "only part of it is in the sources".to_owned()
            })
        } else if claim.negated != best.anchor.terms.negated {
            Some(if claim.negated {
                "the source says it without the negation".to_owned()
            } else {
                "the source says it with a negation".to_owned()
            })
        } else {
            None
        };
        if checked.reason.is_some() {
            checked.support = Support::Unsupported;
        } else {
            checked.support = Support::Supported;
            if !cited.contains(&passage.n) {
                checked.matched = Some(passage.n);
            }
        }
        checked
    }
}

impl SupportCheck for Evidence {
    fn check(&self, sentence: &str) -> CheckedSentence {
        self.check_sentence(sentence)
    }
}

/// How an answer fared as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct SupportSummary {
    /// Sentences the sources support.
    pub supported: usize,
    /// Sentences they do not.
    pub unsupported: usize,
    /// Sentences that claim nothing.
    pub no_claim: usize,
    /// Whether most of the answer's claims are unsupported: the shells say so above it.
    pub mostly_unsupported: bool,
}

impl SupportSummary {
    /// The summary of `sentences`.
    pub fn of(sentences: &[CheckedSentence]) -> SupportSummary {
        let mut summary = SupportSummary::default();
        for sentence in sentences {
            match sentence.support {
                Support::Supported => summary.supported += 1,
                Support::Unsupported => summary.unsupported += 1,
                Support::NoClaim => summary.no_claim += 1,
            }
        }
        summary.mostly_unsupported = summary.unsupported > summary.supported;
        summary
    }

    /// The share of claims the sources support (1 when there are none).
    pub fn supported_share(&self) -> f32 {
        let claims = self.supported + self.unsupported;
        if claims == 0 {
            1.0
        } else {
            self.supported as f32 / claims as f32
        }
    }
}

/// What the shells print above an answer whose claims are mostly unsupported.
pub const MOSTLY_UNSUPPORTED: &str =
    "Most of this answer is not backed by your files: treat it as unverified.";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::SourcePassage;

    fn apache() -> Evidence {
        Evidence::new(vec![
            SourcePassage {
                n: 1,
                text: "Each Contributor hereby grants to You a perpetual, worldwide, non-exclusive, \
                       no-charge, royalty-free, irrevocable copyright license to reproduce the Work."
                    .to_owned(),
                heading: String::new(),
                first_line: 60,
                page: None,
            },
            SourcePassage {
                n: 2,
                text: "If You institute patent litigation against any entity alleging that the Work \
                       constitutes patent infringement, then any patent licenses granted to You under \
                       this License for that Work shall terminate as of the date such litigation is filed.\n\
                       You must give any other recipients of the Work a copy of this License."
                    .to_owned(),
                heading: "Grant of Patent License".to_owned(),
                first_line: 80,
                page: None,
            },
        ])
    }

    #[test]
    fn a_faithful_sentence_is_supported_and_matched_when_uncited() {
        let checked = apache().check_sentence(
            "Your patent licenses terminate on the date you file patent litigation over the Work.",
        );
        assert_eq!(checked.support, Support::Supported, "{checked:?}");
        assert_eq!(checked.matched, Some(2));
        assert_eq!(checked.evidence_source, Some(2));
        assert!(checked.is_cited());

        let cited = apache().check_sentence(
            "Your patent licenses terminate on the date you file patent litigation [2].",
        );
        assert_eq!(cited.support, Support::Supported);
        assert_eq!(cited.cited, [2]);
        assert_eq!(
            cited.matched, None,
            "the model's own citation is the right one"
        );
    }

    #[test]
    fn invented_claims_numbers_and_negations_are_unsupported() {
        let evidence = apache();
        let invented = evidence.check_sentence(
            "The right to install modified versions is not available to users [1].",
        );
        assert_eq!(invented.support, Support::Unsupported, "{invented:?}");
        assert_eq!(invented.cited, [1]);
        assert!(invented.reason.is_some());

        let number = evidence.check_sentence(
            "Patent licenses granted to You terminate 30 days after litigation is filed.",
        );
        assert_eq!(number.support, Support::Unsupported, "{number:?}");
        assert!(number.reason.as_deref().unwrap().contains("30"));

        let negated = evidence.check_sentence(
            "Patent licenses granted to You do not terminate when such litigation is filed.",
        );
        assert_eq!(negated.support, Support::Unsupported, "{negated:?}");
        assert!(negated.reason.as_deref().unwrap().contains("negation"));
    }

    #[test]
    fn sentences_without_a_claim_are_counted_apart() {
        let evidence = apache();
        for text in ["[2][3]", "Sure!", "According to the sources:", "  \n"] {
            assert_eq!(
                evidence.check_sentence(text).support,
                Support::NoClaim,
                "{text}"
            );
        }
    }

    #[test]
    fn the_summary_flags_an_answer_that_is_mostly_unsupported() {
        let evidence = apache();
        let sentences: Vec<CheckedSentence> = [
            "Patent licenses granted to You terminate when patent litigation is filed. ",
            "Dragons guard the repository at night. ",
            "Bananas are the official fruit of this License. ",
        ]
        .iter()
        .map(|s| evidence.check(s))
        .collect();
        let summary = SupportSummary::of(&sentences);
        assert_eq!((summary.supported, summary.unsupported), (1, 2));
        assert!(summary.mostly_unsupported);
        assert!((summary.supported_share() - 1.0 / 3.0).abs() < 1e-6);
        assert!(!SupportSummary::of(&sentences[..1]).mostly_unsupported);
    }

    #[test]
    fn citations_are_taken_out_of_the_claim() {
        let (cited, plain) = split_citations("It ends [2][1, 3] but a[i] stays [source 4].");
        assert_eq!(cited, [1, 2, 3, 4]);
        assert_eq!(plain, "It ends  but a[i] stays .");
    }
}

//! The sources of one answer, cut into sentences and weighed once: what quotes are chosen
//! from and what claims are checked against.
//!
//! Term weights are inverse sentence frequencies over these sources alone: a word that
//! appears in every passage ("license" in a licence) tells little about which sentence
//! answers, a rare one ("litigation") tells much. A word the sources never use weighs as
//! much as the rarest one, so a claim built on it cannot look supported.

use std::collections::HashMap;

use crate::text::{Sentence, Shape, Terms, sentences, terms};

/// A numbered source the answer may draw on.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcePassage {
    /// Its number, as the answer cites it (`[n]`).
    pub n: usize,
    /// The passage's text.
    pub text: String,
    /// The headings above it, joined with ` > ` (may be empty).
    pub heading: String,
    /// The line of its file the passage starts on, 1-based.
    pub first_line: u32,
    /// Its page, for paged formats.
    pub page: Option<u32>,
}

/// One sentence of a source, weighed.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// Index of its passage in [`Evidence::passages`].
    pub passage: usize,
    pub sentence: Sentence,
    pub terms: Terms,
    /// The terms of the headings it sits under: the passage's heading path and the last
    /// heading line before it inside the passage, and the definition list term it describes.
    pub context: Terms,
    /// The unit of the definition list term whose description it belongs to.
    pub term: Option<usize>,
}

/// The sources of one answer, ready to quote from and check against.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub(crate) passages: Vec<SourcePassage>,
    pub(crate) units: Vec<Unit>,
    /// Per passage, the terms of the first heading of its path: the document's name or title
    /// (the assistant puts the file's name there).
    pub(crate) documents: Vec<Terms>,
    /// In how many units each term appears.
    frequency: HashMap<String, u32>,
    /// How rare each of the question's terms is in the whole collection the sources were
    /// found in ([`Evidence::with_collection_rarity`]); empty when not known.
    collection: HashMap<String, f32>,
}

fn add_words(to: &mut Terms, from: &Terms) {
    for word in &from.words {
        if !to.contains(word) {
            to.words.push(word.clone());
        }
    }
    for name in &from.names {
        if !to.names.contains(name) {
            to.names.push(name.clone());
        }
    }
}

impl Evidence {
    /// Cuts `passages` (best first) into sentences and weighs their terms.
    pub fn new(passages: Vec<SourcePassage>) -> Evidence {
        let mut units = Vec::new();
        for (index, passage) in passages.iter().enumerate() {
            let path = terms(&passage.heading.replace(" > ", ". "), false);
            let mut context = path.clone();
            let mut term: Option<(usize, Terms)> = None;
            let mut defined = true;
            for sentence in sentences(&passage.text) {
                let sentence_terms = terms(&sentence.text, false);
                if sentence.shape == Shape::Heading {
                    context = path.clone();
                    add_words(&mut context, &sentence_terms);
                }
                if sentence.shape == Shape::Term {
                    term = Some((units.len(), sentence_terms.clone()));
                    defined = false;
                } else if !sentence.under_term {
                    term = None;
                }
                // A description's first sentence says what the term is ("Sets the amount
                // of memory the server uses for shared buffers"); the sentences after it
                // ("The default is 128MB") are about that too.
                if sentence.under_term
                    && !defined
                    && let Some((_, words)) = &mut term
                {
                    add_words(words, &sentence_terms);
                    defined = true;
                }
                let (own_term, unit_context) = match (&term, sentence.under_term) {
                    (Some((at, words)), true) => {
                        let mut with_term = context.clone();
                        add_words(&mut with_term, words);
                        (Some(*at), with_term)
                    }
                    _ => (None, context.clone()),
                };
                units.push(Unit {
                    passage: index,
                    sentence,
                    terms: sentence_terms,
                    context: unit_context,
                    term: own_term,
                });
            }
        }
        let mut frequency: HashMap<String, u32> = HashMap::new();
        for unit in &units {
            for word in &unit.terms.words {
                *frequency.entry(word.clone()).or_default() += 1;
            }
        }
        let documents = passages
            .iter()
            .map(|passage| {
                terms(
                    passage.heading.split(" > ").next().unwrap_or_default(),
                    false,
                )
            })
            .collect();
        Evidence {
            passages,
            units,
            documents,
            frequency,
            collection: HashMap::new(),
        }
    }

    /// The same evidence, with the question's terms weighed by how rare they are in the
    /// collection the sources come from (an inverse document frequency over the whole index,
    /// by term) rather than among the sources' own sentences. Eight passages are too few to
    /// tell a rare word from a common one: "package" or "write" may appear in one of their
    /// sentences and so weigh like "setlength", and a README that "lets you write" a graph
    /// then outscored the manual of the package that computes lengths.
    pub fn with_collection_rarity(mut self, rarity: HashMap<String, f32>) -> Evidence {
        self.collection = rarity;
        self
    }

    /// The weight of a question's term when choosing what answers it: its rarity in the
    /// collection where known, else [`weight`](Self::weight).
    pub(crate) fn question_weight(&self, term: &str) -> f32 {
        self.collection
            .get(term)
            .copied()
            .unwrap_or_else(|| self.weight(term))
    }

    /// The passages, as given.
    pub fn passages(&self) -> &[SourcePassage] {
        &self.passages
    }

    /// How many sentences the sources have.
    pub fn sentence_count(&self) -> usize {
        self.units.len()
    }

    /// The weight of a term: high for rare ones, highest for those the sources lack.
    pub(crate) fn weight(&self, term: &str) -> f32 {
        let total = self.units.len() as f32 + 1.0;
        let seen = self.frequency.get(term).copied().unwrap_or(0) as f32;
        (1.0 + total / (seen + 0.5)).ln()
    }

    /// The line of the file a unit starts on.
    pub(crate) fn line_of(&self, unit: &Unit) -> u32 {
        let passage = &self.passages[unit.passage];
        passage.first_line.saturating_add(unit.sentence.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(n: usize, text: &str) -> SourcePassage {
        SourcePassage {
            n,
            text: text.to_owned(),
            heading: "Licence > Terms".to_owned(),
            first_line: 10,
            page: None,
        }
    }

    #[test]
    fn rare_words_weigh_more_than_common_ones_and_unknown_words_most() {
        let evidence = Evidence::new(vec![
            passage(1, "The licence is granted. The licence ends on litigation."),
            passage(2, "The licence covers copies."),
        ]);
        assert_eq!(evidence.sentence_count(), 3);
        let common = evidence.weight("licenc");
        let rare = evidence.weight("litig");
        let unknown = evidence.weight("spaceship");
        assert!(common < rare && rare < unknown, "{common} {rare} {unknown}");
    }

    #[test]
    fn units_know_their_heading_and_file_line() {
        let evidence = Evidence::new(vec![passage(
            1,
            "Intro text.\n# Patent grant\nThe grant ends\nif you sue.",
        )]);
        let last = evidence.units.last().unwrap();
        assert_eq!(last.sentence.text, "The grant ends if you sue.");
        assert_eq!(evidence.line_of(last), 12);
        assert!(last.context.contains("patent"), "{:?}", last.context);
        assert!(last.context.contains("term"), "the heading path counts too");
        assert!(!evidence.units[0].context.contains("patent"));
    }

    #[test]
    fn a_description_says_what_its_first_sentence_said_of_the_term() {
        let evidence = Evidence::new(vec![passage(
            1,
            "shared_buffers (integer)\n  Sets the memory for shared buffers. The default is 128MB.\n  Larger values need more.\nwork_mem (integer)\n  The default is 4MB.",
        )]);
        let unit = |text: &str| {
            evidence
                .units
                .iter()
                .find(|u| u.sentence.text == text)
                .unwrap()
        };
        assert!(unit("The default is 128MB.").context.contains("memori"));
        assert!(unit("Larger values need more.").context.contains("memori"));
        // The next term's description starts afresh.
        assert!(!unit("The default is 4MB.").context.contains("memori"));
        assert!(unit("The default is 4MB.").context.contains("mem"));
    }
}

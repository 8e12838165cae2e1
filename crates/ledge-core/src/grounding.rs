//! An answer's grounding (through `ledge-ground`): the extractive answer quoted from the
//! sources before any model runs, and each sentence of the model's answer checked against
//! the same sources as it streams.

use std::collections::HashMap;

use ledge_ground::{Evidence, SentenceStream, SourcePassage, SupportCheck};
use ledge_index::{ChunkRecord, Index};
use serde::{Deserialize, Serialize};

pub use ledge_ground::{
    CheckedSentence, MOSTLY_UNSUPPORTED, Quote, QuoteLimits, Support, SupportSummary,
};

/// What Ledge found in the sources for one answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Grounding {
    /// The extractive answer: source sentences that answer the question, best first.
    pub quotes: Vec<Quote>,
    /// The model's answer, sentence by sentence, each with its verdict. Their texts joined
    /// give the answer as generated.
    pub sentences: Vec<CheckedSentence>,
    /// How the answer fared as a whole.
    pub support: SupportSummary,
}

/// How rare each of a question's terms is in the whole index (see
/// [`Evidence::with_collection_rarity`]).
pub(crate) type Rarity = HashMap<String, f32>;

/// The rarity of `question`'s terms in `index`; empty (each answer's own sources weigh the
/// terms then) when the index cannot say.
pub(crate) fn question_rarity(index: &Index, question: &str) -> Rarity {
    let words = ledge_ground::text::terms(question, true).words;
    match index.term_rarity(&words) {
        Ok(rarity) => words.into_iter().zip(rarity).collect(),
        Err(error) => {
            tracing::warn!(%error, "term rarity unknown; weighing by the sources alone");
            Rarity::new()
        }
    }
}

/// The sources as the grounding sees them: `records[included[k]]` is source `k + 1`, the
/// question's terms weighed by `rarity`.
pub(crate) fn evidence(records: &[ChunkRecord], included: &[usize], rarity: &Rarity) -> Evidence {
    Evidence::new(
        included
            .iter()
            .enumerate()
            .filter_map(|(k, &index)| {
                let record = records.get(index)?;
                // The file's name heads the heading path: a question naming the document
                // ("under the Apache License") prefers its sentences.
                let name = record
                    .path
                    .file_stem()
                    .map(|n| n.to_string_lossy().replace(['-', '_'], " "))
                    .unwrap_or_default();
                let heading = if record.heading.is_empty() {
                    name
                } else {
                    format!("{name} > {}", record.heading)
                };
                Some(SourcePassage {
                    n: k + 1,
                    text: record.text.clone(),
                    heading,
                    first_line: record.line_start,
                    page: record.page,
                })
            })
            .collect(),
    )
    .with_collection_rarity(rarity.clone())
}

/// Checks an answer sentence by sentence as its text streams in.
pub(crate) struct StreamChecker<'a> {
    check: &'a dyn SupportCheck,
    stream: SentenceStream,
    sentences: Vec<CheckedSentence>,
}

impl<'a> StreamChecker<'a> {
    pub(crate) fn new(check: &'a dyn SupportCheck) -> StreamChecker<'a> {
        StreamChecker {
            check,
            stream: SentenceStream::new(),
            sentences: Vec::new(),
        }
    }

    /// The next piece of text; the sentences it completed, checked.
    pub(crate) fn push(&mut self, piece: &str) -> Vec<CheckedSentence> {
        let done = self.stream.push(piece);
        self.checked(done)
    }

    /// The end of the answer: the rest, checked.
    pub(crate) fn finish(&mut self) -> Vec<CheckedSentence> {
        let done = self.stream.finish();
        self.checked(done)
    }

    /// Forgets everything (the text streamed so far was void: an endpoint failed).
    pub(crate) fn reset(&mut self) {
        self.stream = SentenceStream::new();
        self.sentences.clear();
    }

    fn checked(&mut self, sentences: Vec<String>) -> Vec<CheckedSentence> {
        let checked: Vec<CheckedSentence> = sentences
            .iter()
            .map(|sentence| self.check.check(sentence))
            .collect();
        self.sentences.extend(checked.iter().cloned());
        checked
    }

    /// Every sentence checked so far.
    pub(crate) fn sentences(&self) -> &[CheckedSentence] {
        &self.sentences
    }
}

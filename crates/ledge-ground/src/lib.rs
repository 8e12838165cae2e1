//! Grounding: what Ledge can say from a person's files without a model, and whether what a
//! model says is in them.
//!
//! * [`Evidence`] holds the sources of one answer cut into sentences ([`text`]) and weighs
//!   their terms;
//! * [`Evidence::quotes`] is the extractive answer: the one to three source sentences that
//!   best answer the question, verbatim, with their line or page, in well under a millisecond
//!   and before any model runs;
//! * [`Evidence::check_sentence`] (through [`SupportCheck`], the seam for a better judge)
//!   checks one generated sentence: supported, unsupported with a reason, or no claim, with
//!   the source Ledge matched when the model cited none;
//! * [`Evidence::excerpts`] cuts each passage down to the lines around what bears on the
//!   question, for a prompt a small model reads in seconds;
//! * [`SentenceStream`] cuts a streamed answer into sentences as they complete, so each is
//!   checked while the rest is still being written.
//!
//! The crate knows no model, index or window: the assistant (`ledge-core`) feeds it text.

mod evidence;
mod excerpt;
mod quote;
mod stream;
mod support;
pub mod text;

use std::collections::BTreeSet;

pub use evidence::{Evidence, SourcePassage};
pub use excerpt::Excerpt;
pub use quote::{PassageScore, Quote, QuoteLimits};
pub use stream::SentenceStream;
pub use support::{
    CheckedSentence, MOSTLY_UNSUPPORTED, SUPPORT_THRESHOLD, Support, SupportCheck, SupportSummary,
};

/// The source numbers cited in `text` (`[2]`, `[1, 3]`, `[1][4]`, `[source 2]`), ascending.
/// Anything else in brackets (`a[i]`, `[x, 1]`) is not a citation.
pub fn citations(text: &str) -> BTreeSet<usize> {
    let mut cited = BTreeSet::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find(']') else { break };
        let mut inside = &rest[..close];
        // "[[2]]": the innermost bracket counts.
        if let Some(nested) = inside.rfind('[') {
            inside = &inside[nested + 1..];
        }
        let numbers: Option<Vec<usize>> = inside
            .split(',')
            .map(|part| {
                let part = part.trim();
                let part = part.strip_prefix("source").unwrap_or(part).trim();
                (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
                    .then(|| part.parse().ok())
                    .flatten()
            })
            .collect();
        if let Some(numbers) = numbers {
            cited.extend(numbers);
        }
        rest = &rest[close..];
    }
    cited
}

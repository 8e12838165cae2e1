//! Excerpts: the part of each passage that bears on the question, for a prompt that a small
//! model on a slow machine reads in seconds.
//!
//! A small model answers well from a short, focused prompt and badly from eight whole
//! chunks. So each passage is cut down to the lines around its best sentence (scored as
//! quotes are), grown sentence by sentence (the next one first, then the one before)
//! until the word budget is spent. Whole lines are kept, so the excerpt still reads as the
//! file does and its line range is exact.

use crate::evidence::Evidence;

/// Words an excerpt may run over its budget to keep the definition term its best sentence
/// describes.
const TERM_ALLOWANCE: usize = 40;
use crate::quote::{score, word_count};
use crate::text::terms;

/// The part of a passage kept for the prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excerpt {
    /// The kept lines, as in the passage.
    pub text: String,
    /// The first kept line, counted from 0 within the passage.
    pub first_line: u32,
    /// The last kept line, counted from 0 within the passage (inclusive).
    pub last_line: u32,
    /// Whether lines were left out.
    pub cut: bool,
}

impl Evidence {
    /// For each passage, in order, its excerpt of at most about `words` words around what
    /// best matches `question` (the whole passage when it is short enough).
    pub fn excerpts(&self, question: &str, words: usize) -> Vec<Excerpt> {
        let asked = terms(question, true);
        (0..self.passages.len())
            .map(|index| self.excerpt(index, &asked, words))
            .collect()
    }

    fn excerpt(&self, index: usize, asked: &crate::text::Terms, words: usize) -> Excerpt {
        let passage = &self.passages[index];
        let lines: Vec<&str> = passage.text.lines().collect();
        let whole = Excerpt {
            text: passage.text.trim_end().to_owned(),
            first_line: 0,
            last_line: u32::try_from(lines.len().saturating_sub(1)).unwrap_or(u32::MAX),
            cut: false,
        };
        let units: Vec<usize> = (0..self.units.len())
            .filter(|&i| self.units[i].passage == index)
            .collect();
        if word_count(&passage.text) <= words || units.is_empty() {
            return whole;
        }
        let best = units
            .iter()
            .copied()
            .max_by(|&a, &b| {
                score(self, asked, &self.units[a])
                    .total_cmp(&score(self, asked, &self.units[b]))
                    .then(b.cmp(&a))
            })
            .unwrap_or(units[0]);
        // Grow around the best sentence: after it first (answers often go on), then before.
        let (mut low, mut high) = (best, best);
        let mut used = word_count(&self.units[best].sentence.text);
        loop {
            let mut grew = false;
            for candidate in [high + 1, low.wrapping_sub(1)] {
                if !units.contains(&candidate) {
                    continue;
                }
                let more = word_count(&self.units[candidate].sentence.text);
                if used + more > words {
                    continue;
                }
                used += more;
                if candidate > high {
                    high = candidate;
                } else {
                    low = candidate;
                }
                grew = true;
            }
            if !grew {
                break;
            }
        }
        // A description keeps the term it describes when that is near enough.
        if let Some(term) = self.units[best].term
            && term < low
            && units.contains(&term)
        {
            let between: usize = (term..low)
                .map(|u| word_count(&self.units[u].sentence.text))
                .sum();
            if used + between <= words + TERM_ALLOWANCE {
                low = term;
            }
        }
        let first = self.units[low].sentence.line as usize;
        // The window ends where the sentence after it starts (or at the passage's end).
        let last = match units.iter().find(|&&u| u > high) {
            Some(&next) => {
                let next_line = self.units[next].sentence.line as usize;
                // A sentence starting on the same line as the last kept one ends the
                // window on that line.
                next_line
                    .saturating_sub(1)
                    .max(self.units[high].sentence.line as usize)
            }
            None => lines.len().saturating_sub(1),
        };
        let last = last.min(lines.len().saturating_sub(1)).max(first);
        let text = lines[first..=last].join("\n").trim_end().to_owned();
        Excerpt {
            text,
            first_line: u32::try_from(first).unwrap_or(u32::MAX),
            last_line: u32::try_from(last).unwrap_or(u32::MAX),
            cut: first > 0 || last + 1 < lines.len(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::evidence::{Evidence, SourcePassage};

    fn passage(text: &str) -> SourcePassage {
        SourcePassage {
            n: 1,
            text: text.to_owned(),
            heading: String::new(),
            first_line: 1,
            page: None,
        }
    }

    #[test]
    fn a_long_passage_is_cut_to_the_lines_around_its_best_sentence() {
        let mut text = String::new();
        for i in 0..20 {
            text.push_str(&format!(
                "Filler sentence number {i} talks about weather and rivers.\n"
            ));
        }
        text.push_str("The server listens on port 5432 unless told otherwise.\n");
        text.push_str("Change it with the port setting.\n");
        for i in 0..20 {
            text.push_str(&format!(
                "More filler {i} about mountains and lakes here.\n"
            ));
        }
        let evidence = Evidence::new(vec![passage(&text)]);
        let excerpts = evidence.excerpts("Which port does the server listen on?", 40);
        let excerpt = &excerpts[0];
        assert!(excerpt.cut);
        assert!(excerpt.text.contains("port 5432"), "{excerpt:?}");
        assert!(
            excerpt.text.contains("port setting"),
            "the next sentence comes first"
        );
        assert!(excerpt.text.split_whitespace().count() <= 40, "{excerpt:?}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            excerpt.text,
            lines[excerpt.first_line as usize..=excerpt.last_line as usize].join("\n"),
            "the line range is exact"
        );
        assert!((excerpt.first_line..=excerpt.last_line).contains(&20));
    }

    #[test]
    fn a_short_passage_is_kept_whole() {
        let evidence = Evidence::new(vec![passage("One line.\nTwo lines.\n")]);
        let excerpt = &evidence.excerpts("lines", 100)[0];
        assert!(!excerpt.cut);
        assert_eq!(excerpt.text, "One line.\nTwo lines.");
        assert_eq!((excerpt.first_line, excerpt.last_line), (0, 1));
    }
}

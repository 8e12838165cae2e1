//! Sentences out of a stream of text pieces, as a model writes them.
//!
//! A sentence is complete once the text after it has begun: the boundary itself is not
//! enough (`3.` may become `3.5`, and `terminates.` is often followed by its citation,
//! `terminates. [2]`, which belongs to it). Citations at the start of the next sentence are
//! moved back to the one they follow, and pieces without a letter (`1. ` of a numbered list)
//! go with the sentence after them. A model that never ends a sentence still gets its text
//! checked: past [`SentenceStream::MAX_CHARS`] the text is cut at a space.

use unicode_segmentation::UnicodeSegmentation;

/// Cuts streamed text into sentences. The sentences it returns, joined, are exactly the
/// text pushed.
#[derive(Debug, Clone, Default)]
pub struct SentenceStream {
    buffer: String,
}

/// Whether `text` is only citations (`[2]`, `[1, 3]`) and whitespace, or the start of one.
fn only_citations(text: &str) -> bool {
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let Some(after) = rest.strip_prefix('[') else {
            return false;
        };
        match after.find(']') {
            Some(close) => {
                if !after[..close]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
                {
                    return false;
                }
                rest = after[close + 1..].trim_start();
            }
            // "[1" or "[": a citation still being written.
            None => {
                return after
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == ',' || c == ' ');
            }
        }
    }
    true
}

/// The length of the citations and whitespace `text` starts with.
fn leading_citations(text: &str) -> usize {
    let mut end = 0;
    let mut rest = text;
    loop {
        let trimmed = rest.trim_start();
        let skipped = rest.len() - trimmed.len();
        let Some(after) = trimmed.strip_prefix('[') else {
            break;
        };
        let Some(close) = after.find(']') else { break };
        if close == 0
            || !after[..close]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
        {
            break;
        }
        end += skipped + 1 + close + 1;
        rest = &after[close + 1..];
    }
    // Whitespace after the last citation goes with it.
    let trailing = text[end..].len() - text[end..].trim_start().len();
    if end > 0 { end + trailing } else { 0 }
}

impl SentenceStream {
    /// Text without a sentence boundary is cut at a space once it is this long.
    pub const MAX_CHARS: usize = 600;

    /// A stream with nothing in it.
    pub fn new() -> SentenceStream {
        SentenceStream::default()
    }

    /// Cuts the buffer into segments: sentences with their trailing whitespace, citations
    /// moved back, letterless pieces moved forward.
    fn segments(&self) -> Vec<String> {
        let mut segments: Vec<String> = Vec::new();
        let mut carry = String::new();
        for piece in self.buffer.split_sentence_bounds() {
            let mut piece = piece;
            if let Some(last) = segments.last_mut() {
                let moved = leading_citations(piece);
                if moved > 0 {
                    last.push_str(&piece[..moved]);
                    piece = &piece[moved..];
                }
            }
            if piece.is_empty() {
                continue;
            }
            carry.push_str(piece);
            if carry.chars().any(char::is_alphabetic)
                || only_citations(&carry) && carry.contains(']')
            {
                segments.push(std::mem::take(&mut carry));
            }
        }
        // A trailing letterless piece ("1. " before its item arrives) waits on its own.
        if !carry.is_empty() {
            segments.push(carry);
        }
        segments
    }

    /// Adds a piece of text; returns the sentences it completed.
    pub fn push(&mut self, piece: &str) -> Vec<String> {
        self.buffer.push_str(piece);
        let mut segments = self.segments();
        let mut complete = Vec::new();
        // The last segment may still grow; so may the one before it while all that follows
        // it is a citation being written or whitespace.
        let mut keep = 1;
        while segments.len() > keep
            && segments[segments.len() - keep..]
                .iter()
                .all(|s| only_citations(s) || !s.chars().any(char::is_alphabetic))
        {
            keep += 1;
        }
        let held = segments.len().saturating_sub(keep);
        for segment in segments.drain(..held) {
            complete.push(segment);
        }
        self.buffer = segments.concat();
        if self.buffer.chars().count() > Self::MAX_CHARS {
            let cut = self
                .buffer
                .char_indices()
                .filter(|&(at, c)| c.is_whitespace() && at > 0)
                .map(|(at, c)| at + c.len_utf8())
                .take_while(|&at| self.buffer[..at].chars().count() <= Self::MAX_CHARS)
                .last()
                .unwrap_or_else(|| {
                    self.buffer
                        .char_indices()
                        .nth(Self::MAX_CHARS)
                        .map_or(self.buffer.len(), |(at, _)| at)
                });
            let rest = self.buffer.split_off(cut);
            complete.push(std::mem::replace(&mut self.buffer, rest));
        }
        complete
    }

    /// The end of the text: what is left, as sentences.
    pub fn finish(&mut self) -> Vec<String> {
        let segments = self.segments();
        self.buffer.clear();
        segments.into_iter().filter(|s| !s.is_empty()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(pieces: &[&str]) -> (Vec<Vec<String>>, Vec<String>) {
        let mut stream = SentenceStream::new();
        let steps = pieces.iter().map(|p| stream.push(p)).collect();
        (steps, stream.finish())
    }

    #[test]
    fn a_sentence_completes_when_the_next_one_starts_and_keeps_its_citation() {
        let (steps, rest) = run(&[
            "The licence ends",
            " when you sue.",
            " [2]",
            " It also",
            " covers copies [1].",
        ]);
        assert!(steps[0].is_empty() && steps[1].is_empty() && steps[2].is_empty());
        assert_eq!(steps[3], ["The licence ends when you sue. [2] "]);
        assert!(steps[4].is_empty());
        assert_eq!(rest, ["It also covers copies [1]."]);
    }

    #[test]
    fn decimal_points_and_list_numbers_do_not_end_a_sentence() {
        let text = "Version 3.5 added it. Steps:\n1. Open the file.\n2. Save it.";
        let mut stream = SentenceStream::new();
        let mut all: Vec<String> = text
            .split_inclusive(' ')
            .flat_map(|piece| stream.push(piece))
            .collect();
        all.extend(stream.finish());
        assert_eq!(all.concat(), text, "nothing is lost or repeated");
        assert_eq!(all[0], "Version 3.5 added it. ");
        assert!(
            all.iter().any(|s| s.starts_with("1. Open the file.")),
            "the list number goes with its item: {all:?}"
        );
    }

    #[test]
    fn text_without_a_boundary_is_cut_at_a_space() {
        let mut stream = SentenceStream::new();
        let word = "word ";
        let mut out = Vec::new();
        for _ in 0..400 {
            out.extend(stream.push(word));
        }
        assert!(!out.is_empty());
        assert!(
            out.iter()
                .all(|s| s.chars().count() <= SentenceStream::MAX_CHARS)
        );
        out.extend(stream.finish());
        assert_eq!(out.concat(), word.repeat(400));

        // One endless word is cut too, at a character boundary.
        let mut stream = SentenceStream::new();
        let cut = stream.push(&"é".repeat(700));
        assert_eq!(cut.len(), 1);
        assert_eq!(cut[0].chars().count(), SentenceStream::MAX_CHARS);
    }

    #[test]
    fn only_citations_and_leading_citations_are_recognised() {
        assert!(only_citations(" [2][3]"));
        assert!(only_citations("[1, 2"));
        assert!(!only_citations("[x]"));
        assert!(!only_citations("It"));
        assert_eq!(leading_citations(" [2] [3] Next"), 9);
        assert_eq!(leading_citations("Next [2]"), 0);
        assert_eq!(leading_citations("[] x"), 0);
    }
}

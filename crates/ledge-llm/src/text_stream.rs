//! Turning a stream of generated token ids into a stream of text that is always valid UTF-8
//! and never shows a stop string, even one split across several tokens.
//!
//! Two problems, two parts:
//! * [`Detokenizer`]: a token can end in the middle of a UTF-8 character (byte-fallback tokens)
//!   and decoders treat a word's first token specially (SentencePiece's leading space), so a
//!   token cannot be decoded alone. The detokenizer decodes a short window of recent tokens
//!   twice, with and without the newest ones, and emits the difference once it no longer ends
//!   in an incomplete character.
//! * [`StopMatcher`]: text that could be the start of a stop string is held back until it is
//!   clear whether the stop string follows.

use tokenizers::Tokenizer;

use crate::{Error, Result};

/// Decodes generated tokens incrementally.
#[derive(Debug)]
pub struct Detokenizer<'a> {
    tokenizer: &'a Tokenizer,
    ids: Vec<u32>,
    /// Start of the window decoded for context (already emitted).
    prefix_offset: usize,
    /// Tokens before this index have been emitted as text.
    read_offset: usize,
}

impl<'a> Detokenizer<'a> {
    /// A detokenizer for tokens generated after a prompt; decoding starts fresh.
    pub fn new(tokenizer: &'a Tokenizer) -> Self {
        Self {
            tokenizer,
            ids: Vec::new(),
            prefix_offset: 0,
            read_offset: 0,
        }
    }

    /// Adds one token; returns the text that became final with it (often empty while a
    /// multi-byte character is still incomplete).
    pub fn push(&mut self, id: u32) -> Result<String> {
        self.ids.push(id);
        let before = self.decode(self.prefix_offset, self.read_offset)?;
        let now = self.decode(self.prefix_offset, self.ids.len())?;
        if now.ends_with('\u{FFFD}') || now.len() <= before.len() {
            return Ok(String::new());
        }
        let Some(fresh) = now.get(before.len()..).filter(|_| now.starts_with(&before)) else {
            // The decoder rewrote earlier text (rare normalisation at a boundary): wait for
            // more context rather than emit something inconsistent.
            return Ok(String::new());
        };
        let fresh = fresh.to_owned();
        self.prefix_offset = self.read_offset;
        self.read_offset = self.ids.len();
        Ok(fresh)
    }

    /// The text of tokens not emitted yet (an incomplete character becomes U+FFFD).
    pub fn finish(&mut self) -> Result<String> {
        if self.read_offset == self.ids.len() {
            return Ok(String::new());
        }
        let before = self.decode(self.prefix_offset, self.read_offset)?;
        let now = self.decode(self.prefix_offset, self.ids.len())?;
        self.prefix_offset = self.ids.len();
        self.read_offset = self.ids.len();
        Ok(now.get(before.len()..).unwrap_or_default().to_owned())
    }

    fn decode(&self, start: usize, end: usize) -> Result<String> {
        self.tokenizer
            .decode(&self.ids[start..end], true)
            .map_err(|error| Error::Tokenizer(error.to_string()))
    }
}

/// Watches generated text for stop strings.
#[derive(Debug, Default)]
pub struct StopMatcher {
    stops: Vec<String>,
    held: String,
}

/// What [`StopMatcher::push`] decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    /// Text safe to show now.
    pub text: String,
    /// The stop string that ended generation, if one did (it is not part of `text`).
    pub stop: Option<String>,
}

impl StopMatcher {
    /// A matcher for these stop strings (empty strings are ignored).
    pub fn new(stops: impl IntoIterator<Item = String>) -> Self {
        Self {
            stops: stops.into_iter().filter(|s| !s.is_empty()).collect(),
            held: String::new(),
        }
    }

    /// Adds newly generated text.
    pub fn push(&mut self, text: &str) -> Matched {
        self.held.push_str(text);
        let earliest = self
            .stops
            .iter()
            .filter_map(|stop| self.held.find(stop.as_str()).map(|at| (at, stop)))
            .min_by_key(|(at, _)| *at);
        if let Some((at, stop)) = earliest {
            let stop = stop.clone();
            let text = self.held[..at].to_owned();
            self.held.clear();
            return Matched {
                text,
                stop: Some(stop),
            };
        }
        let keep = self.partial_suffix_len();
        let cut = self.held.len() - keep;
        let text = self.held[..cut].to_owned();
        self.held.drain(..cut);
        Matched { text, stop: None }
    }

    /// The text held back when generation ended for another reason.
    pub fn finish(&mut self) -> String {
        std::mem::take(&mut self.held)
    }

    /// The length of the longest end of the held text that begins some stop string.
    fn partial_suffix_len(&self) -> usize {
        let mut longest = 0;
        for stop in &self.stops {
            for (start, _) in self.held.char_indices() {
                let tail = &self.held[start..];
                if tail.len() <= longest {
                    break;
                }
                if stop.starts_with(tail) {
                    longest = tail.len();
                    break;
                }
            }
        }
        longest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(stops: &[&str], pieces: &[&str]) -> (String, Option<String>) {
        let mut matcher = StopMatcher::new(stops.iter().map(|s| (*s).to_owned()));
        let mut shown = String::new();
        for piece in pieces {
            let matched = matcher.push(piece);
            shown.push_str(&matched.text);
            if matched.stop.is_some() {
                return (shown, matched.stop);
            }
        }
        shown.push_str(&matcher.finish());
        (shown, None)
    }

    #[test]
    fn a_stop_string_split_across_pieces_is_never_shown() {
        let (shown, stop) = run(&["\nUser:"], &["Hello", " there\n", "Us", "er", ": more"]);
        assert_eq!(shown, "Hello there");
        assert_eq!(stop.as_deref(), Some("\nUser:"));
    }

    #[test]
    fn a_false_start_is_released_once_it_diverges() {
        let mut matcher = StopMatcher::new(["END".to_owned()]);
        assert_eq!(matcher.push("the EN").text, "the ");
        assert_eq!(matcher.push("D").stop.as_deref(), Some("END"));
        let mut matcher = StopMatcher::new(["END".to_owned()]);
        assert_eq!(matcher.push("the EN").text, "the ");
        assert_eq!(matcher.push("tire").text, "ENtire");
    }

    #[test]
    fn the_earliest_of_several_stops_wins_and_text_without_stops_passes() {
        let (shown, stop) = run(&["world", "lo w"], &["hello world"]);
        assert_eq!((shown.as_str(), stop.as_deref()), ("hel", Some("lo w")));
        let (shown, stop) = run(&[], &["héllo ", "wörld"]);
        assert_eq!((shown.as_str(), stop), ("héllo wörld", None));
    }

    #[test]
    fn held_text_respects_character_boundaries() {
        let mut matcher = StopMatcher::new(["ék".to_owned()]);
        assert_eq!(matcher.push("café").text, "caf");
        assert_eq!(matcher.finish(), "é");
    }
}

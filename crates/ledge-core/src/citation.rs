//! Sources shown to the model and the `[n]` citations an answer makes to them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One passage given to the model as a numbered source: where it comes from, so the UI can
/// open the file at the cited line or page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// The number the answer cites it by: `[n]`, from 1.
    pub n: usize,
    /// The file.
    pub path: PathBuf,
    /// First line of the passage, 1-based.
    pub line_start: u32,
    /// Last line, inclusive.
    pub line_end: u32,
    /// The page, for paged formats (PDF).
    pub page: Option<u32>,
    /// The headings above the passage, joined with ` > `.
    pub heading: String,
    /// The chunk in the index, when the passage came from the index.
    pub chunk_id: Option<i64>,
    /// Whether the answer cites it (the model's own `[n]`).
    pub cited: bool,
    /// Whether Ledge matched a sentence of the answer to it that the model left uncited (a
    /// citation Ledge added, shown apart from the model's).
    #[serde(default)]
    pub matched: bool,
}

impl Source {
    /// Where the passage is, for people and for the model: `lines 3-10` or `page 4`.
    pub fn location(&self) -> String {
        match self.page {
            Some(page) => format!("page {page}"),
            None if self.line_start == self.line_end => format!("line {}", self.line_start),
            None => format!("lines {}-{}", self.line_start, self.line_end),
        }
    }
}

/// The source numbers cited in `answer` (`[2]`, `[1, 3]`, `[1][4]`), within `1..=sources`,
/// ascending. Numbers outside that range are not citations of anything and are left out.
pub fn cited_numbers(answer: &str, sources: usize) -> BTreeSet<usize> {
    ledge_ground::citations(answer)
        .into_iter()
        .filter(|n| (1..=sources).contains(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cited(answer: &str, sources: usize) -> Vec<usize> {
        cited_numbers(answer, sources).into_iter().collect()
    }

    #[test]
    fn finds_single_grouped_and_adjacent_citations() {
        assert_eq!(cited("It is red [2].", 3), [2]);
        assert_eq!(cited("Both [1, 3] and [1,2]", 3), [1, 2, 3]);
        assert_eq!(cited("Adjacent [3][1].", 3), [1, 3]);
        assert_eq!(cited("As [source 2] says", 3), [2]);
    }

    #[test]
    fn ignores_brackets_that_are_not_citations() {
        assert_eq!(
            cited("an array a[i] and [] and [x, 1]", 3),
            Vec::<usize>::new()
        );
        assert_eq!(
            cited("out of range [0] [4] [99999999999999999999999]", 3),
            Vec::<usize>::new()
        );
        assert_eq!(cited("unclosed [2", 3), Vec::<usize>::new());
        assert_eq!(cited("nested [[2]]", 3), [2]);
    }

    #[test]
    fn location_reads_naturally() {
        let mut source = Source {
            n: 1,
            path: PathBuf::from("/a"),
            line_start: 3,
            line_end: 10,
            page: None,
            heading: String::new(),
            chunk_id: None,
            cited: false,
            matched: false,
        };
        assert_eq!(source.location(), "lines 3-10");
        source.line_end = 3;
        assert_eq!(source.location(), "line 3");
        source.page = Some(4);
        assert_eq!(source.location(), "page 4");
    }
}

//! The tools' arguments, their JSON schemas (what clients show their models) and their
//! checks. A wrong type or a missing field is refused by rmcp before a tool runs; what JSON
//! cannot say (lengths, ranges) is checked here, as MCP's "invalid params".

use ledge_index::Span;
use rmcp::ErrorData;
use rmcp::schemars;
use serde::Deserialize;

/// The longest query or question accepted, in characters: a long paragraph. Longer text is
/// refused with a clear error rather than cut without saying.
pub const MAX_TEXT_CHARS: usize = 4_000;

/// The most passages `search` returns.
const MAX_PASSAGES: u32 = 50;

/// The most files one question may be restricted to.
const MAX_FILES: usize = 32;

fn invalid(message: String) -> ErrorData {
    ErrorData::invalid_params(message, None)
}

fn check_text(name: &str, text: &str) -> Result<(), ErrorData> {
    if text.trim().is_empty() {
        return Err(invalid(format!("`{name}` is empty")));
    }
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(invalid(format!(
            "`{name}` is {chars} characters long; Ledge takes at most {MAX_TEXT_CHARS}"
        )));
    }
    Ok(())
}

/// `search`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchArgs {
    /// What to look for: words, a phrase or a question.
    pub query: String,
    /// How many passages to return, 1 to 50 (default 8).
    #[serde(default)]
    pub limit: Option<u32>,
}

impl SearchArgs {
    /// The number of passages to return, once the arguments are checked.
    pub fn validate(&self) -> Result<usize, ErrorData> {
        check_text("query", &self.query)?;
        match self.limit {
            None => Ok(8),
            Some(limit @ 1..=MAX_PASSAGES) => Ok(limit as usize),
            Some(limit) => Err(invalid(format!(
                "`limit` is {limit}; it must be between 1 and {MAX_PASSAGES}"
            ))),
        }
    }
}

/// `ask`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AskArgs {
    /// The question, in the person's words.
    pub question: String,
    /// Answer from these indexed files only (absolute paths), instead of the whole index.
    #[serde(default)]
    pub files: Vec<String>,
    /// The conversation an earlier answer gave, to ask a follow-up in it.
    #[serde(default)]
    pub conversation: Option<i64>,
}

impl AskArgs {
    /// Checks the arguments.
    pub fn validate(&self) -> Result<(), ErrorData> {
        check_text("question", &self.question)?;
        if self.files.len() > MAX_FILES {
            return Err(invalid(format!(
                "{} files given; a question may be restricted to at most {MAX_FILES}",
                self.files.len()
            )));
        }
        Ok(())
    }
}

/// `read`'s arguments.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadArgs {
    /// The indexed file (absolute path, as `search` and `ask` give it).
    pub path: String,
    /// First line to read, 1-based (default 1).
    #[serde(default)]
    pub start_line: Option<u32>,
    /// Last line to read, inclusive (default: 400 lines from the first).
    #[serde(default)]
    pub end_line: Option<u32>,
    /// A page to read instead of lines (PDF), 1-based.
    #[serde(default)]
    pub page: Option<u32>,
}

impl ReadArgs {
    /// The part of the file asked for, once the arguments are checked.
    pub fn span(&self) -> Result<Span, ErrorData> {
        if self.path.trim().is_empty() {
            return Err(invalid("`path` is empty".to_owned()));
        }
        if self.path.len() > MAX_TEXT_CHARS {
            return Err(invalid("`path` is too long".to_owned()));
        }
        if let Some(page) = self.page {
            if self.start_line.is_some() || self.end_line.is_some() {
                return Err(invalid(
                    "give either `page` or `start_line`/`end_line`, not both".to_owned(),
                ));
            }
            if page == 0 {
                return Err(invalid("`page` starts at 1".to_owned()));
            }
            return Ok(Span::Page(page));
        }
        let first = self.start_line.unwrap_or(1);
        if first == 0 {
            return Err(invalid("`start_line` starts at 1".to_owned()));
        }
        let last = self
            .end_line
            .unwrap_or_else(|| first.saturating_add(crate::MAX_READ_LINES - 1));
        if last < first {
            return Err(invalid(format!(
                "`end_line` ({last}) is before `start_line` ({first})"
            )));
        }
        Ok(Span::Lines { first, last })
    }
}

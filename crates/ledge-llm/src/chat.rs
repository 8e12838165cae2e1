//! Chat templates: turning a conversation into the exact prompt text a chat model was trained
//! on, by rendering the model's own Jinja template (from `chat_template.jinja` or
//! `tokenizer_config.json`) with minijinja.
//!
//! Templates are written for Python's Jinja2 as Hugging Face `transformers` runs it, so the
//! environment mirrors that one: `trim_blocks` and `lstrip_blocks` on, Python string and dict
//! methods (`.strip()`, `.items()`, ...) through minijinja-contrib's compatibility layer, and
//! the helpers templates call (`raise_exception`, `strftime_now`).

use std::path::Path;

use minijinja::{Environment, ErrorKind, Value, context};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Who said something in a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions that frame the conversation.
    System,
    /// The person.
    User,
    /// The model.
    Assistant,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub content: String,
}

impl Message {
    /// A message from `role`.
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
        }
    }
}

const TEMPLATE_NAME: &str = "chat";

/// A model's chat template, ready to render.
#[derive(Debug)]
pub struct ChatTemplate {
    env: Environment<'static>,
    bos_token: String,
    eos_token: String,
}

impl ChatTemplate {
    /// Compiles `source`; `bos_token` and `eos_token` are the texts templates may refer to.
    pub fn new(source: &str, bos_token: &str, eos_token: &str) -> Result<Self> {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_template_owned(TEMPLATE_NAME, source.to_owned())
            .map_err(|error| Error::ChatTemplate(describe(&error)))?;
        Ok(Self {
            env,
            bos_token: bos_token.to_owned(),
            eos_token: eos_token.to_owned(),
        })
    }

    /// Reads the template of the model folder `dir`: `chat_template.jinja` if present, else
    /// the `chat_template` entry of `tokenizer_config.json` (a string, or a list of named
    /// templates of which the one named `default` is used). `None` when the model has none (a
    /// base model).
    pub fn source_in(dir: &Path) -> Result<Option<String>> {
        let jinja = dir.join("chat_template.jinja");
        if jinja.is_file() {
            return std::fs::read_to_string(&jinja)
                .map(Some)
                .map_err(|source| Error::Io {
                    path: jinja,
                    source,
                });
        }
        let config_path = dir.join("tokenizer_config.json");
        if !config_path.is_file() {
            return Ok(None);
        }
        let config: serde_json::Value = read_json(&config_path)?;
        Ok(match config.get("chat_template") {
            Some(serde_json::Value::String(source)) => Some(source.clone()),
            Some(serde_json::Value::Array(named)) => named
                .iter()
                .find(|entry| entry.get("name").and_then(|n| n.as_str()) == Some("default"))
                .or_else(|| named.first())
                .and_then(|entry| entry.get("template"))
                .and_then(|t| t.as_str())
                .map(str::to_owned),
            _ => None,
        })
    }

    /// Renders `messages`; with `add_generation_prompt` the text ends where the assistant's
    /// reply begins.
    pub fn render(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|error| Error::ChatTemplate(describe(&error)))?;
        template
            .render(context! {
                messages => messages,
                add_generation_prompt => add_generation_prompt,
                bos_token => &self.bos_token,
                eos_token => &self.eos_token,
            })
            .map_err(|error| Error::ChatTemplate(describe(&error)))
    }
}

pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|error| Error::InvalidModel {
        path: path.to_path_buf(),
        reason: format!("not valid JSON: {error}"),
    })
}

/// The error with its causes, on one line.
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Templates call `raise_exception("...")` to reject conversations they cannot format (for
/// instance roles that do not alternate).
fn raise_exception(message: String) -> std::result::Result<Value, minijinja::Error> {
    Err(minijinja::Error::new(
        ErrorKind::InvalidOperation,
        format!("the model's template refused the conversation: {message}"),
    ))
}

/// Today's date (UTC) in the few `strftime` forms templates use to date their system prompt:
/// `%d`, `%m`, `%Y`, `%b`, `%B`, `%%`.
fn strftime_now(format: String) -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    format_date(seconds / 86_400, &format)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

fn format_date(days_since_epoch: u64, format: &str) -> String {
    let (year, month, day) = civil_from_days(days_since_epoch as i64);
    let month_name = MONTHS[(month - 1) as usize];
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&format!("{day:02}")),
            Some('m') => out.push_str(&format!("{month:02}")),
            Some('Y') => out.push_str(&year.to_string()),
            Some('b') => out.push_str(&month_name[..3]),
            Some('B') => out.push_str(month_name),
            Some('%') => out.push('%'),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// Gregorian (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// days-to-civil algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const CHATML: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] | trim + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    #[test]
    fn renders_a_chatml_conversation_with_the_generation_prompt() {
        let template = ChatTemplate::new(CHATML, "", "<|im_end|>").unwrap();
        let text = template
            .render(
                &[
                    Message::new(Role::System, "Be brief."),
                    Message::new(Role::User, " Hi \n"),
                ],
                true,
            )
            .unwrap();
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn python_methods_and_raise_exception_work_as_in_transformers() {
        let source = "{% if messages[0]['role'] != 'user' %}{{ raise_exception('first must be user') }}{% endif %}{% for m in messages %}{{ m['content'].strip().upper() }}|{% endfor %}";
        let template = ChatTemplate::new(source, "<s>", "</s>").unwrap();
        assert_eq!(
            template
                .render(&[Message::new(Role::User, "  a b ")], false)
                .unwrap(),
            "A B|"
        );
        let refused = template
            .render(&[Message::new(Role::Assistant, "x")], false)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("first must be user"), "{refused}");
    }

    #[test]
    fn a_broken_template_is_a_clear_error() {
        let error = ChatTemplate::new("{% for m in messages %}", "", "")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("chat template:"), "{error}");
    }

    #[test]
    fn dates_come_out_in_the_strftime_forms_templates_use() {
        // 2026-11-25 is day 20,782 after 1970-01-01.
        assert_eq!(format_date(20_782, "%d %b %Y"), "25 Nov 2026");
        assert_eq!(format_date(0, "%Y-%m-%d %B %%"), "1970-01-01 January %");
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}

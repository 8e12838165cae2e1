//! A model folder's tokenizer with what generation needs around it: the special tokens
//! (`tokenizer_config.json`), the end-of-text ids (`generation_config.json`, `config.json`)
//! and the chat template.

use std::collections::BTreeSet;
use std::path::Path;

use tokenizers::Tokenizer;

use crate::chat::{ChatTemplate, Message, read_json};
use crate::{Error, Result};

/// Tokenizer, special tokens and chat template of one model.
#[derive(Debug)]
pub struct ModelTokenizer {
    tokenizer: Tokenizer,
    eos_ids: BTreeSet<u32>,
    bos_token: Option<String>,
    chat_template: Option<ChatTemplate>,
}

impl ModelTokenizer {
    /// Loads `tokenizer.json` and the configuration files beside it in the model folder `dir`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join("tokenizer.json");
        if !path.is_file() {
            return Err(Error::InvalidModel {
                path,
                reason: "missing: the model folder has no tokenizer".into(),
            });
        }
        let tokenizer = Tokenizer::from_file(&path).map_err(|error| Error::InvalidModel {
            path: path.clone(),
            reason: format!("not a usable tokenizer: {error}"),
        })?;

        let optional_json = |name: &str| -> Result<serde_json::Value> {
            let path = dir.join(name);
            if path.is_file() {
                read_json(&path)
            } else {
                Ok(serde_json::Value::Null)
            }
        };
        let tokenizer_config = optional_json("tokenizer_config.json")?;
        let generation_config = optional_json("generation_config.json")?;
        let model_config = optional_json("config.json")?;

        let token_text = |key: &str| special_token_text(&tokenizer_config, key);
        let bos_token = token_text("bos_token");
        let eos_token = token_text("eos_token");

        let mut eos_ids = BTreeSet::new();
        for config in [&generation_config, &model_config] {
            collect_ids(config.get("eos_token_id"), &mut eos_ids);
        }
        if let Some(id) = eos_token.as_deref().and_then(|t| tokenizer.token_to_id(t)) {
            eos_ids.insert(id);
        }

        let chat_template = match ChatTemplate::source_in(dir)? {
            Some(source) => Some(ChatTemplate::new(
                &source,
                bos_token.as_deref().unwrap_or_default(),
                eos_token.as_deref().unwrap_or_default(),
            )?),
            None => None,
        };
        Ok(Self {
            tokenizer,
            eos_ids,
            bos_token,
            chat_template,
        })
    }

    /// The underlying `tokenizers` tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// Token ids of `text`; `add_special_tokens` adds what the tokenizer adds around a plain
    /// text (BOS for most models), and is off for text rendered by a chat template, which
    /// carries its own.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Result<Vec<u32>> {
        self.tokenizer
            .encode(text, add_special_tokens)
            .map(|encoding| encoding.get_ids().to_vec())
            .map_err(|error| Error::Tokenizer(error.to_string()))
    }

    /// Text of `ids`, without special tokens.
    pub fn decode(&self, ids: &[u32]) -> Result<String> {
        self.tokenizer
            .decode(ids, true)
            .map_err(|error| Error::Tokenizer(error.to_string()))
    }

    /// Ids that end a generation.
    pub fn eos_ids(&self) -> &BTreeSet<u32> {
        &self.eos_ids
    }

    /// The beginning-of-text token, if the model has one.
    pub fn bos_token(&self) -> Option<&str> {
        self.bos_token.as_deref()
    }

    /// Whether the model has a chat template (instruction-tuned models do, base models not).
    pub fn has_chat_template(&self) -> bool {
        self.chat_template.is_some()
    }

    /// The prompt ids for a conversation, rendered with the model's chat template and ending
    /// where the assistant's reply begins.
    pub fn encode_chat(&self, messages: &[Message]) -> Result<Vec<u32>> {
        let template = self.chat_template.as_ref().ok_or_else(|| {
            Error::ChatTemplate("the model has no chat template (a base model?)".into())
        })?;
        let text = template.render(messages, true)?;
        self.encode(&text, false)
    }

    /// The chat template rendering of `messages`, as text.
    pub fn render_chat(&self, messages: &[Message], add_generation_prompt: bool) -> Result<String> {
        let template = self.chat_template.as_ref().ok_or_else(|| {
            Error::ChatTemplate("the model has no chat template (a base model?)".into())
        })?;
        template.render(messages, add_generation_prompt)
    }
}

/// `"<s>"` or `{"content": "<s>", ...}`: both forms appear in `tokenizer_config.json`.
fn special_token_text(config: &serde_json::Value, key: &str) -> Option<String> {
    match config.get(key)? {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Object(object) => object
            .get("content")
            .and_then(|c| c.as_str())
            .map(str::to_owned),
        _ => None,
    }
}

/// `eos_token_id` is a number or a list of numbers.
fn collect_ids(value: Option<&serde_json::Value>, ids: &mut BTreeSet<u32>) {
    match value {
        Some(serde_json::Value::Number(number)) => {
            if let Some(id) = number.as_u64().and_then(|id| u32::try_from(id).ok()) {
                ids.insert(id);
            }
        }
        Some(serde_json::Value::Array(items)) => {
            for item in items {
                collect_ids(Some(item), ids);
            }
        }
        _ => {}
    }
}

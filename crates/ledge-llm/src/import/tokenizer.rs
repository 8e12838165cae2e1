//! The tokenizer of a GGUF file, rebuilt as a Hugging Face `tokenizer.json`.
//!
//! A GGUF file carries no `tokenizer.json`: llama.cpp stores the vocabulary, merges, scores,
//! token types and special token ids as metadata (`tokenizer.ggml.*`). This module turns that
//! metadata back into a [`tokenizers::Tokenizer`] built from the `tokenizers` crate's own
//! models, normalizers, pre-tokenizers and decoders, so that the `tokenizer.json` it writes is
//! one any Hugging Face tokenizer reads. Two GGUF tokenizer models are understood:
//!
//! - `gpt2`: byte-level BPE with the file's merges. How text is split before BPE is not in the
//!   vocabulary but named by `tokenizer.ggml.pre`; the split for each name is llama.cpp's
//!   (which matches the original model's `tokenizer.json`). An unknown name is an error rather
//!   than a guess, because a wrong split silently changes the ids of numbers and punctuation.
//! - `llama`: SentencePiece-style BPE. The file has scores instead of merges; merges are
//!   rebuilt from the vocabulary, best score first, as SentencePiece's BPE merges the
//!   best-scoring pair first. Unknown characters fall back to `<0xNN>` byte tokens; spaces are
//!   spelled `▁`.
//!
//! In both, tokens the file marks as control (`<|im_start|>`, `<start_of_turn>`) become special
//! added tokens and user-defined ones (Gemma's runs of newlines and tabs) plain added tokens, so
//! both are matched whole in the text and never split. `tokenizer_config.json` gets the special
//! tokens, whether BOS/EOS are added, the chat template and the context length.
//!
//! The rules are llama.cpp's and those of Hugging Face transformers' GGUF tokenizer converter,
//! which the tests compare against token id for token id. Where they part, llama.cpp's are
//! taken: transformers does not know `smollm` and would not split digits.

use std::collections::HashMap;
use std::path::Path;

use serde_json::{Value, json};
use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::byte_level::ByteLevel as ByteLevelDecoder;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::replace::Replace;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::pre_tokenizers::sequence::Sequence as PreTokenizerSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::processors::PostProcessorWrapper;
use tokenizers::processors::sequence::Sequence as ProcessorSequence;
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{
    AddedToken, DecoderWrapper, PreTokenizerWrapper, SplitDelimiterBehavior, Tokenizer,
};

use crate::gguf::GgufFile;
use crate::{Error, Result};

/// llama.cpp's token types (`llama_token_type`), as stored in `tokenizer.ggml.token_type`.
const TYPE_CONTROL: i64 = 3;
const TYPE_USER_DEFINED: i64 = 4;

/// SentencePiece's visible space.
const SPACE: char = '▁';

/// The split used before byte-level BPE by Llama 3 and the models llama.cpp groups with it.
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// Qwen2's split: Llama 3's, but every digit alone.
const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// How a byte-level vocabulary's text is split before BPE (`tokenizer.ggml.pre`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PreSplit {
    /// GPT-2's own regex (the `ByteLevel` pre-tokenizer's built-in one).
    Gpt2,
    /// Every digit alone, then GPT-2's regex (StarCoder, SmolLM).
    DigitsThenGpt2,
    /// A regex of its own, then byte-level spelling without GPT-2's regex.
    Regex(&'static str),
}

/// The `tokenizer.ggml.pre` names understood, with llama.cpp's split for each
/// (`llama-vocab.cpp`). `default` is what llama.cpp's converter writes when it does not
/// recognise a vocabulary; like transformers, it gets GPT-2's regex.
const PRE_SPLITS: &[(&str, PreSplit)] = &[
    ("default", PreSplit::Gpt2),
    ("gpt-2", PreSplit::Gpt2),
    ("gpt2", PreSplit::Gpt2),
    ("smollm", PreSplit::DigitsThenGpt2),
    ("starcoder", PreSplit::DigitsThenGpt2),
    ("refact", PreSplit::DigitsThenGpt2),
    ("llama3", PreSplit::Regex(LLAMA3_SPLIT)),
    ("llama-v3", PreSplit::Regex(LLAMA3_SPLIT)),
    ("llama-bpe", PreSplit::Regex(LLAMA3_SPLIT)),
    ("smaug-bpe", PreSplit::Regex(LLAMA3_SPLIT)),
    ("falcon3", PreSplit::Regex(LLAMA3_SPLIT)),
    ("qwen2", PreSplit::Regex(QWEN2_SPLIT)),
    ("deepseek-r1-qwen", PreSplit::Regex(QWEN2_SPLIT)),
];

/// A tokenizer rebuilt from a GGUF file's metadata, with its `tokenizer_config.json`.
#[derive(Debug, Clone)]
pub struct GgufTokenizer {
    tokenizer: Tokenizer,
    config: Value,
}

impl GgufTokenizer {
    /// Builds the tokenizer `file`'s metadata describes.
    ///
    /// Fails with [`Error::InvalidModel`] when the tokenizer metadata is missing, names a
    /// tokenizer model or pre-tokenizer Ledge does not know, or contradicts itself (ids out of
    /// range, arrays of different lengths, merges of unknown tokens).
    pub fn from_gguf(file: &GgufFile) -> Result<GgufTokenizer> {
        let meta = Metadata::read(file)?;
        let tokenizer = match meta.model.as_str() {
            "gpt2" => byte_level_bpe(file, &meta)?,
            "llama" => sentencepiece_bpe(file, &meta)?,
            other => {
                return Err(invalid(
                    file,
                    format!(
                        "tokenizer model `{other}` (tokenizer.ggml.model) is not supported; \
                         supported: gpt2, llama"
                    ),
                ));
            }
        };
        let config = tokenizer_config(file, &meta)?;
        Ok(GgufTokenizer { tokenizer, config })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The tokenizer, taken out.
    pub fn into_tokenizer(self) -> Tokenizer {
        self.tokenizer
    }

    /// The contents of `tokenizer_config.json`.
    pub fn config(&self) -> &Value {
        &self.config
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` into the folder `dir`.
    pub fn write_to(&self, dir: &Path) -> Result<()> {
        let path = dir.join("tokenizer.json");
        let text = self
            .tokenizer
            .to_string(false)
            .map_err(|error| Error::InvalidModel {
                path: path.clone(),
                reason: format!("cannot serialize the tokenizer: {error}"),
            })?;
        std::fs::write(&path, text).map_err(|source| Error::Io { path, source })?;
        super::write_json(&dir.join("tokenizer_config.json"), &self.config)
    }
}

/// The tokenizer `file`'s metadata describes; see [`GgufTokenizer::from_gguf`].
pub fn tokenizer_from_gguf(file: &GgufFile) -> Result<Tokenizer> {
    GgufTokenizer::from_gguf(file).map(GgufTokenizer::into_tokenizer)
}

fn invalid(file: &GgufFile, reason: String) -> Error {
    Error::InvalidModel {
        path: file.path().to_path_buf(),
        reason,
    }
}

/// The `tokenizer.ggml.*` metadata, checked for consistency.
#[derive(Debug)]
struct Metadata {
    model: String,
    tokens: Vec<String>,
    /// One per token; all normal when the file has none.
    types: Vec<i64>,
    bos: Option<u32>,
    eos: Option<u32>,
    unk: Option<u32>,
    pad: Option<u32>,
    add_bos: bool,
    add_eos: bool,
    add_space_prefix: bool,
}

impl Metadata {
    fn read(file: &GgufFile) -> Result<Metadata> {
        // Checked first so that a file with no tokenizer at all says so, not which key is absent.
        if !file.has("tokenizer.ggml.model") {
            return Err(invalid(
                file,
                "no tokenizer in the metadata (`tokenizer.ggml.model` is missing)".into(),
            ));
        }
        let model = file.string("tokenizer.ggml.model")?.to_owned();
        let tokens: Vec<String> = file
            .strings("tokenizer.ggml.tokens")?
            .into_iter()
            .map(str::to_owned)
            .collect();
        if tokens.is_empty() {
            return Err(invalid(file, "`tokenizer.ggml.tokens` is empty".into()));
        }
        let types = match optional(file, "tokenizer.ggml.token_type", GgufFile::integers)? {
            Some(types) if types.len() != tokens.len() => {
                return Err(invalid(
                    file,
                    format!(
                        "`tokenizer.ggml.token_type` has {} entries for {} tokens",
                        types.len(),
                        tokens.len()
                    ),
                ));
            }
            Some(types) => types,
            None => vec![1; tokens.len()],
        };
        let id = |key: &str| -> Result<Option<u32>> {
            let Some(value) = optional(file, key, GgufFile::integer)? else {
                return Ok(None);
            };
            match u32::try_from(value) {
                Ok(id) if (id as usize) < tokens.len() => Ok(Some(id)),
                _ => Err(invalid(
                    file,
                    format!(
                        "`{key}` is {value}, outside the vocabulary of {} tokens",
                        tokens.len()
                    ),
                )),
            }
        };
        let sentencepiece = model == "llama";
        Ok(Metadata {
            bos: id("tokenizer.ggml.bos_token_id")?,
            eos: id("tokenizer.ggml.eos_token_id")?,
            unk: id("tokenizer.ggml.unknown_token_id")?,
            pad: id("tokenizer.ggml.padding_token_id")?,
            // llama.cpp's defaults when a flag is absent: SentencePiece vocabularies start with
            // BOS and a space; byte-level ones with neither (and ignore the space flag).
            add_bos: optional(file, "tokenizer.ggml.add_bos_token", GgufFile::boolean)?
                .unwrap_or(sentencepiece),
            add_eos: optional(file, "tokenizer.ggml.add_eos_token", GgufFile::boolean)?
                .unwrap_or(false),
            add_space_prefix: optional(file, "tokenizer.ggml.add_space_prefix", GgufFile::boolean)?
                .unwrap_or(sentencepiece),
            model,
            tokens,
            types,
        })
    }

    fn token(&self, id: Option<u32>) -> Option<&str> {
        id.and_then(|id| self.tokens.get(id as usize))
            .map(String::as_str)
    }
}

/// `key`'s value read by `get`, or `None` when the metadata lacks it (a key of the wrong type
/// is still an error).
fn optional<'a, T>(
    file: &'a GgufFile,
    key: &str,
    get: impl FnOnce(&'a GgufFile, &str) -> Result<T>,
) -> Result<Option<T>> {
    if file.has(key) {
        get(file, key).map(Some)
    } else {
        Ok(None)
    }
}

/// GPT-2's byte-to-character table: every byte gets a printable character, so byte-level
/// vocabularies spell arbitrary bytes as text (a space is `Ġ`).
fn byte_alphabet() -> [char; 256] {
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for byte in 0..=255u8 {
        let printable = matches!(byte, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
        let code = if printable {
            u32::from(byte)
        } else {
            next += 1;
            next - 1
        };
        // Every code is below 0x200, so always a valid character.
        table[byte as usize] = char::from_u32(code).unwrap_or('\0');
    }
    table
}

fn byte_level_bpe(file: &GgufFile, meta: &Metadata) -> Result<Tokenizer> {
    let pre = optional(file, "tokenizer.ggml.pre", GgufFile::string)?.unwrap_or("default");
    let Some(&(_, split)) = PRE_SPLITS.iter().find(|(name, _)| *name == pre) else {
        let known: Vec<&str> = PRE_SPLITS.iter().map(|(name, _)| *name).collect();
        return Err(invalid(
            file,
            format!(
                "pre-tokenizer `{pre}` (tokenizer.ggml.pre) is not supported; supported: {}",
                known.join(", ")
            ),
        ));
    };

    // Byte-level vocabularies spell every token in the byte alphabet. A token that does not
    // is respelled from its UTF-8 bytes, as transformers does, so it still matches the text.
    let alphabet = byte_alphabet();
    let alphabet_chars: std::collections::HashSet<char> = alphabet.iter().copied().collect();
    let in_alphabet = |token: &str| token.chars().all(|c| alphabet_chars.contains(&c));
    let spelled: Vec<String> = meta
        .tokens
        .iter()
        .map(|token| {
            if in_alphabet(token) {
                token.clone()
            } else {
                token.bytes().map(|b| alphabet[b as usize]).collect()
            }
        })
        .collect();
    let vocab: Vocab = spelled
        .iter()
        .enumerate()
        .map(|(id, token)| (token.clone(), id as u32))
        .collect();
    let merges = file
        .strings("tokenizer.ggml.merges")?
        .into_iter()
        .map(|merge| match merge.split_once(' ') {
            Some((left, right)) if !right.contains(' ') => Ok((left.to_owned(), right.to_owned())),
            _ => Err(invalid(
                file,
                format!("merge `{merge}` in `tokenizer.ggml.merges` is not two tokens"),
            )),
        })
        .collect::<Result<Vec<_>>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|error| invalid(file, format!("inconsistent BPE vocabulary: {error}")))?;

    let mut tokenizer = Tokenizer::new(bpe);
    // `add_space_prefix` is a SentencePiece setting: llama.cpp ignores it for byte-level
    // vocabularies, and so does transformers, so no space is ever prepended here.
    let byte_level = ByteLevel::new(false, true, true);
    let pre_tokenizer: PreTokenizerWrapper = match split {
        PreSplit::Gpt2 => byte_level.into(),
        PreSplit::DigitsThenGpt2 => {
            PreTokenizerSequence::new(vec![Digits::new(true).into(), byte_level.into()]).into()
        }
        PreSplit::Regex(regex) => {
            let split = Split::new(
                SplitPattern::Regex(regex.to_owned()),
                SplitDelimiterBehavior::Isolated,
                false,
            )
            .map_err(|error| invalid(file, format!("pre-tokenizer regex: {error}")))?;
            let spelling = ByteLevel::new(false, true, false);
            PreTokenizerSequence::new(vec![split.into(), spelling.into()]).into()
        }
    };
    tokenizer.with_pre_tokenizer(Some(pre_tokenizer));
    tokenizer.with_decoder(Some(ByteLevelDecoder::default()));
    // ByteLevel trims the `Ġ` from offsets; BOS/EOS come on top when the file asks for them.
    let trim: PostProcessorWrapper = ByteLevel::new(false, true, false).into();
    let processor = match bos_eos_template(file, meta)? {
        Some(template) => ProcessorSequence::new(vec![trim, template.into()]).into(),
        None => trim,
    };
    tokenizer.with_post_processor(Some(processor));

    // Control tokens spelled outside the byte alphabet (respelled above) are llama.cpp
    // mislabels, which transformers skips too: adding them would give a second id to text the
    // vocabulary already has.
    add_special_tokens(&mut tokenizer, meta, &spelled);
    Ok(tokenizer)
}

fn sentencepiece_bpe(file: &GgufFile, meta: &Metadata) -> Result<Tokenizer> {
    let scores = file.floats("tokenizer.ggml.scores")?;
    if scores.len() != meta.tokens.len() {
        return Err(invalid(
            file,
            format!(
                "`tokenizer.ggml.scores` has {} entries for {} tokens",
                scores.len(),
                meta.tokens.len()
            ),
        ));
    }
    // Gemma's converter writes its whitespace tokens ("▁▁", "▁▁▁", ...) with real spaces, but
    // the text they must match is spelled with `▁` by the time BPE sees it. And Gemma's merge
    // order is the order of its vocabulary, which its scores do not quite follow.
    let gemma = file.architecture()?.starts_with("gemma");
    let spelled: Vec<String> = meta
        .tokens
        .iter()
        .map(|token| {
            if gemma && token.contains(' ') && token.trim().is_empty() {
                SPACE.to_string().repeat(token.chars().count())
            } else {
                token.clone()
            }
        })
        .collect();
    let priorities: Vec<f64> = if gemma {
        (0..spelled.len()).map(|id| -(id as f64)).collect()
    } else {
        scores.iter().map(|&s| f64::from(s)).collect()
    };
    let vocab: Vocab = spelled
        .iter()
        .enumerate()
        .map(|(id, token)| (token.clone(), id as u32))
        .collect();
    let merges = merges_from_scores(&spelled, &vocab, &priorities);

    let mut builder = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = meta.token(meta.unk) {
        builder = builder.unk_token(unk.to_owned());
    }
    let bpe = builder
        .build()
        .map_err(|error| invalid(file, format!("inconsistent vocabulary: {error}")))?;

    let mut tokenizer = Tokenizer::new(bpe);
    // SentencePiece does not split the text: spaces become `▁` and BPE sees it whole.
    let prepend = if meta.add_space_prefix {
        PrependScheme::First
    } else {
        PrependScheme::Never
    };
    tokenizer.with_pre_tokenizer(Some(Metaspace::new(SPACE, prepend, false)));
    let replace = Replace::new(SPACE.to_string(), " ")
        .map_err(|error| invalid(file, format!("decoder: {error}")))?;
    let mut decoders: Vec<DecoderWrapper> = vec![
        replace.into(),
        ByteFallback::new().into(),
        Fuse::new().into(),
    ];
    if meta.add_space_prefix {
        decoders.push(Strip::new(' ', 1, 0).into());
    }
    tokenizer.with_decoder(Some(DecoderSequence::new(decoders)));
    if let Some(template) = bos_eos_template(file, meta)? {
        tokenizer.with_post_processor(Some(template));
    }
    add_special_tokens(&mut tokenizer, meta, &spelled);
    Ok(tokenizer)
}

/// Merges that let BPE reproduce SentencePiece's: every way of cutting each token into two
/// tokens, highest priority (score) of the joined token first, then the longer left part.
/// This is transformers' `generate_merges`, order included, since equal-rank ties decide ids.
fn merges_from_scores(
    tokens: &[String],
    vocab: &Vocab,
    priorities: &[f64],
) -> Vec<(String, String)> {
    /// One way to cut `token` at byte `cut`; strings are only made for the final list.
    struct Candidate<'a> {
        priority: f64,
        left_chars: usize,
        right_chars: usize,
        token: &'a str,
        cut: usize,
    }
    // A repeated token counts once, with its last priority, as in a Python dict.
    let mut last: HashMap<&str, f64> = HashMap::with_capacity(tokens.len());
    for (token, &priority) in tokens.iter().zip(priorities) {
        last.insert(token, priority);
    }
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut seen = std::collections::HashSet::with_capacity(tokens.len());
    let mut local = Vec::new();
    for token in tokens {
        if !seen.insert(token.as_str()) {
            continue;
        }
        let priority = last.get(token.as_str()).copied().unwrap_or(0.0);
        local.clear();
        for (chars, (cut, _)) in token.char_indices().enumerate().skip(1) {
            let (left, right) = token.split_at(cut);
            if let (Some(&left_id), Some(&right_id)) = (vocab.get(left), vocab.get(right)) {
                local.push(((left_id, right_id), chars, cut));
            }
        }
        // Within one token, pairs come in the order of their parts' ids.
        local.sort_by_key(|&(ids, _, _)| ids);
        let total = token.chars().count();
        candidates.extend(local.iter().map(|&(_, chars, cut)| Candidate {
            priority,
            left_chars: chars,
            right_chars: total - chars,
            token,
            cut,
        }));
    }
    // Stable and descending, like Python's `sorted(..., reverse=True)`.
    candidates.sort_by(|a, b| {
        b.priority
            .total_cmp(&a.priority)
            .then(b.left_chars.cmp(&a.left_chars))
            .then(b.right_chars.cmp(&a.right_chars))
    });
    candidates
        .into_iter()
        .map(|c| {
            let (left, right) = c.token.split_at(c.cut);
            (left.to_owned(), right.to_owned())
        })
        .collect()
}

/// A post-processor adding BOS and/or EOS around each sequence, when the file asks for them.
fn bos_eos_template(file: &GgufFile, meta: &Metadata) -> Result<Option<TemplateProcessing>> {
    let wanted = |flag: bool, id: Option<u32>, what: &str| -> Result<Option<(String, u32)>> {
        if !flag {
            return Ok(None);
        }
        match (meta.token(id), id) {
            (Some(token), Some(id)) => Ok(Some((token.to_owned(), id))),
            _ => Err(invalid(
                file,
                format!("the file asks to add {what} but names no {what} token"),
            )),
        }
    };
    let bos = wanted(meta.add_bos, meta.bos, "BOS")?;
    let eos = wanted(meta.add_eos, meta.eos, "EOS")?;
    if bos.is_none() && eos.is_none() {
        return Ok(None);
    }
    let around = |sequence: &str, type_id: u32| {
        let mut parts = Vec::new();
        if let Some((token, _)) = &bos {
            parts.push(format!("{token}:{type_id}"));
        }
        parts.push(format!("${sequence}:{type_id}"));
        if let Some((token, _)) = &eos {
            parts.push(format!("{token}:{type_id}"));
        }
        parts.join(" ")
    };
    let single = around("A", 0);
    let pair = format!("{single} {}", around("B", 1));
    let specials: Vec<(String, u32)> = bos.iter().chain(eos.iter()).cloned().collect();
    let template = TemplateProcessing::builder()
        .try_single(single.as_str())
        .and_then(|builder| builder.try_pair(pair.as_str()))
        .map_err(|error| invalid(file, format!("BOS/EOS template: {error}")))?
        .special_tokens(specials)
        .build()
        .map_err(|error| invalid(file, format!("BOS/EOS template: {error}")))?;
    Ok(Some(template))
}

/// Adds control tokens as special tokens and user-defined ones as plain added tokens, both
/// matched on the raw text; without this they would be cut into pieces like any other text.
/// Only tokens still spelled as in the file are added: a respelled one (Gemma's spaces, a
/// byte-level mislabel) is an ordinary vocabulary entry now.
fn add_special_tokens(tokenizer: &mut Tokenizer, meta: &Metadata, spelled: &[String]) {
    let added = |kind: i64, special: bool| -> Vec<AddedToken> {
        spelled
            .iter()
            .zip(&meta.tokens)
            .zip(&meta.types)
            .filter(|&((token, original), &t)| t == kind && token == original)
            .map(|((token, _), _)| AddedToken::from(token.clone(), special).normalized(false))
            .collect()
    };
    tokenizer.add_special_tokens(&added(TYPE_CONTROL, true));
    tokenizer.add_tokens(&added(TYPE_USER_DEFINED, false));
}

/// `tokenizer_config.json`: what transformers and [`crate::tokenizer::ModelTokenizer`] read.
fn tokenizer_config(file: &GgufFile, meta: &Metadata) -> Result<Value> {
    let mut config = json!({
        "tokenizer_class": "PreTrainedTokenizerFast",
        "add_bos_token": meta.add_bos,
        "add_eos_token": meta.add_eos,
        "bos_token": meta.token(meta.bos),
        "eos_token": meta.token(meta.eos),
        "unk_token": meta.token(meta.unk),
        "pad_token": meta.token(meta.pad),
        "clean_up_tokenization_spaces": false,
    });
    if let Some(template) = optional(file, "tokenizer.chat_template", GgufFile::string)? {
        config["chat_template"] = json!(template);
    }
    let context_key = format!("{}.context_length", file.architecture()?);
    if let Some(context) = optional(file, &context_key, GgufFile::integer)? {
        config["model_max_length"] = json!(context);
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_byte_alphabet_spells_every_byte_differently() {
        let alphabet = byte_alphabet();
        assert_eq!(alphabet[b' ' as usize], 'Ġ');
        assert_eq!(alphabet[b'\n' as usize], 'Ċ');
        assert_eq!(alphabet[b'a' as usize], 'a');
        let distinct: std::collections::HashSet<char> = alphabet.iter().copied().collect();
        assert_eq!(distinct.len(), 256);
    }

    #[test]
    fn merges_come_best_score_first_and_longer_left_first_on_ties() {
        let tokens: Vec<String> = ["a", "b", "c", "ab", "bc", "abc"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let vocab: Vocab = tokens
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let merges = merges_from_scores(&tokens, &vocab, &[0.0, 0.0, 0.0, -1.0, -2.0, -3.0]);
        let merges: Vec<(&str, &str)> = merges
            .iter()
            .map(|(l, r)| (l.as_str(), r.as_str()))
            .collect();
        assert_eq!(
            merges,
            [("a", "b"), ("b", "c"), ("ab", "c"), ("a", "bc")],
            "ab (-1) before bc (-2) before abc (-3), whose longer left part comes first"
        );
    }
}

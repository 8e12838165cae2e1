//! The KV cache: each layer's keys and values for the tokens already run, so that the next
//! tokens attend to them without recomputing.
//!
//! A global-attention layer keeps every position. A sliding-window layer (Gemma 3's local
//! layers, Llama configs with `sliding_attention`) only ever looks at the last `window`
//! positions, so its cache is bounded: it keeps at most `2 * window` entries and, when it
//! passes that, drops all but the last `window` (the copy is amortised over `window` steps).
//! The slack beyond the window is what lets [`KvCache::truncate`] step back a little without
//! starting over.
//!
//! Arrays are `[1, kv_heads, positions, head_dim]`, appended by concatenation; the model
//! evaluates them with its logits, once per forward call, so no lazy graph outlives a call.

use mlx_rs::Array;
use mlx_rs::ops::indexing::TryIndexOp;

use crate::Result;

/// Keys and values of every layer for the tokens run so far.
pub struct KvCache {
    /// Tokens run so far (positions, not entries kept).
    offset: usize,
    layers: Vec<LayerCache>,
}

impl std::fmt::Debug for KvCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KvCache")
            .field("len", &self.offset)
            .field("layers", &self.layers.len())
            .finish_non_exhaustive()
    }
}

/// One layer's cache.
#[derive(Clone)]
pub(crate) struct LayerCache {
    /// `(keys, values)`, absent before the first token.
    kv: Option<(Array, Array)>,
    /// Position of the first entry kept.
    start: usize,
    /// The window of a sliding-window layer.
    window: Option<usize>,
}

impl LayerCache {
    /// Entries kept.
    fn kept(&self, offset: usize) -> usize {
        offset - self.start
    }
}

impl KvCache {
    /// An empty cache for layers with these windows (`None`: global attention).
    pub(crate) fn new(windows: impl IntoIterator<Item = Option<usize>>) -> Self {
        Self {
            offset: 0,
            layers: windows
                .into_iter()
                .map(|window| LayerCache {
                    kv: None,
                    start: 0,
                    window,
                })
                .collect(),
        }
    }

    /// Tokens the cache holds (the position the next token gets).
    pub fn len(&self) -> usize {
        self.offset
    }

    /// Whether no token has been run.
    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// Drops everything after the first `len` tokens. Returns false when it cannot: a
    /// sliding-window layer already forgot entries the tokens after `len` would need, or
    /// `len` is beyond what the cache holds. The cache is unchanged then, and the caller
    /// starts a new one. Truncating to 0 always succeeds and empties the cache.
    pub fn truncate(&mut self, len: usize) -> bool {
        if len == self.offset {
            return true;
        }
        if len > self.offset {
            return false;
        }
        if len == 0 {
            for layer in &mut self.layers {
                layer.kv = None;
                layer.start = 0;
            }
            self.offset = 0;
            return true;
        }
        // The token at position `len` needs positions `len - window + 1 .. len` of a
        // sliding layer.
        let possible = self.layers.iter().all(|layer| match layer.window {
            None => true,
            Some(window) => layer.start <= len.saturating_sub(window.saturating_sub(1)),
        });
        if !possible {
            return false;
        }
        let mut truncated = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let keep = len - layer.start;
            let kv = match &layer.kv {
                Some((keys, values)) if keep > 0 => {
                    match (first(keys, keep), first(values, keep)) {
                        (Ok(keys), Ok(values)) => Some((keys, values)),
                        _ => return false,
                    }
                }
                _ => None,
            };
            truncated.push(LayerCache {
                kv,
                start: if keep > 0 { layer.start } else { len },
                window: layer.window,
            });
        }
        self.layers = truncated;
        self.offset = len;
        true
    }

    /// Starts a forward pass of `tokens` new tokens: what each layer holds now.
    pub(crate) fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn layer(&self, index: usize) -> Option<&LayerCache> {
        self.layers.get(index)
    }

    pub(crate) fn layers(&self) -> usize {
        self.layers.len()
    }

    /// Commits a forward pass of `tokens` tokens: the layers' new states.
    pub(crate) fn commit(&mut self, layers: Vec<LayerCache>, tokens: usize) {
        self.layers = layers;
        self.offset += tokens;
    }
}

impl LayerCache {
    /// The keys and values kept, once a token has run.
    pub(crate) fn arrays(&self) -> Option<(&Array, &Array)> {
        self.kv.as_ref().map(|(keys, values)| (keys, values))
    }

    /// Entries kept before this pass, given the cache's offset.
    pub(crate) fn kept_at(&self, offset: usize) -> usize {
        self.kept(offset)
    }

    /// Appends this pass's keys and values (`[1, kv_heads, tokens, head_dim]`) and returns
    /// the new state with everything to attend to, oldest first.
    pub(crate) fn append(
        &self,
        keys: Array,
        values: Array,
        offset: usize,
        tokens: usize,
    ) -> Result<(LayerCache, Array, Array)> {
        let (all_keys, all_values) = match &self.kv {
            Some((old_keys, old_values)) => (
                mlx_rs::ops::concatenate(&[old_keys, &keys], 2)?,
                mlx_rs::ops::concatenate(&[old_values, &values], 2)?,
            ),
            None => (keys, values),
        };
        let end = offset + tokens;
        let mut next = LayerCache {
            kv: Some((all_keys.clone(), all_values.clone())),
            start: self.start,
            window: self.window,
        };
        if let Some(window) = self.window {
            let kept = end - self.start;
            if kept > 2 * window {
                let drop = kept - window;
                let keys = last(&all_keys, window)?;
                let values = last(&all_values, window)?;
                next.kv = Some((keys, values));
                next.start = self.start + drop;
            }
        }
        Ok((next, all_keys, all_values))
    }
}

/// The first `n` positions of a `[1, heads, positions, dim]` array.
fn first(array: &Array, n: usize) -> Result<Array> {
    let n = i32::try_from(n).map_err(|_| crate::Error::InvalidSetting("cache too long".into()))?;
    Ok(array.try_index((.., .., ..n, ..))?)
}

/// The last `n` positions of a `[1, heads, positions, dim]` array.
fn last(array: &Array, n: usize) -> Result<Array> {
    let n = i32::try_from(n).map_err(|_| crate::Error::InvalidSetting("cache too long".into()))?;
    let start = array.shape().get(2).copied().unwrap_or(0) - n;
    Ok(array.try_index((.., .., start.., ..))?)
}

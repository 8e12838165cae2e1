//! The KV cache: each layer's keys and values for the tokens already run, so that the next
//! tokens attend to them without recomputing.
//!
//! Each layer keeps its keys and values in buffers allocated ahead, `[1, kv_heads, capacity,
//! head_dim]`, grown [`STEP`] positions at a time (as mlx-lm's `KVCache` does). A step writes
//! its new entries into the buffer with a slice update and attends to the valid prefix, a
//! view. Because the cache gives up its handles to the old buffers before the pass is
//! evaluated, MLX donates each old buffer to the update and writes the new entries in place:
//! a decoded token copies one position per layer, not the whole cache (concatenation would
//! copy everything so far at every token).
//!
//! A global-attention layer keeps every position. A sliding-window layer (Gemma 3's local
//! layers, Llama configs with `sliding_attention`) only ever looks at the last `window`
//! positions, so its cache is bounded: it keeps at most `2 * window` entries and, when it
//! passes that, moves the last `window` to the front of a fresh buffer of the same capacity
//! (the copy is amortised over `window` steps). The slack beyond the window is what lets
//! [`KvCache::truncate`] step back a little without starting over. Truncating only moves the
//! end of the valid prefix; the stale entries beyond it are overwritten by the next tokens.
//!
//! The model evaluates the buffers with its logits, once per forward call, so no lazy graph
//! outlives a call.

use mlx_rs::ops::indexing::{TryIndexMutOp, TryIndexOp};
use mlx_rs::{Array, Dtype};

use crate::{Error, Result};

/// Buffers grow by this many positions at a time.
pub(crate) const STEP: usize = 256;

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
    /// `(keys, values)` buffers, absent before the first token. Their first `offset - start`
    /// positions are valid; the rest is room to grow into (or stale, after a truncate).
    kv: Option<(Array, Array)>,
    /// Position of the first entry kept.
    start: usize,
    /// The window of a sliding-window layer.
    window: Option<usize>,
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
            self.clear();
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
        // Every layer starts at or before `len`, so its valid prefix just gets shorter.
        self.offset = len;
        true
    }

    /// Empties the cache and frees its buffers.
    pub(crate) fn clear(&mut self) {
        for layer in &mut self.layers {
            layer.kv = None;
            layer.start = 0;
        }
        self.offset = 0;
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

    /// Commits a forward pass of `tokens` tokens: the layers' new states. Call it before
    /// evaluating the pass, so that the old buffers are referenced by the pass alone and MLX
    /// can update them in place.
    pub(crate) fn commit(&mut self, layers: Vec<LayerCache>, tokens: usize) {
        self.layers = layers;
        self.offset += tokens;
    }

    /// Every layer's key and value buffers, to evaluate with a pass.
    pub(crate) fn buffers(&self) -> impl Iterator<Item = &Array> {
        self.layers
            .iter()
            .filter_map(|layer| layer.kv.as_ref())
            .flat_map(|(keys, values)| [keys, values])
    }
}

impl LayerCache {
    /// Entries kept before this pass, given the cache's offset.
    pub(crate) fn kept_at(&self, offset: usize) -> usize {
        offset - self.start
    }

    /// Writes this pass's keys and values (`[1, kv_heads, tokens, head_dim]`) after the
    /// entries kept and returns the new state with everything to attend to, oldest first.
    pub(crate) fn append(
        &self,
        keys: Array,
        values: Array,
        offset: usize,
        tokens: usize,
    ) -> Result<(LayerCache, Array, Array)> {
        let kept = self.kept_at(offset);
        let end = kept + tokens;
        let (mut key_buffer, mut value_buffer) = match &self.kv {
            Some((k, v)) if capacity(k) >= end => (k.clone(), v.clone()),
            Some((k, v)) => (grow(k, kept, end)?, grow(v, kept, end)?),
            None => (allocate(&keys, end)?, allocate(&values, end)?),
        };
        let written = index(kept)?..index(end)?;
        key_buffer.try_index_mut((.., .., written.clone(), ..), &keys)?;
        value_buffer.try_index_mut((.., .., written, ..), &values)?;
        let all_keys = first(&key_buffer, end)?;
        let all_values = first(&value_buffer, end)?;

        let mut next = LayerCache {
            kv: Some((key_buffer, value_buffer)),
            start: self.start,
            window: self.window,
        };
        if let Some(window) = self.window.filter(|&window| end > 2 * window) {
            let room = rounded(end).max(next.kv.as_ref().map_or(0, |(k, _)| capacity(k)));
            next.kv = Some((
                compact(&all_keys, window, room)?,
                compact(&all_values, window, room)?,
            ));
            next.start = self.start + (end - window);
        }
        Ok((next, all_keys, all_values))
    }
}

/// A buffer's capacity in positions.
fn capacity(buffer: &Array) -> usize {
    buffer
        .shape()
        .get(2)
        .map_or(0, |&n| usize::try_from(n).unwrap_or(0))
}

/// `n` positions rounded up to whole steps.
fn rounded(n: usize) -> usize {
    n.div_ceil(STEP).max(1) * STEP
}

fn index(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| Error::InvalidSetting("cache too long".into()))
}

/// Zeros shaped like `like` (`[1, heads, _, dim]`) with `positions` positions.
fn zeros_like_heads(like: &Array, positions: usize) -> Result<Array> {
    let shape = like.shape();
    let (heads, dim) = match shape {
        [_, heads, _, dim] => (*heads, *dim),
        _ => {
            return Err(Error::InvalidSetting(format!(
                "cache entries must be [1, heads, positions, dim], not {shape:?}"
            )));
        }
    };
    let dtype: Dtype = like.dtype();
    Ok(mlx_rs::ops::zeros_dtype(
        &[1, heads, index(positions)?, dim],
        dtype,
    )?)
}

/// A first buffer with room for `positions` entries like `entries`.
fn allocate(entries: &Array, positions: usize) -> Result<Array> {
    zeros_like_heads(entries, rounded(positions))
}

/// `buffer`'s first `kept` entries in a buffer with room for `positions`.
fn grow(buffer: &Array, kept: usize, positions: usize) -> Result<Array> {
    let extra = zeros_like_heads(buffer, rounded(positions) - kept)?;
    if kept == 0 {
        return Ok(extra);
    }
    Ok(mlx_rs::ops::concatenate(
        &[&first(buffer, kept)?, &extra],
        2,
    )?)
}

/// The last `window` entries of `entries` at the front of a buffer of `room` positions.
fn compact(entries: &Array, window: usize, room: usize) -> Result<Array> {
    let rest = zeros_like_heads(entries, room - window)?;
    Ok(mlx_rs::ops::concatenate(
        &[&last(entries, window)?, &rest],
        2,
    )?)
}

/// The first `n` positions of a `[1, heads, positions, dim]` array.
fn first(array: &Array, n: usize) -> Result<Array> {
    Ok(array.try_index((.., .., ..index(n)?, ..))?)
}

/// The last `n` positions of a `[1, heads, positions, dim]` array.
fn last(array: &Array, n: usize) -> Result<Array> {
    let start = array.shape().get(2).copied().unwrap_or(0) - index(n)?;
    Ok(array.try_index((.., .., start.., ..))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADS: i32 = 2;
    const DIM: i32 = 3;

    /// Entries for positions `from .. from + n`: every number in a position's keys is the
    /// position, in its values the position plus a half.
    fn entries(from: usize, n: usize, plus: f32) -> Array {
        let mut data = Vec::new();
        for _ in 0..HEADS {
            for p in from..from + n {
                data.extend(std::iter::repeat_n(p as f32 + plus, DIM as usize));
            }
        }
        Array::from_slice(&data, &[1, HEADS, n as i32, DIM])
    }

    /// The positions an array of entries holds, read from its first head.
    fn positions(array: &Array, plus: f32) -> Vec<usize> {
        let array = array.contiguous().unwrap();
        array.eval().unwrap();
        let data = array.as_slice::<f32>();
        let n = array.shape()[2] as usize;
        let head = &data[..n * DIM as usize];
        head.chunks(DIM as usize)
            .map(|entry| {
                assert!(entry.iter().all(|&x| x == entry[0]));
                (entry[0] - plus) as usize
            })
            .collect()
    }

    /// Runs a pass of `tokens` through every layer as the model does; checks what each layer
    /// attends to: consecutive positions ending with the new ones, starting early enough for
    /// the layer's window.
    fn pass(cache: &mut KvCache, tokens: usize) {
        let offset = cache.offset();
        let mut states = Vec::new();
        for i in 0..cache.layers() {
            let layer = cache.layer(i).unwrap();
            let first_key = offset - layer.kept_at(offset);
            let (state, keys, values) = layer
                .append(
                    entries(offset, tokens, 0.0),
                    entries(offset, tokens, 0.5),
                    offset,
                    tokens,
                )
                .unwrap();
            let expected: Vec<usize> = (first_key..offset + tokens).collect();
            assert_eq!(
                positions(&keys, 0.0),
                expected,
                "layer {i} keys at {offset}"
            );
            assert_eq!(
                positions(&values, 0.5),
                expected,
                "layer {i} values at {offset}"
            );
            match layer.window {
                None => assert_eq!(first_key, 0),
                Some(window) => assert!(first_key + window <= offset + 1 || first_key == 0),
            }
            states.push(state);
        }
        cache.commit(states, tokens);
        mlx_rs::transforms::eval(cache.buffers()).unwrap();
    }

    #[test]
    fn entries_land_in_order_across_growth_compaction_and_truncation() {
        let mut cache = KvCache::new([None, Some(5), Some(200)]);
        for tokens in [1, 7, 1, 1, 260, 1, 1, 1, 300, 2] {
            pass(&mut cache, tokens);
        }
        assert_eq!(cache.len(), 575);
        // The global layer grew in steps; the small window stayed within one step.
        let capacities: Vec<usize> = cache
            .layers
            .iter()
            .map(|layer| capacity(&layer.kv.as_ref().unwrap().0))
            .collect();
        assert_eq!(capacities[0], 3 * STEP);
        assert_eq!(
            capacities[1],
            2 * STEP,
            "a pass of 260 tokens needed two steps"
        );
        assert!(cache.layers[1].start > 0 && cache.layers[2].start > 0);

        // Back a little: the windows still hold what the next token needs.
        assert!(cache.truncate(573));
        pass(&mut cache, 1);
        pass(&mut cache, 3);
        // Too far back for the sliding layers: refused, nothing changed.
        assert!(!cache.truncate(10));
        assert_eq!(cache.len(), 577);
        pass(&mut cache, 1);
        assert!(cache.truncate(0));
        assert!(cache.is_empty());
        pass(&mut cache, 4);
        assert_eq!(cache.len(), 4);
    }

    #[test]
    fn a_global_layer_truncates_anywhere_and_overwrites_stale_entries() {
        let mut cache = KvCache::new([None]);
        pass(&mut cache, 40);
        assert!(cache.truncate(3));
        pass(&mut cache, 2);
        pass(&mut cache, 1);
        assert_eq!(cache.len(), 6);
    }
}

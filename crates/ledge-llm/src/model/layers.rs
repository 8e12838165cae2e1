//! The building blocks the decoder families share: linear layers (dense or MLX-quantized),
//! embedding tables, RMS norms, rotary position embeddings, the two gated activations and the
//! attention masks.
//!
//! Constants are made in the type of the array they meet, as Python's weakly typed scalars
//! are in mlx-lm, so F16/BF16 models compute in F16/BF16 exactly where mlx-lm does.

use std::path::Path;

use mlx_rs::fast::ScaledDotProductAttentionMask;
use mlx_rs::{Array, Dtype, fast, ops};
use serde_json::Value;

use super::config::ModelConfig;
use super::weights::{FLOATS, Weights};
use crate::{Error, Result};

/// `value` as a scalar array of `like`'s type.
pub(crate) fn scalar(value: f32, like: &Array) -> Result<Array> {
    Ok(Array::from_f32(value).as_dtype(like.dtype())?)
}

/// An `i32` for MLX from a size that fits (sizes come from a validated config).
pub(crate) fn dim(size: usize) -> Result<i32> {
    i32::try_from(size)
        .map_err(|_| Error::InvalidSetting(format!("size {size} is too large for MLX")))
}

/// A linear layer `y = x Wᵀ + b`, or a row lookup when used as an embedding table.
pub(crate) enum Linear {
    /// Float weights `[outputs, inputs]`.
    Dense { weight: Array, bias: Option<Array> },
    /// MLX affine-quantized weights: `weight` `[outputs, inputs * bits / 32]` `uint32`,
    /// `scales` and `biases` `[outputs, inputs / group_size]`.
    Quantized {
        weight: Array,
        scales: Array,
        biases: Array,
        bias: Option<Array>,
        group_size: i32,
        bits: i32,
    },
}

impl Linear {
    /// Loads `{prefix}.weight` (and `.scales`/`.biases` when quantized, `.bias` when `bias`).
    pub(crate) fn load(
        weights: &mut Weights,
        config: &ModelConfig,
        prefix: &str,
        inputs: usize,
        outputs: usize,
        bias: bool,
    ) -> Result<Self> {
        let bias = if bias {
            Some(weights.take_float(&format!("{prefix}.bias"), &[outputs])?)
        } else {
            None
        };
        let stored_quantized = weights.contains(&format!("{prefix}.scales"));
        match config.quantization_of(prefix, stored_quantized) {
            None => Ok(Self::Dense {
                weight: weights.take_float(&format!("{prefix}.weight"), &[outputs, inputs])?,
                bias,
            }),
            Some(q) => {
                let packed = inputs * q.bits;
                if !inputs.is_multiple_of(q.group_size) || !packed.is_multiple_of(32) {
                    return Err(Error::InvalidModel {
                        path: config.path.clone(),
                        reason: format!(
                            "`{prefix}` has {inputs} inputs, which {}-bit groups of {} do not \
                             divide",
                            q.bits, q.group_size
                        ),
                    });
                }
                let groups = inputs / q.group_size;
                Ok(Self::Quantized {
                    weight: weights.take(
                        &format!("{prefix}.weight"),
                        &[outputs, packed / 32],
                        &[Dtype::Uint32],
                    )?,
                    scales: weights.take_float(&format!("{prefix}.scales"), &[outputs, groups])?,
                    biases: weights.take_float(&format!("{prefix}.biases"), &[outputs, groups])?,
                    bias,
                    group_size: dim(q.group_size)?,
                    bits: dim(q.bits)?,
                })
            }
        }
    }

    /// Bytes of the parameters one pass over the layer reads.
    pub(crate) fn bytes(&self) -> usize {
        let bias = |b: &Option<Array>| b.as_ref().map_or(0, Array::nbytes);
        match self {
            Self::Dense { weight, bias: b } => weight.nbytes() + bias(b),
            Self::Quantized {
                weight,
                scales,
                biases,
                bias: b,
                ..
            } => weight.nbytes() + scales.nbytes() + biases.nbytes() + bias(b),
        }
    }

    /// Bytes per number of the activations this layer produces (its float type).
    pub(crate) fn float_item_bytes(&self) -> usize {
        match self {
            Self::Dense { weight, .. } => weight.item_size(),
            Self::Quantized { scales, .. } => scales.item_size(),
        }
    }

    /// Bytes of one row of the weight matrix (what an embedding lookup of one token reads).
    pub(crate) fn row_bytes(&self) -> usize {
        let row = |a: &Array| a.nbytes() / a.shape().first().map_or(1, |&n| n.max(1) as usize);
        match self {
            Self::Dense { weight, .. } => row(weight),
            Self::Quantized {
                weight,
                scales,
                biases,
                ..
            } => row(weight) + row(scales) + row(biases),
        }
    }

    /// `x Wᵀ + b` over the last axis of `x`.
    pub(crate) fn forward(&self, x: &Array) -> Result<Array> {
        let (y, bias) = match self {
            Self::Dense { weight, bias } => (ops::matmul(x, weight.t())?, bias),
            Self::Quantized {
                weight,
                scales,
                biases,
                bias,
                group_size,
                bits,
            } => (
                ops::quantized_matmul(x, weight, scales, biases, true, *group_size, *bits)?,
                bias,
            ),
        };
        match bias {
            Some(bias) => Ok(ops::add(&y, bias)?),
            None => Ok(y),
        }
    }

    /// Rows `ids` of the weight matrix, as floats: the embedding lookup.
    pub(crate) fn rows(&self, ids: &Array) -> Result<Array> {
        match self {
            Self::Dense { weight, .. } => Ok(weight.take_axis(ids, 0)?),
            Self::Quantized {
                weight,
                scales,
                biases,
                group_size,
                bits,
                ..
            } => Ok(ops::dequantize(
                weight.take_axis(ids, 0)?,
                scales.take_axis(ids, 0)?,
                &biases.take_axis(ids, 0)?,
                *group_size,
                *bits,
            )?),
        }
    }

    /// Splits a fused layer by output rows into layers of `sizes` outputs.
    pub(crate) fn split_outputs(&self, sizes: &[usize]) -> Result<Vec<Linear>> {
        let mut bounds = Vec::with_capacity(sizes.len().saturating_sub(1));
        let mut at = 0;
        for size in &sizes[..sizes.len().saturating_sub(1)] {
            at += size;
            bounds.push(dim(at)?);
        }
        let split = |a: &Array| -> Result<Vec<Array>> { Ok(ops::split_at_indices(a, &bounds, 0)?) };
        let split_bias = |b: &Option<Array>| -> Result<Vec<Option<Array>>> {
            match b {
                Some(b) => Ok(split(b)?.into_iter().map(Some).collect()),
                None => Ok(vec![None; sizes.len()]),
            }
        };
        match self {
            Self::Dense { weight, bias } => Ok(split(weight)?
                .into_iter()
                .zip(split_bias(bias)?)
                .map(|(weight, bias)| Self::Dense { weight, bias })
                .collect()),
            Self::Quantized {
                weight,
                scales,
                biases,
                bias,
                group_size,
                bits,
            } => {
                let mut parts = Vec::with_capacity(sizes.len());
                for (((weight, scales), biases), bias) in split(weight)?
                    .into_iter()
                    .zip(split(scales)?)
                    .zip(split(biases)?)
                    .zip(split_bias(bias)?)
                {
                    parts.push(Self::Quantized {
                        weight,
                        scales,
                        biases,
                        bias,
                        group_size: *group_size,
                        bits: *bits,
                    });
                }
                Ok(parts)
            }
        }
    }
}

/// RMS norm over the last axis, with a learned scale.
pub(crate) struct RmsNorm {
    weight: Array,
    eps: f32,
}

impl RmsNorm {
    /// Loads `{name}`; with `plus_one` the scale is `1 + w` (Gemma stores the offset from one),
    /// added once here in the weight's own type, as mlx-lm does per call.
    pub(crate) fn load(
        weights: &mut Weights,
        name: &str,
        dims: usize,
        eps: f32,
        plus_one: bool,
    ) -> Result<Self> {
        let mut weight = weights.take(name, &[dims], &FLOATS)?;
        if plus_one {
            weight = ops::add(&scalar(1.0, &weight)?, &weight)?;
        }
        Ok(Self { weight, eps })
    }

    /// Bytes of the scale.
    pub(crate) fn bytes(&self) -> usize {
        self.weight.nbytes()
    }

    pub(crate) fn forward(&self, x: &Array) -> Result<Array> {
        Ok(fast::rms_norm(x, Some(&self.weight), self.eps)?)
    }
}

/// Rotary position embedding of the first `dims` features of each head.
pub(crate) struct Rope {
    dims: i32,
    traditional: bool,
    base: Option<f32>,
    scale: f32,
    freqs: Option<Array>,
}

impl Rope {
    /// RoPE with `base`, `traditional` pairing and the config's `rope_scaling` (none,
    /// `default`, `linear` or `llama3`; others are refused naming `config`).
    pub(crate) fn new(
        dims: usize,
        base: f32,
        traditional: bool,
        scaling: Option<&Value>,
        config: &Path,
        model_type: &str,
    ) -> Result<Self> {
        let plain = |scale: f32| {
            Ok(Self {
                dims: dim(dims)?,
                traditional,
                base: Some(base),
                scale,
                freqs: None,
            })
        };
        let Some(scaling) = scaling.filter(|s| !s.is_null()) else {
            return plain(1.0);
        };
        let kind = scaling
            .get("type")
            .or_else(|| scaling.get("rope_type"))
            .and_then(Value::as_str)
            .unwrap_or("default");
        let number = |key: &str| scaling.get(key).and_then(Value::as_f64);
        let invalid = |reason: String| Error::InvalidModel {
            path: config.to_owned(),
            reason,
        };
        match kind {
            "default" => plain(1.0),
            "linear" => {
                let factor = number("factor")
                    .filter(|f| *f > 0.0)
                    .ok_or_else(|| invalid("linear rope_scaling without a factor".to_owned()))?;
                plain((1.0 / factor) as f32)
            }
            "llama3" => {
                let factor = number("factor")
                    .ok_or_else(|| invalid("llama3 rope_scaling without a factor".to_owned()))?;
                let low = number("low_freq_factor").unwrap_or(1.0);
                let high = number("high_freq_factor").unwrap_or(4.0);
                let old_context = number("original_max_position_embeddings").unwrap_or(8192.0);
                let freqs: Vec<f32> = (0..dims / 2)
                    .map(|i| {
                        let freq = f64::from(base).powf((2 * i) as f64 / dims as f64);
                        let wavelen = 2.0 * std::f64::consts::PI * freq;
                        let scaled = if wavelen > old_context / low {
                            freq * factor
                        } else {
                            freq
                        };
                        let medium = wavelen > old_context / high && wavelen < old_context / low;
                        if medium {
                            let smooth = (old_context / wavelen - low) / (high - low);
                            (scaled / ((1.0 - smooth) / factor + smooth)) as f32
                        } else {
                            scaled as f32
                        }
                    })
                    .collect();
                Ok(Self {
                    dims: dim(dims)?,
                    traditional,
                    base: None,
                    scale: 1.0,
                    freqs: Some(Array::from_slice(&freqs, &[dim(freqs.len())?])),
                })
            }
            other => Err(Error::UnsupportedArchitecture {
                path: config.to_owned(),
                architecture: format!("{model_type} with rope_scaling `{other}`"),
            }),
        }
    }

    /// Rotates `x` `[1, heads, tokens, head_dim]` whose first token is at `offset`.
    pub(crate) fn apply(&self, x: &Array, offset: usize) -> Result<Array> {
        Ok(fast::rope(
            x,
            self.dims,
            self.traditional,
            self.base,
            self.scale,
            dim(offset)?,
            self.freqs.as_ref(),
        )?)
    }
}

/// `silu(gate) * up`.
pub(crate) fn swiglu(gate: &Array, up: &Array) -> Result<Array> {
    let silu = ops::multiply(gate, ops::sigmoid(gate)?)?;
    Ok(ops::multiply(&silu, up)?)
}

/// `gelu_tanh(gate) * up`, GELU's tanh approximation as MLX's `gelu_approx` writes it.
pub(crate) fn gelu_tanh_gate(gate: &Array, up: &Array) -> Result<Array> {
    let x = gate;
    let cube = ops::power(x, scalar(3.0, x)?)?;
    let inner = ops::add(x, ops::multiply(scalar(0.044_715, x)?, &cube)?)?;
    let inner = ops::multiply(scalar((2.0 / std::f32::consts::PI).sqrt(), x)?, &inner)?;
    let one_plus = ops::add(scalar(1.0, x)?, ops::tanh(&inner)?)?;
    let gelu = ops::multiply(ops::multiply(scalar(0.5, x)?, x)?, &one_plus)?;
    Ok(ops::multiply(&gelu, up)?)
}

/// Which keys each query may see.
pub(crate) enum Mask {
    /// All of them.
    None,
    /// Keys up to the query's own position, queries aligned to the end of the keys.
    Causal,
    /// An explicit `[queries, keys]` boolean mask (sliding windows).
    Explicit(Array),
}

impl Mask {
    /// The mask for `queries` new tokens at positions `first_query ..`, over keys at
    /// positions `first_key .. first_query + queries`, within `window` keys when given.
    pub(crate) fn new(
        queries: usize,
        first_query: usize,
        first_key: usize,
        window: Option<usize>,
    ) -> Result<Self> {
        let last_query = first_query + queries - 1;
        // Does every query see every earlier key?
        let within = window.is_none_or(|w| first_key + w > last_query);
        if within {
            return Ok(if queries == 1 {
                Self::None
            } else {
                Self::Causal
            });
        }
        let window = window.unwrap_or(usize::MAX);
        let keys = first_query + queries - first_key;
        let mut allowed = Vec::with_capacity(queries * keys);
        for q in first_query..first_query + queries {
            for k in first_key..first_query + queries {
                allowed.push(k <= q && k + window > q);
            }
        }
        Ok(Self::Explicit(Array::from_slice(
            &allowed,
            &[dim(queries)?, dim(keys)?],
        )))
    }

    /// Fused attention of `[1, heads, T, D]` queries over `[1, kv_heads, K, D]` keys/values.
    pub(crate) fn attend(&self, q: &Array, k: &Array, v: &Array, scale: f32) -> Result<Array> {
        Ok(match self {
            Self::None => fast::scaled_dot_product_attention(q, k, v, scale, None, None)?,
            Self::Causal => fast::scaled_dot_product_attention(
                q,
                k,
                v,
                scale,
                ScaledDotProductAttentionMask::Causal,
                None,
            )?,
            Self::Explicit(mask) => fast::scaled_dot_product_attention(q, k, v, scale, mask, None)?,
        })
    }
}

//! The decoder all supported families share, and the switches in which they differ.
//!
//! Every family is a stack of pre-norm blocks: RMS norm, grouped-query self-attention with
//! RoPE, residual; RMS norm, gated MLP, residual; then a final norm and the output projection
//! (or the tied embedding table). A [`Family`] says what a family adds: biases, query/key
//! norms, Gemma's `1 + w` norms, extra norms around attention and MLP, scaled embeddings, the
//! activation, fused projections. A [`LayerPlan`] per layer gives its RoPE and, for
//! sliding-window layers, the window. The family files (`llama.rs`, `qwen.rs`, `gemma3.rs`,
//! `phi3.rs`) turn a config into these.

use mlx_rs::{Array, Dtype, ops};

use super::cache::{KvCache, LayerCache};
use super::config::ModelConfig;
use super::layers::{Linear, Mask, RmsNorm, Rope, dim, gelu_tanh_gate, scalar, swiglu};
use super::weights::Weights;
use crate::{Error, Result, host};

/// The fewest query × key scores per head for which a pass attends on the host (when it
/// does at all: see `LanguageModel::set_host_attention`). Below it, evaluating the graph in
/// the middle of the pass costs about what the host saves: Qwen2.5-Coder-0.5B on 2 cores,
/// four runs each, prefilled a 64-token prompt (4,096 scores) ~5% slower on the host and a
/// 128-token one (16,384) ~20% faster (BENCHMARKS.md, `ledge bench`).
const HOST_ATTENTION_MIN_SCORES: usize = 8_192;

/// What a family adds to the plain Llama block.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Family {
    /// Biases on the q, k and v projections.
    pub qkv_bias: bool,
    /// A bias on the output projection.
    pub o_bias: bool,
    /// Biases on the MLP projections.
    pub mlp_bias: bool,
    /// RMS norms over each query and key head (Qwen 3, Gemma 3).
    pub qk_norm: bool,
    /// Norm scales stored as offsets from one (Gemma).
    pub norm_plus_one: bool,
    /// Norms after attention and around the MLP (Gemma 3).
    pub sandwich_norms: bool,
    /// Embeddings multiplied by √hidden, rounded to BF16 (Gemma).
    pub embed_scale: bool,
    /// GELU (tanh) instead of SiLU in the gated MLP.
    pub gelu: bool,
    /// F16 residual sums clipped to F16's range (Gemma 3).
    pub clip_f16_residual: bool,
    /// One `qkv_proj` instead of three (Phi-3).
    pub fused_qkv: bool,
    /// One `gate_up_proj` instead of two (Phi-3).
    pub fused_gate_up: bool,
    /// The output projection is the embedding table exactly when the weights hold no
    /// `lm_head` (Gemma 3), instead of as the config says.
    pub tie_if_no_head: bool,
}

/// How one layer attends.
pub(crate) struct LayerPlan {
    pub rope: Rope,
    /// Keys it sees, itself included, when it is a sliding-window layer.
    pub window: Option<usize>,
}

/// A family's reading of a config.
pub(crate) struct Plan {
    pub family: Family,
    pub layers: Vec<LayerPlan>,
    /// Multiplier of the query·key products.
    pub attention_scale: f32,
}

struct Attention {
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    rope: Rope,
    window: Option<usize>,
}

struct Mlp {
    gate: Linear,
    up: Linear,
    down: Linear,
}

struct Block {
    attention: Attention,
    mlp: Mlp,
    input_norm: RmsNorm,
    post_attention_norm: RmsNorm,
    /// Gemma 3's norms before and after the MLP.
    feed_forward_norms: Option<(RmsNorm, RmsNorm)>,
}

/// A loaded decoder.
pub(crate) struct Decoder {
    family: Family,
    embed: Linear,
    blocks: Vec<Block>,
    norm: RmsNorm,
    /// `None`: tied to `embed`.
    lm_head: Option<Linear>,
    heads: i32,
    kv_heads: i32,
    head_dim: i32,
    scale: f32,
    hidden: usize,
    /// Whether a pass of several tokens attends on the host CPU (`crate::host`) instead of
    /// in MLX's graph: the default when MLX computes on the CPU.
    host_attention: bool,
}

impl Decoder {
    /// Builds the decoder from the folder's weights as `plan` says.
    pub(crate) fn load(config: &ModelConfig, plan: Plan, weights: &mut Weights) -> Result<Self> {
        let Plan {
            family,
            layers,
            attention_scale,
        } = plan;
        let c = config;
        let eps = c.rms_norm_eps;
        let (h, heads, kv, hd) = (
            c.hidden_size,
            c.num_attention_heads,
            c.num_key_value_heads,
            c.head_dim,
        );
        let embed = Linear::load(weights, c, "model.embed_tokens", h, c.vocab_size, false)?;
        let mut blocks = Vec::with_capacity(layers.len());
        for (i, plan) in layers.into_iter().enumerate() {
            let p = format!("model.layers.{i}");
            let (q, k, v) = if family.fused_qkv {
                let fused = Linear::load(
                    weights,
                    c,
                    &format!("{p}.self_attn.qkv_proj"),
                    h,
                    (heads + 2 * kv) * hd,
                    family.qkv_bias,
                )?;
                let mut parts = fused
                    .split_outputs(&[heads * hd, kv * hd, kv * hd])?
                    .into_iter();
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(q), Some(k), Some(v)) => (q, k, v),
                    _ => return Err(Error::InvalidSetting("qkv split failed".to_owned())),
                }
            } else {
                let mut proj = |name: &str, outputs: usize| {
                    Linear::load(
                        weights,
                        c,
                        &format!("{p}.self_attn.{name}"),
                        h,
                        outputs,
                        family.qkv_bias,
                    )
                };
                (
                    proj("q_proj", heads * hd)?,
                    proj("k_proj", kv * hd)?,
                    proj("v_proj", kv * hd)?,
                )
            };
            let o = Linear::load(
                weights,
                c,
                &format!("{p}.self_attn.o_proj"),
                heads * hd,
                h,
                family.o_bias,
            )?;
            let (q_norm, k_norm) = if family.qk_norm {
                let mut norm = |name: &str| {
                    RmsNorm::load(
                        weights,
                        &format!("{p}.self_attn.{name}.weight"),
                        hd,
                        eps,
                        family.norm_plus_one,
                    )
                };
                (Some(norm("q_norm")?), Some(norm("k_norm")?))
            } else {
                (None, None)
            };
            let inter = c.intermediate_size;
            let (gate, up) = if family.fused_gate_up {
                let fused = Linear::load(
                    weights,
                    c,
                    &format!("{p}.mlp.gate_up_proj"),
                    h,
                    2 * inter,
                    family.mlp_bias,
                )?;
                let mut parts = fused.split_outputs(&[inter, inter])?.into_iter();
                match (parts.next(), parts.next()) {
                    (Some(gate), Some(up)) => (gate, up),
                    _ => return Err(Error::InvalidSetting("gate/up split failed".to_owned())),
                }
            } else {
                (
                    Linear::load(
                        weights,
                        c,
                        &format!("{p}.mlp.gate_proj"),
                        h,
                        inter,
                        family.mlp_bias,
                    )?,
                    Linear::load(
                        weights,
                        c,
                        &format!("{p}.mlp.up_proj"),
                        h,
                        inter,
                        family.mlp_bias,
                    )?,
                )
            };
            let down = Linear::load(
                weights,
                c,
                &format!("{p}.mlp.down_proj"),
                inter,
                h,
                family.mlp_bias,
            )?;
            let mut norm = |name: &str| {
                RmsNorm::load(
                    weights,
                    &format!("{p}.{name}.weight"),
                    h,
                    eps,
                    family.norm_plus_one,
                )
            };
            let input_norm = norm("input_layernorm")?;
            let post_attention_norm = norm("post_attention_layernorm")?;
            let feed_forward_norms = if family.sandwich_norms {
                Some((
                    norm("pre_feedforward_layernorm")?,
                    norm("post_feedforward_layernorm")?,
                ))
            } else {
                None
            };
            blocks.push(Block {
                attention: Attention {
                    q,
                    k,
                    v,
                    o,
                    q_norm,
                    k_norm,
                    rope: plan.rope,
                    window: plan.window,
                },
                mlp: Mlp { gate, up, down },
                input_norm,
                post_attention_norm,
                feed_forward_norms,
            });
        }
        let norm = RmsNorm::load(weights, "model.norm.weight", h, eps, family.norm_plus_one)?;
        let tied = if family.tie_if_no_head {
            !weights.contains("lm_head.weight")
        } else {
            c.tie_word_embeddings
        };
        let lm_head = if tied {
            for suffix in ["weight", "scales", "biases"] {
                weights.discard(&format!("lm_head.{suffix}"));
            }
            None
        } else {
            Some(Linear::load(weights, c, "lm_head", h, c.vocab_size, false)?)
        };
        Ok(Self {
            family,
            embed,
            blocks,
            norm,
            lm_head,
            heads: dim(heads)?,
            kv_heads: dim(kv)?,
            head_dim: dim(hd)?,
            scale: attention_scale,
            hidden: h,
            host_attention: matches!(
                mlx_rs::Device::try_default().and_then(|device| device.get_type()),
                Ok(mlx_rs::DeviceType::Cpu)
            ),
        })
    }

    /// See [`LanguageModel::set_host_attention`](super::LanguageModel::set_host_attention).
    pub(crate) fn set_host_attention(&mut self, on: bool) {
        self.host_attention = on;
    }

    /// Bytes one decode step at `position` (tokens already in the cache) reads from memory:
    /// every parameter except the embedding table, of which it reads one row (all of it
    /// when the table is also the output projection), and the cached keys and values each
    /// layer attends to (kept in the activations' type).
    pub(crate) fn bytes_per_token(&self, position: usize) -> u64 {
        let kv_row =
            2 * self.kv_heads as usize * self.head_dim as usize * self.embed.float_item_bytes();
        let mut bytes = self.norm.bytes();
        bytes += match &self.lm_head {
            Some(head) => self.embed.row_bytes() + head.bytes(),
            None => self.embed.bytes(),
        };
        for block in &self.blocks {
            let a = &block.attention;
            bytes += [
                &a.q,
                &a.k,
                &a.v,
                &a.o,
                &block.mlp.gate,
                &block.mlp.up,
                &block.mlp.down,
            ]
            .into_iter()
            .map(Linear::bytes)
            .sum::<usize>();
            bytes += [a.q_norm.as_ref(), a.k_norm.as_ref()]
                .into_iter()
                .flatten()
                .chain([&block.input_norm, &block.post_attention_norm])
                .chain(
                    block
                        .feed_forward_norms
                        .iter()
                        .flat_map(|(pre, post)| [pre, post]),
                )
                .map(RmsNorm::bytes)
                .sum::<usize>();
            let attended = a.window.map_or(position + 1, |w| w.min(position + 1));
            bytes += attended * kv_row;
        }
        bytes as u64
    }

    /// The windows of the layers, for a new cache.
    pub(crate) fn windows(&self) -> impl Iterator<Item = Option<usize>> + '_ {
        self.blocks.iter().map(|b| b.attention.window)
    }

    /// Runs `tokens` after what `cache` holds and returns the lazy F32 logits, `[T, vocab]`
    /// or with `last_only` `[1, vocab]`, with the layers' new cache states. Nothing is
    /// evaluated or committed here.
    pub(crate) fn forward(
        &self,
        tokens: &[u32],
        cache: &KvCache,
        last_only: bool,
    ) -> Result<(Array, Vec<LayerCache>)> {
        let t = tokens.len();
        let offset = cache.offset();
        let ids = Array::from_slice(tokens, &[dim(t)?]);
        let mut x = self
            .embed
            .rows(&ids)?
            .reshape(&[1, dim(t)?, dim(self.hidden)?])?;
        if self.family.embed_scale {
            // mlx-lm multiplies by √hidden rounded to BF16, cast to the activations' type.
            let root = half::bf16::from_f64((self.hidden as f64).sqrt()).to_f32();
            x = ops::multiply(&x, scalar(root, &x)?)?;
        }
        let mut states = Vec::with_capacity(self.blocks.len());
        for (i, block) in self.blocks.iter().enumerate() {
            let layer = cache.layer(i).ok_or_else(|| {
                Error::InvalidSetting("the KV cache belongs to another model".to_owned())
            })?;
            let (y, state) = self.block(block, &x, layer, offset, t)?;
            x = y;
            states.push(state);
        }
        if last_only && t > 1 {
            x = x.try_index_last(t)?;
        }
        let x = self.norm.forward(&x)?;
        let logits = match &self.lm_head {
            Some(head) => head.forward(&x)?,
            None => self.embed.forward(&x)?,
        };
        let rows = if last_only { 1 } else { dim(t)? };
        let logits = logits.reshape(&[rows, -1])?.as_dtype(Dtype::Float32)?;
        Ok((logits, states))
    }

    fn block(
        &self,
        block: &Block,
        x: &Array,
        layer: &LayerCache,
        offset: usize,
        t: usize,
    ) -> Result<(Array, LayerCache)> {
        let (attended, state) = self.attention(
            &block.attention,
            &block.input_norm.forward(x)?,
            layer,
            offset,
            t,
        )?;
        let residual = |a: &Array, b: &Array| self.residual(a, b);
        match &block.feed_forward_norms {
            None => {
                let h = residual(x, &attended)?;
                let r = self.mlp(&block.mlp, &block.post_attention_norm.forward(&h)?)?;
                Ok((residual(&h, &r)?, state))
            }
            Some((pre, post)) => {
                let h = residual(x, &block.post_attention_norm.forward(&attended)?)?;
                let r = self.mlp(&block.mlp, &pre.forward(&h)?)?;
                Ok((residual(&h, &post.forward(&r)?)?, state))
            }
        }
    }

    /// `a + b`; for Gemma 3 in F16, summed in F32 and clipped to F16's range as mlx-lm does.
    fn residual(&self, a: &Array, b: &Array) -> Result<Array> {
        if self.family.clip_f16_residual && a.dtype() == Dtype::Float16 {
            let bound = f32::from(half::f16::MAX);
            let sum = ops::add(a.as_dtype(Dtype::Float32)?, b.as_dtype(Dtype::Float32)?)?;
            let clipped = ops::clip(&sum, (Array::from_f32(-bound), Array::from_f32(bound)))?;
            Ok(clipped.as_dtype(Dtype::Float16)?)
        } else {
            Ok(ops::add(a, b)?)
        }
    }

    fn mlp(&self, mlp: &Mlp, x: &Array) -> Result<Array> {
        let gate = mlp.gate.forward(x)?;
        let up = mlp.up.forward(x)?;
        let hidden = if self.family.gelu {
            gelu_tanh_gate(&gate, &up)?
        } else {
            swiglu(&gate, &up)?
        };
        mlp.down.forward(&hidden)
    }

    fn attention(
        &self,
        a: &Attention,
        x: &Array,
        layer: &LayerCache,
        offset: usize,
        t: usize,
    ) -> Result<(Array, LayerCache)> {
        let t_i = dim(t)?;
        let heads =
            |y: Array, n: i32| -> Result<Array> { Ok(y.reshape(&[1, t_i, n, self.head_dim])?) };
        let mut q = heads(a.q.forward(x)?, self.heads)?;
        let mut k = heads(a.k.forward(x)?, self.kv_heads)?;
        let v = heads(a.v.forward(x)?, self.kv_heads)?;
        if let (Some(qn), Some(kn)) = (&a.q_norm, &a.k_norm) {
            q = qn.forward(&q)?;
            k = kn.forward(&k)?;
        }
        let to_heads_first = |y: &Array| -> Result<Array> { Ok(y.transpose_axes(&[0, 2, 1, 3])?) };
        let q = a.rope.apply(&to_heads_first(&q)?, offset)?;
        let k = a.rope.apply(&to_heads_first(&k)?, offset)?;
        let v = to_heads_first(&v)?;
        let first_key = offset - layer.kept_at(offset);
        let (state, keys, values) = layer.append(k, v, offset, t)?;
        let keys_seen = keys
            .shape()
            .get(2)
            .map_or(0, |&n| usize::try_from(n).unwrap_or(0));
        let on_host = self.host_attention
            && t > 1
            && t * keys_seen >= HOST_ATTENTION_MIN_SCORES
            && q.dtype() == Dtype::Float32;
        let out = if on_host {
            self.attend_on_host(&q, &keys, &values, (t, keys_seen), a.window)?
        } else {
            let mask = Mask::new(t, offset, first_key, a.window)?;
            mask.attend(&q, &keys, &values, self.scale)?
                .transpose_axes(&[0, 2, 1, 3])?
                .reshape(&[1, t_i, self.heads * self.head_dim])?
        };
        Ok((a.o.forward(&out)?, state))
    }

    /// Causal attention of `q` (`[1, heads, T, D]`) over `keys` and `values` (`[1,
    /// kv_heads, K, D]`, the last T the new tokens' own) on the host, as `[1, T, heads · D]`.
    /// It evaluates the graph so far: worth it for a prompt's tokens, not for one decoded
    /// token (whose graph MLX builds and runs in one go) nor for a short prompt (see
    /// [`HOST_ATTENTION_MIN_SCORES`]).
    fn attend_on_host(
        &self,
        q: &Array,
        keys: &Array,
        values: &Array,
        (queries, keys_seen): (usize, usize),
        window: Option<usize>,
    ) -> Result<Array> {
        let count = |n: i32| usize::try_from(n).unwrap_or(0);
        let shape = host::CausalShape {
            queries,
            keys: keys_seen,
            heads: count(self.heads),
            kv_heads: count(self.kv_heads),
            head_dim: count(self.head_dim),
            window,
        };
        // The cache hands out views of its buffers; the host reads rows in order.
        let (q, keys, values) = (q.contiguous()?, keys.contiguous()?, values.contiguous()?);
        mlx_rs::transforms::eval([&q, &keys, &values])?;
        let width = shape.heads * shape.head_dim;
        let mut out = vec![0.0f32; shape.queries * width];
        let done = host::causal_attention(
            q.try_as_slice::<f32>()?,
            keys.try_as_slice::<f32>()?,
            values.try_as_slice::<f32>()?,
            &mut out,
            shape,
            self.scale,
        );
        if !done {
            return Err(Error::InvalidSetting(format!(
                "attention inputs of unexpected shapes: queries {:?}, keys {:?}",
                q.shape(),
                keys.shape()
            )));
        }
        Ok(Array::from_slice(
            &out,
            &[1, dim(shape.queries)?, dim(width)?],
        ))
    }
}

/// Selecting the last position of `[1, T, H]`.
trait LastPosition {
    fn try_index_last(&self, t: usize) -> Result<Array>;
}

impl LastPosition for Array {
    fn try_index_last(&self, t: usize) -> Result<Array> {
        use mlx_rs::ops::indexing::TryIndexOp;
        let last = dim(t)? - 1;
        Ok(self.try_index((.., last.., ..))?)
    }
}

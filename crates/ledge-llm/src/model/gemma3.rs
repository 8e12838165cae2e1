//! Gemma 3 text (`gemma3_text`), as mlx-lm computes it:
//!
//! - embeddings multiplied by √hidden, that constant rounded to BF16 first;
//! - RMS norms scale by `1 + w` (checkpoints store the offset from one);
//! - norms before and after both attention and MLP ("sandwich" norms), RMS norms over each
//!   query and key head;
//! - every `sliding_window_pattern`-th layer (1-based) attends globally with RoPE base
//!   `rope_theta` (and `rope_scaling`); the others see the last `sliding_window` positions
//!   with base `rope_local_base_freq`;
//! - queries scaled by `query_pre_attn_scalar^-½` instead of `head_dim^-½`;
//! - GELU (tanh) gated MLP; F16 residual sums clipped to the F16 range;
//! - the output projection is the embedding table unless the weights hold an `lm_head`.

use super::config::ModelConfig;
use super::layers::Rope;
use super::transformer::{Family, LayerPlan, Plan};
use crate::{Error, Result};

/// The plan for a `gemma3_text` config.
pub(crate) fn plan(config: &ModelConfig) -> Result<Plan> {
    let raw = &config.raw;
    let pattern = raw.sliding_window_pattern.unwrap_or(6);
    if pattern == 0 {
        return Err(Error::InvalidModel {
            path: config.path.clone(),
            reason: "`sliding_window_pattern` is 0".to_owned(),
        });
    }
    let local_base = raw.rope_local_base_freq.unwrap_or(10_000.0) as f32;
    let layers = (0..config.num_hidden_layers)
        .map(|i| {
            let sliding = (i + 1) % pattern != 0;
            let rope = if sliding {
                Rope::new(
                    config.head_dim,
                    local_base,
                    false,
                    None,
                    &config.path,
                    &config.model_type,
                )?
            } else {
                Rope::new(
                    config.head_dim,
                    config.rope_theta,
                    false,
                    raw.rope_scaling.as_ref(),
                    &config.path,
                    &config.model_type,
                )?
            };
            Ok(LayerPlan {
                rope,
                window: if sliding { config.sliding_window } else { None },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let query_scalar = raw.query_pre_attn_scalar.unwrap_or(256.0);
    Ok(Plan {
        family: Family {
            qk_norm: true,
            norm_plus_one: true,
            sandwich_norms: true,
            embed_scale: true,
            gelu: true,
            clip_f16_residual: true,
            tie_if_no_head: true,
            ..Family::default()
        },
        layers,
        attention_scale: query_scalar.powf(-0.5) as f32,
    })
}

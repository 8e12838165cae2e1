//! Phi-3 (`phi3`): the Llama block with one fused `qkv_proj` and one fused `gate_up_proj`,
//! split by output rows at load time (so quantized fused weights split too), and RoPE over
//! `partial_rotary_factor` of each head. `linear` rope scaling is supported; the `su` /
//! `longrope` scaling of the 128k-context variants is not.

use super::config::ModelConfig;
use super::layers::Rope;
use super::transformer::{Family, LayerPlan, Plan};
use crate::Result;

/// The plan for a `phi3` config.
pub(crate) fn plan(config: &ModelConfig) -> Result<Plan> {
    let raw = &config.raw;
    let rope_dims = (config.head_dim as f64 * raw.partial_rotary_factor.unwrap_or(1.0)) as usize;
    let layers = (0..config.num_hidden_layers)
        .map(|_| {
            Ok(LayerPlan {
                rope: Rope::new(
                    rope_dims,
                    config.rope_theta,
                    raw.rope_traditional,
                    raw.rope_scaling.as_ref(),
                    &config.path,
                    &config.model_type,
                )?,
                window: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Plan {
        family: Family {
            fused_qkv: true,
            fused_gate_up: true,
            ..Family::default()
        },
        layers,
        attention_scale: (config.head_dim as f32).powf(-0.5),
    })
}

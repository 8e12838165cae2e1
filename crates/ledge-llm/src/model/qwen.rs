//! Qwen 2 / 2.5 (`qwen2`: biases on the q, k and v projections, head size always
//! hidden / heads) and Qwen 3 (`qwen3`: RMS norms over each query and key head, no biases,
//! RoPE settings possibly nested in `rope_parameters`). Otherwise the Llama block.

use super::config::ModelConfig;
use super::layers::Rope;
use super::transformer::{Family, LayerPlan, Plan};
use crate::Result;

/// The plan for a `qwen2` config.
pub(crate) fn plan_qwen2(config: &ModelConfig) -> Result<Plan> {
    let raw = &config.raw;
    let family = Family {
        qkv_bias: true,
        ..Family::default()
    };
    plan(
        config,
        family,
        raw.rope_traditional,
        raw.rope_scaling.as_ref(),
    )
}

/// The plan for a `qwen3` config.
pub(crate) fn plan_qwen3(config: &ModelConfig) -> Result<Plan> {
    let raw = &config.raw;
    let family = Family {
        qk_norm: true,
        ..Family::default()
    };
    let scaling = raw.rope_scaling.as_ref().or(raw.rope_parameters.as_ref());
    plan(config, family, false, scaling)
}

fn plan(
    config: &ModelConfig,
    family: Family,
    traditional: bool,
    scaling: Option<&serde_json::Value>,
) -> Result<Plan> {
    let layers = (0..config.num_hidden_layers)
        .map(|_| {
            Ok(LayerPlan {
                rope: Rope::new(
                    config.head_dim,
                    config.rope_theta,
                    traditional,
                    scaling,
                    &config.path,
                    &config.model_type,
                )?,
                window: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Plan {
        family,
        layers,
        attention_scale: (config.head_dim as f32).powf(-0.5),
    })
}

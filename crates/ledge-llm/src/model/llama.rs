//! Llama (2, 3, 3.x) and Mistral: the plain pre-norm decoder with SwiGLU and grouped-query
//! attention. Optional `attention_bias`/`mlp_bias`, `rope_scaling` (`linear`, `llama3`) and,
//! as in mlx-lm, sliding-window layers where `layer_types` names `sliding_attention`. mlx-lm
//! reads `mistral` configs as Llama, and so does Ledge.

use super::config::ModelConfig;
use super::layers::Rope;
use super::transformer::{Family, LayerPlan, Plan};
use crate::{Error, Result};

/// The plan for a `llama` or `mistral` config.
pub(crate) fn plan(config: &ModelConfig) -> Result<Plan> {
    let raw = &config.raw;
    let layer_types = raw.layer_types.as_deref();
    if let Some(types) = layer_types
        && types.len() != config.num_hidden_layers
    {
        return Err(Error::InvalidModel {
            path: config.path.clone(),
            reason: format!(
                "`layer_types` lists {} layers, but there are {}",
                types.len(),
                config.num_hidden_layers
            ),
        });
    }
    let layers = (0..config.num_hidden_layers)
        .map(|i| {
            let sliding = layer_types.is_some_and(|types| types[i] == "sliding_attention");
            Ok(LayerPlan {
                rope: Rope::new(
                    config.head_dim,
                    config.rope_theta,
                    raw.rope_traditional,
                    raw.rope_scaling.as_ref(),
                    &config.path,
                    &config.model_type,
                )?,
                window: if sliding { config.sliding_window } else { None },
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Plan {
        family: Family {
            qkv_bias: raw.attention_bias,
            o_bias: raw.attention_bias,
            mlp_bias: raw.mlp_bias,
            ..Family::default()
        },
        layers,
        attention_scale: (config.head_dim as f32).powf(-0.5),
    })
}

//! Choosing the next token from a model's logits: greedy, or sampled with temperature, top-k,
//! top-p (nucleus), min-p and a repetition penalty, from a seeded generator so a run can be
//! repeated exactly.
//!
//! Sampling runs on the CPU over the last position's logits. On unified memory that row is
//! already where the CPU can read it, and a vocabulary of 262,144 entries takes well under a
//! millisecond to filter, so doing it in MLX would only add graph-building overhead.
//!
//! The filters apply in the order the popular runtimes use (llama.cpp, mlx-lm, Hugging Face):
//! repetition penalty on raw logits, then temperature, then top-k, top-p and min-p on the
//! resulting distribution.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How to choose each token.
#[derive(Debug, Clone, PartialEq)]
pub struct SamplingParams {
    /// 0 picks the most likely token every time (greedy); higher values flatten the
    /// distribution.
    pub temperature: f32,
    /// Keep only the `k` most likely tokens; 0 keeps all.
    pub top_k: usize,
    /// Keep the smallest set of most likely tokens whose probabilities sum to at least `p`;
    /// 1 keeps all.
    pub top_p: f32,
    /// Drop tokens whose probability is below `min_p` times the most likely token's; 0 keeps all.
    pub min_p: f32,
    /// Divides positive logits (multiplies negative ones) of tokens seen in the last
    /// `repetition_context` tokens; 1 is off.
    pub repetition_penalty: f32,
    /// How many recent tokens the repetition penalty looks at.
    pub repetition_context: usize,
    /// Seed of the random generator; `None` seeds from the operating system. A seed repeats
    /// a run exactly when the prompt is computed the same way: a prompt partly reused from
    /// the KV cache rounds differently in the last bits, which can change a sampled token at
    /// a near tie.
    pub seed: Option<u64>,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_k: 0,
            top_p: 1.0,
            min_p: 0.0,
            repetition_penalty: 1.0,
            repetition_context: 64,
            seed: None,
        }
    }
}

impl SamplingParams {
    /// Greedy decoding: always the most likely token.
    pub fn greedy() -> Self {
        Self::default()
    }

    /// Checks the values are in range; the message names the bad one.
    pub fn validate(&self) -> Result<(), String> {
        if !(self.temperature.is_finite() && self.temperature >= 0.0) {
            return Err(format!(
                "temperature must be 0 or more, not {}",
                self.temperature
            ));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(format!(
                "top-p must be above 0 and at most 1, not {}",
                self.top_p
            ));
        }
        if !(0.0..=1.0).contains(&self.min_p) {
            return Err(format!("min-p must be between 0 and 1, not {}", self.min_p));
        }
        if !(self.repetition_penalty.is_finite() && self.repetition_penalty > 0.0) {
            return Err(format!(
                "repetition penalty must be above 0, not {}",
                self.repetition_penalty
            ));
        }
        Ok(())
    }
}

/// Picks tokens according to [`SamplingParams`]; holds the random generator so that a seeded
/// run is reproducible token for token.
#[derive(Debug)]
pub struct Sampler {
    params: SamplingParams,
    rng: StdRng,
    /// Reused between calls: (token, probability) of the candidates still in the running.
    candidates: Vec<(u32, f32)>,
}

impl Sampler {
    /// A sampler with its generator seeded from `params.seed`.
    pub fn new(params: SamplingParams) -> Self {
        let rng = match params.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Self {
            params,
            rng,
            candidates: Vec::new(),
        }
    }

    /// The parameters in use.
    pub fn params(&self) -> &SamplingParams {
        &self.params
    }

    /// Chooses the next token. `logits` holds one score per vocabulary entry (it is modified
    /// in place by the repetition penalty); `history` is the token sequence so far.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        self.apply_repetition_penalty(logits, history);
        if self.params.temperature == 0.0 {
            return argmax(logits);
        }
        self.fill_candidates(logits);
        self.apply_top_p();
        self.apply_min_p();
        self.draw()
    }

    fn apply_repetition_penalty(&self, logits: &mut [f32], history: &[u32]) {
        let penalty = self.params.repetition_penalty;
        if penalty == 1.0 {
            return;
        }
        let start = history.len().saturating_sub(self.params.repetition_context);
        let mut seen: Vec<u32> = history[start..].to_vec();
        seen.sort_unstable();
        seen.dedup();
        for token in seen {
            if let Some(logit) = logits.get_mut(token as usize) {
                *logit = if *logit > 0.0 {
                    *logit / penalty
                } else {
                    *logit * penalty
                };
            }
        }
    }

    /// Softmax of `logits / temperature` over the top-k tokens (all when k is 0), sorted by
    /// falling probability.
    fn fill_candidates(&mut self, logits: &[f32]) {
        let scale = 1.0 / self.params.temperature;
        let max = logits
            .iter()
            .copied()
            .filter(|logit| !logit.is_nan())
            .fold(f32::NEG_INFINITY, f32::max);
        self.candidates.clear();
        self.candidates.extend(
            logits
                .iter()
                .enumerate()
                .filter(|(_, logit)| !logit.is_nan())
                .map(|(token, &logit)| (token as u32, ((logit - max) * scale).exp())),
        );
        // Sorting the whole vocabulary is the expensive step; top-k first narrows it cheaply.
        let k = self.params.top_k;
        if k > 0 && k < self.candidates.len() {
            self.candidates
                .select_nth_unstable_by(k - 1, |a, b| b.1.total_cmp(&a.1));
            self.candidates.truncate(k);
        }
        self.candidates.sort_unstable_by(|a, b| b.1.total_cmp(&a.1));
        normalise(&mut self.candidates);
    }

    fn apply_top_p(&mut self) {
        let p = self.params.top_p;
        if p >= 1.0 {
            return;
        }
        let mut mass = 0.0;
        let mut keep = self.candidates.len();
        for (index, &(_, probability)) in self.candidates.iter().enumerate() {
            mass += probability;
            if mass >= p {
                keep = index + 1;
                break;
            }
        }
        self.candidates.truncate(keep.max(1));
        normalise(&mut self.candidates);
    }

    fn apply_min_p(&mut self) {
        let min_p = self.params.min_p;
        let Some(&(_, top)) = self.candidates.first() else {
            return;
        };
        if min_p <= 0.0 {
            return;
        }
        let threshold = top * min_p;
        self.candidates
            .retain(|&(_, probability)| probability >= threshold);
        normalise(&mut self.candidates);
    }

    fn draw(&mut self) -> u32 {
        let mut target: f32 = self.rng.random::<f32>();
        for &(token, probability) in &self.candidates {
            if target < probability {
                return token;
            }
            target -= probability;
        }
        // Rounding left a sliver of mass unassigned: it belongs to the last candidate.
        self.candidates.last().map_or(0, |&(token, _)| token)
    }
}

/// The index of the largest logit (the first one on ties); NaNs never win.
pub fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0;
    let mut best_value = f32::NEG_INFINITY;
    for (index, &value) in logits.iter().enumerate() {
        if value > best_value {
            best = index;
            best_value = value;
        }
    }
    best as u32
}

fn normalise(candidates: &mut [(u32, f32)]) {
    let total: f32 = candidates.iter().map(|&(_, p)| p).sum();
    if total > 0.0 {
        for (_, probability) in candidates.iter_mut() {
            *probability /= total;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::collections::HashMap;

    use super::*;

    /// Logits whose softmax is `probabilities` (at temperature 1).
    fn logits_of(probabilities: &[f32]) -> Vec<f32> {
        probabilities.iter().map(|p| p.ln()).collect()
    }

    fn frequencies(params: SamplingParams, logits: &[f32], draws: usize) -> HashMap<u32, f64> {
        let mut sampler = Sampler::new(params);
        let mut counts = HashMap::new();
        for _ in 0..draws {
            let mut row = logits.to_vec();
            *counts.entry(sampler.sample(&mut row, &[])).or_insert(0.0) += 1.0;
        }
        counts.values_mut().for_each(|count| *count /= draws as f64);
        counts
    }

    fn sampled(temperature: f32) -> SamplingParams {
        SamplingParams {
            temperature,
            seed: Some(7),
            ..SamplingParams::default()
        }
    }

    #[test]
    fn greedy_takes_the_largest_logit_and_ignores_nan() {
        let mut logits = vec![0.5, f32::NAN, 3.0, 2.9, -1.0];
        let mut sampler = Sampler::new(SamplingParams::greedy());
        assert_eq!(sampler.sample(&mut logits, &[]), 2);
        assert_eq!(argmax(&[f32::NAN, -5.0]), 1);
    }

    #[test]
    fn temperature_one_reproduces_the_model_distribution() {
        let probabilities = [0.5, 0.3, 0.15, 0.05];
        let seen = frequencies(sampled(1.0), &logits_of(&probabilities), 40_000);
        for (token, &p) in probabilities.iter().enumerate() {
            let f = seen.get(&(token as u32)).copied().unwrap_or(0.0);
            assert!((f - f64::from(p)).abs() < 0.01, "token {token}: {f} vs {p}");
        }
    }

    #[test]
    fn low_temperature_sharpens_and_high_temperature_flattens() {
        let logits = logits_of(&[0.6, 0.4]);
        let cold = frequencies(sampled(0.25), &logits, 20_000)[&0];
        let hot = frequencies(sampled(4.0), &logits, 20_000)[&0];
        // 0.6^4 / (0.6^4 + 0.4^4) = 0.835; 0.6^0.25 / (0.6^0.25 + 0.4^0.25) = 0.525.
        assert!((cold - 0.835).abs() < 0.015, "{cold}");
        assert!((hot - 0.525).abs() < 0.015, "{hot}");
    }

    #[test]
    fn top_k_top_p_and_min_p_keep_only_the_allowed_tokens_in_proportion() {
        let logits = logits_of(&[0.4, 0.3, 0.2, 0.1]);
        let top_k = frequencies(
            SamplingParams {
                top_k: 2,
                ..sampled(1.0)
            },
            &logits,
            30_000,
        );
        assert_eq!(top_k.len(), 2);
        assert!((top_k[&0] - 4.0 / 7.0).abs() < 0.015);

        // 0.4 + 0.3 = 0.7 reaches top-p 0.65: two tokens stay.
        let top_p = frequencies(
            SamplingParams {
                top_p: 0.65,
                ..sampled(1.0)
            },
            &logits,
            30_000,
        );
        assert_eq!(top_p.len(), 2);

        // min-p 0.6: tokens under 0.6 × 0.4 = 0.24 go, leaving 0.4 and 0.3.
        let min_p = frequencies(
            SamplingParams {
                min_p: 0.6,
                ..sampled(1.0)
            },
            &logits,
            30_000,
        );
        let mut kept: Vec<_> = min_p.keys().copied().collect();
        kept.sort_unstable();
        assert_eq!(kept, vec![0, 1]);
    }

    #[test]
    fn a_seed_repeats_a_run_and_another_seed_differs() {
        let logits = logits_of(&[0.25; 4]);
        let run = |seed| {
            let mut sampler = Sampler::new(SamplingParams {
                seed: Some(seed),
                ..sampled(1.0)
            });
            (0..64)
                .map(|_| sampler.sample(&mut logits.clone(), &[]))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(1), run(1));
        assert_ne!(run(1), run(2));
    }

    #[test]
    fn repetition_penalty_pushes_recent_tokens_down_either_sign() {
        let sampler = Sampler::new(SamplingParams {
            repetition_penalty: 2.0,
            repetition_context: 2,
            ..SamplingParams::greedy()
        });
        let mut logits = vec![4.0, -1.0, 3.0, 1.0];
        // Token 3 is outside the context of the last two tokens.
        sampler.apply_repetition_penalty(&mut logits, &[3, 0, 1]);
        assert_eq!(logits, vec![2.0, -2.0, 3.0, 1.0]);
        let mut sampler = sampler;
        assert_eq!(sampler.sample(&mut [4.0, -1.0, 3.0], &[0]), 2);
    }

    #[test]
    fn out_of_range_parameters_are_named() {
        let bad = SamplingParams {
            top_p: 0.0,
            ..SamplingParams::default()
        };
        assert!(bad.validate().unwrap_err().contains("top-p"));
        let bad = SamplingParams {
            temperature: -1.0,
            ..SamplingParams::default()
        };
        assert!(bad.validate().unwrap_err().contains("temperature"));
        assert!(SamplingParams::default().validate().is_ok());
    }
}

//! The encoder's element-wise work done on the host CPU, for MLX's CPU backend.
//!
//! Why: on x86-64, MLX 0.32's CPU backend runs element-wise kernels (softmax, `erf`, the
//! broadcast of an attention mask) one scalar at a time on one thread, while its matrix
//! products go to a multi-threaded BLAS. In all-MiniLM-L6-v2 at 256 tokens the attention's
//! masked softmax and the GELU took about four fifths of an embedding's time that way (the
//! products one fifth). Here the same work runs as plain loops the compiler vectorizes, split
//! across the machine's cores. On Metal none of this is used: MLX's GPU kernels do it well.
//!
//! The approximations keep f32 accuracy: `exp` within 6e-7 relative (a few units in the last
//! place), `erf` within 6e-7 absolute, well inside what an f32 forward pass already rounds.

use std::f32::consts::{FRAC_1_SQRT_2, LN_2, LOG2_E};
use std::thread;

/// The largest `x` whose `exp` is used as is; below it the result is the smallest normal
/// float's neighbourhood, which to a softmax or `erf` is zero.
const EXP_LOWEST: f32 = -87.0;
/// 1.5 · 2²³: adding it rounds a float of magnitude < 2²² to an integer, held in the low bits.
const ROUNDER: f32 = 12_582_912.0;
/// ln 2 split in two so that `n · ln 2` is exact in its first part (Cody and Waite).
const LN_2_HIGH: f32 = 0.693_145_75;
const LN_2_LOW: f32 = LN_2 - LN_2_HIGH;

/// eˣ for x ≤ 88, branch-free so that loops over it vectorize.
#[inline(always)]
fn exp(x: f32) -> f32 {
    let x = x.max(EXP_LOWEST);
    // n = round(x / ln 2); x = n·ln 2 + r with |r| ≤ ln 2 / 2; eˣ = 2ⁿ · eʳ.
    let shifted = x * LOG2_E + ROUNDER;
    let n = shifted - ROUNDER;
    let r = x - n * LN_2_HIGH - n * LN_2_LOW;
    // Taylor to r⁶: the first term left out is below 1.2e-7 relative for |r| ≤ 0.347.
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    // The integer n sits in the low bits of `shifted`; 2ⁿ is n + 127 in the exponent field.
    let n_bits = shifted.to_bits().wrapping_sub(ROUNDER.to_bits());
    let two_to_n = f32::from_bits(n_bits.wrapping_add(127) << 23);
    p * two_to_n
}

/// erf(x), Abramowitz and Stegun 7.1.26 (1.5e-7 absolute, plus f32 rounding), branch-free.
#[inline(always)]
fn erf(x: f32) -> f32 {
    const P: f32 = 0.327_591_1;
    const A: [f32; 5] = [
        0.254_829_6,
        -0.284_496_74,
        1.421_413_8,
        -1.453_152_1,
        1.061_405_4,
    ];
    let a = x.abs();
    let t = 1.0 / (1.0 + P * a);
    let poly = t * (A[0] + t * (A[1] + t * (A[2] + t * (A[3] + t * A[4]))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

/// GELU with the exact erf form, x · (1 + erf(x / √2)) / 2, from `input` into `output`.
pub(crate) fn gelu(input: &[f32], output: &mut [f32]) {
    split_work(input, output, 1, |_, input, output| {
        for (out, &x) in output.iter_mut().zip(input) {
            *out = 0.5 * x * (1.0 + erf(x * FRAC_1_SQRT_2));
        }
    });
}

/// Attention weights from raw scores: for each row of `scores` (shape (batch, heads, queries,
/// keys), contiguous), softmax over `scale` · score of the keys before `lengths[b]` (the real
/// tokens of batch item b); the weights of padding keys are 0. Every query row, padding
/// included, gets finite weights, so nothing downstream turns into NaN.
pub(crate) fn masked_softmax(
    scores: &[f32],
    output: &mut [f32],
    lengths: &[usize],
    keys: usize,
    scale: f32,
) {
    let per_item = scores.len() / lengths.len().max(1);
    split_work(scores, output, per_item, |first_item, scores, output| {
        for ((item_scores, item_output), &length) in scores
            .chunks_exact(per_item)
            .zip(output.chunks_exact_mut(per_item))
            .zip(&lengths[first_item..])
        {
            let valid = length.clamp(1, keys);
            for (row, out) in item_scores
                .chunks_exact(keys)
                .zip(item_output.chunks_exact_mut(keys))
            {
                softmax_row(&row[..valid], &mut out[..valid], scale);
                out[valid..].fill(0.0);
            }
        }
    });
}

/// softmax(scale · row) into `out`.
#[inline]
fn softmax_row(row: &[f32], out: &mut [f32], scale: f32) {
    // Eight running maxima and sums, so the loops vectorize without reassociating floats.
    let mut maxima = [f32::NEG_INFINITY; 8];
    let mut chunks = row.chunks_exact(8);
    for chunk in &mut chunks {
        for (m, &v) in maxima.iter_mut().zip(chunk) {
            *m = if v > *m { v } else { *m };
        }
    }
    let mut max = chunks
        .remainder()
        .iter()
        .fold(f32::NEG_INFINITY, |m, &v| if v > m { v } else { m });
    for m in maxima {
        max = if m > max { m } else { max };
    }
    let shift = max * scale;
    for (o, &v) in out.iter_mut().zip(row) {
        *o = exp(v * scale - shift);
    }
    let mut sums = [0.0f32; 8];
    let mut chunks = out.chunks_exact(8);
    for chunk in &mut chunks {
        for (s, &v) in sums.iter_mut().zip(chunk) {
            *s += v;
        }
    }
    let sum = sums.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>();
    // ≥ 1: the largest score contributes e⁰.
    let inverse = 1.0 / sum;
    for o in out.iter_mut() {
        *o *= inverse;
    }
}

/// How many threads share work of `items` independent pieces.
fn workers(items: usize) -> usize {
    let cores = thread::available_parallelism().map_or(1, usize::from);
    cores.min(items).max(1)
}

/// Runs `job(first_unit, input_piece, output_piece)` over `input`/`output` split into one
/// piece per core, each a whole number of `unit`-element units.
fn split_work(
    input: &[f32],
    output: &mut [f32],
    unit: usize,
    job: impl Fn(usize, &[f32], &mut [f32]) + Sync,
) {
    let unit = unit.max(1);
    let units = input.len() / unit;
    let per_piece = units.div_ceil(workers(units)).max(1);
    thread::scope(|scope| {
        let job = &job;
        let mut pieces = input
            .chunks(per_piece * unit)
            .zip(output.chunks_mut(per_piece * unit))
            .enumerate();
        let last = pieces.next_back();
        for (n, (i, o)) in pieces {
            scope.spawn(move || job(n * per_piece, i, o));
        }
        if let Some((n, (i, o))) = last {
            job(n * per_piece, i, o);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Maclaurin series in f64: exact to ~1e-13 for |x| ≤ 3.
    fn erf_series(x: f64) -> f64 {
        let (mut term, mut sum) = (x, x);
        for n in 1..200 {
            term *= -x * x / n as f64;
            sum += term / (2 * n + 1) as f64;
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn exp_agrees_with_the_standard_library_to_f32_rounding() {
        let mut worst = 0.0f64;
        for i in -870_000..=880_000 {
            let x = i as f32 * 1e-4;
            let ours = f64::from(exp(x));
            let exact = f64::from(x).exp();
            worst = worst.max((ours - exact).abs() / exact);
        }
        assert!(worst < 6e-7, "worst relative error {worst}");
        // Far below the range: zero for practical purposes, never NaN or negative.
        for x in [-100.0f32, -1e6, f32::NEG_INFINITY] {
            let y = exp(x);
            assert!((0.0..1e-37).contains(&y), "exp({x}) = {y}");
        }
    }

    #[test]
    fn erf_is_within_its_published_error() {
        let mut worst = 0.0f64;
        for i in -3_000..=3_000 {
            let x = i as f32 * 1e-3;
            worst = worst.max((f64::from(erf(x)) - erf_series(f64::from(x))).abs());
        }
        assert!(worst < 6e-7, "worst absolute error {worst}");
        assert!(erf(0.0).abs() < 1e-7);
        for x in [5.0f32, 10.0, 1e4] {
            assert!((erf(x) - 1.0).abs() < 1e-6 && (erf(-x) + 1.0).abs() < 1e-6);
        }
    }

    #[test]
    fn gelu_matches_its_definition() {
        let input: Vec<f32> = (0..10_001).map(|i| (i as f32 - 5_000.0) * 1e-3).collect();
        let mut output = vec![0.0; input.len()];
        gelu(&input, &mut output);
        for (&x, &y) in input.iter().zip(&output) {
            let x = f64::from(x);
            let exact = 0.5 * x * (1.0 + erf_series(x / 2f64.sqrt()));
            assert!(
                (f64::from(y) - exact).abs() < 1e-6,
                "gelu({x}) = {y}, not {exact}"
            );
        }
    }

    #[test]
    fn softmax_ignores_padding_keys_and_matches_a_plain_one() {
        let (heads, keys) = (3, 21);
        let lengths = [21, 5, 1, 13];
        let per_item = heads * keys * keys;
        let scores: Vec<f32> = (0..lengths.len() * per_item)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 0.05)
            .collect();
        let mut output = vec![f32::NAN; scores.len()];
        masked_softmax(&scores, &mut output, &lengths, keys, 0.25);
        for (item, &length) in lengths.iter().enumerate() {
            for row in 0..heads * keys {
                let start = item * per_item + row * keys;
                let got = &output[start..start + keys];
                let raw = &scores[start..start + length];
                let max = raw
                    .iter()
                    .fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
                let weights: Vec<f64> = raw
                    .iter()
                    .map(|&v| ((f64::from(v) - max) * 0.25).exp())
                    .collect();
                let sum: f64 = weights.iter().sum();
                for (k, &g) in got.iter().enumerate() {
                    let expected = if k < length { weights[k] / sum } else { 0.0 };
                    assert!(
                        (f64::from(g) - expected).abs() < 1e-6,
                        "item {item} row {row} key {k}: {g} against {expected}"
                    );
                }
            }
        }
    }
}

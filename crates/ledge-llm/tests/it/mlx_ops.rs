//! MLX works here: each operation Ledge's models are built from, computed by MLX through
//! mlx-rs, is checked against a plain f32 computation written out in this file.

use half::{bf16, f16};
use ledge_llm::Runtime;
use mlx_rs::fast::ScaledDotProductAttentionMask;
use mlx_rs::ops::indexing::IndexOp;
use mlx_rs::{Array, Dtype, fast, ops};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn setup() {
    Runtime::init().unwrap();
}

fn random(rng: &mut StdRng, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

fn array(data: &[f32], shape: &[usize]) -> Array {
    let shape: Vec<i32> = shape.iter().map(|&d| d as i32).collect();
    Array::from_slice(data, &shape)
}

fn values(array: &Array) -> Vec<f32> {
    array.eval().unwrap();
    array.as_slice::<f32>().to_vec()
}

#[track_caller]
fn assert_close(actual: &[f32], expected: &[f32], tolerance: f32) {
    assert_eq!(actual.len(), expected.len(), "lengths differ");
    let (worst, diff) = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (a - e).abs())
        .enumerate()
        .fold((0, 0.0f32), |best, (i, d)| {
            if d > best.1 || d.is_nan() {
                (i, d)
            } else {
                best
            }
        });
    assert!(
        diff <= tolerance,
        "max |difference| {diff} at {worst} (actual {}, expected {}) exceeds {tolerance}",
        actual[worst],
        expected[worst]
    );
}

/// Row-major (m×k)·(k×n), accumulated in f64.
fn naive_matmul(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let sum: f64 = (0..k)
                .map(|p| f64::from(a[i * k + p]) * f64::from(b[p * n + j]))
                .sum();
            c[i * n + j] = sum as f32;
        }
    }
    c
}

#[test]
fn matmul_matches_a_naive_product() {
    setup();
    let mut rng = StdRng::seed_from_u64(1);
    // Odd shapes (no kernel-friendly tiling) and one large enough for the BLAS path.
    for (m, k, n) in [(67, 129, 45), (1, 96, 300), (256, 256, 256)] {
        let a = random(&mut rng, m * k);
        let b = random(&mut rng, k * n);
        let c = array(&a, &[m, k]).matmul(array(&b, &[k, n])).unwrap();
        assert_eq!(c.shape(), &[m as i32, n as i32]);
        assert_close(&values(&c), &naive_matmul(&a, &b, m, k, n), 1e-4);
    }
}

#[test]
fn rms_norm_matches_its_definition() {
    setup();
    let mut rng = StdRng::seed_from_u64(2);
    let (rows, dim, eps) = (15, 64, 1e-5f32);
    let x = random(&mut rng, rows * dim);
    let weight = random(&mut rng, dim);
    let out = fast::rms_norm(array(&x, &[3, 5, dim]), Some(&array(&weight, &[dim])), eps).unwrap();

    let mut expected = Vec::with_capacity(rows * dim);
    for row in x.chunks(dim) {
        let mean_square = row.iter().map(|v| v * v).sum::<f32>() / dim as f32;
        let inverse = 1.0 / (mean_square + eps).sqrt();
        expected.extend(row.iter().zip(&weight).map(|(v, w)| v * inverse * w));
    }
    assert_close(&values(&out), &expected, 1e-5);
}

/// Rotary embedding of `x` laid out (batch, heads, seq, head_dim), positions along `seq`.
fn naive_rope(
    x: &[f32],
    seq: usize,
    head_dim: usize,
    dims: usize,
    traditional: bool,
    base: f32,
    offset: usize,
) -> Vec<f32> {
    let mut out = x.to_vec();
    for (row_index, row) in out.chunks_mut(head_dim).enumerate() {
        let position = (offset + row_index % seq) as f64;
        for i in 0..dims / 2 {
            let angle = position * f64::from(base).powf(-2.0 * i as f64 / dims as f64);
            let (sin, cos) = angle.sin_cos();
            let (a, b) = if traditional {
                (2 * i, 2 * i + 1)
            } else {
                (i, i + dims / 2)
            };
            let (xa, xb) = (f64::from(row[a]), f64::from(row[b]));
            row[a] = (xa * cos - xb * sin) as f32;
            row[b] = (xa * sin + xb * cos) as f32;
        }
    }
    out
}

#[test]
fn rope_matches_rotation_by_position() {
    setup();
    let mut rng = StdRng::seed_from_u64(3);
    let (batch, heads, seq, head_dim) = (2, 3, 7, 16);
    let x = random(&mut rng, batch * heads * seq * head_dim);
    let input = array(&x, &[batch, heads, seq, head_dim]);
    // Both pairings, full and partial rotation, with a cache offset as in decoding.
    for (dims, traditional, offset) in [(16, false, 0), (16, true, 5), (8, false, 11)] {
        let out = fast::rope(
            &input,
            dims as i32,
            traditional,
            10_000.0,
            1.0,
            offset as i32,
            None,
        )
        .unwrap();
        let expected = naive_rope(&x, seq, head_dim, dims, traditional, 10_000.0, offset);
        assert_close(&values(&out), &expected, 1e-4);
    }
}

/// softmax(q·kᵀ·scale + mask)·v per head, with grouped-query heads; `allowed(i, j)` says
/// whether query i may attend to key j.
#[allow(clippy::too_many_arguments)]
fn naive_attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    heads: usize,
    kv_heads: usize,
    q_len: usize,
    k_len: usize,
    dim: usize,
    scale: f32,
    allowed: impl Fn(usize, usize) -> bool,
) -> Vec<f32> {
    let mut out = vec![0.0f32; heads * q_len * dim];
    for h in 0..heads {
        let kv = h / (heads / kv_heads);
        for i in 0..q_len {
            let qi = &q[(h * q_len + i) * dim..][..dim];
            let scores: Vec<f64> = (0..k_len)
                .map(|j| {
                    if !allowed(i, j) {
                        return f64::NEG_INFINITY;
                    }
                    let kj = &k[(kv * k_len + j) * dim..][..dim];
                    let dot: f64 = qi
                        .iter()
                        .zip(kj)
                        .map(|(a, b)| f64::from(*a) * f64::from(*b))
                        .sum();
                    dot * f64::from(scale)
                })
                .collect();
            let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
            let total: f64 = weights.iter().sum();
            for d in 0..dim {
                let mixed: f64 = (0..k_len)
                    .map(|j| weights[j] * f64::from(v[(kv * k_len + j) * dim + d]))
                    .sum();
                out[(h * q_len + i) * dim + d] = (mixed / total) as f32;
            }
        }
    }
    out
}

#[test]
fn scaled_dot_product_attention_matches_softmax_attention() {
    setup();
    let mut rng = StdRng::seed_from_u64(4);
    let (heads, kv_heads, dim) = (4, 2, 32);
    let scale = 1.0 / (dim as f32).sqrt();
    for (q_len, k_len) in [(9, 9), (3, 9), (1, 12)] {
        let q = random(&mut rng, heads * q_len * dim);
        let k = random(&mut rng, kv_heads * k_len * dim);
        let v = random(&mut rng, kv_heads * k_len * dim);
        let (qa, ka, va) = (
            array(&q, &[1, heads, q_len, dim]),
            array(&k, &[1, kv_heads, k_len, dim]),
            array(&v, &[1, kv_heads, k_len, dim]),
        );

        let unmasked =
            fast::scaled_dot_product_attention(&qa, &ka, &va, scale, None, None).unwrap();
        let expected = naive_attention(
            &q,
            &k,
            &v,
            heads,
            kv_heads,
            q_len,
            k_len,
            dim,
            scale,
            |_, _| true,
        );
        assert_close(&values(&unmasked), &expected, 1e-4);

        // Causal with the queries at the end of the sequence, as in prefill after a cache.
        let causal = fast::scaled_dot_product_attention(
            &qa,
            &ka,
            &va,
            scale,
            ScaledDotProductAttentionMask::Causal,
            None,
        )
        .unwrap();
        let shift = k_len - q_len;
        let expected = naive_attention(
            &q,
            &k,
            &v,
            heads,
            kv_heads,
            q_len,
            k_len,
            dim,
            scale,
            |i, j| j <= i + shift,
        );
        assert_close(&values(&causal), &expected, 1e-4);

        // An explicit additive mask: every other key hidden (a sliding-window-like pattern).
        let mask: Vec<f32> = (0..q_len * k_len)
            .map(|index| {
                if (index % k_len) % 2 == 0 {
                    0.0
                } else {
                    f32::NEG_INFINITY
                }
            })
            .collect();
        let mask = array(&mask, &[q_len, k_len]);
        let masked = fast::scaled_dot_product_attention(&qa, &ka, &va, scale, &mask, None).unwrap();
        let expected = naive_attention(
            &q,
            &k,
            &v,
            heads,
            kv_heads,
            q_len,
            k_len,
            dim,
            scale,
            |_, j| j % 2 == 0,
        );
        assert_close(&values(&masked), &expected, 1e-4);
    }
}

#[test]
fn four_bit_quantized_matmul_matches_dequantized_f32_product() {
    setup();
    let mut rng = StdRng::seed_from_u64(5);
    let (rows, out_features, in_features, group, bits) = (3, 24, 256, 64, 4);
    let w = random(&mut rng, out_features * in_features);
    let x = random(&mut rng, rows * in_features);

    let (packed, scales, biases) =
        ops::quantize(array(&w, &[out_features, in_features]), group, bits).unwrap();
    packed.eval().unwrap();
    assert_eq!(packed.dtype(), Dtype::Uint32);
    assert_eq!(
        packed.shape(),
        &[
            out_features as i32,
            (in_features * bits as usize / 32) as i32
        ]
    );
    let packed = packed.as_slice::<u32>().to_vec();
    let scales = values(&scales);
    let biases = values(&biases);
    let groups = in_features / group as usize;

    // Unpack by hand: eight 4-bit codes per u32, lowest bits first; w ≈ scale·code + bias.
    let mut dequantized = vec![0.0f32; w.len()];
    for o in 0..out_features {
        for j in 0..in_features {
            let word = packed[o * in_features / 8 + j / 8];
            let code = (word >> (4 * (j % 8))) & 0xF;
            let g = o * groups + j / group as usize;
            dequantized[o * in_features + j] = scales[g] * code as f32 + biases[g];
        }
    }
    // Affine 4-bit codes: inside the group's representable range [bias, bias + 15·scale] a
    // weight is within half a step of its level; MLX keeps one end of the range exact and
    // clips what lies beyond the other end to the last level.
    for (index, (original, restored)) in w.iter().zip(&dequantized).enumerate() {
        let g = (index / in_features) * groups + (index % in_features) / group as usize;
        let (low, high) = (biases[g], biases[g] + 15.0 * scales[g]);
        let (low, high) = (low.min(high), low.max(high));
        let nearest = original.clamp(low, high);
        let tolerance = scales[g].abs() * 0.5 + 1e-5;
        assert!(
            (nearest - restored).abs() <= tolerance,
            "weight {index}: {original} came back as {restored} (levels {low}..{high})"
        );
    }

    let product = ops::quantized_matmul(
        array(&x, &[rows, in_features]),
        Array::from_slice(&packed, &[out_features as i32, (in_features / 8) as i32]),
        array(&scales, &[out_features, groups]),
        &array(&biases, &[out_features, groups]),
        true,
        group,
        bits,
    )
    .unwrap();
    // x·Wᵀ with the dequantized weights, transposed to (in, out) for the naive product.
    let mut transposed = vec![0.0f32; w.len()];
    for o in 0..out_features {
        for j in 0..in_features {
            transposed[j * out_features + o] = dequantized[o * in_features + j];
        }
    }
    let expected = naive_matmul(&x, &transposed, rows, in_features, out_features);
    assert_close(&values(&product), &expected, 1e-3);
}

#[test]
fn half_precision_values_read_back_bit_exact() {
    setup();
    let source = [0.5f32, -1.25, 3.0e-3, 65504.0, 1.0 / 3.0];
    let x = array(&source, &[source.len()]);

    let halves = x.as_dtype(Dtype::Float16).unwrap();
    halves.eval().unwrap();
    let expected: Vec<f16> = source.iter().map(|&v| f16::from_f32(v)).collect();
    assert_eq!(halves.as_slice::<f16>(), expected.as_slice());
    assert_eq!(
        halves.index(1).try_item_exact::<f16>().unwrap(),
        f16::from_f32(-1.25)
    );

    let brains = x.as_dtype(Dtype::Bfloat16).unwrap();
    brains.eval().unwrap();
    let expected: Vec<bf16> = source.iter().map(|&v| bf16::from_f32(v)).collect();
    assert_eq!(brains.as_slice::<bf16>(), expected.as_slice());
    assert_eq!(
        brains.index(0).try_item_exact::<bf16>().unwrap(),
        bf16::from_f32(0.5)
    );
}

#[test]
fn unseeded_random_numbers_are_standard_normal() {
    setup();
    // Without a key mlx-rs seeds from the clock (mach_approximate_time, shimmed on Linux).
    let sample = mlx_rs::random::normal::<f32>(&[20_000][..], None, None, None).unwrap();
    let values = values(&sample);
    let mean = values.iter().sum::<f32>() / values.len() as f32;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / values.len() as f32;
    assert!(mean.abs() < 0.05, "mean {mean}");
    assert!((variance - 1.0).abs() < 0.05, "variance {variance}");
}

//! Attention and GELU on the host CPU, for MLX's CPU backend: the encoder's (the embedder)
//! and the decoder's over its KV cache (a prompt's prefill).
//!
//! Why: on x86-64, MLX 0.32's CPU backend runs element-wise kernels (softmax, `erf`, the
//! broadcast of an attention mask, the copies that split and merge heads) one scalar at a
//! time on one thread, while its matrix products go to a multi-threaded BLAS. In
//! all-MiniLM-L6-v2 at 256 tokens the masked softmax and the GELU took about four fifths of
//! an embedding's time that way, and a decoder's prefill slows with the prompt's length for
//! the same reason (its attention builds and normalises a queries × keys score matrix per
//! head). Here the attention runs head by head (for the decoder, a block of queries at a
//! time) with its score matrix in cache (its small strided products by the `gemm` crate,
//! softmax as a loop the compiler vectorises), and the GELU likewise, split across the
//! machine's cores. On Metal none of this is used: MLX's GPU kernels do it well.
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

/// The shape of one batch's self-attention on the host.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AttentionShape {
    /// Texts in the batch.
    pub rows: usize,
    /// Tokens per text, padding included.
    pub length: usize,
    /// Attention heads.
    pub heads: usize,
    /// Width of one head.
    pub head_dim: usize,
}

/// Self-attention of a batch, head by head, on the host: from `qkv` (rows · length,
/// 3 · hidden: every token's queries, keys and values side by side, as the fused projection
/// gives them) into `context` (rows · length, hidden: the heads side by side again). Only the
/// `lengths[r]` real tokens of text r take part; padding tokens get a context of zeros.
///
/// Each (text, head) pair's score matrix (at most length², 256 KB at 256 tokens) is made,
/// normalised and used while it is still in the core's cache, and the products read the
/// heads in place through their strides, so no copy splits the heads or merges them back.
pub(crate) fn attention(
    qkv: &[f32],
    context: &mut [f32],
    shape: AttentionShape,
    lengths: &[usize],
    scale: f32,
) {
    let AttentionShape {
        rows,
        length,
        heads,
        head_dim,
    } = shape;
    let hidden = heads * head_dim;
    let (in_row, out_row) = (length * 3 * hidden, length * hidden);
    if rows == 0 || qkv.len() != rows * in_row || context.len() != rows * out_row {
        return;
    }
    let per_worker = rows.div_ceil(workers(rows));
    thread::scope(|scope| {
        let pieces = qkv
            .chunks(per_worker * in_row)
            .zip(context.chunks_mut(per_worker * out_row))
            .zip(lengths.chunks(per_worker));
        for ((qkv, context), lengths) in pieces {
            scope.spawn(move || {
                let mut scores = vec![0.0f32; length * length];
                for ((qkv, context), &valid) in qkv
                    .chunks_exact(in_row)
                    .zip(context.chunks_exact_mut(out_row))
                    .zip(lengths)
                {
                    let valid = valid.clamp(1, length);
                    context[valid * hidden..].fill(0.0);
                    for head in 0..heads {
                        attend_one_head(qkv, context, &mut scores, head, valid, shape, scale);
                    }
                }
            });
        }
    });
}

/// One text's one head: softmax(scale · q kᵀ) v over its `valid` tokens.
fn attend_one_head(
    qkv: &[f32],
    context: &mut [f32],
    scores: &mut [f32],
    head: usize,
    valid: usize,
    shape: AttentionShape,
    scale: f32,
) {
    let hidden = shape.heads * shape.head_dim;
    let stride = (3 * hidden) as isize;
    let column = head * shape.head_dim;
    let (queries, keys, values) = (column, hidden + column, 2 * hidden + column);
    debug_assert!(qkv.len() >= (valid - 1) * 3 * hidden + 2 * hidden + column + shape.head_dim);
    debug_assert!(context.len() >= (valid - 1) * hidden + column + shape.head_dim);
    debug_assert!(scores.len() >= valid * valid);
    // SAFETY: every index the products touch lies inside the slices: rows < valid ≤ length of
    // `qkv` (3·hidden apart) and of `context` (hidden apart), columns < head_dim past the
    // head's first column, and `scores` holds valid² values (asserted above, and by
    // `attention`'s length checks). `scores` and `context` do not overlap the inputs.
    unsafe {
        // scores (valid × valid, row-major) = q (valid × head_dim) · kᵀ (head_dim × valid).
        product(
            (valid, valid, shape.head_dim),
            (scores.as_mut_ptr(), valid as isize),
            (qkv.as_ptr().add(queries), 1, stride),
            (qkv.as_ptr().add(keys), stride, 1),
        );
    }
    for row in scores[..valid * valid].chunks_exact_mut(valid) {
        softmax_row_in_place(row, scale);
    }
    // SAFETY: as above; the result goes to the head's columns of the first `valid` rows.
    unsafe {
        // context (valid × head_dim) = weights (valid × valid) · v (valid × head_dim).
        product(
            (valid, shape.head_dim, valid),
            (context.as_mut_ptr().add(column), hidden as isize),
            (scores.as_ptr(), 1, valid as isize),
            (qkv.as_ptr().add(values), 1, stride),
        );
    }
}

/// The shape of a decoder's attention of new tokens over its cache, on the host.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CausalShape {
    /// New tokens (queries).
    pub queries: usize,
    /// Keys attended to, oldest first; the last `queries` of them are the new tokens' own.
    pub keys: usize,
    /// Query heads.
    pub heads: usize,
    /// Key and value heads (grouped-query attention: `heads` is a multiple of it).
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// A sliding-window layer's window: a query sees only its last `window` keys, itself
    /// included.
    pub window: Option<usize>,
}

/// Queries per block of [`causal_attention`]: a block's scores (at most this many rows of
/// the keys in view) stay in a core's cache between the two products.
const QUERY_BLOCK: usize = 64;

/// Causal attention of new tokens over the keys and values before them and their own: from
/// `q` (heads, queries, head_dim), `k` and `v` (kv_heads, keys, head_dim) into `out`
/// (queries, heads · head_dim: the heads side by side, as the output projection reads them).
/// Query i sits at key position `keys - queries + i` and sees the keys up to it (within the
/// window, if any). Query head h reads key head h / (heads / kv_heads).
///
/// The work goes in blocks of [`QUERY_BLOCK`] queries of one head, spread over the cores;
/// a block's score matrix covers only the keys some query of the block sees. Returns false,
/// writing nothing, when the slices' lengths do not fit `shape`.
#[must_use]
pub(crate) fn causal_attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    out: &mut [f32],
    shape: CausalShape,
    scale: f32,
) -> bool {
    let CausalShape {
        queries,
        keys,
        heads,
        kv_heads,
        head_dim,
        ..
    } = shape;
    let valid = queries > 0
        && queries <= keys
        && kv_heads > 0
        && heads % kv_heads == 0
        && q.len() == heads * queries * head_dim
        && k.len() == kv_heads * keys * head_dim
        && v.len() == k.len()
        && out.len() == queries * heads * head_dim;
    if !valid {
        return false;
    }
    let blocks_per_head = queries.div_ceil(QUERY_BLOCK);
    let tasks = heads * blocks_per_head;
    let threads = workers(tasks);
    // Each block writes its own rows' columns of one head; the pointer crosses threads as
    // an address because the blocks never overlap (see the SAFETY note below).
    let out_address = out.as_mut_ptr() as usize;
    thread::scope(|scope| {
        for worker in 0..threads {
            scope.spawn(move || {
                let mut scores = vec![0.0f32; QUERY_BLOCK * keys];
                // Interleaved, so that each thread gets early (short) and late (long) blocks.
                for task in (worker..tasks).step_by(threads) {
                    let (head, block) = (task / blocks_per_head, task % blocks_per_head);
                    // SAFETY: task (head, block) writes only rows block·QUERY_BLOCK .. of
                    // `out` at columns head·head_dim .. +head_dim; tasks are distinct, so
                    // no two threads write the same element, and `out` outlives the scope.
                    unsafe {
                        attend_query_block(
                            (q, k, v),
                            out_address as *mut f32,
                            &mut scores,
                            (head, block),
                            shape,
                            scale,
                        );
                    }
                }
            });
        }
    });
    true
}

/// One block of one head's queries of [`causal_attention`].
///
/// # Safety
/// `out` must point at the `queries · heads · head_dim` values of the output, which nothing
/// else reads or writes at this block's rows and head's columns meanwhile; the slices must
/// have the lengths [`causal_attention`] checks.
unsafe fn attend_query_block(
    (q, k, v): (&[f32], &[f32], &[f32]),
    out: *mut f32,
    scores: &mut [f32],
    (head, block): (usize, usize),
    shape: CausalShape,
    scale: f32,
) {
    let CausalShape {
        queries,
        keys,
        heads,
        kv_heads,
        head_dim,
        window,
    } = shape;
    let kv_head = head / (heads / kv_heads);
    let first = block * QUERY_BLOCK;
    let rows = QUERY_BLOCK.min(queries - first);
    // Query i sees keys lowest(i) ..= position(i); the block's queries together, from..to.
    let position = |i: usize| keys - queries + i;
    let lowest = |i: usize| window.map_or(0, |w| (position(i) + 1).saturating_sub(w.max(1)));
    let from = lowest(first);
    let to = position(first + rows - 1) + 1;
    let seen = to - from;
    let q_block = (head * queries + first) * head_dim;
    let kv_from = (kv_head * keys + from) * head_dim;
    debug_assert!(q.len() >= q_block + rows * head_dim);
    debug_assert!(k.len() >= kv_from + seen * head_dim && v.len() == k.len());
    debug_assert!(scores.len() >= rows * seen);
    // SAFETY: the block's queries are rows first..first+rows of the head (inside `q`), the
    // keys and values rows from..to of the key head (inside `k` and `v`), the scores
    // rows · seen values (inside `scores`); none overlaps another.
    unsafe {
        // scores (rows × seen) = q (rows × head_dim) · kᵀ (head_dim × seen).
        product(
            (rows, seen, head_dim),
            (scores.as_mut_ptr(), seen as isize),
            (q.as_ptr().add(q_block), 1, head_dim as isize),
            (k.as_ptr().add(kv_from), head_dim as isize, 1),
        );
    }
    for (i, row) in scores[..rows * seen].chunks_exact_mut(seen).enumerate() {
        let (low, high) = (lowest(first + i) - from, position(first + i) + 1 - from);
        row[..low].fill(0.0);
        softmax_row_in_place(&mut row[low..high], scale);
        row[high..].fill(0.0);
    }
    let width = heads * head_dim;
    // SAFETY: the weights are the scores just written; the values rows from..to of the key
    // head; the result goes to rows first..first+rows of `out` at this head's columns,
    // which the caller's contract reserves for this block.
    unsafe {
        // out (rows × head_dim) = weights (rows × seen) · v (seen × head_dim).
        product(
            (rows, head_dim, seen),
            (out.add(first * width + head * head_dim), width as isize),
            (scores.as_ptr(), 1, seen as isize),
            (v.as_ptr().add(kv_from), 1, head_dim as isize),
        );
    }
}

/// dst (m × n) = lhs (m × k) · rhs (k × n), overwriting dst, on this thread. `dims` is
/// (m, n, k); dst's columns are adjacent and its rows `row stride` apart; each input is
/// (pointer, column stride, row stride).
///
/// # Safety
/// Every element the product reads or writes must lie inside its allocation, and `dst` must
/// not overlap the inputs.
unsafe fn product(
    (m, n, k): (usize, usize, usize),
    (dst, dst_row_stride): (*mut f32, isize),
    (lhs, lhs_col_stride, lhs_row_stride): (*const f32, isize, isize),
    (rhs, rhs_col_stride, rhs_row_stride): (*const f32, isize, isize),
) {
    // SAFETY: the caller's contract.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_row_stride,
            false, // dst is overwritten, not accumulated into
            lhs,
            lhs_col_stride,
            lhs_row_stride,
            rhs,
            rhs_col_stride,
            rhs_row_stride,
            0.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}

/// softmax(scale · row), in place.
#[inline]
fn softmax_row_in_place(row: &mut [f32], scale: f32) {
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
    for v in row.iter_mut() {
        *v = exp(*v * scale - shift);
    }
    let mut sums = [0.0f32; 8];
    let mut chunks = row.chunks_exact(8);
    for chunk in &mut chunks {
        for (s, &v) in sums.iter_mut().zip(chunk) {
            *s += v;
        }
    }
    let sum = sums.iter().sum::<f32>() + chunks.remainder().iter().sum::<f32>();
    let inverse = 1.0 / sum;
    for v in row.iter_mut() {
        *v *= inverse;
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
    fn attention_matches_a_plain_one_and_ignores_padding() {
        let shape = AttentionShape {
            rows: 3,
            length: 19,
            heads: 3,
            head_dim: 5,
        };
        let hidden = shape.heads * shape.head_dim;
        let lengths = [19, 4, 1];
        let qkv: Vec<f32> = (0..shape.rows * shape.length * 3 * hidden)
            .map(|i| ((i * 7919 % 1000) as f32 - 500.0) * 0.004)
            .collect();
        let mut context = vec![f32::NAN; shape.rows * shape.length * hidden];
        attention(&qkv, &mut context, shape, &lengths, 0.4);
        let at = |row: usize, token: usize, part: usize, head: usize, d: usize| {
            f64::from(
                qkv[(row * shape.length + token) * 3 * hidden
                    + part * hidden
                    + head * shape.head_dim
                    + d],
            )
        };
        for (row, &length) in lengths.iter().enumerate() {
            for token in 0..shape.length {
                for head in 0..shape.heads {
                    let mut expected = vec![0.0f64; shape.head_dim];
                    if token < length {
                        let scores: Vec<f64> = (0..length)
                            .map(|key| {
                                0.4 * (0..shape.head_dim)
                                    .map(|d| at(row, token, 0, head, d) * at(row, key, 1, head, d))
                                    .sum::<f64>()
                            })
                            .collect();
                        let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                        let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                        let sum: f64 = weights.iter().sum();
                        for (key, w) in weights.iter().enumerate() {
                            for (d, e) in expected.iter_mut().enumerate() {
                                *e += w / sum * at(row, key, 2, head, d);
                            }
                        }
                    }
                    for (d, e) in expected.iter().enumerate() {
                        let got = context
                            [(row * shape.length + token) * hidden + head * shape.head_dim + d];
                        assert!(
                            (f64::from(got) - e).abs() < 1e-5,
                            "text {row} token {token} head {head} dim {d}: {got} against {e}"
                        );
                    }
                }
            }
        }
    }

    /// The decoder's attention by its definition, in f64: query i at position
    /// `keys - queries + i` over the keys it sees.
    fn plain_causal(q: &[f32], k: &[f32], v: &[f32], shape: CausalShape, scale: f64) -> Vec<f64> {
        let CausalShape {
            queries,
            keys,
            heads,
            kv_heads,
            head_dim,
            window,
        } = shape;
        let mut out = vec![0.0f64; queries * heads * head_dim];
        for head in 0..heads {
            let kv_head = head / (heads / kv_heads);
            for i in 0..queries {
                let position = keys - queries + i;
                let lowest = window.map_or(0, |w| (position + 1).saturating_sub(w));
                let seen: Vec<usize> = (lowest..=position).collect();
                let scores: Vec<f64> = seen
                    .iter()
                    .map(|&j| {
                        scale
                            * (0..head_dim)
                                .map(|d| {
                                    f64::from(q[(head * queries + i) * head_dim + d])
                                        * f64::from(k[(kv_head * keys + j) * head_dim + d])
                                })
                                .sum::<f64>()
                    })
                    .collect();
                let max = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let weights: Vec<f64> = scores.iter().map(|s| (s - max).exp()).collect();
                let sum: f64 = weights.iter().sum();
                for (&j, w) in seen.iter().zip(&weights) {
                    for d in 0..head_dim {
                        out[i * heads * head_dim + head * head_dim + d] +=
                            w / sum * f64::from(v[(kv_head * keys + j) * head_dim + d]);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn causal_attention_matches_a_plain_one() {
        let pseudo = |n: usize, seed: usize| -> Vec<f32> {
            (0..n)
                .map(|i| (((i + seed) * 7919 % 1000) as f32 - 500.0) * 0.004)
                .collect()
        };
        // A whole prompt; a chunk after a cached prefix, longer than a block and not a
        // multiple of it; a single decoded token; sliding windows shorter than the chunk.
        let cases = [
            (9, 9, None),
            (150, 200, None),
            (1, 37, None),
            (150, 200, Some(16)),
            (70, 70, Some(64)),
        ];
        for (queries, keys, window) in cases {
            let shape = CausalShape {
                queries,
                keys,
                heads: 6,
                kv_heads: 2,
                head_dim: 5,
                window,
            };
            let q = pseudo(shape.heads * queries * shape.head_dim, 1);
            let k = pseudo(shape.kv_heads * keys * shape.head_dim, 2);
            let v = pseudo(k.len(), 3);
            let mut out = vec![f32::NAN; queries * shape.heads * shape.head_dim];
            assert!(causal_attention(&q, &k, &v, &mut out, shape, 0.45));
            let expected = plain_causal(&q, &k, &v, shape, 0.45);
            let worst = out
                .iter()
                .zip(&expected)
                .map(|(&a, b)| (f64::from(a) - b).abs())
                .fold(0.0f64, f64::max);
            assert!(worst < 1e-5, "{shape:?}: off by {worst}");
        }
    }
}

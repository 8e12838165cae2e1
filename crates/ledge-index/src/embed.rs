//! Embeddings of chunks: the [`ChunkEmbedder`] a caller plugs in, what a run reports, and the
//! in-memory matrix that vector search scans.
//!
//! The embedder itself lives elsewhere (MLX, in `ledge-llm`); this crate only stores its
//! vectors and searches them, so it never links a model runtime. Each chunk is embedded as its
//! document's name and heading path ([`document_heading`]), a blank line, and its text
//! ([`embedding_text`]), so a passage deep in a section still carries the section's topic and
//! the document's name. An embedder that reads fewer tokens than a long
//! chunk holds cuts it into windows ([`ChunkEmbedder::chunk_texts`]), each under the heading
//! and each with a vector of its own; a chunk scores as its best window.
//!
//! Vectors are L2-normalised before they are stored (whatever the embedder promises), so the
//! cosine similarity of a normalised query and a stored vector is their dot product. Search is
//! brute force over one contiguous matrix per model of 8-bit codes (a quarter of the f32
//! bytes, and the scan is bound by how many bytes it reads), loaded from the catalog on first
//! use and reloaded when the catalog changed since, split between the cores; the index then
//! ranks the best candidates exactly from their stored vectors.

use std::cmp::Ordering;
use std::fmt;

use serde::Serialize;

/// Turns chunk texts into vectors; implemented by the model runtime's embedder.
pub trait ChunkEmbedder {
    /// A stable name for the model and its settings; vectors are stored under it, and a
    /// different id means different vectors.
    fn model_id(&self) -> &str;
    /// The length of every vector [`embed`](Self::embed) returns.
    fn dimensions(&self) -> usize;
    /// One vector per text, in order. Implementations should return L2-normalised vectors;
    /// the index normalises them again anyway.
    fn embed(
        &mut self,
        texts: &[&str],
    ) -> std::result::Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>>;
    /// The texts embedded for one chunk, each giving one of its vectors (search scores a
    /// chunk by its best); `heading` is the one the index gives it, led by its document's
    /// name. The default is the chunk's text as [`embedding_text`] makes it, one text, for
    /// embedders that read any length (or truncate).
    fn chunk_texts(
        &mut self,
        heading: &str,
        text: &str,
    ) -> std::result::Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(vec![embedding_text(heading, text)])
    }
}

/// Where an embedding run stands; sent once at the start and after each committed batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EmbedProgress {
    /// Chunks that have all their vectors for the model (including those embedded by
    /// earlier runs).
    pub done: u64,
    /// Chunks in the index.
    pub total: u64,
}

/// What one [`Index::embed_pending`](crate::Index::embed_pending) run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmbedReport {
    /// The model id.
    pub model_id: String,
    /// Chunks embedded and stored by this run.
    pub embedded: u64,
    /// Chunks with a vector for the model at the end of the run.
    pub done: u64,
    /// Chunks in the index.
    pub total: u64,
    /// Wall time of the run in milliseconds.
    pub elapsed_ms: u64,
}

/// The text sent to the embedder for a chunk: its heading path, a blank line, its text.
pub(crate) fn embedding_text(heading: &str, text: &str) -> String {
    if heading.is_empty() {
        text.to_owned()
    } else {
        format!("{heading}\n\n{text}")
    }
}

/// The heading a chunk is embedded under: its heading path led by the document's name (its
/// title, or its file's name when it has none), so that a passage of the Apache License is
/// near a question that names the Apache License even where the passage never says so. The
/// name is left out when the path's first heading already says it (a page's title and its
/// first heading are usually one and the same).
pub(crate) fn document_heading(title: &str, path: &str, heading: &str) -> String {
    let title = title.trim();
    let name = if title.is_empty() {
        crate::fulltext::name_words(path)
    } else {
        title
    };
    if name.is_empty() {
        return heading.to_owned();
    }
    if heading.is_empty() {
        return name.to_owned();
    }
    let first = heading.split(" > ").next().unwrap_or(heading).trim();
    let (name_lower, first_lower) = (name.to_lowercase(), first.to_lowercase());
    if !first_lower.is_empty()
        && (name_lower.contains(&first_lower) || first_lower.contains(&name_lower))
    {
        heading.to_owned()
    } else {
        format!("{name} > {heading}")
    }
}

/// `vector` scaled to length 1; `None` when it has no direction (all zero) or holds NaN or
/// infinity.
pub(crate) fn normalised(vector: &[f32]) -> Option<Vec<f32>> {
    let norm = vector
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    if !norm.is_finite() || norm == 0.0 {
        return None;
    }
    Some(
        vector
            .iter()
            .map(|&x| (f64::from(x) / norm) as f32)
            .collect(),
    )
}

/// Dot product with eight independent sums, which the compiler turns into SIMD.
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut sums = [0f32; 8];
    let (a_chunks, b_chunks) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..8 {
            sums[lane] += x[lane] * y[lane];
        }
    }
    sums.iter().sum::<f32>() + tail
}

/// A unit vector as 8-bit integers and the scale that gives them back (component ≈ code ×
/// scale), appended to `codes`. The scale is the vector's own largest component over 127, so
/// each component is off by at most half a step: cosines move by about 0.001, which reorders
/// only near-ties, for a quarter of the memory and of the bytes each search reads.
pub(crate) fn quantize_into(vector: &[f32], codes: &mut Vec<i8>) -> f32 {
    let largest = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    codes.extend(
        vector
            .iter()
            // In range by construction: |x / scale| ≤ 127.
            .map(|&x| (x / scale).round().clamp(-127.0, 127.0) as i8),
    );
    scale
}

/// A vector's signs, one bit a component (set for a positive one), appended to `signs` in
/// 64-bit words.
pub(crate) fn signs_into(vector: &[f32], signs: &mut Vec<u64>) {
    for block in vector.chunks(64) {
        let mut word = 0u64;
        for (bit, &x) in block.iter().enumerate() {
            if x > 0.0 {
                word |= 1 << bit;
            }
        }
        signs.push(word);
    }
}

/// Dot product of two code rows, with sixteen independent sums the compiler turns into SIMD
/// (pairs of 8-bit products fit 16 bits: 2 × 127² < 2¹⁵).
#[inline(always)]
fn dot_codes(a: &[i8], b: &[i8]) -> i32 {
    let mut sums = [0i32; 16];
    let (a_chunks, b_chunks) = (a.chunks_exact(16), b.chunks_exact(16));
    let tail: i32 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(&x, &y)| i32::from(x) * i32::from(y))
        .sum();
    for (x, y) in a_chunks.zip(b_chunks) {
        for lane in 0..16 {
            sums[lane] += i32::from(x[lane]) * i32::from(y[lane]);
        }
    }
    sums.iter().sum::<i32>() + tail
}

/// Below this many rows a search runs on one thread (starting more costs more than it saves).
const PARALLEL_ROWS: usize = 16_384;

/// From this many rows on, a search first compares signs: the rows whose signs differ from
/// the question's in the fewest components (at least [`PREFILTER_KEEP`] of them, and 16 per
/// chunk asked for) go on to the 8-bit comparison, the rest are dropped. The 8-bit scan reads
/// 384 bytes a row and is bound by memory (240 MB at 626,278 rows, about 20 ms on 2 cores);
/// the signs are 48 bytes. Below this size the whole 8-bit scan is cheap enough.
const PREFILTER_ROWS: usize = 65_536;
/// Rows the sign prefilter keeps, at least.
const PREFILTER_KEEP: usize = 4_096;

/// When the cached matrix was loaded: the catalog connection's change counter and SQLite's
/// `data_version` (which moves when another connection commits).
pub(crate) type Stamp = (u64, i64);

/// Every stored vector of one model, row `i` belonging to chunk `ids[i]` (ids ascending; a
/// chunk with several windows has several rows in a row), held as 8-bit codes with a scale
/// per row ([`quantize_into`]): 384 bytes a vector rather than 1,536.
pub(crate) struct VectorCache {
    pub model: String,
    pub dims: usize,
    pub ids: Vec<i64>,
    codes: Vec<i8>,
    scales: Vec<f32>,
    /// Each row's signs, one bit a component (six 64-bit words a row at 384 dimensions):
    /// the prefilter of a search over many rows.
    signs: Vec<u64>,
    pub stamp: Stamp,
}

impl fmt::Debug for VectorCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VectorCache")
            .field("model", &self.model)
            .field("dims", &self.dims)
            .field("rows", &self.ids.len())
            .finish_non_exhaustive()
    }
}

/// A query as [`VectorCache::top`] compares it: codes and scale, and the codes widened to
/// 16 bits for the AVX2 scan.
struct Query {
    codes: Vec<i8>,
    #[cfg(target_arch = "x86_64")]
    wide: Vec<i16>,
    scale: f32,
}

impl Query {
    fn new(vector: &[f32]) -> Query {
        let mut codes = Vec::with_capacity(vector.len());
        let scale = quantize_into(vector, &mut codes);
        Query::of_codes(codes, scale)
    }

    fn of_codes(codes: Vec<i8>, scale: f32) -> Query {
        Query {
            #[cfg(target_arch = "x86_64")]
            wide: codes.iter().map(|&code| i16::from(code)).collect(),
            codes,
            scale,
        }
    }
}

impl VectorCache {
    /// An empty matrix of `model`'s vectors of length `dims`.
    pub fn new(model: &str, dims: usize, stamp: Stamp) -> VectorCache {
        VectorCache {
            model: model.to_owned(),
            dims,
            ids: Vec::new(),
            codes: Vec::new(),
            scales: Vec::new(),
            signs: Vec::new(),
            stamp,
        }
    }

    /// 64-bit words of signs per row.
    fn sign_words(&self) -> usize {
        self.dims.div_ceil(64)
    }

    /// Appends a row for chunk `id` (ids must not decrease); `vector` has `dims` components.
    pub fn push(&mut self, id: i64, vector: &[f32]) {
        debug_assert_eq!(vector.len(), self.dims);
        self.ids.push(id);
        let scale = quantize_into(vector, &mut self.codes);
        self.scales.push(scale);
        signs_into(vector, &mut self.signs);
    }

    /// How many components of row `index` differ in sign from `signs`.
    #[inline(always)]
    fn sign_distance(&self, index: usize, signs: &[u64]) -> u32 {
        let words = signs.len();
        self.signs[index * words..(index + 1) * words]
            .iter()
            .zip(signs)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum()
    }

    fn sign_distances(&self, rows: std::ops::Range<usize>, signs: &[u64], out: &mut [u16]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("popcnt") {
            // SAFETY: the CPU has POPCNT, checked just above.
            unsafe { self.sign_distances_popcnt(rows, signs, out) };
            return;
        }
        self.sign_distances_portable(rows, signs, out);
    }

    /// [`sign_distances_portable`](Self::sign_distances_portable) with the POPCNT
    /// instruction (x86-64's baseline counts bits in a dozen steps).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "popcnt")]
    fn sign_distances_popcnt(&self, rows: std::ops::Range<usize>, signs: &[u64], out: &mut [u16]) {
        self.sign_distances_portable(rows, signs, out);
    }

    #[inline(always)]
    fn sign_distances_portable(
        &self,
        rows: std::ops::Range<usize>,
        signs: &[u64],
        out: &mut [u16],
    ) {
        for (slot, index) in out.iter_mut().zip(rows) {
            // At most the number of dimensions, far below 2^16.
            *slot = self.sign_distance(index, signs) as u16;
        }
    }

    /// The rows whose signs are nearest `signs`: at least `keep` of them (all of those as
    /// near as the farthest kept), in row order.
    fn nearest_by_signs(&self, signs: &[u64], keep: usize) -> Vec<usize> {
        let distances = self.split_rows(|rows, out| self.sign_distances(rows, signs, out));
        let mut counts = vec![0usize; self.dims + 1];
        for &distance in &distances {
            counts[usize::from(distance).min(self.dims)] += 1;
        }
        let mut threshold = self.dims;
        let mut kept = 0;
        for (distance, &count) in counts.iter().enumerate() {
            kept += count;
            if kept >= keep {
                threshold = distance;
                break;
            }
        }
        distances
            .iter()
            .enumerate()
            .filter(|&(_, &distance)| usize::from(distance) <= threshold)
            .map(|(row, _)| row)
            .collect()
    }

    /// The cosine of row `index` with `query`.
    #[inline(always)]
    fn cosine(&self, index: usize, query: &Query) -> f32 {
        let row = &self.codes[index * self.dims..(index + 1) * self.dims];
        dot_codes(row, &query.codes) as f32 * self.scales[index] * query.scale
    }

    /// The cosine of every row in `rows` with `query`, into `out`: compiled for AVX2 where the
    /// CPU has it (x86-64's baseline, SSE2, widens 8-bit integers only in several steps; the
    /// scan then takes a quarter less time).
    fn cosines(&self, rows: std::ops::Range<usize>, query: &Query, out: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            unsafe { self.cosines_avx2(rows, query, out) };
            return;
        }
        self.cosines_portable(rows, query, out);
    }

    /// [`cosines_portable`](Self::cosines_portable) in AVX2: each row's 8-bit codes are
    /// widened sixteen at a time and multiplied with the query's in pairs that sum into
    /// 32 bits (`vpmaddwd`), one instruction per sixteen components. Left to the compiler,
    /// the same loop widened to 32 bits and multiplied eight at a time (`vpmulld`), about
    /// eight times slower.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn cosines_avx2(&self, rows: std::ops::Range<usize>, query: &Query, out: &mut [f32]) {
        use std::arch::x86_64::{
            __m128i, __m256i, _mm_add_epi32, _mm_cvtsi128_si32, _mm_loadu_si128, _mm_shuffle_epi32,
            _mm256_add_epi32, _mm256_castsi256_si128, _mm256_cvtepi8_epi16,
            _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_madd_epi16, _mm256_setzero_si256,
        };
        let dims = self.dims;
        let blocks = dims / 16;
        let wide = &query.wide;
        for (slot, index) in out.iter_mut().zip(rows) {
            let row = &self.codes[index * dims..(index + 1) * dims];
            let mut sum = _mm256_setzero_si256();
            for block in 0..blocks {
                // SAFETY: `block * 16 + 16 <= dims`, the length of `row` and of `wide`, so
                // both loads read inside their slices (unaligned loads are allowed).
                let (codes, query) = unsafe {
                    (
                        _mm_loadu_si128(row.as_ptr().add(block * 16).cast::<__m128i>()),
                        _mm256_loadu_si256(wide.as_ptr().add(block * 16).cast::<__m256i>()),
                    )
                };
                sum = _mm256_add_epi32(sum, _mm256_madd_epi16(_mm256_cvtepi8_epi16(codes), query));
            }
            let half = _mm_add_epi32(
                _mm256_castsi256_si128(sum),
                _mm256_extracti128_si256(sum, 1),
            );
            let quarter = _mm_add_epi32(half, _mm_shuffle_epi32(half, 0b01_00_11_10));
            let total = _mm_add_epi32(quarter, _mm_shuffle_epi32(quarter, 0b10_11_00_01));
            let tail = blocks * 16;
            let dot = _mm_cvtsi128_si32(total) + dot_codes(&row[tail..], &query.codes[tail..]);
            *slot = dot as f32 * self.scales[index] * query.scale;
        }
    }

    #[inline(always)]
    fn cosines_portable(&self, rows: std::ops::Range<usize>, query: &Query, out: &mut [f32]) {
        for (slot, index) in out.iter_mut().zip(rows) {
            *slot = self.cosine(index, query);
        }
    }

    /// The cosine of every row with `query`, the rows split between the cores.
    fn all_cosines(&self, query: &Query) -> Vec<f32> {
        self.split_rows(|rows, out| self.cosines(rows, query, out))
    }

    /// `work` over every row, writing one value a row, the rows split between the cores.
    fn split_rows<T: Copy + Default + Send>(
        &self,
        work: impl Fn(std::ops::Range<usize>, &mut [T]) + Sync,
    ) -> Vec<T> {
        let rows = self.ids.len();
        let mut out = vec![T::default(); rows];
        let threads = std::thread::available_parallelism()
            .map_or(1, std::num::NonZero::get)
            .min(4);
        if threads < 2 || rows < PARALLEL_ROWS {
            work(0..rows, &mut out);
            return out;
        }
        let per_thread = rows.div_ceil(threads);
        let work = &work;
        std::thread::scope(|scope| {
            for (part, slice) in out.chunks_mut(per_thread).enumerate() {
                let start = part * per_thread;
                let range = start..start + slice.len();
                scope.spawn(move || work(range, slice));
            }
        });
        out
    }

    /// The rows of chunk `id` (empty when it has none).
    fn rows_of(&self, id: i64) -> std::ops::Range<usize> {
        let start = self.ids.partition_point(|&row| row < id);
        let end = start + self.ids[start..].partition_point(|&row| row == id);
        start..end
    }

    /// The best cosine of `rows` with `query`.
    fn best_of(&self, rows: std::ops::Range<usize>, query: &Query) -> f32 {
        rows.map(|i| self.cosine(i, query))
            .fold(f32::NEG_INFINITY, f32::max)
    }

    /// The best `limit` (chunk id, cosine) pairs for a normalised `query`, best first, a
    /// chunk scoring as its best window; `only`, when given, lists the chunk ids that may be
    /// returned.
    pub fn top(&self, query: &[f32], only: Option<&[i64]>, limit: usize) -> Vec<(i64, f32)> {
        let keep = PREFILTER_KEEP.max(limit.saturating_mul(16));
        let prefilter = self.ids.len() >= PREFILTER_ROWS && keep < self.ids.len();
        self.top_of(query, only, limit, prefilter.then_some(keep))
    }

    /// [`top`](Self::top); with `prefilter`, a search of every row first keeps that many
    /// rows by their signs.
    fn top_of(
        &self,
        vector: &[f32],
        only: Option<&[i64]>,
        limit: usize,
        prefilter: Option<usize>,
    ) -> Vec<(i64, f32)> {
        let query = Query::new(vector);
        // (cosine of the chunk's best row, the chunk's first row)
        let mut scored: Vec<(f32, usize)> = match only {
            None if let Some(keep) = prefilter => {
                let mut signs = Vec::with_capacity(self.sign_words());
                signs_into(vector, &mut signs);
                let mut scored: Vec<(f32, usize)> = Vec::new();
                let mut last_id = None;
                // Kept rows come in row order, so a chunk's kept windows are side by side.
                for row in self.nearest_by_signs(&signs, keep) {
                    let cosine = self.cosine(row, &query);
                    match scored.last_mut() {
                        Some(last) if last_id == Some(self.ids[row]) => {
                            last.0 = last.0.max(cosine);
                        }
                        _ => {
                            let first = self.rows_of(self.ids[row]).start;
                            scored.push((cosine, first));
                            last_id = Some(self.ids[row]);
                        }
                    }
                }
                scored
            }
            None => {
                let cosines = self.all_cosines(&query);
                let mut scored = Vec::with_capacity(self.ids.len());
                let mut start = 0;
                while start < self.ids.len() {
                    let id = self.ids[start];
                    // Most chunks have one row: walk, rather than search, to the next chunk.
                    let end = start
                        + self.ids[start..]
                            .iter()
                            .take_while(|&&row| row == id)
                            .count();
                    let best = cosines[start..end]
                        .iter()
                        .copied()
                        .fold(f32::NEG_INFINITY, f32::max);
                    scored.push((best, start));
                    start = end;
                }
                scored
            }
            Some(allowed) => allowed
                .iter()
                .map(|&id| self.rows_of(id))
                .filter(|rows| !rows.is_empty())
                .map(|rows| (self.best_of(rows.clone(), &query), rows.start))
                .collect(),
        };
        let best_first = |a: &(f32, usize), b: &(f32, usize)| -> Ordering {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
        };
        if scored.len() > limit && limit > 0 {
            scored.select_nth_unstable_by(limit - 1, best_first);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(best_first);
        scored.truncate(limit);
        scored.into_iter().map(|(s, i)| (self.ids[i], s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_is_embedded_under_its_documents_name_unless_its_heading_says_it() {
        let licence = "/usr/share/common-licenses/Apache-2.0";
        // A plain text file: its title alone, or its title before its headings.
        assert_eq!(
            document_heading("Apache License", licence, ""),
            "Apache License"
        );
        assert_eq!(
            document_heading("Apache License", licence, "3. Grant of Patent License"),
            "Apache License > 3. Grant of Patent License"
        );
        // No title: the file's name words.
        assert_eq!(document_heading("", licence, ""), "Apache-2.0");
        assert_eq!(
            document_heading(" ", "/d/notes.md", "Intro"),
            "notes > Intro"
        );
        // A page whose first heading is (part of) its title is not told its name twice.
        let page = "/usr/share/doc/python3.11/html/library/asyncio.html";
        let title = "asyncio — Asynchronous I/O — Python 3.11.2 documentation";
        assert_eq!(
            document_heading(title, page, "asyncio — Asynchronous I/O > Hello World!"),
            "asyncio — Asynchronous I/O > Hello World!"
        );
        assert_eq!(
            document_heading("String Functions", "/d/f.html", "9.4. string functions > x"),
            "9.4. string functions > x"
        );
    }

    #[test]
    fn dot_agrees_with_a_plain_sum_at_every_length() {
        for len in [0, 1, 7, 8, 9, 63, 384] {
            let a: Vec<f32> = (0..len).map(|i| (i as f32 * 0.37).sin()).collect();
            let b: Vec<f32> = (0..len).map(|i| (i as f32 * 0.11).cos()).collect();
            let plain: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            assert!((f64::from(dot(&a, &b)) - plain).abs() < 1e-4, "{len}");
        }
    }

    #[test]
    fn code_dot_products_agree_with_the_float_cosines_at_every_length() {
        for len in [1, 7, 16, 17, 63, 384] {
            let a = normalised(
                &(0..len)
                    .map(|i| (i as f32 * 0.37).sin() + 0.1)
                    .collect::<Vec<_>>(),
            )
            .unwrap();
            let b = normalised(
                &(0..len)
                    .map(|i| (i as f32 * 0.11).cos())
                    .collect::<Vec<_>>(),
            )
            .unwrap();
            let exact: f64 = a.iter().zip(&b).map(|(x, y)| f64::from(x * y)).sum();
            let (mut ca, mut cb) = (Vec::new(), Vec::new());
            let (sa, sb) = (quantize_into(&a, &mut ca), quantize_into(&b, &mut cb));
            let plain: i32 = ca
                .iter()
                .zip(&cb)
                .map(|(&x, &y)| i32::from(x) * i32::from(y))
                .sum();
            assert_eq!(dot_codes(&ca, &cb), plain, "{len}");
            let cosine = f64::from(plain as f32 * sa * sb);
            assert!(
                (cosine - exact).abs() < 0.01,
                "{len}: {cosine} against {exact}"
            );
        }
        // A zero vector keeps zero codes (its cosine with anything is 0).
        let mut codes = Vec::new();
        quantize_into(&[0.0, 0.0], &mut codes);
        assert_eq!(codes, [0, 0]);
    }

    #[test]
    fn the_simd_scan_gives_the_portable_scans_cosines_exactly() {
        // Lengths around the sixteen-component blocks, codes at both extremes included.
        for dims in [1, 15, 16, 17, 31, 384, 385] {
            let mut cache = VectorCache::new("m", dims, (0, 0));
            let row = |seed: usize| -> Vec<f32> {
                (0..dims)
                    .map(|i| match (i + seed) % 7 {
                        0 => 1.0,
                        1 => -1.0,
                        _ => ((i * 31 + seed * 17) as f32 * 0.37).sin(),
                    })
                    .collect()
            };
            for id in 0..50 {
                cache.push(id, &row(id as usize));
            }
            let query = Query::new(&row(99));
            let (mut portable, mut fast) = (vec![0f32; 50], vec![0f32; 50]);
            cache.cosines_portable(0..50, &query, &mut portable);
            cache.cosines(0..50, &query, &mut fast);
            assert_eq!(portable, fast, "{dims}");
            assert!(portable.iter().any(|&c| c != 0.0));
        }
    }

    #[test]
    fn the_sign_prefilter_keeps_what_the_full_scan_finds() {
        // 80,000 rows (enough for the prefilter) in 200 clusters, as passages cluster by
        // topic, each about cosine 0.75 to its centre; questions near five of the centres.
        let dims = 384;
        let mut state = 0x1234_5678_9ABC_DEF1u64;
        let mut uniform = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
        };
        let centres: Vec<Vec<f32>> = (0..200)
            .map(|_| normalised(&(0..dims).map(|_| uniform()).collect::<Vec<_>>()).unwrap())
            .collect();
        let mut cache = VectorCache::new("m", dims, (0, 0));
        for id in 0..80_000usize {
            let noisy: Vec<f32> = centres[id % 200]
                .iter()
                .map(|x| x + 0.08 * uniform())
                .collect();
            cache.push(id as i64, &normalised(&noisy).unwrap());
        }
        assert!(cache.ids.len() >= PREFILTER_ROWS);
        for centre in [0, 37, 74, 111, 148] {
            let noisy: Vec<f32> = centres[centre]
                .iter()
                .map(|x| x + 0.08 * uniform())
                .collect();
            let query = normalised(&noisy).unwrap();
            let full = cache.top_of(&query, None, 136, None);
            assert_eq!(cache.top(&query, None, 136), full, "centre {centre}");
            assert!(full.iter().all(|&(id, _)| id as usize % 200 == centre));
        }
        // The signs and their distances: a row is at distance 0 from itself, and each
        // flipped component adds one.
        let mut signs = Vec::new();
        let row: Vec<f32> = (0..dims)
            .map(|i| if i % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        signs_into(&row, &mut signs);
        assert_eq!(signs.len(), 6);
        let mut flipped = row.clone();
        for i in [0, 63, 64, 383] {
            flipped[i] = -flipped[i];
        }
        let mut small = VectorCache::new("m", dims, (0, 0));
        small.push(1, &normalised(&row).unwrap());
        small.push(2, &normalised(&flipped).unwrap());
        let mut out = [0u16; 2];
        small.sign_distances(0..2, &signs, &mut out);
        assert_eq!(out, [0, 4]);
    }

    /// A cache of `rows`, row `i` for chunk `ids[i]`.
    fn cache_of(ids: &[i64], rows: &[[f32; 2]]) -> VectorCache {
        let mut cache = VectorCache::new("m", 2, (0, 0));
        for (&id, row) in ids.iter().zip(rows) {
            cache.push(id, row);
        }
        cache
    }

    #[test]
    fn a_search_over_many_rows_split_between_threads_ranks_as_one_thread_does() {
        let rows: Vec<[f32; 2]> = (0..PARALLEL_ROWS * 2 + 5)
            .map(|i| {
                let angle = (i as f32 * 0.618).rem_euclid(std::f32::consts::TAU);
                [angle.cos(), angle.sin()]
            })
            .collect();
        let ids: Vec<i64> = (0..rows.len() as i64).collect();
        let cache = cache_of(&ids, &rows);
        let query = Query::of_codes(vec![127, 0], 1.0 / 127.0);
        let mut one = vec![0f32; rows.len()];
        cache.cosines(0..rows.len(), &query, &mut one);
        assert_eq!(cache.all_cosines(&query), one);
        let hits = cache.top(&[1.0, 0.0], None, 3);
        let best = one.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        assert_eq!(hits[0].1, best);
    }

    #[test]
    fn normalising_gives_unit_length_and_refuses_zero_and_nan() {
        let unit = normalised(&[3.0, 4.0]).unwrap();
        assert_eq!(unit, vec![0.6, 0.8]);
        assert!(normalised(&[0.0, 0.0]).is_none());
        assert!(normalised(&[1.0, f32::NAN]).is_none());
    }

    #[test]
    fn top_ranks_by_cosine_and_keeps_to_the_allowed_ids() {
        let rows = [[1.0, 0.0], [0.0, 1.0], [0.6, 0.8], [-1.0, 0.0]];
        let cache = cache_of(&[10, 20, 30, 40], &rows);
        let query = [1.0, 0.0];
        let ids = |hits: Vec<(i64, f32)>| hits.into_iter().map(|h| h.0).collect::<Vec<_>>();
        assert_eq!(ids(cache.top(&query, None, 10)), [10, 30, 20, 40]);
        assert_eq!(ids(cache.top(&query, None, 2)), [10, 30]);
        assert_eq!(ids(cache.top(&query, Some(&[40, 20, 99]), 10)), [20, 40]);
        assert!(cache.top(&query, None, 0).is_empty());
        assert!((cache.top(&query, None, 1)[0].1 - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_chunk_with_several_windows_scores_as_its_best_and_appears_once() {
        // Chunk 20 has two windows: one far from the query, one close; 30 has one.
        let rows = [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.6, 0.8]];
        let cache = cache_of(&[10, 20, 20, 30], &rows);
        let query = [1.0, 0.0];
        // Cosines to about 0.01: the rows are held as 8-bit codes.
        let rounded = |hits: Vec<(i64, f32)>| -> Vec<(i64, f32)> {
            hits.into_iter()
                .map(|(id, s)| (id, (s * 100.0).round() / 100.0))
                .collect()
        };
        assert_eq!(
            rounded(cache.top(&query, None, 10)),
            [(20, 1.0), (30, 0.6), (10, 0.0)]
        );
        assert_eq!(
            rounded(cache.top(&query, Some(&[30, 20, 5]), 10)),
            [(20, 1.0), (30, 0.6)]
        );
        assert_eq!(
            rounded(cache.top(&[0.0, 1.0], None, 2)),
            [(10, 1.0), (20, 1.0)]
        );
    }
}

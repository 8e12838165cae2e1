//! Hybrid retrieval: BM25 from the full-text index and cosine similarity from the embedder,
//! fused into one ranking, then spread across files.
//!
//! BM25 scores and cosines live on unrelated scales, so neither is added to the other as it
//! is. Two fusions are offered ([`Fusion`]): weighted reciprocal rank (score = Σ weight /
//! (k + rank)), which needs no calibration at all, and relative scores (each list's scores
//! scaled to 0..1 between its worst and best hit, then summed with weights), which keeps how
//! far ahead a list's best hit is: a vector hit far above the rest is not pulled down by a
//! passage both lists rank twentieth. Which fusion and weight are used is set on the dev half
//! of the answer benchmark: reciprocal rank with a small `k` and the vector list weighing
//! three times BM25's, so vectors lead and BM25 reorders what both find. Spreading keeps one long file from taking every slot when several
//! files answer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ledge_index::{ChunkRecord, Index};
use serde::Serialize;

use crate::{Error, Result};

/// Which rankings to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// BM25 and vectors, fused (vectors only where an embedder is loaded).
    Hybrid,
    /// BM25 only.
    Lexical,
    /// Vectors only.
    Dense,
}

/// How the BM25 and vector rankings become one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Fusion {
    /// Weighted reciprocal rank fusion with this `k`: score = Σ weight / (k + rank).
    ReciprocalRank {
        /// The larger, the flatter: rank 1 and rank 30 differ by 1/(k+1) - 1/(k+30).
        k: f32,
    },
    /// Each list's scores scaled to 0..1 between its last and first hit, summed with weights
    /// (a passage missing from a list gets 0 from it).
    RelativeScore,
}

/// How much to retrieve.
#[derive(Debug, Clone, PartialEq)]
pub struct RetrievalSettings {
    /// Which rankings to use.
    pub mode: Mode,
    /// How deep each ranking is read before fusion.
    pub depth: usize,
    /// Passages returned.
    pub passages: usize,
    /// At most this many passages of one file, unless there are not enough other files.
    pub per_file: usize,
    /// How the rankings are fused.
    pub fusion: Fusion,
    /// The vector ranking's weight in the fusion, BM25's being 1.
    pub dense_weight: f32,
    /// Vector hits less similar than this (cosine) are not relevant. Every question has
    /// nearest neighbours; without a floor, a question the files cannot answer would still
    /// get "sources".
    pub min_similarity: f32,
}

impl Default for RetrievalSettings {
    fn default() -> Self {
        RetrievalSettings {
            mode: Mode::Hybrid,
            depth: 30,
            passages: 8,
            per_file: 3,
            // Set on the dev half of the answer benchmark over the full manuals (BENCHMARKS.md,
            // "Answers"): MRR 0.527 for BM25, 0.687 for vectors, 0.655 for this fusion at k 60
            // and equal weights, 0.706 here (0.707 at k 10 and weight 2; relative scores
            // 0.696 at best).
            fusion: Fusion::ReciprocalRank { k: 20.0 },
            dense_weight: 3.0,
            min_similarity: 0.25,
        }
    }
}

/// Turns a question into a vector comparable with the index's chunk vectors.
pub trait QueryEmbedder {
    /// The embedding model's id, as stored with the index's vectors.
    fn model_id(&self) -> &str;
    /// The question's vector.
    fn embed_query(&mut self, query: &str) -> Result<Vec<f32>>;
}

/// A retrieved passage.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    /// The chunk, with its text and location.
    pub chunk: ChunkRecord,
    /// The fused score (higher is better).
    pub score: f32,
    /// Its rank in the BM25 list, from 1, if it was there.
    pub lexical_rank: Option<usize>,
    /// Its rank in the vector list, from 1, if it was there.
    pub dense_rank: Option<usize>,
}

/// What a retrieval found.
#[derive(Debug, Clone, Serialize)]
pub struct Retrieval {
    /// The passages, best first.
    pub passages: Vec<Passage>,
    /// Whether vectors took part.
    pub used_vectors: bool,
    /// Time taken.
    #[serde(serialize_with = "as_millis")]
    pub elapsed: Duration,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

/// Fuses rankings (ids, best first, each with its weight) by weighted reciprocal rank: best
/// first, ties in order of first appearance.
pub fn fuse(rankings: &[(Vec<i64>, f32)], k: f32) -> Vec<(i64, f32)> {
    summed(rankings.iter().flat_map(|(ranking, weight)| {
        ranking
            .iter()
            .enumerate()
            .map(move |(rank, &id)| (id, weight / (k + rank as f32 + 1.0)))
    }))
}

/// Fuses scored rankings (ids with their scores, best first, each list with its weight) by
/// relative score: every list is scaled to 0..1 between its last and first hit (a list whose
/// hits all score the same gives each 1), then the scaled scores are summed with the lists'
/// weights. Best first, ties in order of first appearance.
pub fn fuse_relative(rankings: &[(Vec<(i64, f32)>, f32)]) -> Vec<(i64, f32)> {
    summed(rankings.iter().flat_map(|(ranking, weight)| {
        let best = ranking.iter().map(|(_, s)| *s).fold(f32::MIN, f32::max);
        let worst = ranking.iter().map(|(_, s)| *s).fold(f32::MAX, f32::min);
        let span = best - worst;
        ranking.iter().map(move |&(id, score)| {
            let scaled = if span > f32::EPSILON {
                (score - worst) / span
            } else {
                1.0
            };
            (id, weight * scaled)
        })
    }))
}

/// Each id's contributions summed, best first; ties in order of first appearance.
fn summed(contributions: impl Iterator<Item = (i64, f32)>) -> Vec<(i64, f32)> {
    let mut scores: Vec<(i64, f32)> = Vec::new();
    let mut position: HashMap<i64, usize> = HashMap::new();
    for (id, add) in contributions {
        match position.get(&id) {
            Some(&at) => scores[at].1 += add,
            None => {
                position.insert(id, scores.len());
                scores.push((id, add));
            }
        }
    }
    // A stable sort keeps first appearance as the tie-break.
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores
}

/// Picks `limit` items in order, at most `per_file` from one file; when that leaves fewer
/// than `limit`, the items passed over fill the rest, in order.
pub fn spread<T>(
    ranked: Vec<T>,
    file_of: impl Fn(&T) -> PathBuf,
    per_file: usize,
    limit: usize,
) -> Vec<T> {
    let mut taken: HashMap<PathBuf, usize> = HashMap::new();
    let mut chosen = Vec::new();
    let mut passed = Vec::new();
    for item in ranked {
        if chosen.len() == limit {
            break;
        }
        let count = taken.entry(file_of(&item)).or_default();
        if *count < per_file.max(1) {
            *count += 1;
            chosen.push(item);
        } else {
            passed.push(item);
        }
    }
    let missing = limit.saturating_sub(chosen.len());
    chosen.extend(passed.into_iter().take(missing));
    chosen
}

/// Retrieves the passages that best answer `query` from the whole index.
pub fn retrieve(
    index: &Index,
    embedder: Option<&mut dyn QueryEmbedder>,
    query: &str,
    settings: &RetrievalSettings,
) -> Result<Retrieval> {
    let started = Instant::now();
    // Each ranking (ids with their scores) with its weight in the fusion.
    let mut rankings: Vec<(Vec<(i64, f32)>, f32)> = Vec::new();
    let mut ranks: Vec<HashMap<i64, usize>> = Vec::new();
    let mut used_vectors = false;
    // Words are ranked on a second thread while this one embeds the question (one core's
    // work each, on a BLAS thread of its own), then the vector search takes both cores.
    let ranker = index.text_ranker()?;
    let dense = std::thread::scope(|scope| -> Result<Option<Vec<(i64, f32)>>> {
        let lexical = (settings.mode != Mode::Dense)
            .then(|| scope.spawn(move || ranker.rank(query, settings.depth)));
        let mut dense = None;
        if settings.mode != Mode::Lexical
            && let Some(embedder) = embedder
        {
            let vector = embedder.embed_query(query)?;
            let hits = index.vector_search(embedder.model_id(), &vector, settings.depth)?;
            dense = Some(
                hits.iter()
                    .filter(|hit| hit.score >= settings.min_similarity)
                    .map(|hit| (hit.chunk_id, hit.score))
                    .collect(),
            );
        }
        if let Some(lexical) = lexical {
            let ranked = lexical
                .join()
                .map_err(|_| Error::Internal("the word ranking panicked".into()))??;
            rankings.push((ranked, 1.0));
        }
        Ok(dense)
    })?;
    if let Some(dense) = dense {
        rankings.push((dense, settings.dense_weight));
        used_vectors = true;
    }
    for (ranking, _) in &rankings {
        ranks.push(
            ranking
                .iter()
                .enumerate()
                .map(|(r, &(id, _))| (id, r + 1))
                .collect(),
        );
    }
    let fused = match settings.fusion {
        Fusion::ReciprocalRank { k } => {
            let ids: Vec<(Vec<i64>, f32)> = rankings
                .iter()
                .map(|(ranking, weight)| (ranking.iter().map(|(id, _)| *id).collect(), *weight))
                .collect();
            fuse(&ids, k)
        }
        Fusion::RelativeScore => fuse_relative(&rankings),
    };
    let ids: Vec<i64> = fused.iter().map(|(id, _)| *id).collect();
    let records: HashMap<i64, ChunkRecord> = index
        .chunks(&ids)?
        .into_iter()
        .map(|record| (record.chunk_id, record))
        .collect();
    let lexical = settings.mode != Mode::Dense;
    let ranked: Vec<Passage> = fused
        .into_iter()
        .filter_map(|(id, score)| {
            let chunk = records.get(&id)?.clone();
            let rank_in = |list: usize| ranks.get(list).and_then(|r| r.get(&id).copied());
            let (lexical_rank, dense_rank) = match (lexical, used_vectors) {
                (true, true) => (rank_in(0), rank_in(1)),
                (true, false) => (rank_in(0), None),
                (false, _) => (None, rank_in(0)),
            };
            Some(Passage {
                chunk,
                score,
                lexical_rank,
                dense_rank,
            })
        })
        .collect();
    let passages = spread(
        ranked,
        |passage| passage.chunk.path.clone(),
        settings.per_file,
        settings.passages,
    );
    Ok(Retrieval {
        passages,
        used_vectors,
        elapsed: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fusion_rewards_agreement_between_rankings() {
        let fused = fuse(&[(vec![1, 2, 3], 1.0), (vec![3, 4, 1], 1.0)], 60.0);
        let order: Vec<i64> = fused.iter().map(|(id, _)| *id).collect();
        // 1: ranks 1 and 3; 3: ranks 3 and 1 (tie, 1 seen first); then 2 (rank 2) before 4.
        assert_eq!(order, [1, 3, 2, 4]);
        let expected = 1.0 / 61.0 + 1.0 / 63.0;
        assert!((fused[0].1 - expected).abs() < 1e-7);
    }

    #[test]
    fn a_lighter_ranking_moves_the_fusion_less() {
        let lists = |dense: f32| fuse(&[(vec![1, 2], 1.0), (vec![2, 1], dense)], 60.0);
        // Equal weights: a tie, broken by first appearance; a lighter vector list keeps BM25's
        // order, a heavier one takes over.
        assert_eq!(lists(1.0)[0].0, 1);
        assert_eq!(lists(0.5)[0].0, 1);
        assert_eq!(lists(2.0)[0].0, 2);
        let expected = 1.0 / 61.0 + 0.5 / 62.0;
        assert!((lists(0.5)[0].1 - expected).abs() < 1e-7);
    }

    #[test]
    fn relative_scores_keep_how_far_ahead_a_hit_is() {
        // Vector hit 5 is far ahead of the rest; 1 and 2 are BM25's close first two, and the
        // vector list ranks 2 just behind 5. Reciprocal rank puts 2 first (two good ranks);
        // relative scores keep 5's lead when vectors weigh more.
        let bm25 = vec![(1, 12.0), (2, 11.5), (3, 4.0)];
        let vectors = vec![(5, 0.80), (2, 0.41), (6, 0.40)];
        let by_rank = fuse(&[(vec![1, 2, 3], 1.0), (vec![5, 2, 6], 1.5)], 60.0);
        assert_eq!(by_rank[0].0, 2);
        let by_score = fuse_relative(&[(bm25.clone(), 1.0), (vectors.clone(), 1.5)]);
        assert_eq!(by_score[0].0, 5);
        // 5: 1.5 x 1; 1: 1 x 1; 2: 1 x 0.9375 + 1.5 x 0.025.
        assert!((by_score[0].1 - 1.5).abs() < 1e-6);
        let two = by_score.iter().find(|(id, _)| *id == 2).unwrap().1;
        assert!((two - (7.5 / 8.0 + 1.5 * 0.01 / 0.4)).abs() < 1e-5, "{two}");
        // Every passage of either list is kept, the worst of each at 0.
        assert_eq!(by_score.len(), 5);
        assert_eq!(by_score.last().unwrap().1, 0.0);
    }

    #[test]
    fn relative_scores_of_a_flat_or_empty_list() {
        let fused = fuse_relative(&[(vec![(7, 3.0), (8, 3.0)], 1.0), (Vec::new(), 2.0)]);
        assert_eq!(fused, [(7, 1.0), (8, 1.0)]);
        assert!(fuse_relative(&[]).is_empty());
    }

    #[test]
    fn fusion_of_one_ranking_keeps_its_order() {
        let fused = fuse(&[(vec![9, 4, 7], 1.0)], 60.0);
        assert_eq!(
            fused.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
            [9, 4, 7]
        );
        assert!(fuse(&[], 60.0).is_empty());
    }

    #[test]
    fn spreading_limits_passages_per_file_but_fills_from_the_rest() {
        let ranked = vec![("a", 1), ("a", 2), ("a", 3), ("b", 4), ("a", 5), ("c", 6)];
        let file = |item: &(&str, i32)| PathBuf::from(item.0);
        let picked: Vec<i32> = spread(ranked.clone(), file, 2, 4)
            .into_iter()
            .map(|i| i.1)
            .collect();
        assert_eq!(picked, [1, 2, 4, 6]);
        let picked: Vec<i32> = spread(ranked, file, 1, 5)
            .into_iter()
            .map(|i| i.1)
            .collect();
        // Only three files: the passed-over passages of "a" fill up, best first.
        assert_eq!(picked, [1, 4, 6, 2, 3]);
    }
}

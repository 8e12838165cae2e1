//! "Ask about this file": passages from files the person pinned to a question.
//!
//! A pinned file is read from the index when it is indexed, and otherwise read (never
//! indexed) with the index's own extractors and limits. When the files fit the prompt they go
//! in whole, in order; when not, their passages are ranked against the question, by words
//! (BM25 over the pinned passages alone) and, where an embedder is loaded, by meaning.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ledge_index::{ChunkConfig, ChunkRecord, Index, read_document};

use crate::embedding::EmbeddingModel;
use crate::retrieve::fuse;
use crate::{Error, Result};

/// Most passages embedded on the fly to rank one question's pinned files.
const MAX_EMBEDDED: usize = 256;

/// The passages of the pinned files, in file order.
pub fn passages(index: &Index, files: &[PathBuf]) -> Result<Vec<ChunkRecord>> {
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        let path = std::fs::canonicalize(file).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        if !seen.insert(path.clone()) {
            continue;
        }
        let indexed = index.file_chunks(&path)?;
        if !indexed.is_empty() {
            records.extend(indexed);
            continue;
        }
        records.extend(read_unindexed(&path)?);
    }
    Ok(records)
}

fn read_unindexed(path: &Path) -> Result<Vec<ChunkRecord>> {
    let document =
        read_document(path, &ChunkConfig::default()).map_err(|source| Error::FileUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(document
        .chunks
        .iter()
        .map(|chunk| ChunkRecord {
            chunk_id: -1,
            path: path.to_path_buf(),
            line_start: chunk.line_start,
            line_end: chunk.line_end,
            byte_start: chunk.byte_start as u64,
            byte_end: chunk.byte_end as u64,
            page: chunk.page,
            heading: chunk.heading.clone(),
            text: chunk.text(&document.text).to_owned(),
        })
        .collect())
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() > 1)
        .map(str::to_lowercase)
        .collect()
}

/// Indices of `passages`, best match for `question` first (BM25 with the pinned passages as
/// the whole collection).
pub fn rank_by_words(passages: &[ChunkRecord], question: &str) -> Vec<usize> {
    let query: HashSet<String> = words(question).into_iter().collect();
    let docs: Vec<Vec<String>> = passages.iter().map(|p| words(&p.text)).collect();
    let n = docs.len() as f32;
    let average = docs.iter().map(Vec::len).sum::<usize>() as f32 / n.max(1.0);
    let mut frequency: HashMap<&str, f32> = HashMap::new();
    for doc in &docs {
        let unique: HashSet<&str> = doc.iter().map(String::as_str).collect();
        for word in unique {
            if query.contains(word) {
                *frequency.entry(word).or_default() += 1.0;
            }
        }
    }
    let (k1, b) = (1.2_f32, 0.75_f32);
    let mut scored: Vec<(usize, f32)> = docs
        .iter()
        .enumerate()
        .map(|(i, doc)| {
            let mut counts: HashMap<&str, f32> = HashMap::new();
            for word in doc {
                if query.contains(word) {
                    *counts.entry(word.as_str()).or_default() += 1.0;
                }
            }
            let length = doc.len() as f32;
            let score = counts
                .iter()
                .map(|(word, tf)| {
                    let df = frequency.get(word).copied().unwrap_or(0.0);
                    let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                    idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * length / average.max(1.0)))
                })
                .sum::<f32>();
            (i, score)
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.into_iter().map(|(i, _)| i).collect()
}

/// Indices of `passages`, best first: words and (when `embedder` is given and there are not
/// too many passages) meaning, fused by reciprocal rank.
pub fn rank(
    passages: &[ChunkRecord],
    question: &str,
    embedder: Option<&EmbeddingModel>,
) -> Result<Vec<usize>> {
    let lexical = rank_by_words(passages, question);
    let Some(embedder) = embedder.filter(|_| passages.len() <= MAX_EMBEDDED) else {
        return Ok(lexical);
    };
    let mut texts: Vec<&str> = vec![question];
    texts.extend(passages.iter().map(|p| p.text.as_str()));
    let vectors = embedder.embed(&texts)?;
    let Some((query, rest)) = vectors.split_first() else {
        return Ok(lexical);
    };
    let mut dense: Vec<(usize, f32)> = rest
        .iter()
        .enumerate()
        .map(|(i, v)| (i, v.iter().zip(query).map(|(a, b)| a * b).sum::<f32>()))
        .collect();
    dense.sort_by(|a, b| b.1.total_cmp(&a.1));
    let as_ids = |list: Vec<usize>| list.into_iter().map(|i| i as i64).collect::<Vec<_>>();
    let fused = fuse(
        &[
            (as_ids(lexical), 1.0),
            (as_ids(dense.into_iter().map(|(i, _)| i).collect()), 1.0),
        ],
        60.0,
    );
    Ok(fused.into_iter().map(|(i, _)| i as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(text: &str) -> ChunkRecord {
        crate::test_support::record("/f", text)
    }

    #[test]
    fn word_ranking_prefers_rare_matching_words() {
        let passages = [
            record("the cat sat on the mat, the end"),
            record("a quarterly budget forecast for the shipyard"),
            record("the the the the"),
            record("budget meeting moved to Friday"),
        ];
        let order = rank_by_words(&passages, "When is the shipyard budget forecast due?");
        assert_eq!(order[0], 1);
        assert_eq!(order[1], 3);
    }
}

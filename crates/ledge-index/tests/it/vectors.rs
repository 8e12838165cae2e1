//! Embeddings and vector search, with a real (if simple) embedding function written out here:
//! hashed bag of words. The MLX embedder lives in `ledge-llm`, which this crate must not
//! depend on; these tests check the storage and search mechanics against cosine similarities
//! computed independently in the test.

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;

use ledge_index::{
    CancelToken, ChunkEmbedder, EmbedProgress, Error, Index, IndexOptions, SearchHit,
};

use crate::corpus::{Corpus, LICENSES};

const MODEL: &str = "hashed-bow-64";
const DIMS: usize = 64;

/// Bag of words hashed (FNV-1a) into `dims` buckets, raw counts: deliberately not normalised,
/// so the index's own normalisation is exercised.
pub fn bag_of_words(text: &str, dims: usize) -> Vec<f32> {
    let mut vector = vec![0.0f32; dims];
    for word in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
    {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in word.to_lowercase().bytes() {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        vector[(hash % dims as u64) as usize] += 1.0;
    }
    vector
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}

/// The hashed bag-of-words embedder, with knobs to make it misbehave.
pub struct Embedder {
    model: String,
    dims: usize,
    /// Length of the vectors actually returned (normally `dims`).
    returns: usize,
    calls: usize,
    texts: usize,
    fail_on_call: Option<usize>,
    cancel_after_call: Option<(usize, CancelToken)>,
    drop_one: bool,
    /// Cut chunks into windows of this many words (each under the heading), like an embedder
    /// that reads a limited number of tokens.
    window_words: Option<usize>,
}

impl Embedder {
    pub fn new() -> Embedder {
        Embedder {
            model: MODEL.to_owned(),
            dims: DIMS,
            returns: DIMS,
            calls: 0,
            texts: 0,
            fail_on_call: None,
            cancel_after_call: None,
            drop_one: false,
            window_words: None,
        }
    }
}

impl ChunkEmbedder for Embedder {
    fn model_id(&self) -> &str {
        &self.model
    }

    fn dimensions(&self) -> usize {
        self.dims
    }

    fn embed(
        &mut self,
        texts: &[&str],
    ) -> Result<Vec<Vec<f32>>, Box<dyn std::error::Error + Send + Sync>> {
        self.calls += 1;
        if self.fail_on_call == Some(self.calls) {
            return Err("the model ran out of memory".into());
        }
        if let Some((after, token)) = &self.cancel_after_call
            && self.calls == *after
        {
            token.cancel();
        }
        self.texts += texts.len();
        let mut vectors: Vec<Vec<f32>> = texts
            .iter()
            .map(|t| bag_of_words(t, self.returns))
            .collect();
        if self.drop_one {
            vectors.pop();
        }
        Ok(vectors)
    }

    fn chunk_texts(
        &mut self,
        heading: &str,
        text: &str,
    ) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(match self.window_words {
            None => vec![with_heading(heading, text)],
            Some(words) => windows_of(heading, text, words),
        })
    }
}

fn with_heading(heading: &str, text: &str) -> String {
    if heading.is_empty() {
        text.to_owned()
    } else {
        format!("{heading}\n\n{text}")
    }
}

/// `text` cut into pieces of `words` words, each under the heading.
fn windows_of(heading: &str, text: &str, words: usize) -> Vec<String> {
    let all: Vec<&str> = text.split_whitespace().collect();
    if all.len() <= words {
        return vec![with_heading(heading, text)];
    }
    all.chunks(words)
        .map(|piece| with_heading(heading, &piece.join(" ")))
        .collect()
}

fn embed_all(index: &mut Index, embedder: &mut Embedder, batch: usize) -> Vec<EmbedProgress> {
    let mut seen = Vec::new();
    index
        .embed_pending(embedder, batch, &mut |p| seen.push(p), &CancelToken::new())
        .unwrap();
    seen
}

/// Every chunk of the corpus with the text the index embeds (its context header: document
/// name and heading path; a blank line; its text).
fn all_chunks(index: &Index, corpus: &Corpus) -> Vec<(i64, PathBuf, String)> {
    let mut out = Vec::new();
    for entry in walk(&corpus.docs) {
        let title = index.file_title(&entry).unwrap();
        for chunk in index.file_chunks(&entry).unwrap() {
            let text = with_heading(&chunk.context_header(title.as_deref()), &chunk.text);
            out.push((chunk.chunk_id, chunk.path, text));
        }
    }
    out
}

#[test]
fn chunks_are_embedded_under_their_documents_name() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let mut embedder = Embedder::new();
    embed_all(&mut index, &mut embedder, 64);
    let apache = corpus.docs.join("licenses/Apache-2.0");
    assert_eq!(
        index.file_title(&apache).unwrap().as_deref(),
        Some("Apache License")
    );
    let chunks = all_chunks(&index, &corpus);
    let patents = chunks
        .iter()
        .find(|(_, path, text)| path == &apache && text.contains("litigation is filed"))
        .unwrap();
    assert!(
        patents.2.starts_with("Apache License"),
        "{:?}",
        &patents.2[..80]
    );
    // The vector stored is the one of that text, name included.
    let hits = index
        .vector_search(MODEL, &bag_of_words(&patents.2, DIMS), 1)
        .unwrap();
    assert_eq!(ids(&hits), [patents.0]);
    assert!(hits[0].score > 0.999, "{}", hits[0].score);
}

fn walk(root: &std::path::Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

fn ids(hits: &[SearchHit]) -> Vec<i64> {
    hits.iter().map(|h| h.chunk_id).collect()
}

#[test]
fn vector_search_ranks_by_the_cosine_computed_here() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let (_, chunks) = index.embedding_status(MODEL).unwrap();
    assert_eq!(index.embedding_status(MODEL).unwrap(), (0, chunks));

    let mut embedder = Embedder::new();
    let progress = embed_all(&mut index, &mut embedder, 16);
    assert_eq!(embedder.texts as u64, chunks);
    assert_eq!(embedder.calls as u64, chunks.div_ceil(16));
    assert_eq!(
        progress.first(),
        Some(&EmbedProgress {
            done: 0,
            total: chunks
        })
    );
    assert_eq!(
        progress.last(),
        Some(&EmbedProgress {
            done: chunks,
            total: chunks
        })
    );
    assert!(progress.windows(2).all(|w| w[0].done < w[1].done));
    assert_eq!(index.embedding_status(MODEL).unwrap(), (chunks, chunks));

    // The ranking, computed here from the chunks' texts, independently of the index.
    let query_text = "Redistribution and use in source and binary forms, with or without \
                      modification, are permitted";
    let query = bag_of_words(query_text, DIMS);
    let mut expected: Vec<(i64, f32)> = all_chunks(&index, &corpus)
        .iter()
        .map(|(id, _, text)| (*id, cosine(&query, &bag_of_words(text, DIMS))))
        .collect();
    assert_eq!(expected.len() as u64, chunks);
    expected.sort_by(|a, b| b.1.total_cmp(&a.1));
    let hits = index.vector_search(MODEL, &query, 10).unwrap();
    assert_eq!(hits.len(), 10);
    for (hit, (id, score)) in hits.iter().zip(&expected) {
        assert!((hit.score - score).abs() < 1e-5, "{hit:?} vs {id} {score}");
    }
    assert_eq!(ids(&hits)[0], expected[0].0);
    assert!(hits.windows(2).all(|w| w[0].score >= w[1].score));
    // The BSD licence's own sentence is the best match, and the snippet is its start.
    assert_eq!(hits[0].path, corpus.path("licenses/BSD"));
    let record = &index.chunks(&[hits[0].chunk_id]).unwrap()[0];
    assert!(record.text.replace('\n', " ").starts_with(&hits[0].snippet));

    // A chunk's own text finds that chunk, with a cosine of 1.
    let (id, _, text) = &all_chunks(&index, &corpus)[3];
    let hits = index
        .vector_search(MODEL, &bag_of_words(text, DIMS), 3)
        .unwrap();
    assert_eq!(hits[0].chunk_id, *id);
    assert!((hits[0].score - 1.0).abs() < 1e-5, "{}", hits[0].score);

    // Nothing left to do; an unknown model finds nothing; a zero limit finds nothing.
    let again = index
        .embed_pending(&mut Embedder::new(), 16, &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(
        (again.embedded, again.done, again.total),
        (0, chunks, chunks)
    );
    assert!(
        index
            .vector_search("another-model", &query, 5)
            .unwrap()
            .is_empty()
    );
    assert!(index.vector_search(MODEL, &query, 0).unwrap().is_empty());
}

#[test]
fn vectors_persist_and_follow_edits_deletions_and_renames() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    embed_all(&mut index, &mut Embedder::new(), 32);
    let bsd_query = bag_of_words("Redistribution and use in source and binary forms", DIMS);
    let gpl_query = bag_of_words("GNU General Public License conveying verbatim copies", DIMS);
    let before = index.vector_search(MODEL, &bsd_query, 5).unwrap();
    let status = index.embedding_status(MODEL).unwrap();
    drop(index);

    // Reopened: the same vectors, nothing to embed.
    let mut index = corpus.open();
    assert_eq!(index.embedding_status(MODEL).unwrap(), status);
    let after = index.vector_search(MODEL, &bsd_query, 5).unwrap();
    assert_eq!(ids(&after), ids(&before));
    let mut embedder = Embedder::new();
    embed_all(&mut index, &mut embedder, 32);
    assert_eq!(embedder.texts, 0);
    let gpl = index.vector_search(MODEL, &gpl_query, 5).unwrap();
    assert!(gpl.iter().any(|h| h.path == corpus.path("licenses/GPL-3")));

    // A rename moves the chunks and their vectors: nothing to embed, hits under the new path.
    let renamed = corpus.path("notes/bsd.txt");
    fs::rename(corpus.path("licenses/BSD"), &renamed).unwrap();
    // An edit: new chunks, which need vectors. A deletion: its vectors go with its chunks.
    fs::copy(
        format!("{LICENSES}/Artistic"),
        corpus.path("notes/edit-me.txt"),
    )
    .unwrap();
    fs::remove_file(corpus.path("licenses/GPL-3")).unwrap();
    let report = corpus.refresh(&mut index);
    assert_eq!(
        (report.renamed, report.indexed, report.deleted),
        (1, 1, 1),
        "{report:?}"
    );

    let (embedded, chunks) = index.embedding_status(MODEL).unwrap();
    assert_eq!(
        chunks + report.chunks_removed - report.chunks_added,
        status.1
    );
    assert_eq!(
        embedded,
        chunks - report.chunks_added,
        "deleted chunks took their vectors"
    );
    let moved = index.vector_search(MODEL, &bsd_query, 5).unwrap();
    assert_eq!(moved[0].chunk_id, before[0].chunk_id);
    assert_eq!(moved[0].path, renamed);
    assert!(
        index
            .vector_search(MODEL, &gpl_query, 50)
            .unwrap()
            .iter()
            .all(|h| h.path != corpus.path("licenses/GPL-3")),
        "the warm cache saw the deletion"
    );

    let mut embedder = Embedder::new();
    embed_all(&mut index, &mut embedder, 32);
    assert_eq!(embedder.texts as u64, report.chunks_added);
    assert_eq!(index.embedding_status(MODEL).unwrap(), (chunks, chunks));
    let artistic = bag_of_words(
        &fs::read_to_string(format!("{LICENSES}/Artistic")).unwrap(),
        DIMS,
    );
    let hits = index.vector_search(MODEL, &artistic, 1).unwrap();
    assert_eq!(hits[0].path, corpus.path("notes/edit-me.txt"));
    drop(index);

    // No vector outlives its chunk.
    let conn = rusqlite::Connection::open(corpus.index_dir.join("catalog.sqlite3")).unwrap();
    let orphans: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM embeddings e WHERE NOT EXISTS
             (SELECT 1 FROM chunks c WHERE c.id = e.chunk_id)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
}

#[test]
fn a_cancelled_or_failed_run_keeps_whole_batches_and_a_rerun_completes() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let (_, chunks) = index.embedding_status(MODEL).unwrap();
    let batch = 8;
    assert!(chunks > 6 * batch as u64);

    let cancel = CancelToken::new();
    let mut embedder = Embedder::new();
    embedder.cancel_after_call = Some((2, cancel.clone()));
    let outcome = index.embed_pending(&mut embedder, batch, &mut |_| {}, &cancel);
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    // The batch in flight when the cancel came was still stored; nothing after it.
    assert_eq!(index.embedding_status(MODEL).unwrap().0, 2 * batch as u64);

    let mut failing = Embedder::new();
    failing.fail_on_call = Some(3);
    let outcome = index.embed_pending(&mut failing, batch, &mut |_| {}, &CancelToken::new());
    match outcome {
        Err(Error::Embedder { message }) => assert!(message.contains("out of memory")),
        other => panic!("{other:?}"),
    }
    assert_eq!(index.embedding_status(MODEL).unwrap().0, 4 * batch as u64);
    drop(index); // as a killed process would

    let mut index = corpus.open();
    let mut rest = Embedder::new();
    let report = index
        .embed_pending(&mut rest, batch, &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(report.embedded, chunks - 4 * batch as u64);
    assert_eq!((report.done, report.total), (chunks, chunks));
    // No chunk was embedded twice across the three runs.
    assert_eq!((embedder.texts + failing.texts + rest.texts) as u64, chunks);

    // The same result as one uninterrupted run over the same documents.
    let other = Corpus::new();
    let mut reference = other.open();
    other.add(&mut reference, &IndexOptions::default());
    embed_all(&mut reference, &mut Embedder::new(), 1000);
    let query = bag_of_words("permission to use copy modify distribute software", DIMS);
    let relative = |hits: Vec<SearchHit>, root: &std::path::Path| -> Vec<(PathBuf, u32, i32)> {
        hits.into_iter()
            .map(|h| {
                let path = h.path.strip_prefix(root).unwrap().to_path_buf();
                (path, h.line_start, (h.score * 1e5) as i32)
            })
            .collect()
    };
    assert_eq!(
        relative(
            index.vector_search(MODEL, &query, 20).unwrap(),
            &corpus.docs
        ),
        relative(
            reference.vector_search(MODEL, &query, 20).unwrap(),
            &other.docs
        )
    );
}

#[test]
fn dimension_mismatches_and_short_answers_are_typed_errors_that_store_nothing() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    embed_all(&mut index, &mut Embedder::new(), 64);
    let (_, chunks) = index.embedding_status(MODEL).unwrap();

    // The same model id with another vector length is refused before anything is embedded.
    let mut resized = Embedder::new();
    resized.dims = 32;
    resized.returns = 32;
    let outcome = index.embed_pending(&mut resized, 64, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(
            outcome,
            Err(Error::DimensionMismatch {
                expected: 64,
                found: 32,
                ..
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(resized.calls, 0);
    let outcome = index.vector_search(MODEL, &[1.0; 32], 5);
    assert!(matches!(
        outcome,
        Err(Error::DimensionMismatch {
            expected: 64,
            found: 32,
            ..
        })
    ));

    // An embedder that says 64 but returns 63, or one vector short: nothing of it stored.
    let mut liar = Embedder::new();
    liar.model = "liar".into();
    liar.returns = 63;
    let outcome = index.embed_pending(&mut liar, 64, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(
            outcome,
            Err(Error::DimensionMismatch {
                expected: 64,
                found: 63,
                ..
            })
        ),
        "{outcome:?}"
    );
    assert_eq!(index.embedding_status("liar").unwrap(), (0, chunks));
    let mut short = Embedder::new();
    short.model = "short".into();
    short.drop_one = true;
    let outcome = index.embed_pending(&mut short, 64, &mut |_| {}, &CancelToken::new());
    assert!(
        matches!(outcome, Err(Error::Embedder { .. })),
        "{outcome:?}"
    );
    assert_eq!(index.embedding_status("short").unwrap(), (0, chunks));

    // After removing the model's vectors, the new length is accepted.
    assert_eq!(index.remove_embeddings(MODEL).unwrap(), chunks);
    let mut resized = Embedder::new();
    resized.dims = 32;
    resized.returns = 32;
    embed_all(&mut index, &mut resized, 64);
    assert_eq!(index.vector_search(MODEL, &[1.0; 32], 5).unwrap().len(), 5);
}

#[test]
fn vector_search_in_keeps_to_the_files_and_sees_another_connections_writes() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    embed_all(&mut index, &mut Embedder::new(), 64);
    let query = bag_of_words("license copyright permission", DIMS);

    let files = [
        corpus.path("licenses/BSD"),
        corpus.docs.join("notes/./edit-me.txt"),
    ];
    let inside = index.vector_search_in(MODEL, &query, &files, 100).unwrap();
    let allowed = [
        corpus.path("licenses/BSD"),
        corpus.path("notes/edit-me.txt"),
    ];
    assert!(!inside.is_empty());
    assert!(inside.iter().all(|h| allowed.contains(&h.path)));
    let everything = index.vector_search(MODEL, &query, 1000).unwrap();
    let expected: Vec<i64> = everything
        .iter()
        .filter(|h| allowed.contains(&h.path))
        .map(|h| h.chunk_id)
        .collect();
    assert_eq!(ids(&inside), expected);
    let outside = [PathBuf::from(LICENSES).join("BSD")];
    assert!(
        index
            .vector_search_in(MODEL, &query, &outside, 10)
            .unwrap()
            .is_empty()
    );

    // Another Index on the same folder (another connection, as another process would be)
    // indexes and embeds a new file; the first one's warm cache notices.
    let mut count_by_path: HashMap<PathBuf, usize> = HashMap::new();
    for hit in &everything {
        *count_by_path.entry(hit.path.clone()).or_default() += 1;
    }
    let added = corpus.path("notes/artistic.txt");
    assert!(!count_by_path.contains_key(&added));
    fs::copy(format!("{LICENSES}/Artistic"), &added).unwrap();
    {
        let mut other = corpus.open();
        corpus.refresh(&mut other);
        embed_all(&mut other, &mut Embedder::new(), 64);
    }
    let artistic = bag_of_words(&fs::read_to_string(&added).unwrap(), DIMS);
    let hits = index.vector_search(MODEL, &artistic, 1).unwrap();
    assert_eq!(hits[0].path, added);
}

#[test]
fn a_paused_embedding_run_waits_between_batches_and_resumes() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let (_, chunks) = index.embedding_status(MODEL).unwrap();
    let token = CancelToken::new();
    let done = Arc::new(AtomicU64::new(0));
    let handle = {
        let (token, done) = (token.clone(), done.clone());
        std::thread::spawn(move || {
            let report = index
                .embed_pending(
                    &mut Embedder::new(),
                    8,
                    &mut |p| {
                        done.store(p.done, Ordering::SeqCst);
                        if p.done == 16 {
                            token.pause();
                        }
                    },
                    &token,
                )
                .unwrap();
            (index, report)
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while done.load(Ordering::SeqCst) < 16 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!handle.is_finished());
    assert_eq!(done.load(Ordering::SeqCst), 16, "no progress while paused");
    // The two batches are committed, and the catalog is free for another writer.
    let conn = rusqlite::Connection::open(corpus.index_dir.join("catalog.sqlite3")).unwrap();
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM embeddings", [], |row| row.get(0))
        .unwrap();
    assert_eq!(stored, 16);
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;").unwrap();

    token.resume();
    let (index, report) = handle.join().unwrap();
    assert_eq!((report.embedded, report.done), (chunks, chunks));
    assert_eq!(index.embedding_status(MODEL).unwrap(), (chunks, chunks));
}

#[test]
fn a_long_chunk_gets_a_vector_per_window_and_is_found_by_its_best() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let (_, chunks) = index.embedding_status(MODEL).unwrap();
    let words = 30;
    let chunk_windows: Vec<(i64, Vec<String>)> = all_chunks(&index, &corpus)
        .into_iter()
        .map(|(id, _, _)| {
            let record = &index.chunks(&[id]).unwrap()[0];
            let header = &index.context_headers(&[id]).unwrap()[0].1;
            (id, windows_of(header, &record.text, words))
        })
        .collect();
    let windows: usize = chunk_windows.iter().map(|(_, w)| w.len()).sum();
    assert!(windows as u64 > chunks + 20, "too few long chunks to test");

    // First embedded whole, one vector per chunk; those rows are then marked stale, as
    // migration 0008 leaves vectors made from an older form of the text (parts -1).
    embed_all(&mut index, &mut Embedder::new(), 16);
    drop(index);
    let catalog = corpus.index_dir.join("catalog.sqlite3");
    rusqlite::Connection::open(&catalog)
        .unwrap()
        .execute("UPDATE embeddings SET parts = -1", [])
        .unwrap();

    // Stale vectors are still searched until they are replaced...
    let mut index = corpus.open();
    assert_eq!(index.embedding_status(MODEL).unwrap(), (chunks, chunks));
    assert_eq!(index.embedding_progress(MODEL).unwrap(), (0, chunks));
    let (id, _, text) = &all_chunks(&index, &corpus)[5];
    let hits = index
        .vector_search(MODEL, &bag_of_words(text, DIMS), 1)
        .unwrap();
    assert_eq!(ids(&hits), [*id]);
    // ... and the next run embeds every chunk again, every window of it.
    let mut windowed = Embedder::new();
    windowed.window_words = Some(words);
    let progress = embed_all(&mut index, &mut windowed, 16);
    assert_eq!(windowed.texts, windows);
    assert_eq!(progress.first().unwrap().done, 0);
    assert_eq!(progress.last().unwrap().done, chunks);
    assert_eq!(index.embedding_status(MODEL).unwrap(), (chunks, chunks));
    assert_eq!(index.embedding_progress(MODEL).unwrap(), (chunks, chunks));
    let mut again = Embedder::new();
    again.window_words = Some(words);
    embed_all(&mut index, &mut again, 16);
    assert_eq!(again.texts, 0, "complete chunks are not embedded again");

    // A query made of a later window's words finds its chunk with that window's cosine, 1,
    // far above what the chunk's whole text (its first vector) scores; the chunk appears once.
    let (id, texts) = chunk_windows.iter().find(|(_, w)| w.len() >= 3).unwrap();
    let query = bag_of_words(&texts[2], DIMS);
    let whole = all_chunks(&index, &corpus)
        .into_iter()
        .find(|(chunk, _, _)| chunk == id)
        .unwrap()
        .2;
    let by_whole_text = cosine(&query, &bag_of_words(&whole, DIMS));
    let hits = index.vector_search(MODEL, &query, 10).unwrap();
    let hit = hits.iter().find(|h| h.chunk_id == *id).unwrap();
    assert!((hit.score - 1.0).abs() < 1e-5, "{}", hit.score);
    assert!(by_whole_text < 0.95, "{by_whole_text}");
    assert_eq!(hits.iter().filter(|h| h.chunk_id == *id).count(), 1);
    let mut seen = ids(&hits);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), hits.len(), "a chunk listed twice");

    // A deleted file takes every window's vector with it.
    fs::remove_file(corpus.path("licenses/GPL-3")).unwrap();
    corpus.refresh(&mut index);
    drop(index);
    let conn = rusqlite::Connection::open(&catalog).unwrap();
    let orphans: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM embedding_windows w WHERE NOT EXISTS
             (SELECT 1 FROM chunks c WHERE c.id = w.chunk_id)",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(orphans, 0);
    let stored: i64 = conn
        .query_row("SELECT COUNT(*) FROM embedding_windows", [], |row| {
            row.get(0)
        })
        .unwrap();
    assert!(stored > 0);
}

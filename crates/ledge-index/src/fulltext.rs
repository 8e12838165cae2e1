//! The tantivy full-text index of chunks.
//!
//! One document per chunk, keyed by the catalog's chunk id; it also carries the file and
//! folder ids so a file's or folder's documents can be deleted with one term. `text`,
//! `heading` (the heading path) and `title` (the document's title) are indexed with an
//! English analyser ([`TEXT_TOKENIZER`]: lower-casing, [`STOP_WORDS`] left out, Snowball
//! stemming) with positions, so "licensing" finds "licensed" and quoted phrases work.
//! `file_name` holds the words of the file's name ([`name_words`], [`NAME_TOKENIZER`]):
//! `Apache-2.0` gives `apache` and `2.0`, `asyncio-task.html` gives `asyncio` and `task`.
//! The text itself is not stored here: the catalog has it, and snippets are cut from it.
//!
//! Queries search all four fields, each with its weight ([`FIELD_BOOSTS`]): a chunk's score is
//! the sum of its fields' BM25 scores, so naming a document ("Apache", "asyncio") lifts every
//! chunk of it above chunks that only use the word in passing, while the text still decides
//! among them. Stop words include question words ("how", "what", "which", "do", "I"), which
//! otherwise matched most of a manual and decided rankings with the words of the question
//! rather than its subject. Neighbouring words of the query found near each other in a passage
//! add to its score ([`FullText::word_pairs`]), so "subprocess.run() ... timeout" ranks the
//! passage that has them together above one that has them apart.
//!
//! The index is derived data. If it cannot be opened (corrupt, or written with another schema)
//! it is rebuilt empty, and the caller re-adds every chunk from the catalog.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use tantivy::collector::TopDocs;
use tantivy::directory::error::LockError;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, EmptyQuery, EnableScoring, Occur, PhraseQuery, Query,
    QueryParser, TermSetQuery,
};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::tokenizer::{
    Language, LowerCaser, RegexTokenizer, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TokenStream,
};
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term, doc};

use crate::catalog::ChunkDoc;
use crate::{Error, Result};

/// Memory the writer may buffer before flushing a segment (split over its threads).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
const WRITER_THREADS: usize = 2;

/// How long [`FullText::writer`] waits for a busy lock before reporting the index busy.
const WRITER_LOCK_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// The analyser of prose fields (text, heading path, title). Its name is part of the schema:
/// an index written with another analyser (tantivy's `en_stem` before stop words) has another
/// schema, so it is rebuilt from the catalog when opened.
const TEXT_TOKENIZER: &str = "ledge_en";
/// The analyser of file names: words and version numbers (`2.0` stays one token), stemmed.
const NAME_TOKENIZER: &str = "ledge_name";

/// Words left out of prose fields and queries: tantivy's English list without "no" and "not"
/// (which carry meaning, as in SQL's `NOT NULL`), plus the words questions are made of.
/// "when" and "where" stay: they are keywords of SQL and other languages.
pub(crate) const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "of", "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this",
    "to", "was", "will", "with", // tantivy's English stop words
    "how", "what", "which", "who", "whom", "whose", "why", "do", "does", "did", "i", "me", "my",
    "we", "our", "you", "your", "can", "could", "should", "would", // questions
];

/// Weights of the fields in a query. Name and title are short fields, so one matching word
/// already scores high there, and a word rare in names (`listen`, `when`) has a high IDF even
/// where it is common English: weighted like the text (or 2.0, as first tried), the file
/// `sql-listen.html` outranked the answer to every question with "listen" in it. These weights
/// were chosen on the dev split of `tests/questions/manuals.json` among five settings (recall@5
/// over both manuals: 0.71/0.67 here, 0.62/0.33 with name 2.0, title and heading 1.5).
const FIELD_BOOSTS: [(&str, f32); 4] = [
    ("text", 1.0),
    ("heading", 1.0),
    ("title", 0.3),
    ("file_name", 0.3),
];

/// How far apart (in words) two neighbouring query words may stand in a passage and still
/// count as near ([`FullText::word_pairs`]).
const PAIR_SLOP: u32 = 4;
/// What a pair of query words found near each other adds to a passage's score (BM25 scores of
/// a question's words are 5 to 40 here). A constant, not the pair's BM25: a pair's BM25 is
/// mostly the rarity of its words, so "Apache License" in a licence's table of contents
/// outscored "patent licenses granted" in the clause that answers.
///
/// Slop and score were chosen on the dev split of `tests/questions/manuals.json` (BM25 over
/// the three manuals; recall@1, recall@5, MRR): without pairs 0.35/0.76/0.526; pairs scored
/// by BM25 weighted 0.1, 0.25, 0.5, 1.0 (slop 2): MRR 0.552, 0.563, 0.547, 0.530; weighted 0.3
/// with slop 0, 1, 4, 8: 0.567, 0.573, 0.594, 0.569; a constant 0.5, 1, 2, 3 (slop 4): 0.549,
/// 0.567, 0.593 (0.43/0.82), 0.577. On the test split the pairs did not carry over: MRR 0.670
/// without them, 0.664 with 1, 0.640 with 2 (see BENCHMARKS.md, "Answers").
const PAIR_SCORE: f32 = 2.0;
/// Pairs looked for at most: a pasted paragraph as a query stays as fast as a question.
const MAX_PAIRS: usize = 12;
/// How many of the words' best passages [`FullText::search_text`] scores the pairs on.
const PAIR_CANDIDATES: usize = 200;

#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    file_id: Field,
    folder_id: Field,
    file_name: Field,
    title: Field,
    heading: Field,
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        chunk_id: builder.add_u64_field("chunk_id", INDEXED | STORED | FAST),
        file_id: builder.add_u64_field("file_id", INDEXED),
        folder_id: builder.add_u64_field("folder_id", INDEXED),
        file_name: builder.add_text_field("file_name", analysed(NAME_TOKENIZER)),
        title: builder.add_text_field("title", analysed(TEXT_TOKENIZER)),
        heading: builder.add_text_field("heading", analysed(TEXT_TOKENIZER)),
        text: builder.add_text_field("text", analysed(TEXT_TOKENIZER)),
    };
    (builder.build(), fields)
}

/// Registers the analysers the schema names; every opened or created index needs them before
/// it is written or searched.
fn register_tokenizers(index: &tantivy::Index) -> Result<()> {
    let stop_words = STOP_WORDS.iter().map(|w| (*w).to_owned());
    let text = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(stop_words))
        .filter(Stemmer::new(Language::English))
        .build();
    let name = TextAnalyzer::builder(RegexTokenizer::new(r"[0-9]+(?:\.[0-9]+)+|[\p{L}\p{N}]+")?)
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(StopWordFilter::remove(
            STOP_WORDS.iter().map(|w| (*w).to_owned()),
        ))
        .filter(Stemmer::new(Language::English))
        .build();
    index.tokenizers().register(TEXT_TOKENIZER, text);
    index.tokenizers().register(NAME_TOKENIZER, name);
    Ok(())
}

/// The words of a file's name for the `file_name` field: its last component without an
/// extension (`library/asyncio-task.html` gives `asyncio-task`). What follows the last dot is
/// an extension only when it has a letter: `Apache-2.0` and `MPL-2.0` keep their version.
pub(crate) fn name_words(path: &str) -> &str {
    let name = path.rsplit(['/', '\\']).next().unwrap_or(path);
    match name.rsplit_once('.') {
        Some((stem, extension))
            if !stem.is_empty() && extension.bytes().any(|b| b.is_ascii_alphabetic()) =>
        {
            stem
        }
        _ => name,
    }
}

pub(crate) struct FullText {
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
    /// `meta.json`'s modification time and length when the reader last loaded: another
    /// process's commit changes them (see [`FullText::follow_commits`]).
    seen_meta: Mutex<Option<(SystemTime, u64)>>,
}

impl std::fmt::Debug for FullText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FullText")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

fn id_u64(id: i64) -> u64 {
    u64::try_from(id).unwrap_or(0)
}

/// `meta.json`'s modification time and length in the index folder `path` (`None` when it
/// cannot be read): tantivy rewrites it on every commit.
fn meta_stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let metadata = fs::metadata(path.join("meta.json")).ok()?;
    Some((metadata.modified().ok()?, metadata.len()))
}

impl FullText {
    /// Opens the index in `path`, creating it; returns whether it had to be (re)created empty.
    pub fn open(path: &Path) -> Result<(FullText, bool)> {
        let (schema, fields) = schema();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(path).map_err(io)?;
        let stamp = meta_stamp(path);
        let fresh = fs::read_dir(path).map_err(io)?.next().is_none();
        let index = match tantivy::Index::open_in_dir(path) {
            Ok(index) if index.schema() == schema => index,
            Ok(_) | Err(_) if !fresh => {
                tracing::warn!(path = %path.display(), "full-text index unreadable or of another schema; rebuilding it");
                fs::remove_dir_all(path).map_err(io)?;
                fs::create_dir_all(path).map_err(io)?;
                tantivy::Index::create_in_dir(path, schema.clone())?
            }
            _ => tantivy::Index::create_in_dir(path, schema.clone())?,
        };
        register_tokenizers(&index)?;
        let opened = index.searchable_segment_ids().and_then(|segments| {
            let reader: IndexReader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            Ok((segments.is_empty(), reader))
        });
        let (index, empty, reader) = match opened {
            Ok((empty, reader)) => (index, empty, reader),
            // Opens, but its segments cannot be read: derived data, so start it afresh.
            Err(error) => {
                tracing::warn!(path = %path.display(), %error, "full-text segments unreadable; rebuilding the index");
                drop(index);
                fs::remove_dir_all(path).map_err(io)?;
                fs::create_dir_all(path).map_err(io)?;
                let index = tantivy::Index::create_in_dir(path, schema.clone())?;
                register_tokenizers(&index)?;
                let reader = index
                    .reader_builder()
                    .reload_policy(ReloadPolicy::Manual)
                    .try_into()?;
                (index, true, reader)
            }
        };
        let created = fresh || empty;
        let fulltext = FullText {
            index,
            reader,
            fields,
            path: path.to_path_buf(),
            seen_meta: Mutex::new(None),
        };
        // Taken before the reader opened: a commit in between is seen as a change.
        if let Ok(mut seen) = fulltext.seen_meta.lock() {
            *seen = stamp;
        }
        Ok((fulltext, created))
    }

    /// Deletes the index in `path` and creates it empty (for an index whose segments cannot
    /// be read even though it opens); the caller refills it from the catalog.
    pub fn recreate(path: &Path) -> Result<FullText> {
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        if path.exists() {
            fs::remove_dir_all(path).map_err(io)?;
        }
        Ok(FullText::open(path)?.0)
    }

    /// The writer; only one process may hold it. A lock found busy is tried again for up to
    /// [`WRITER_LOCK_GRACE`] before the index is reported busy: a writer just dropped in this
    /// process can hold the lock a moment longer while its threads finish (seen as a rare
    /// `Busy` in a test that closes an index and opens it again under load).
    pub fn writer(&self) -> Result<IndexWriter> {
        let started = std::time::Instant::now();
        loop {
            match self
                .index
                .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY)
            {
                Ok(writer) => return Ok(writer),
                Err(TantivyError::LockFailure(LockError::LockBusy, _)) => {
                    if started.elapsed() >= WRITER_LOCK_GRACE {
                        return Err(Error::Busy {
                            path: self.path.clone(),
                        });
                    }
                    std::thread::sleep(std::time::Duration::from_millis(50));
                }
                Err(other) => return Err(other.into()),
            }
        }
    }

    pub fn add(&self, writer: &IndexWriter, chunk: &ChunkDoc) -> Result<()> {
        let f = self.fields;
        writer.add_document(doc!(
            f.chunk_id => id_u64(chunk.id),
            f.file_id => id_u64(chunk.file_id),
            f.folder_id => id_u64(chunk.folder_id),
            f.file_name => name_words(&chunk.path),
            f.title => chunk.title.as_str(),
            f.heading => chunk.heading.as_str(),
            f.text => chunk.text.as_str(),
        ))?;
        Ok(())
    }

    pub fn delete_file(&self, writer: &IndexWriter, file_id: i64) {
        writer.delete_term(Term::from_field_u64(self.fields.file_id, id_u64(file_id)));
    }

    pub fn delete_folder(&self, writer: &IndexWriter, folder_id: i64) {
        writer.delete_term(Term::from_field_u64(
            self.fields.folder_id,
            id_u64(folder_id),
        ));
    }

    pub fn delete_chunk(&self, writer: &IndexWriter, chunk_id: i64) {
        writer.delete_term(Term::from_field_u64(self.fields.chunk_id, id_u64(chunk_id)));
    }

    /// Makes the last commit visible to searches.
    pub fn reload(&self) -> Result<()> {
        let meta = self.meta_stamp();
        self.reader.reload()?;
        if let Ok(mut seen) = self.seen_meta.lock() {
            *seen = meta;
        }
        Ok(())
    }

    fn meta_stamp(&self) -> Option<(SystemTime, u64)> {
        meta_stamp(&self.path)
    }

    /// Reloads when another process committed since the last load (the app's indexer while
    /// `ledge mcp` or `ledge serve` answers): one `stat` when nothing changed. This process's
    /// own commits reload at once ([`reload`](Self::reload)).
    pub fn follow_commits(&self) -> Result<()> {
        let now = self.meta_stamp();
        let changed = match self.seen_meta.lock() {
            Ok(seen) => *seen != now,
            Err(_) => true,
        };
        if changed {
            self.reload()?;
        }
        Ok(())
    }

    /// The chunk ids of every live document, and the ids found more than once.
    pub fn chunk_ids(&self) -> Result<(HashSet<i64>, HashSet<i64>)> {
        self.reload()?;
        let searcher = self.reader.searcher();
        let mut ids = HashSet::new();
        let mut duplicates = HashSet::new();
        for segment in searcher.segment_readers() {
            let column = segment.fast_fields().u64("chunk_id")?;
            for doc in segment.doc_ids_alive() {
                if let Some(id) = column.first(doc) {
                    let id = i64::try_from(id).unwrap_or(i64::MAX);
                    if !ids.insert(id) {
                        duplicates.insert(id);
                    }
                }
            }
        }
        Ok((ids, duplicates))
    }

    /// How many chunks have each of `terms` (already analysed: lower-case, stemmed) in their
    /// text, and how many chunks there are.
    pub fn document_frequencies(&self, terms: &[String]) -> Result<(u64, Vec<u64>)> {
        let searcher = self.reader.searcher();
        let counts = terms
            .iter()
            .map(|term| searcher.doc_freq(&Term::from_field_text(self.fields.text, term)))
            .collect::<tantivy::Result<Vec<u64>>>()?;
        Ok((searcher.num_docs(), counts))
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Parses a user query leniently (a stray quote or colon never fails the search), with
    /// its neighbouring words as proximity pairs ([`word_pairs`](Self::word_pairs)).
    pub fn parse(&self, query_text: &str) -> Box<dyn Query> {
        let words = self.parse_words(query_text);
        let pairs = self.word_pairs(query_text);
        if pairs.is_empty() || words.is::<EmptyQuery>() {
            return words;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, words)];
        clauses.extend(pairs.into_iter().map(|pair| (Occur::Should, pair)));
        Box::new(BooleanQuery::new(clauses))
    }

    /// The best `limit` (chunk id, score) pairs for a user query, ranked as
    /// [`search`](Self::search) ranks [`parse`](Self::parse)'s query, in two steps: the words
    /// alone pick the best [`PAIR_CANDIDATES`], then the proximity pairs are scored on those
    /// only. In one step, the pairs of a long question's common words ("server", "table")
    /// were matched against most of the index: 33 ms at p99 for the answer benchmark's
    /// questions over the 1.3 GB mixed corpus (626,278 passages), 10 ms without the pairs.
    /// A passage outside the words' best few hundred gains no pair bonus; it would need
    /// most of the question's words side by side to make the first `limit` anyway.
    pub fn search_text(&self, query_text: &str, limit: usize) -> Result<Vec<(i64, f32)>> {
        let words = self.parse_words(query_text);
        let pairs = self.word_pairs(query_text);
        if pairs.is_empty() {
            return self.search(words.as_ref(), limit);
        }
        let searcher = self.reader.searcher();
        let mut candidates = searcher.search(
            words.as_ref(),
            &TopDocs::with_limit(PAIR_CANDIDATES.max(limit)),
        )?;
        // Each pair's matches, looked up at the candidates only: a scorer per segment,
        // moved forward through that segment's candidates in document order.
        let scoring = EnableScoring::enabled_from_searcher(&searcher);
        let weights = pairs
            .iter()
            .map(|pair| pair.weight(scoring))
            .collect::<tantivy::Result<Vec<_>>>()?;
        let mut order: Vec<usize> = (0..candidates.len()).collect();
        order.sort_by_key(|&i| candidates[i].1);
        for (segment, reader) in searcher.segment_readers().iter().enumerate() {
            let in_segment: Vec<usize> = order
                .iter()
                .copied()
                .filter(|&i| candidates[i].1.segment_ord as usize == segment)
                .collect();
            if in_segment.is_empty() {
                continue;
            }
            for weight in &weights {
                let mut scorer = weight.scorer(reader, 1.0)?;
                for &i in &in_segment {
                    let doc = candidates[i].1.doc_id;
                    if scorer.doc() < doc {
                        scorer.seek(doc);
                    }
                    if scorer.doc() == doc {
                        candidates[i].0 += scorer.score();
                    }
                }
            }
        }
        // Best first; equal scores in document order, as the collector orders them.
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        candidates.truncate(limit);
        self.chunk_ids_of(&searcher, candidates)
    }

    /// A user query's words, without the proximity pairs.
    fn parse_words(&self, query_text: &str) -> Box<dyn Query> {
        let f = self.fields;
        let mut parser =
            QueryParser::for_index(&self.index, vec![f.text, f.heading, f.title, f.file_name]);
        for (name, boost) in FIELD_BOOSTS {
            if let Ok(field) = self.index.schema().get_field(name) {
                parser.set_field_boost(field, boost);
            }
        }
        let (query, errors) = parser.parse_query_lenient(query_text);
        if !errors.is_empty() {
            tracing::debug!(?errors, "query parsed leniently");
        }
        // A query of stop words only parses to a boolean query without clauses, which
        // tantivy answers with every document: nothing to look for finds nothing instead.
        let mut has_terms = false;
        query.query_terms(&mut |_, _| has_terms = true);
        if !has_terms {
            return Box::new(EmptyQuery);
        }
        query
    }

    /// Proximity: each two neighbouring words of the query, as a phrase that may stretch by
    /// [`PAIR_SLOP`] words, adding [`PAIR_SCORE`] on top of the words' own scores.
    /// A passage that says "subprocess.run(..., timeout=...)" or "patent licenses granted"
    /// then ranks above one that has the same words scattered (the sequential-dependence idea
    /// of Metzler and Croft). Stop words between two words are not counted: "grant a patent"
    /// and "grant patent" look for the same pair, so question words never change a ranking.
    fn word_pairs(&self, query_text: &str) -> Vec<Box<dyn Query>> {
        let Ok(mut analyser) = self.index.tokenizer_for_field(self.fields.text) else {
            return Vec::new();
        };
        let mut words: Vec<String> = Vec::new();
        let mut stream = analyser.token_stream(query_text);
        while let Some(token) = stream.next() {
            words.push(token.text.clone());
        }
        words
            .windows(2)
            .filter(|pair| pair[0] != pair[1])
            .take(MAX_PAIRS)
            .map(|pair| {
                let terms = vec![
                    (0, Term::from_field_text(self.fields.text, &pair[0])),
                    (1, Term::from_field_text(self.fields.text, &pair[1])),
                ];
                let phrase = PhraseQuery::new_with_offset_and_slop(terms, PAIR_SLOP);
                Box::new(ConstScoreQuery::new(Box::new(phrase), PAIR_SCORE)) as Box<dyn Query>
            })
            .collect()
    }

    /// `query` restricted to the documents of these files. The filter is a term set on the
    /// file id scored 0, so the scores stay the BM25 scores of `query` alone.
    pub fn restrict_to_files(&self, query: Box<dyn Query>, file_ids: &[i64]) -> Box<dyn Query> {
        let terms = file_ids
            .iter()
            .map(|&id| Term::from_field_u64(self.fields.file_id, id_u64(id)));
        let filter = ConstScoreQuery::new(Box::new(TermSetQuery::new(terms)), 0.0);
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Must, Box::new(filter)),
        ]))
    }

    /// The best `limit` (chunk id, score) pairs for `query`.
    pub fn search(&self, query: &dyn Query, limit: usize) -> Result<Vec<(i64, f32)>> {
        let searcher = self.reader.searcher();
        let top = searcher.search(query, &TopDocs::with_limit(limit.max(1)))?;
        self.chunk_ids_of(&searcher, top)
    }

    /// Ranked documents as (chunk id, score), in the same order.
    fn chunk_ids_of(
        &self,
        searcher: &tantivy::Searcher,
        ranked: Vec<(f32, tantivy::DocAddress)>,
    ) -> Result<Vec<(i64, f32)>> {
        let mut hits = Vec::with_capacity(ranked.len());
        for (score, address) in ranked {
            let document: TantivyDocument = searcher.doc(address)?;
            if let Some(id) = document
                .get_first(self.fields.chunk_id)
                .and_then(|v| v.as_u64())
            {
                hits.push((i64::try_from(id).unwrap_or(i64::MAX), score));
            }
        }
        Ok(hits)
    }

    /// A snippet maker for `query` over chunk texts.
    pub fn snippets(&self, query: &dyn Query, max_chars: usize) -> Result<Snippets> {
        let searcher = self.reader.searcher();
        let mut generator = SnippetGenerator::create(&searcher, query, self.fields.text)?;
        generator.set_max_num_chars(max_chars);
        Ok(Snippets { generator })
    }

    /// Bytes the index takes on disk.
    pub fn disk_bytes(&self) -> u64 {
        dir_bytes(&self.path)
    }
}

pub(crate) struct Snippets {
    generator: SnippetGenerator,
}

impl Snippets {
    pub fn make(&self, text: &str) -> Snippet {
        self.generator.snippet(text)
    }
}

fn dir_bytes(path: &Path) -> u64 {
    fs::read_dir(path)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| entry.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::TokenStream;

    use super::*;

    fn tokens(index: &tantivy::Index, tokenizer: &str, text: &str) -> Vec<String> {
        let mut analyzer = index.tokenizers().get(tokenizer).unwrap();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn file_names_give_their_words_and_versions_and_questions_lose_theirs() {
        assert_eq!(name_words("/l/Apache-2.0"), "Apache-2.0");
        assert_eq!(name_words("/py/library/asyncio-task.html"), "asyncio-task");
        assert_eq!(name_words("C:\\docs\\MPL-2.0"), "MPL-2.0");
        assert_eq!(name_words("/home/.bashrc"), ".bashrc");
        let temp = tempfile::tempdir().unwrap();
        let (fulltext, _) = FullText::open(temp.path()).unwrap();
        let index = &fulltext.index;
        assert_eq!(
            tokens(index, NAME_TOKENIZER, "Apache-2.0"),
            ["apach", "2.0"]
        );
        assert_eq!(
            tokens(index, NAME_TOKENIZER, "asyncio-task"),
            ["asyncio", "task"]
        );
        assert_eq!(
            tokens(
                index,
                TEXT_TOKENIZER,
                "How do I check which floats are equal?"
            ),
            ["check", "float", "equal"]
        );
        // "not" and "where" carry meaning in manuals (`NOT NULL`, `WHERE`).
        assert_eq!(
            tokens(index, TEXT_TOKENIZER, "not null where"),
            ["not", "null", "where"]
        );
    }

    #[test]
    fn pairs_scored_on_the_candidates_rank_as_the_one_step_query_does() {
        let temp = tempfile::tempdir().unwrap();
        let (fulltext, _) = FullText::open(temp.path()).unwrap();
        let words = [
            "patent",
            "license",
            "grant",
            "terminate",
            "source",
            "code",
            "form",
            "notice",
            "work",
            "copy",
            "modify",
            "litigation",
        ];
        let mut writer = fulltext.writer().unwrap();
        // 450 passages in three segments (so candidates fall in several), each a different
        // walk through the words: pairs side by side in some, apart in others.
        for id in 0..450u64 {
            let mut state = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
            let text: Vec<&str> = (0..3 + id % 9)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    words[(state % 12) as usize]
                })
                .collect();
            let chunk = ChunkDoc {
                id: id as i64,
                file_id: id as i64,
                folder_id: 1,
                path: format!("/d/f{id}"),
                title: String::new(),
                heading: String::new(),
                text: text.join(" "),
            };
            fulltext.add(&writer, &chunk).unwrap();
            if id % 150 == 149 {
                writer.commit().unwrap();
            }
        }
        drop(writer);
        fulltext.reload().unwrap();
        for question in [
            "When does the patent license grant terminate after litigation?",
            "source code form notice",
            "may I copy and modify the work",
        ] {
            let one_step = fulltext
                .search(fulltext.parse(question).as_ref(), 20)
                .unwrap();
            let two_steps = fulltext.search_text(question, 20).unwrap();
            assert_eq!(one_step.len(), 20, "{question}");
            let ids = |hits: &[(i64, f32)]| hits.iter().map(|h| h.0).collect::<Vec<_>>();
            assert_eq!(ids(&two_steps), ids(&one_step), "{question}");
            for (a, b) in two_steps.iter().zip(&one_step) {
                assert!((a.1 - b.1).abs() < 1e-4, "{question}: {a:?} {b:?}");
            }
            // The pairs did move the ranking: without them the order differs.
            let words_only = fulltext
                .search(fulltext.parse_words(question).as_ref(), 20)
                .unwrap();
            assert_ne!(ids(&words_only), ids(&one_step), "{question}");
        }
    }

    #[test]
    fn an_index_of_the_previous_schema_is_rebuilt_empty() {
        let temp = tempfile::tempdir().unwrap();
        {
            // The schema before file names and titles: `en_stem` text and heading only.
            let mut builder = Schema::builder();
            let analysed = TextOptions::default().set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer("en_stem")
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            );
            let chunk_id = builder.add_u64_field("chunk_id", INDEXED | STORED | FAST);
            builder.add_u64_field("file_id", INDEXED);
            builder.add_u64_field("folder_id", INDEXED);
            builder.add_text_field("heading", analysed.clone());
            let text = builder.add_text_field("text", analysed);
            let old = tantivy::Index::create_in_dir(temp.path(), builder.build()).unwrap();
            let mut writer: IndexWriter = old.writer(15_000_000).unwrap();
            writer
                .add_document(doc!(chunk_id => 7u64, text => "old words"))
                .unwrap();
            writer.commit().unwrap();
        }
        let (fulltext, created) = FullText::open(temp.path()).unwrap();
        assert!(created, "an index of another schema must be refilled");
        assert_eq!(fulltext.num_docs(), 0);
        assert_eq!(fulltext.index.schema(), schema().0);
        // Filled and opened again, the current schema is kept.
        let mut writer = fulltext.writer().unwrap();
        let chunk = ChunkDoc {
            id: 1,
            file_id: 1,
            folder_id: 1,
            path: "/d/Apache-2.0".into(),
            title: String::new(),
            heading: String::new(),
            text: "Grant of Patent License".into(),
        };
        fulltext.add(&writer, &chunk).unwrap();
        writer.commit().unwrap();
        drop((writer, fulltext));
        let (fulltext, created) = FullText::open(temp.path()).unwrap();
        assert!(!created);
        fulltext.reload().unwrap();
        let hits = fulltext
            .search(fulltext.parse("apache").as_ref(), 5)
            .unwrap();
        assert_eq!(hits.len(), 1, "found by its file name");
    }
}

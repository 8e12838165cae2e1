//! The tantivy full-text index of chunks.
//!
//! One document per chunk, keyed by the catalog's chunk id; it also carries the file and
//! folder ids so a file's or folder's documents can be deleted with one term. `text` and
//! `heading` are indexed with tantivy's English stemming analyser (`en_stem`: lower-casing,
//! Snowball stemming) with positions, so "licensing" finds "licensed" and quoted phrases work.
//! The text itself is not stored here: the catalog has it, and snippets are cut from it.
//!
//! The index is derived data. If it cannot be opened (corrupt, or written with another schema)
//! it is rebuilt empty, and the caller re-adds every chunk from the catalog.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use tantivy::collector::TopDocs;
use tantivy::directory::error::LockError;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, QueryParser, TermSetQuery};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::{IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, TantivyError, Term, doc};

use crate::catalog::ChunkDoc;
use crate::{Error, Result};

/// Memory the writer may buffer before flushing a segment (split over its threads).
const WRITER_MEMORY: usize = 64 * 1024 * 1024;
const WRITER_THREADS: usize = 2;

#[derive(Debug, Clone, Copy)]
struct Fields {
    chunk_id: Field,
    file_id: Field,
    folder_id: Field,
    heading: Field,
    text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analysed = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer("en_stem")
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    let fields = Fields {
        chunk_id: builder.add_u64_field("chunk_id", INDEXED | STORED | FAST),
        file_id: builder.add_u64_field("file_id", INDEXED),
        folder_id: builder.add_u64_field("folder_id", INDEXED),
        heading: builder.add_text_field("heading", analysed.clone()),
        text: builder.add_text_field("text", analysed),
    };
    (builder.build(), fields)
}

pub(crate) struct FullText {
    index: tantivy::Index,
    reader: IndexReader,
    fields: Fields,
    path: PathBuf,
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

impl FullText {
    /// Opens the index in `path`, creating it; returns whether it had to be (re)created empty.
    pub fn open(path: &Path) -> Result<(FullText, bool)> {
        let (schema, fields) = schema();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        fs::create_dir_all(path).map_err(io)?;
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
                let reader = index
                    .reader_builder()
                    .reload_policy(ReloadPolicy::Manual)
                    .try_into()?;
                (index, true, reader)
            }
        };
        let created = fresh || empty;
        Ok((
            FullText {
                index,
                reader,
                fields,
                path: path.to_path_buf(),
            },
            created,
        ))
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

    /// The writer; only one process may hold it.
    pub fn writer(&self) -> Result<IndexWriter> {
        self.index
            .writer_with_num_threads(WRITER_THREADS, WRITER_MEMORY)
            .map_err(|error| match error {
                TantivyError::LockFailure(LockError::LockBusy, _) => Error::Busy {
                    path: self.path.clone(),
                },
                other => other.into(),
            })
    }

    pub fn add(&self, writer: &IndexWriter, chunk: &ChunkDoc) -> Result<()> {
        let f = self.fields;
        writer.add_document(doc!(
            f.chunk_id => id_u64(chunk.id),
            f.file_id => id_u64(chunk.file_id),
            f.folder_id => id_u64(chunk.folder_id),
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
        Ok(self.reader.reload()?)
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

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Parses a user query leniently (a stray quote or colon never fails the search).
    pub fn parse(&self, query: &str) -> Box<dyn Query> {
        let mut parser =
            QueryParser::for_index(&self.index, vec![self.fields.text, self.fields.heading]);
        parser.set_field_boost(self.fields.heading, 1.5);
        let (query, errors) = parser.parse_query_lenient(query);
        if !errors.is_empty() {
            tracing::debug!(?errors, "query parsed leniently");
        }
        query
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
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
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

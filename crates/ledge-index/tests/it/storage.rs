//! Chunk texts as stored: compressed blocks that give every text back byte for byte, and a
//! damaged block that costs only its own chunks.

use std::fs;

use ledge_index::{CancelToken, Error, IndexOptions};

use crate::corpus::{Corpus, LICENSES};

/// (compressed bytes, text bytes) of every block in the catalog.
fn stored_sizes(corpus: &Corpus) -> (i64, i64) {
    let conn = rusqlite::Connection::open(corpus.index_dir.join("catalog.sqlite3")).unwrap();
    conn.query_row(
        "SELECT SUM(LENGTH(data)), SUM(raw_bytes) FROM chunk_texts",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .unwrap()
}

#[test]
fn every_licence_comes_back_byte_for_byte_from_less_than_half_the_bytes() {
    let corpus = Corpus::empty();
    let mut names = Vec::new();
    for entry in fs::read_dir(LICENSES).unwrap().flatten() {
        let name = entry.file_name().to_str().unwrap().to_owned();
        fs::copy(entry.path(), corpus.path(&name)).unwrap();
        names.push(name);
    }
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let mut text_bytes = 0;
    for name in &names {
        let file = fs::read(corpus.path(name)).unwrap();
        let chunks = index.file_chunks(&corpus.path(name)).unwrap();
        assert!(!chunks.is_empty(), "{name}");
        for chunk in &chunks {
            let range = chunk.byte_start as usize..chunk.byte_end as usize;
            assert_eq!(chunk.text.as_bytes(), &file[range], "{name}");
            text_bytes += chunk.text.len() as i64;
        }
        // The catalog read without the index's code agrees.
        let raw: Vec<String> = corpus.chunks_of(name).into_iter().map(|c| c.2).collect();
        assert_eq!(
            raw,
            chunks.iter().map(|c| c.text.clone()).collect::<Vec<_>>()
        );
    }
    let (stored, raw) = stored_sizes(&corpus);
    assert_eq!(raw, text_bytes);
    assert!(stored * 2 < raw, "{stored} bytes stored for {raw}");
}

#[test]
fn a_damaged_block_fails_only_its_own_chunks_until_a_rebuild() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let apache = corpus.path("licenses/Apache-2.0");
    let damaged: Vec<i64> = index
        .file_chunks(&apache)
        .unwrap()
        .iter()
        .map(|c| c.chunk_id)
        .collect();
    drop(index);
    {
        let conn = rusqlite::Connection::open(corpus.index_dir.join("catalog.sqlite3")).unwrap();
        let changed = conn
            .execute(
                "UPDATE chunk_texts SET data = CAST(substr(data, 1, 12) || zeroblob(24) ||
                 substr(data, 37) AS BLOB)
                 WHERE file_id = (SELECT id FROM files WHERE path = ?1)",
                [apache.to_str().unwrap()],
            )
            .unwrap();
        assert!(changed > 0);
    }
    let mut index = corpus.open();
    match index.chunks(&damaged[..1]) {
        Err(Error::ChunkTextUnreadable { chunk_id, .. }) => assert_eq!(chunk_id, damaged[0]),
        other => panic!("expected an unreadable text, got {other:?}"),
    }
    // Searching goes on: the damaged chunks are left out, the others found.
    let hits = index.search("license patent grant", 10).unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| !damaged.contains(&h.chunk_id)));
    assert!(hits.iter().all(|h| h.path != apache));
    let gpl = index.file_chunks(&corpus.path("licenses/GPL-3")).unwrap();
    assert!(gpl.len() > 5);

    // A rebuild reads the file again and stores its text afresh.
    index
        .rebuild(None, &mut |_| {}, &CancelToken::new())
        .unwrap();
    let chunks = index.file_chunks(&apache).unwrap();
    let file = fs::read_to_string(&apache).unwrap();
    assert!(
        chunks
            .iter()
            .all(|c| c.text == file[c.byte_start as usize..c.byte_end as usize])
    );
    let hits = index.search("Apache patent grant", 10).unwrap();
    assert_eq!(hits[0].path, apache);
}

#[test]
fn removing_a_folder_gives_its_space_back() {
    let corpus = Corpus::empty();
    for copy in 0..12 {
        for entry in fs::read_dir(LICENSES).unwrap().flatten() {
            let name = format!("{copy}/{}", entry.file_name().to_str().unwrap());
            fs::create_dir_all(corpus.path(&copy.to_string())).unwrap();
            fs::copy(entry.path(), corpus.path(&name)).unwrap();
        }
    }
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let catalog = corpus.index_dir.join("catalog.sqlite3");
    let wal = corpus.index_dir.join("catalog.sqlite3-wal");
    let size = |path: &std::path::Path| fs::metadata(path).map_or(0, |m| m.len());
    let before = size(&catalog);
    // The scan ends with the WAL checkpointed and truncated.
    assert_eq!(size(&wal), 0);
    index.remove_folder(&corpus.docs).unwrap();
    let after = size(&catalog);
    assert!(after * 3 < before, "{before} bytes before, {after} after");
    assert!(index.search("license", 5).unwrap().is_empty());
}

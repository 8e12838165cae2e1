//! `Index::rebuild`: every file read again, the full-text index made whole, and an
//! interrupted rebuild leaving a consistent index that the next rebuild finishes.

use std::fs;

use ledge_index::{CancelToken, CrashPoint, Error, IndexOptions};

use crate::corpus::{Corpus, hit_paths};

const PHRASE: &str = "\"irrevocable copyright license\"";

#[test]
fn a_rebuild_reads_every_file_again_and_resumes_after_an_interruption() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    let added = corpus.add(&mut index, &IndexOptions::default());
    let before = hit_paths(&index.search(PHRASE, 20).unwrap());
    assert!(!before.is_empty());
    let chunks = index.status().unwrap().chunks;

    // Stopped after two files: what was done is committed, the rest is still marked.
    let cancel = CancelToken::new();
    let outcome = index.rebuild(
        None,
        &mut |progress| {
            if progress.files_done == 2 {
                cancel.cancel();
            }
        },
        &cancel,
    );
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    drop(index);

    let mut index = corpus.open();
    let status = index.status().unwrap();
    assert!(status.consistent);
    assert_eq!(status.chunks, status.fulltext_docs);
    let pending = index.rebuild_pending().unwrap();
    assert!(
        pending > 0 && pending < added.files_found,
        "{pending} of {}",
        added.files_found
    );
    assert_eq!(hit_paths(&index.search(PHRASE, 20).unwrap()), before);

    // Running it again finishes only what is left, instead of starting over.
    let reports = index
        .rebuild(None, &mut |_| {}, &CancelToken::new())
        .unwrap();
    let report = &reports[0];
    let redone = report.indexed + report.skipped.len() as u64 + report.failed.len() as u64;
    assert_eq!(redone, pending, "{report:?}");
    assert_eq!(report.unchanged, added.files_found - pending, "{report:?}");
    assert_eq!(index.rebuild_pending().unwrap(), 0);
    let status = index.status().unwrap();
    assert_eq!(status.chunks, chunks);
    assert_eq!(status.chunks, status.fulltext_docs);
    assert_eq!(hit_paths(&index.search(PHRASE, 20).unwrap()), before);

    // A finished rebuild, run again, reads everything again.
    let again = index
        .rebuild(Some(&corpus.docs), &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(again[0].unchanged, 0, "{:?}", again[0]);
    assert_eq!(again[0].indexed, added.indexed, "{:?}", again[0]);

    // A crash between the two commits of a rebuild's batch: the reopened index is whole.
    index.set_crash_point(CrashPoint::AfterCatalogCommit);
    let crashed = index.rebuild(None, &mut |_| {}, &CancelToken::new());
    assert!(matches!(crashed, Err(Error::SimulatedCrash)), "{crashed:?}");
    drop(index);
    let mut index = corpus.open();
    assert!(index.last_repair().is_some_and(|repair| repair.added > 0));
    let status = index.status().unwrap();
    assert!(status.consistent);
    assert_eq!(status.chunks, status.fulltext_docs);
    assert_eq!(hit_paths(&index.search(PHRASE, 20).unwrap()), before);
    index
        .rebuild(None, &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(index.rebuild_pending().unwrap(), 0);
    assert_eq!(hit_paths(&index.search(PHRASE, 20).unwrap()), before);
}

#[test]
fn a_rebuild_restores_a_fulltext_index_whose_segments_are_damaged() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let before = hit_paths(&index.search(PHRASE, 20).unwrap());
    drop(index);

    // The index still opens (meta.json is intact) but its segment files are garbage.
    let fulltext = corpus.index_dir.join("fulltext");
    let mut damaged = 0;
    for entry in fs::read_dir(&fulltext).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".idx") || name.ends_with(".term") || name.ends_with(".store") {
            fs::write(&path, b"not a segment").unwrap();
            damaged += 1;
        }
    }
    assert!(damaged > 0);
    let mut index = corpus.open();
    index
        .rebuild(None, &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(hit_paths(&index.search(PHRASE, 20).unwrap()), before);
    let status = index.status().unwrap();
    assert!(status.consistent);
    assert_eq!(status.chunks, status.fulltext_docs);

    // An unknown folder is named in the error.
    let elsewhere = corpus.path("licenses");
    match index.rebuild(Some(&elsewhere), &mut |_| {}, &CancelToken::new()) {
        Err(Error::UnknownFolder { path }) => assert_eq!(path, elsewhere),
        other => panic!("{other:?}"),
    }
}

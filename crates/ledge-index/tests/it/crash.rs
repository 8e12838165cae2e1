//! Crash safety: a stop between the catalog and full-text commits, or a lost full-text index,
//! is repaired when the index is opened again.

use std::fs;

use ledge_index::{CancelToken, CrashPoint, Error, IndexOptions, Repair};

use crate::corpus::{Corpus, LICENSES, hit_paths};

#[test]
fn a_crash_between_the_two_commits_is_repaired_on_reopen() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let edited = corpus.path("notes/edit-me.txt");
    fs::copy(format!("{LICENSES}/BSD"), &edited).unwrap();
    fs::remove_file(corpus.path("licenses/GPL-3")).unwrap();

    index.set_crash_point(CrashPoint::AfterCatalogCommit);
    let outcome = index.refresh(&corpus.docs, &mut |_| {}, &CancelToken::new());
    assert!(matches!(outcome, Err(Error::SimulatedCrash)), "{outcome:?}");
    drop(index); // the process "dies": the full-text writer never committed

    let index = corpus.open();
    let repair = index.last_repair().expect("the reopen repaired the index");
    assert!(repair.added > 0, "{repair:?}: the edited file's new chunks");
    assert!(repair.removed > 0, "{repair:?}: the old and deleted chunks");
    let status = index.status().unwrap();
    assert!(status.consistent);
    assert_eq!(status.chunks, status.fulltext_docs);

    assert!(hit_paths(&index.search("\"Redistribution and use\"", 20).unwrap()).contains(&edited));
    assert!(!hit_paths(&index.search("\"Creative Commons\"", 20).unwrap()).contains(&edited));
    drop(index);

    // Nothing is indexed twice, nothing lost: the next scan finds everything in place.
    let mut index = corpus.open();
    assert_eq!(index.last_repair(), None, "no repair needed any more");
    let report = corpus.refresh(&mut index);
    assert_eq!(report.unchanged, 7, "{report:?}");
    assert_eq!(report.indexed + report.deleted, 0);
}

#[test]
fn a_lost_fulltext_index_is_rebuilt_from_the_catalog() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let chunks = index.status().unwrap().chunks;
    let before = index
        .search("\"irrevocable copyright license\"", 5)
        .unwrap();
    drop(index);

    fs::remove_dir_all(corpus.index_dir.join("fulltext")).unwrap();
    let index = corpus.open();
    assert_eq!(
        index.last_repair(),
        Some(Repair {
            removed: 0,
            added: chunks
        })
    );
    let after = index
        .search("\"irrevocable copyright license\"", 5)
        .unwrap();
    assert_eq!(
        before.iter().map(|h| h.chunk_id).collect::<Vec<_>>(),
        after.iter().map(|h| h.chunk_id).collect::<Vec<_>>()
    );
}

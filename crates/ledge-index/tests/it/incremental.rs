//! Re-runs touch only what changed: edits, deletions, renames, time-only changes; progress and
//! cancellation; the user's files are never modified.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use ledge_index::{CancelToken, Error, IndexOptions, Progress};

use crate::corpus::{Corpus, LICENSES, fingerprint, hit_paths};

#[test]
fn a_second_run_reads_nothing_and_the_users_files_are_untouched() {
    let corpus = Corpus::new();
    let before = fingerprint(&corpus.docs);
    let mut index = corpus.open();
    let first = corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(first.files_found, 8);
    assert_eq!(first.indexed, 8, "{first:?}");
    assert!(first.chunks_added > 20, "{first:?}");

    let second = corpus.refresh(&mut index);
    assert_eq!(second.unchanged, 8, "{second:?}");
    assert_eq!(
        (
            second.indexed,
            second.touched,
            second.renamed,
            second.deleted
        ),
        (0, 0, 0, 0)
    );
    assert_eq!((second.chunks_added, second.chunks_removed), (0, 0));
    assert_eq!(second.bytes_read, 0, "unchanged files are not even opened");

    assert_eq!(
        fingerprint(&corpus.docs),
        before,
        "indexing changed the user's files (content, mtime or mode) or added files next to them"
    );
}

#[test]
fn an_edit_is_rechunked_and_a_deletion_leaves_search() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let edited = corpus.path("notes/edit-me.txt");
    let cc0 = index.search("\"Creative Commons\"", 20).unwrap();
    assert!(hit_paths(&cc0).contains(&edited));

    fs::copy(format!("{LICENSES}/BSD"), &edited).unwrap();
    fs::remove_file(corpus.path("licenses/GPL-3")).unwrap();
    let report = corpus.refresh(&mut index);
    assert_eq!((report.indexed, report.deleted), (1, 1), "{report:?}");
    assert!(report.chunks_removed > 0 && report.chunks_added > 0);

    let cc0 = index.search("\"Creative Commons\"", 20).unwrap();
    assert!(
        !hit_paths(&cc0).contains(&edited),
        "old content still found"
    );
    let bsd = index.search("\"Redistribution and use\"", 20).unwrap();
    assert!(hit_paths(&bsd).contains(&edited), "new content not found");
    let gpl = index
        .search("\"GNU General Public License\" Foundation", 50)
        .unwrap();
    assert!(!hit_paths(&gpl).contains(&corpus.path("licenses/GPL-3")));
    let status = index.status().unwrap();
    assert_eq!(status.chunks, status.fulltext_docs);
    assert!(status.consistent);
}

#[test]
fn a_time_only_change_is_not_rechunked_and_a_rename_is_not_reextracted() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let query = "\"Mozilla Public License\"";
    let before = index.search(query, 5).unwrap();
    let ids: Vec<i64> = before.iter().map(|h| h.chunk_id).collect();

    // Touch Apache-2.0: new mtime, same bytes.
    let apache = fs::File::options()
        .append(true)
        .open(corpus.path("licenses/Apache-2.0"))
        .unwrap();
    apache
        .set_modified(SystemTime::now() + Duration::from_secs(60))
        .unwrap();
    drop(apache);
    // Rename MPL-2.0.
    fs::rename(
        corpus.path("licenses/MPL-2.0"),
        corpus.path("notes/mozilla.txt"),
    )
    .unwrap();

    let report = corpus.refresh(&mut index);
    assert_eq!(
        (
            report.touched,
            report.renamed,
            report.indexed,
            report.deleted
        ),
        (1, 1, 0, 0),
        "{report:?}"
    );
    assert_eq!((report.chunks_added, report.chunks_removed), (0, 0));

    let after = index.search(query, 5).unwrap();
    assert_eq!(
        after.iter().map(|h| h.chunk_id).collect::<Vec<_>>(),
        ids,
        "the same chunks, not new ones"
    );
    assert!(
        after
            .iter()
            .all(|h| h.path == corpus.path("notes/mozilla.txt"))
    );
    let again = corpus.refresh(&mut index);
    assert_eq!(again.unchanged, 8, "{again:?}");
}

#[test]
fn progress_counts_up_and_cancellation_keeps_what_was_done() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    let cancel = CancelToken::new();
    let mut seen: Vec<Progress> = Vec::new();
    let outcome = index.add_folder(
        &corpus.docs,
        &IndexOptions::default(),
        &mut |p| {
            seen.push(p.clone());
            if p.files_done == 3 {
                cancel.cancel();
            }
        },
        &cancel,
    );
    assert!(matches!(outcome, Err(Error::Cancelled)), "{outcome:?}");
    assert!(seen.iter().all(|p| p.files_total == 8 && p.bytes_total > 0));
    assert!(seen.windows(2).all(|w| w[0].files_done <= w[1].files_done));
    assert_eq!(seen.last().unwrap().files_done, 3);

    // Cancelled work was committed: the next run only does the rest.
    let mut last = Progress::default();
    let report = index
        .refresh(&corpus.docs, &mut |p| last = p.clone(), &CancelToken::new())
        .unwrap();
    assert_eq!((report.unchanged, report.indexed), (4, 4), "{report:?}");
    assert_eq!(
        (last.files_done, last.files_total, last.current),
        (8, 8, None)
    );
    assert_eq!(last.bytes_done, last.bytes_total);
}

#[test]
fn removing_a_folder_removes_its_chunks_and_leaves_the_folder_alone() {
    let corpus = Corpus::new();
    let before = fingerprint(&corpus.docs);
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(index.folders().unwrap().len(), 1);
    index.remove_folder(&corpus.docs).unwrap();
    assert!(index.folders().unwrap().is_empty());
    assert!(index.search("license", 10).unwrap().is_empty());
    assert_eq!(index.status().unwrap().fulltext_docs, 0);
    assert_eq!(fingerprint(&corpus.docs), before);
    assert!(matches!(
        index.remove_folder(Path::new("/nowhere")),
        Err(Error::UnknownFolder { .. })
    ));
}

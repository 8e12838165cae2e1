//! Keeping fresh: the watcher's batches, `refresh_paths` on just those paths (which must leave
//! the index as a full refresh would), and pausing a run.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use ledge_index::{
    CancelToken, DEFAULT_DEBOUNCE, Index, IndexOptions, IndexReport, WatchBatch, Watcher,
};

use crate::corpus::{Corpus, LICENSES, hit_paths};

/// Collects batches until none has come for `quiet`, or `limit` passes.
fn collect(receiver: &Receiver<WatchBatch>, quiet: Duration, limit: Duration) -> BTreeSet<PathBuf> {
    let deadline = Instant::now() + limit;
    let mut paths = BTreeSet::new();
    while Instant::now() < deadline {
        match receiver.recv_timeout(quiet) {
            Ok(batch) => {
                assert!(!batch.rescan, "the watcher reported an error");
                paths.extend(batch.paths);
            }
            Err(_) if !paths.is_empty() => break,
            Err(_) => {}
        }
    }
    paths
}

fn refresh_paths(index: &mut Index, paths: &BTreeSet<PathBuf>) -> IndexReport {
    let paths: Vec<PathBuf> = paths.iter().cloned().collect();
    index
        .refresh_paths(&paths, &mut |_| {}, &CancelToken::new())
        .unwrap()
}

/// After `refresh_paths` a full refresh must find nothing left to do.
fn assert_nothing_left(corpus: &Corpus, index: &mut Index) {
    let full = corpus.refresh(index);
    assert_eq!(
        (
            full.indexed,
            full.touched,
            full.renamed,
            full.deleted,
            full.skipped.len()
        ),
        (0, 0, 0, 0, 0),
        "{full:?}"
    );
    let status = index.status().unwrap();
    assert!(status.consistent);
    assert_eq!(status.chunks, status.fulltext_docs);
}

#[test]
fn an_edit_reaches_search_through_the_watcher_and_refresh_paths() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let (watcher, batches) = Watcher::for_index(&index, DEFAULT_DEBOUNCE).unwrap();
    let edited = corpus.path("notes/edit-me.txt");
    assert!(!hit_paths(&index.search("\"Redistribution and use\"", 20).unwrap()).contains(&edited));

    let written = Instant::now();
    fs::copy(format!("{LICENSES}/BSD"), &edited).unwrap();
    let first = batches.recv_timeout(Duration::from_secs(10)).unwrap();
    let seen = written.elapsed();
    assert!(first.paths.contains(&edited), "{first:?}");
    let started = Instant::now();
    let report = index
        .refresh_paths(&first.paths, &mut |_| {}, &CancelToken::new())
        .unwrap();
    let refreshed = started.elapsed();
    eprintln!("edit seen after {seen:?}, indexed in {refreshed:?}");
    assert_eq!((report.indexed, report.deleted), (1, 0), "{report:?}");
    assert_eq!(
        report.bytes_read,
        fs::metadata(&edited).unwrap().len(),
        "only the edit was read"
    );
    assert!(hit_paths(&index.search("\"Redistribution and use\"", 20).unwrap()).contains(&edited));
    assert!(!hit_paths(&index.search("\"Creative Commons\"", 20).unwrap()).contains(&edited));
    // Nothing else changed: the index reading the file is not a change.
    let extra = batches.recv_timeout(Duration::from_millis(1500));
    assert!(extra.is_err(), "{extra:?}");
    assert_nothing_left(&corpus, &mut index);
    // Dropping the watcher closes the channel.
    drop(watcher);
    assert_eq!(
        batches.recv_timeout(Duration::from_secs(5)),
        Err(RecvTimeoutError::Disconnected)
    );
}

#[test]
fn renames_and_deletions_reported_by_the_watcher_are_applied() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let (_watcher, batches) = Watcher::for_index(&index, DEFAULT_DEBOUNCE).unwrap();
    let bsd_hits = index.search("\"Redistribution and use\"", 20).unwrap();

    let renamed = corpus.path("notes/bsd.txt");
    fs::rename(corpus.path("licenses/BSD"), &renamed).unwrap();
    fs::remove_file(corpus.path("licenses/GPL-3")).unwrap();
    // A whole folder moved in from outside, and one deleted.
    let outside = corpus.docs.parent().unwrap().join("incoming");
    fs::create_dir_all(outside.join("deep")).unwrap();
    fs::copy(
        format!("{LICENSES}/Artistic"),
        outside.join("deep/artistic.txt"),
    )
    .unwrap();
    fs::rename(&outside, corpus.path("incoming")).unwrap();
    fs::remove_dir_all(corpus.path("web")).unwrap();

    let paths = collect(&batches, Duration::from_secs(2), Duration::from_secs(15));
    let report = refresh_paths(&mut index, &paths);
    assert_eq!(
        (report.renamed, report.deleted, report.indexed),
        (1, 3, 1),
        "{report:?} from {paths:?}"
    );
    let hits = index.search("\"Redistribution and use\"", 20).unwrap();
    assert_eq!(
        hits.iter().map(|h| h.chunk_id).collect::<Vec<_>>(),
        bsd_hits.iter().map(|h| h.chunk_id).collect::<Vec<_>>(),
        "a rename keeps the chunks"
    );
    assert!(hits.iter().all(|h| h.path == renamed));
    assert!(
        hit_paths(&index.search("\"Artistic License\"", 5).unwrap())
            .contains(&corpus.path("incoming/deep/artistic.txt"))
    );
    assert!(index.search("closure", 5).unwrap().is_empty());
    assert_nothing_left(&corpus, &mut index);
}

#[test]
fn refresh_paths_keeps_the_rules_of_a_full_walk() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    let options = IndexOptions {
        exclude: vec!["drafts/**".to_owned()],
        ..IndexOptions::default()
    };
    corpus.add(&mut index, &options);
    fs::write(corpus.path(".gitignore"), "*.log\nbuild/\n").unwrap();
    let mut new_paths = Vec::new();
    for (relative, wanted) in [
        ("drafts/plan.txt", false),   // excluded by the user
        (".hidden/notes.txt", false), // hidden
        ("app/debug.log", false),     // ignored by a .gitignore two levels up
        ("build/out.txt", false),     // an ignored folder
        (".ssh/config", false),       // the deny-list
        ("app/readme.txt", true),
    ] {
        let path = corpus.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, format!("zanzibar quokka {relative}\n")).unwrap();
        new_paths.push((path, wanted));
    }
    let paths: Vec<PathBuf> = new_paths.iter().map(|(p, _)| p.clone()).collect();
    let report = index
        .refresh_paths(&paths, &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert_eq!(report.indexed, 1, "{report:?}");
    let found = hit_paths(&index.search("zanzibar quokka", 10).unwrap());
    let wanted: Vec<PathBuf> = new_paths
        .iter()
        .filter(|(_, w)| *w)
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(found, wanted);
    // Paths outside every folder, and a folder given whole, are fine.
    let report = index
        .refresh_paths(
            &[PathBuf::from(LICENSES).join("BSD"), corpus.path("app")],
            &mut |_| {},
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!((report.indexed, report.unchanged), (0, 1), "{report:?}");
    // The .gitignore itself is a new text file, which refresh_paths was not told about.
    index
        .refresh_paths(
            &[corpus.path(".gitignore")],
            &mut |_| {},
            &CancelToken::new(),
        )
        .unwrap();
    assert_nothing_left(&corpus, &mut index);
}

#[test]
fn a_paused_scan_waits_without_a_write_transaction_and_resumes_to_the_same_end() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    let token = CancelToken::new();
    let done = Arc::new(AtomicU64::new(0));
    let handle = {
        let (token, done, docs) = (token.clone(), done.clone(), corpus.docs.clone());
        std::thread::spawn(move || {
            let report = index
                .add_folder(
                    &docs,
                    &IndexOptions::default(),
                    &mut |p| {
                        done.store(p.files_done, Ordering::SeqCst);
                        if p.files_done == 3 && p.current.is_some() {
                            token.pause();
                        }
                    },
                    &token,
                )
                .unwrap();
            (index, report)
        })
    };
    // Wait until the scan has stopped at its pause.
    let deadline = Instant::now() + Duration::from_secs(20);
    while done.load(Ordering::SeqCst) < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(token.is_paused());
    assert!(!handle.is_finished());
    assert_eq!(done.load(Ordering::SeqCst), 3, "no progress while paused");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(done.load(Ordering::SeqCst), 3, "no progress while paused");

    // The work before the pause is committed and another writer is not blocked.
    let conn = rusqlite::Connection::open(corpus.index_dir.join("catalog.sqlite3")).unwrap();
    let files: i64 = conn
        .query_row("SELECT COUNT(*) FROM files", [], |row| row.get(0))
        .unwrap();
    assert_eq!(
        files, 4,
        "the files looked at before the pause are committed"
    );
    conn.execute_batch("BEGIN IMMEDIATE; COMMIT;").unwrap();
    drop(conn);

    token.resume();
    let (index, report) = handle.join().unwrap();
    assert_eq!(report.indexed, 8, "{report:?}");

    // The same end as an uninterrupted run over the same documents.
    let other = Corpus::new();
    let mut reference = other.open();
    other.add(&mut reference, &IndexOptions::default());
    let counts = |index: &Index| {
        let status = index.status().unwrap();
        (
            status.chunks,
            status.fulltext_docs,
            status.folders[0].files_indexed,
        )
    };
    assert_eq!(counts(&index), counts(&reference));
    for relative in [
        "licenses/GPL-3",
        "guides/node-console.md",
        "web/libffi-introduction.html",
    ] {
        assert_eq!(
            corpus.chunks_of(relative),
            other.chunks_of(relative),
            "{relative}"
        );
    }
}

#[test]
fn an_index_inside_a_watched_folder_does_not_report_its_own_writes() {
    let corpus = Corpus::new();
    let data = corpus.docs.join("ledge-data");
    let mut index = Index::open(&data).unwrap();
    corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(index.status().unwrap().folders[0].files_indexed, 8);
    let (_watcher, batches) = Watcher::for_index(&index, Duration::from_millis(200)).unwrap();

    let edited = corpus.path("notes/edit-me.txt");
    fs::copy(format!("{LICENSES}/BSD"), &edited).unwrap();
    let paths = collect(&batches, Duration::from_secs(1), Duration::from_secs(10));
    assert_eq!(paths, BTreeSet::from([edited.clone()]));
    let report = refresh_paths(&mut index, &paths);
    assert_eq!(report.indexed, 1, "{report:?}");
    // The refresh wrote the catalog and the full-text index under docs/ledge-data: not
    // reported, so refreshing cannot feed itself.
    let extra = batches.recv_timeout(Duration::from_millis(1500));
    assert!(extra.is_err(), "{extra:?}");
    // And the index's own files are never indexed, through refresh_paths either.
    let own = refresh_paths(&mut index, &BTreeSet::from([data.join("catalog.sqlite3")]));
    assert_eq!(
        (own.indexed, own.skipped.len(), own.files_found),
        (0, 0, 0),
        "{own:?}"
    );
    assert_eq!(index.status().unwrap().folders[0].files_indexed, 8);
}

#[test]
fn a_file_moved_between_two_indexed_folders_leaves_one_and_joins_the_other() {
    let temp = tempfile::tempdir().unwrap();
    let (a, b) = (temp.path().join("a"), temp.path().join("b"));
    fs::create_dir_all(&a).unwrap();
    fs::create_dir_all(&b).unwrap();
    let (a, b) = (a.canonicalize().unwrap(), b.canonicalize().unwrap());
    fs::write(a.join("stays.txt"), "a file that stays in folder a\n").unwrap();
    fs::write(b.join("other.txt"), "a file that stays in folder b\n").unwrap();
    fs::copy(format!("{LICENSES}/BSD"), a.join("bsd.txt")).unwrap();
    let mut index = Index::open(&temp.path().join("index")).unwrap();
    for folder in [&a, &b] {
        index
            .add_folder(
                folder,
                &IndexOptions::default(),
                &mut |_| {},
                &CancelToken::new(),
            )
            .unwrap();
    }
    let (_watcher, batches) = Watcher::for_index(&index, DEFAULT_DEBOUNCE).unwrap();
    let moved = b.join("bsd-moved.txt");
    fs::rename(a.join("bsd.txt"), &moved).unwrap();

    let paths = collect(&batches, Duration::from_secs(2), Duration::from_secs(15));
    assert!(
        paths.contains(&a.join("bsd.txt")) && paths.contains(&moved),
        "{paths:?}"
    );
    let report = refresh_paths(&mut index, &paths);
    // Rename detection works within one folder; across folders it is a deletion in one and a
    // new file in the other.
    assert_eq!((report.deleted, report.indexed), (1, 1), "{report:?}");
    let hits = index.search("\"Redistribution and use\"", 20).unwrap();
    assert!(!hits.is_empty());
    assert!(
        hits.iter().all(|h| h.path == moved),
        "{:?}",
        hit_paths(&hits)
    );
    let counts: Vec<(PathBuf, u64)> = index
        .folders()
        .unwrap()
        .into_iter()
        .map(|f| (f.path, f.files_indexed))
        .collect();
    assert!(
        counts.contains(&(a.clone(), 1)) && counts.contains(&(b.clone(), 2)),
        "{counts:?}"
    );
    assert!(index.file_chunks(&a.join("bsd.txt")).unwrap().is_empty());
    assert!(!index.file_chunks(&moved).unwrap().is_empty());
    // A full refresh of both folders finds nothing left to do.
    for folder in [&a, &b] {
        let full = index
            .refresh(folder, &mut |_| {}, &CancelToken::new())
            .unwrap();
        assert_eq!(
            (full.indexed, full.renamed, full.deleted),
            (0, 0, 0),
            "{full:?}"
        );
    }
    let status = index.status().unwrap();
    assert!(status.consistent);
    assert_eq!(status.chunks, status.fulltext_docs);
}

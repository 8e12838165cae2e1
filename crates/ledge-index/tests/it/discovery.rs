//! What is read and what is never read: secrets, ignore files, hidden files, binaries,
//! unreadable folders, link loops.

use std::fs;
use std::path::{Path, PathBuf};

use ledge_index::{CancelToken, IndexOptions, SkipReason};

use crate::corpus::{Corpus, LICENSES, copy, hit_paths};

/// Puts a real licence text, made findable by a marker word, at `relative`.
fn plant(corpus: &Corpus, relative: &str, marker: &str) {
    let path = corpus.path(relative);
    copy(Path::new(&format!("{LICENSES}/BSD")), &path);
    let mut text = fs::read_to_string(&path).unwrap();
    text.push_str(&format!("\n{marker}\n"));
    fs::write(&path, text).unwrap();
}

#[test]
fn secrets_are_never_indexed_even_with_hidden_files_on() {
    let corpus = Corpus::new();
    for secret in [
        ".ssh/id_rsa",
        ".ssh/config",
        "project/.env",
        "project/.env.local",
        "project/tls/server.pem",
        "keys/id_ed25519",
        ".config/gcloud/credentials.db",
        ".password-store/mail.gpg",
        "vault/Personal.kdbx",
    ] {
        plant(&corpus, secret, "zyzzogeton");
    }
    plant(&corpus, ".notes/hidden.md", "quokkaish");
    let mut index = corpus.open();
    let options = IndexOptions {
        include_hidden: true,
        ..IndexOptions::default()
    };
    let report = corpus.add(&mut index, &options);

    assert!(report.denied >= 8, "{report:?}");
    assert!(index.search("zyzzogeton", 10).unwrap().is_empty());
    let files = corpus.catalog_files();
    for path in files.keys() {
        assert!(
            !ledge_index::is_denied(Path::new(path)),
            "a secret reached the catalog: {path}"
        );
    }
    // Hidden, but not a secret: indexed because the options ask for hidden files.
    assert_eq!(index.search("quokkaish", 10).unwrap().len(), 1);
}

#[test]
fn a_documentation_generators_copies_are_left_out_and_only_in_its_output() {
    let corpus = Corpus::empty();
    // A Sphinx build (its inventory and theme folder mark it) and a Doxygen one.
    plant(&corpus, "python/library/tty.html", "pademelon");
    plant(&corpus, "python/_sources/library/tty.rst.txt", "pademelon");
    plant(&corpus, "python/searchindex.js", "pademelon");
    fs::write(
        corpus.path("python/objects.inv"),
        b"# Sphinx inventory version 2\n",
    )
    .unwrap();
    fs::create_dir_all(corpus.path("python/_static")).unwrap();
    plant(&corpus, "api/classes.html", "potoroo");
    plant(&corpus, "api/search/all_0.js", "potoroo");
    fs::write(corpus.path("api/doxygen.css"), "body { }\n").unwrap();
    // The same names in a person's own folders are theirs, and indexed.
    plant(&corpus, "notes/_sources/draft.txt", "quoll");
    plant(&corpus, "notes/searchindex.js", "quoll");
    plant(&corpus, "notes/search/ideas.md", "quoll");
    let mut index = corpus.open();
    let report = corpus.add(&mut index, &IndexOptions::default());

    assert_eq!(report.generated, 3, "{report:?}");
    let found = |index: &ledge_index::Index, word: &str| -> Vec<PathBuf> {
        hit_paths(&index.search(word, 10).unwrap())
    };
    assert_eq!(
        found(&index, "pademelon"),
        [corpus.path("python/library/tty.html")]
    );
    assert_eq!(found(&index, "potoroo"), [corpus.path("api/classes.html")]);
    assert_eq!(found(&index, "quoll").len(), 3);

    // A watcher's report of one copy changing does not bring it in either.
    fs::write(
        corpus.path("python/_sources/library/tty.rst.txt"),
        "pademelon again\n",
    )
    .unwrap();
    let report = index
        .refresh_paths(
            &[corpus.path("python/_sources/library/tty.rst.txt")],
            &mut |_| {},
            &CancelToken::new(),
        )
        .unwrap();
    assert_eq!(report.generated, 1, "{report:?}");
    assert_eq!(
        found(&index, "pademelon"),
        [corpus.path("python/library/tty.html")]
    );
}

#[test]
fn hidden_files_gitignore_and_user_excludes_are_honoured() {
    let corpus = Corpus::new();
    plant(&corpus, ".notes/hidden.md", "quokkaish");
    plant(&corpus, "project/build/output.txt", "wombatine");
    plant(&corpus, "project/debug.log", "wombatine");
    plant(&corpus, "project/.ignore-me/x.txt", "wombatine");
    plant(&corpus, "project/src/kept.rs", "numbatory");
    plant(&corpus, "drafts/unfinished.md", "bilbyesque");
    fs::write(corpus.path("project/.gitignore"), "build/\n*.log\n").unwrap();
    let mut index = corpus.open();
    let options = IndexOptions {
        exclude: vec!["drafts".into()],
        ..IndexOptions::default()
    };
    corpus.add(&mut index, &options);

    assert!(index.search("quokkaish", 10).unwrap().is_empty(), "hidden");
    assert!(index.search("wombatine", 10).unwrap().is_empty(), "ignored");
    assert!(
        index.search("bilbyesque", 10).unwrap().is_empty(),
        "excluded"
    );
    let kept = index.search("numbatory", 10).unwrap();
    assert_eq!(hit_paths(&kept), vec![corpus.path("project/src/kept.rs")]);
    // The exclude list is kept with the folder: a refresh applies it again.
    corpus.refresh(&mut index);
    assert!(index.search("bilbyesque", 10).unwrap().is_empty());
}

#[test]
fn binary_empty_oversized_and_unsupported_files_are_skipped_with_a_reason() {
    let corpus = Corpus::new();
    // The head of a real executable (this test's own): an ELF header, NUL bytes and code.
    let exe = fs::read(std::env::current_exe().unwrap()).unwrap();
    fs::create_dir_all(corpus.path("bin")).unwrap();
    fs::write(corpus.path("bin/tool"), &exe[..16 * 1024]).unwrap();
    fs::write(corpus.path("notes/empty.txt"), "").unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../icons/ledge.svg"),
        &corpus.path("pictures/ledge.svg"),
    );
    let mut index = corpus.open();
    let options = IndexOptions {
        max_file_bytes: 30_000, // GPL-3 (35 kB) is over, the others under
        ..IndexOptions::default()
    };
    let report = corpus.add(&mut index, &options);

    let reason = |relative: &str| {
        report
            .skipped
            .iter()
            .find(|s| s.path == corpus.path(relative))
            .map(|s| s.reason.clone())
    };
    assert_eq!(reason("bin/tool"), Some(SkipReason::Binary));
    assert_eq!(reason("notes/empty.txt"), Some(SkipReason::Empty));
    assert!(matches!(
        reason("licenses/GPL-3"),
        Some(SkipReason::TooLarge { limit: 30_000, .. })
    ));
    assert_eq!(
        reason("pictures/ledge.svg"),
        Some(SkipReason::Unsupported {
            extension: "svg".into()
        })
    );
    assert_eq!(report.skipped.len(), 4, "{:?}", report.skipped);
    assert!(report.failed.is_empty());
    // Recorded in the catalog with the reason, and reported by folder_problems.
    let files = corpus.catalog_files();
    let key = corpus.path("bin/tool").to_str().unwrap().to_owned();
    assert_eq!(files[&key], ("skipped".into(), Some("binary".into())));
    let (_, skipped) = index.folder_problems(&corpus.docs).unwrap();
    assert_eq!(skipped.len(), 4);
    // The rest is indexed.
    assert!(!index.search("Apache", 5).unwrap().is_empty());

    // Raising the cap looks at the skipped files again, though they did not change: the one
    // over the old cap is indexed; the binary and the empty file hash the same as before, so
    // they are only touched and keep their recorded reasons.
    let report = corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(
        (report.indexed, report.touched, report.skipped.len()),
        (1, 2, 1),
        "{report:?}"
    );
    let (_, skipped) = index.folder_problems(&corpus.docs).unwrap();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(
        !index
            .search("\"GNU General Public License\"", 5)
            .unwrap()
            .is_empty()
    );
}

#[cfg(unix)]
#[test]
fn an_unreadable_folder_is_reported_and_the_rest_indexed() {
    use std::os::unix::fs::PermissionsExt;
    let corpus = Corpus::new();
    plant(&corpus, "locked/inside.txt", "pangolinish");
    let locked = corpus.path("locked");
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = fs::read_dir(&locked).is_ok();

    let mut index = corpus.open();
    let report = corpus.add(&mut index, &IndexOptions::default());
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();

    assert!(!index.search("Apache", 5).unwrap().is_empty());
    if privileged {
        println!(
            "running with privileges that ignore permissions (root): the mode-000 folder was \
             readable, so it must simply have been indexed"
        );
        assert_eq!(index.search("pangolinish", 5).unwrap().len(), 1);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
    } else {
        assert!(index.search("pangolinish", 5).unwrap().is_empty());
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.path == locked && p.message.contains("ermission")),
            "{:?}",
            report.problems
        );
        let (problems, _) = index.folder_problems(&corpus.docs).unwrap();
        assert_eq!(problems.len(), 1);
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_survived_and_reported() {
    let corpus = Corpus::new();
    std::os::unix::fs::symlink(&corpus.docs, corpus.path("guides/loop")).unwrap();
    std::os::unix::fs::symlink(
        corpus.path("licenses/BSD"),
        corpus.path("notes/bsd-link.txt"),
    )
    .unwrap();
    let mut index = corpus.open();

    // Not following links (the default): the loop is never entered, the link never read.
    let report = corpus.add(&mut index, &IndexOptions::default());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(
        !hit_paths(&index.search("\"Redistribution and use\"", 10).unwrap())
            .contains(&corpus.path("notes/bsd-link.txt"))
    );

    // Following links: the loop is reported, the linked file indexed under the link's path.
    let options = IndexOptions {
        follow_links: true,
        ..IndexOptions::default()
    };
    let report = index
        .add_folder(&corpus.docs, &options, &mut |_| {}, &CancelToken::new())
        .unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.path == corpus.path("guides/loop") && p.message.contains("loop")),
        "{:?}",
        report.problems
    );
    assert!(
        hit_paths(&index.search("\"Redistribution and use\"", 10).unwrap())
            .contains(&corpus.path("notes/bsd-link.txt"))
    );
}

#[test]
fn overlapping_and_missing_folders_are_refused() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let inner = index.add_folder(
        &corpus.path("licenses"),
        &IndexOptions::default(),
        &mut |_| {},
        &CancelToken::new(),
    );
    assert!(
        matches!(inner, Err(ledge_index::Error::FolderOverlaps { .. })),
        "{inner:?}"
    );
    let missing = index.add_folder(
        &corpus.path("nowhere"),
        &IndexOptions::default(),
        &mut |_| {},
        &CancelToken::new(),
    );
    assert!(matches!(
        missing,
        Err(ledge_index::Error::NotAFolder { .. })
    ));
}

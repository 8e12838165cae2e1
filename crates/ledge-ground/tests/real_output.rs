//! The support check on sentences a real model wrote (Qwen2.5-Coder-0.5B-Instruct through
//! Ledge's runtime, 2026-12-06, greedy) from passages of Debian's licence texts, which every
//! Debian system has, and from Python's gzip manual: the verdicts a person would give.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use ledge_ground::{Evidence, SourcePassage, Support};

/// Lines `from..=to` (1-based) of a licence text in tests/data/common-licenses (Debian's, copied).
fn lines(licence: &str, from: usize, to: usize) -> String {
    let text = std::fs::read_to_string(
        Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/data/common-licenses"
        ))
        .join(licence),
    )
    .expect("Debian's licence texts (base-files)");
    text.lines()
        .skip(from - 1)
        .take(to + 1 - from)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The two sources the model was given: the Apache-2.0 patent grant and the MPL-2.0's
/// termination on patent litigation.
fn sources() -> Evidence {
    Evidence::new(vec![
        SourcePassage {
            n: 1,
            text: lines("Apache-2.0", 74, 88),
            heading: "Apache 2.0".to_owned(),
            first_line: 74,
            page: None,
        },
        SourcePassage {
            n: 2,
            text: lines("MPL-2.0", 249, 259),
            heading: "MPL 2.0".to_owned(),
            first_line: 249,
            page: None,
        },
    ])
}

#[test]
fn a_faithful_answer_from_a_real_model_is_supported_by_the_apache_passage() {
    let evidence = sources();
    let checked = evidence.check_sentence(
        "According to Apache-2.0.txt, patent licenses terminate as of the date such litigation is filed.",
    );
    assert_eq!(checked.support, Support::Supported, "{checked:?}");
    assert_eq!(checked.evidence_source, Some(1), "{checked:?}");
    assert_eq!(
        checked.matched,
        Some(1),
        "uncited, so Ledge cites it: {checked:?}"
    );
}

#[test]
fn invented_answers_from_real_models_are_unsupported() {
    let evidence = sources();
    // Qwen2.5-Coder-0.5B given the Apache passage alone and no system prompt.
    let invented =
        evidence.check_sentence("Patent licenses terminate when a patent application is filed.");
    assert_eq!(invented.support, Support::Unsupported, "{invented:?}");
    assert!(invented.reason.is_some());

    // The same model's sentence on the gzip module's default level (bench question py-023),
    // checked against the line of Python 3.11's gzip manual that gives it (9).
    let number = Evidence::new(vec![SourcePassage {
        n: 1,
        text: "gzip.compress(data, compresslevel=9, *, mtime=None)\nCompress the data, returning \
               a bytes object containing the compressed data. compresslevel and mtime have the \
               same meaning as in the GzipFile constructor above."
            .to_owned(),
        heading: "gzip".to_owned(),
        first_line: 138,
        page: None,
    }])
    .check_sentence(
        "The gzip module uses a new command line interface with a usage that by default, when \
         you will execute the CLI, the default compression level is 6.",
    );
    assert_eq!(number.support, Support::Unsupported, "{number:?}");
    assert!(
        number.reason.as_deref().unwrap().contains('6'),
        "{number:?}"
    );
}

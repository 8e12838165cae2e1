//! Search: phrases, stemming, headings, and hits that point exactly into their files.

use ledge_index::IndexOptions;

use crate::corpus::{Corpus, LICENSES, assert_hit_points_into_its_file, copy, words};

#[test]
fn a_phrase_is_found_with_line_ranges_that_hold_it() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let hits = index
        .search("\"irrevocable copyright license\"", 10)
        .unwrap();
    assert!(!hits.is_empty());
    for hit in &hits {
        assert_eq!(hit.path, corpus.path("licenses/Apache-2.0"));
        let text = assert_hit_points_into_its_file(hit);
        assert!(
            words(&text).contains("irrevocable copyright license"),
            "lines {}-{} do not hold the phrase:\n{text}",
            hit.line_start,
            hit.line_end
        );
        assert!(words(&hit.snippet).contains("irrevocable copyright license"));
        assert!(!hit.highlights.is_empty());
        for range in &hit.highlights {
            assert!(hit.snippet.get(range.clone()).is_some());
        }
    }
    // The words without quotes match far more chunks, across licences.
    let loose = index.search("irrevocable copyright license", 50).unwrap();
    assert!(loose.len() > hits.len());
    assert!(loose.windows(2).all(|w| w[0].score >= w[1].score));
}

#[test]
fn stemming_finds_other_forms_of_a_word() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let hits = index.search("licensing", 50).unwrap();
    let texts: Vec<String> = hits.iter().map(assert_hit_points_into_its_file).collect();
    assert!(
        texts.iter().any(|t| {
            let t = t.to_lowercase();
            !t.contains("licensing") && (t.contains("licensed") || t.contains("licenses"))
        }),
        "no hit found through the stem alone"
    );
    let hits = index.search("redistributions", 10).unwrap();
    assert!(hits.iter().any(|h| h.path == corpus.path("licenses/BSD")));
}

#[test]
fn markdown_and_html_hits_carry_their_heading_path() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let hits = index.search("\"tabular data\"", 5).unwrap();
    let hit = hits
        .iter()
        .find(|h| h.path == corpus.path("guides/node-console.md"))
        .expect("console.table found");
    assert!(
        hit.heading
            .starts_with("Console > Class: `Console` > `console.table"),
        "{}",
        hit.heading
    );
    let text = assert_hit_points_into_its_file(hit);
    assert!(words(&text).contains("tabular data"));

    let hits = index.search("binding fputs stdout", 5).unwrap();
    let hit = hits
        .iter()
        .find(|h| h.path == corpus.path("web/libffi-closure-example.html"))
        .expect("HTML page found");
    assert!(hit.heading.contains("Closure Example"), "{}", hit.heading);
    // Tags are gone and entities decoded (`#include <stdio.h>` is the page's own text).
    assert!(!hit.snippet.contains("<p>") && !hit.snippet.contains("&lt;"));
    assert!(
        hit.snippet.contains("#include <stdio.h>"),
        "{}",
        hit.snippet
    );
}

#[test]
fn odd_queries_do_not_fail() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    for query in [
        "",
        "   ",
        "\"unclosed",
        "title:",
        "a AND",
        "((",
        "license -apache",
    ] {
        index.search(query, 5).unwrap();
    }
    assert!(index.search("license", 0).unwrap().is_empty());
    assert_eq!(index.search("license", 3).unwrap().len(), 3);
}

#[test]
fn naming_a_document_ranks_it_above_passing_mentions() {
    let corpus = Corpus::new();
    // A short note that names Apache (and a licence) in passing.
    std::fs::write(
        corpus.docs.join("notes/servers.md"),
        "# Servers\n\nThe Apache web server on the build machine writes its logs to \
         /var/log; its license file sits beside it.\n",
    )
    .unwrap();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let question = "What does the Apache license say about patent claims?";
    let hits = index.search(question, 50).unwrap();
    assert_eq!(
        hits[0].path,
        corpus.path("licenses/Apache-2.0"),
        "{hits:#?}"
    );
    // Section 3 (the patent grant) never says "Apache": the file's name brings it up.
    let first = index.chunks(&[hits[0].chunk_id]).unwrap();
    assert!(
        first[0].text.contains("Grant of Patent License"),
        "{first:#?}"
    );
    assert!(!first[0].text.contains("Apache"));
    let note = hits
        .iter()
        .position(|h| h.path == corpus.path("notes/servers.md"));
    assert!(note.is_some_and(|rank| rank > 0), "{hits:#?}");
}

#[test]
fn a_plain_text_documents_first_line_is_its_title_and_names_it() {
    // Every licence text Debian ships: MPL-1.1 and MPL-2.0 also say when patent rights
    // granted to you terminate, in more of the question's words than Apache does.
    let corpus = Corpus::empty();
    for entry in std::fs::read_dir(LICENSES).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            copy(&path, &corpus.docs.join(path.file_name().unwrap()));
        }
    }
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let conn = rusqlite::Connection::open(corpus.index_dir.join("catalog.sqlite3")).unwrap();
    let title = |name: &str| -> Option<String> {
        conn.query_row(
            "SELECT title FROM files WHERE path = ?1",
            [corpus.path(name).to_str().unwrap()],
            |row| row.get(0),
        )
        .unwrap()
    };
    assert_eq!(title("Apache-2.0").as_deref(), Some("Apache License"));
    assert_eq!(
        title("GPL-3").as_deref(),
        Some("GNU GENERAL PUBLIC LICENSE")
    );
    assert_eq!(title("BSD"), None, "it opens with a copyright line");

    // `make run`'s question: Apache's section 3 first, above MPL's termination clauses.
    let question = "Under the Apache License, when do the patent licenses granted to me terminate?";
    let hits = index.search(question, 5).unwrap();
    assert_eq!(hits[0].path, corpus.path("Apache-2.0"), "{hits:#?}");
    let first = index.chunks(&[hits[0].chunk_id]).unwrap();
    assert!(
        words(&first[0].text).contains("shall terminate as of the date such litigation is filed"),
        "{first:#?}"
    );
}

#[test]
fn query_words_near_each_other_rank_a_passage_above_the_same_words_apart() {
    let corpus = Corpus::empty();
    // The same words, as many times, in notes of the same length: only their order differs.
    std::fs::write(
        corpus.docs.join("near.md"),
        "Call subprocess.run with a timeout. Errors appear on the console, then the program \
         stops and cleans its folder.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.docs.join("apart.md"),
        "Call subprocess errors. A timeout stops the program, then cleans the console and \
         appear run on its folder.\n",
    )
    .unwrap();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let hits = index
        .search("What does subprocess.run do on a timeout?", 5)
        .unwrap();
    assert_eq!(hits.len(), 2, "{hits:#?}");
    assert_eq!(hits[0].path, corpus.path("near.md"), "{hits:#?}");
    assert!(hits[0].score > hits[1].score + 1.0, "{hits:#?}");
    // Each word alone scores them alike: nothing near to reward.
    let alone = index.search("subprocess", 5).unwrap();
    assert!((alone[0].score - alone[1].score).abs() < 0.01, "{alone:#?}");
}

#[test]
fn question_words_do_not_change_the_ranking() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let ids = |query: &str| -> Vec<i64> {
        let hits = index.search(query, 20).unwrap();
        hits.iter().map(|h| h.chunk_id).collect()
    };
    let bare = ids("grant patent license");
    assert!(!bare.is_empty());
    assert_eq!(ids("How do I grant a patent license?"), bare);
    assert_eq!(
        ids("Which is what you should do to grant the patent license"),
        bare
    );
    // Only question words: nothing to look for, rather than every chunk that says "how".
    let only = index.search("how do I what which", 5).unwrap();
    assert!(only.is_empty(), "{only:#?}");
}

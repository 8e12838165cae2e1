//! Chunks read back by id and by file, search restricted to files, and one file read without
//! an index ("Ask about this file").

use std::fs;
use std::path::PathBuf;

use ledge_index::{ChunkConfig, Error, IndexOptions, Kind, SkipReason, Span, read_document};

use crate::corpus::{Corpus, LICENSES, assert_hit_points_into_its_file, copy, data};
use crate::pdf::{encrypted_copy, manual};

#[test]
fn chunks_come_back_by_id_in_the_order_asked_and_unknown_ids_are_dropped() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let hits = index.search("license warranty", 6).unwrap();
    assert_eq!(hits.len(), 6);

    let mut ids: Vec<i64> = hits.iter().rev().map(|h| h.chunk_id).collect();
    ids.insert(2, 987_654_321);
    let records = index.chunks(&ids).unwrap();
    assert_eq!(
        records.iter().map(|r| r.chunk_id).collect::<Vec<_>>(),
        hits.iter().rev().map(|h| h.chunk_id).collect::<Vec<_>>()
    );
    for record in &records {
        let hit = hits.iter().find(|h| h.chunk_id == record.chunk_id).unwrap();
        assert_eq!(
            (
                &record.path,
                record.line_start,
                record.line_end,
                &record.heading
            ),
            (&hit.path, hit.line_start, hit.line_end, &hit.heading)
        );
        // The stored text is exactly the file's bytes in the chunk's range.
        assert_eq!(record.text, assert_hit_points_into_its_file(hit));
    }
    assert!(index.chunks(&[]).unwrap().is_empty());
}

#[test]
fn a_files_chunks_cover_it_in_order_under_any_spelling_of_its_path() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let path = corpus.path("licenses/Apache-2.0");
    let chunks = index.file_chunks(&path).unwrap();
    assert!(chunks.len() > 5, "{}", chunks.len());
    assert!(chunks.iter().all(|c| c.path == path));
    assert!(
        chunks
            .windows(2)
            .all(|w| w[0].byte_end <= w[1].byte_start && w[0].line_end < w[1].line_start)
    );
    // Between chunks there is only blank space: together they hold every word of the file.
    let file = fs::read_to_string(&path).unwrap();
    let joined: String = chunks
        .iter()
        .map(|c| c.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    assert_eq!(
        joined.split_whitespace().collect::<Vec<_>>(),
        file.split_whitespace().collect::<Vec<_>>()
    );

    let roundabout = corpus.docs.join("licenses/../licenses/./Apache-2.0");
    let again = index.file_chunks(&roundabout).unwrap();
    assert_eq!(
        again.iter().map(|c| c.chunk_id).collect::<Vec<_>>(),
        chunks.iter().map(|c| c.chunk_id).collect::<Vec<_>>()
    );
    assert!(
        index
            .file_chunks(&corpus.path("licenses/nope"))
            .unwrap()
            .is_empty()
    );
    assert!(
        index
            .file_chunks(&PathBuf::from(LICENSES).join("GPL-3"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn search_in_keeps_to_the_files_given_with_the_scores_of_the_plain_search() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let bsd = corpus.path("licenses/BSD");
    let mpl = corpus.path("licenses/MPL-2.0");

    // The plain search for "copyright" ranks other licences first; restricted, BSD's and
    // MPL's chunks come back even though they are not in the global top 2.
    let everything = index.search("copyright", 1000).unwrap();
    let top2 = index.search("copyright", 2).unwrap();
    assert!(top2.iter().all(|h| h.path != bsd), "{top2:?}");
    let restricted = index
        .search_in("copyright", &[bsd.clone(), mpl.clone()], 50)
        .unwrap();
    assert!(restricted.iter().any(|h| h.path == bsd));
    assert!(restricted.iter().any(|h| h.path == mpl));
    assert!(restricted.iter().all(|h| h.path == bsd || h.path == mpl));
    let expected: Vec<_> = everything
        .iter()
        .filter(|h| h.path == bsd || h.path == mpl)
        .collect();
    assert_eq!(restricted.len(), expected.len());
    for (got, want) in restricted.iter().zip(&expected) {
        assert_eq!(got.chunk_id, want.chunk_id);
        assert!((got.score - want.score).abs() < 1e-4, "{got:?} vs {want:?}");
        assert_eq!(got.snippet, want.snippet);
    }

    // Paths in another spelling work; files outside the index give nothing.
    let spelled = corpus.docs.join("licenses/./BSD");
    let only_bsd = index.search_in("copyright", &[spelled], 50).unwrap();
    assert!(!only_bsd.is_empty() && only_bsd.iter().all(|h| h.path == bsd));
    let outside = PathBuf::from(LICENSES).join("BSD");
    assert!(
        index
            .search_in("copyright", std::slice::from_ref(&outside), 50)
            .unwrap()
            .is_empty()
    );
    assert!(index.search_in("copyright", &[], 50).unwrap().is_empty());
    assert_eq!(
        index
            .search_in("copyright", &[outside, bsd.clone()], 50)
            .unwrap()
            .len(),
        only_bsd.len()
    );
    // A word BSD lacks finds nothing in it, though other files have it.
    assert!(!index.search("\"Source Code Form\"", 5).unwrap().is_empty());
    assert!(
        index
            .search_in("\"Source Code Form\"", &[bsd], 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn a_file_outside_the_index_is_read_and_chunked_as_a_scan_would() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());

    let document = read_document(&data("node-console.md"), &ChunkConfig::default()).unwrap();
    assert_eq!(document.kind, Kind::Markdown);
    assert_eq!(
        document.text_bytes,
        fs::metadata(data("node-console.md")).unwrap().len()
    );
    let ours: Vec<(Option<u32>, String, String)> = document
        .chunks
        .iter()
        .map(|c| (c.page, c.heading.clone(), document.chunk_text(c).to_owned()))
        .collect();
    assert_eq!(ours, corpus.chunks_of("guides/node-console.md"));

    let Some(lppl) = manual("base/lppl.pdf") else {
        return;
    };
    let pdf = read_document(&lppl, &ChunkConfig::default()).unwrap();
    assert_eq!(pdf.kind, Kind::Pdf);
    assert!(pdf.chunks.iter().all(|c| c.page.is_some()));
    assert!(
        pdf.chunks
            .iter()
            .any(|c| pdf.chunk_text(c).contains("LaTeX Project Public License"))
    );
}

#[test]
fn a_file_a_scan_would_skip_is_a_typed_error() {
    let corpus = Corpus::empty();
    let config = ChunkConfig::default();
    let skipped = |path: &std::path::Path| match read_document(path, &config) {
        Err(Error::Skipped { reason, .. }) => reason,
        other => panic!("{}: {other:?}", path.display()),
    };

    let binary = corpus.path("blob");
    fs::write(&binary, b"abc\0def\0").unwrap();
    assert_eq!(skipped(&binary), SkipReason::Binary);

    let image = corpus.path("photo.png");
    fs::write(&image, b"not really").unwrap();
    assert!(matches!(skipped(&image), SkipReason::Unsupported { extension } if extension == "png"));

    let huge = corpus.path("huge.txt");
    fs::File::create(&huge).unwrap().set_len(40 << 20).unwrap();
    assert!(matches!(skipped(&huge), SkipReason::TooLarge { size, .. } if size == 40 << 20));

    let locked = corpus.path("locked.pdf");
    let Some(xr) = manual("tools/xr.pdf") else {
        return;
    };
    encrypted_copy(&xr, &locked, "secret");
    assert_eq!(skipped(&locked), SkipReason::Encrypted);

    let key = corpus.path(".ssh/id_ed25519");
    fs::create_dir_all(key.parent().unwrap()).unwrap();
    fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\n").unwrap();
    assert!(matches!(
        read_document(&key, &config),
        Err(Error::Denied { .. })
    ));

    assert!(matches!(
        read_document(&corpus.path("missing.txt"), &config),
        Err(Error::Io { .. })
    ));
    assert!(matches!(
        read_document(&corpus.docs, &config),
        Err(Error::Io { .. })
    ));
}

/// Lines `first..=last` of `text`, each without trailing blanks.
fn lines_of(text: &str, first: u32, last: u32) -> Vec<String> {
    text.lines()
        .skip(first as usize - 1)
        .take((last - first + 1) as usize)
        .map(|l| l.trim_end().to_owned())
        .collect()
}

#[test]
fn an_indexed_file_reads_back_by_its_lines_across_passages() {
    let corpus = Corpus::new();
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let path = corpus.path("licenses/Apache-2.0");
    let file = fs::read_to_string(&path).unwrap();
    let total = file.lines().count() as u32;
    let chunks = index.file_chunks(&path).unwrap();
    // A range that starts in one passage and ends in another.
    let boundary = chunks[3].line_start;
    for (first, last) in [(1, 5), (boundary - 4, boundary + 6), (1, total)] {
        let excerpt = index
            .read_excerpt(&path, Span::Lines { first, last }, 1_000)
            .unwrap()
            .unwrap();
        assert_eq!((excerpt.first_line, excerpt.last_line), (first, last));
        assert_eq!(excerpt.total_lines, total);
        assert_eq!(excerpt.next_line, None);
        let got: Vec<String> = excerpt
            .text
            .split('\n')
            .map(|l| l.trim_end().to_owned())
            .collect();
        assert_eq!(got, lines_of(&file, first, last), "lines {first}-{last}");
    }

    // Cut at the limit, it says where to go on; past the end there is nothing.
    let cut = index
        .read_excerpt(
            &path,
            Span::Lines {
                first: 10,
                last: 100,
            },
            20,
        )
        .unwrap()
        .unwrap();
    assert_eq!(
        (cut.first_line, cut.last_line, cut.next_line),
        (10, 29, Some(30))
    );
    assert_eq!(cut.text.split('\n').count(), 20);
    let past = index
        .read_excerpt(
            &path,
            Span::Lines {
                first: total + 1,
                last: total + 9,
            },
            20,
        )
        .unwrap()
        .unwrap();
    assert_eq!((past.first_line, past.text.as_str()), (0, ""));
    // A text file has no pages.
    let page = index
        .read_excerpt(&path, Span::Page(1), 20)
        .unwrap()
        .unwrap();
    assert_eq!((page.first_line, page.pages), (0, None));

    // Only indexed files can be read, and is_indexed agrees.
    let elsewhere = PathBuf::from(LICENSES).join("GPL-3");
    assert!(
        index
            .read_excerpt(&elsewhere, Span::Lines { first: 1, last: 5 }, 20)
            .unwrap()
            .is_none()
    );
    assert!(!index.is_indexed(&elsewhere).unwrap());
    assert!(
        index
            .is_indexed(&corpus.docs.join("licenses/./Apache-2.0"))
            .unwrap()
    );
}

#[test]
fn a_pdf_reads_back_by_page() {
    let corpus = Corpus::empty();
    let Some(lppl) = manual("base/lppl.pdf") else {
        return;
    };
    copy(&lppl, &corpus.path("lppl.pdf"));
    let mut index = corpus.open();
    corpus.add(&mut index, &IndexOptions::default());
    let path = corpus.path("lppl.pdf");
    let chunks = index.file_chunks(&path).unwrap();
    let last_page = chunks.iter().filter_map(|c| c.page).max().unwrap();
    assert!(last_page >= 2, "{last_page}");
    let excerpt = index
        .read_excerpt(&path, Span::Page(2), 10_000)
        .unwrap()
        .unwrap();
    let on_page: Vec<_> = chunks.iter().filter(|c| c.page == Some(2)).collect();
    assert_eq!(
        excerpt.first_line,
        on_page.iter().map(|c| c.line_start).min().unwrap()
    );
    assert_eq!(
        excerpt.last_line,
        on_page.iter().map(|c| c.line_end).max().unwrap()
    );
    assert_eq!(excerpt.pages, Some(last_page));
    // The page's words, in order, and none of another page's.
    let page_words: Vec<&str> = on_page
        .iter()
        .flat_map(|c| c.text.split_whitespace())
        .collect();
    assert_eq!(
        excerpt.text.split_whitespace().collect::<Vec<_>>(),
        page_words
    );
    let beyond = index
        .read_excerpt(&path, Span::Page(last_page + 1), 100)
        .unwrap()
        .unwrap();
    assert_eq!(beyond.first_line, 0);
}

#[test]
fn a_second_handle_on_the_index_sees_what_the_first_one_indexed_since() {
    // The app indexes while `ledge mcp` (another process, another handle) answers.
    let corpus = Corpus::empty();
    fs::write(corpus.path("a.txt"), "quokkas eat leaves\n").unwrap();
    let mut writer = corpus.open();
    corpus.add(&mut writer, &IndexOptions::default());
    let reader = corpus.open();
    assert_eq!(reader.search("quokkas", 5).unwrap().len(), 1);
    assert!(reader.search("wombats", 5).unwrap().is_empty());

    fs::write(corpus.path("b.txt"), "wombats dig burrows\n").unwrap();
    corpus.refresh(&mut writer);
    let found = reader.search("wombats", 5).unwrap();
    assert_eq!(found.len(), 1, "the other handle's commit is searched");
    assert_eq!(found[0].path, corpus.path("b.txt"));
    fs::remove_file(corpus.path("a.txt")).unwrap();
    corpus.refresh(&mut writer);
    assert!(reader.search("quokkas", 5).unwrap().is_empty());
}

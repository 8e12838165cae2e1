//! PDF: real manuals from Debian's `texlive-latex-base-doc`, compared word for word with
//! poppler's `pdftotext` page by page; page numbers found again by search; broken files
//! skipped with a reason while the rest of the folder is indexed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use ledge_index::{IndexOptions, SkipReason};

use crate::corpus::{Corpus, copy};

const TEXLIVE_DOC: &str = "/usr/share/doc/texlive-doc/latex";

/// Manuals of different makers and sizes (LaTeX news, a licence, AMS notes, a long guide).
const MANUALS: &[&str] = &[
    "base/ltnews.pdf",
    "base/lppl.pdf",
    "amsmath/technote.pdf",
    "base/lamport-manual.pdf",
    "tools/xr.pdf",
    "fancyhdr/fancyhdr.pdf",
];

/// A TeX Live manual as Debian installs it. Missing on Linux is a set-up mistake (a panic);
/// elsewhere (a Mac) Debian's package does not exist, and the test says it is skipped.
pub fn manual(name: &str) -> Option<std::path::PathBuf> {
    let path = Path::new(TEXLIVE_DOC).join(name);
    if path.is_file() {
        return Some(path);
    }
    if cfg!(target_os = "linux") {
        panic!(
            "{} is missing: run `scripts/setup.sh system` (texlive-latex-base-doc)",
            path.display()
        );
    }
    eprintln!(
        "skipped: {} is Debian's (texlive-latex-base-doc)",
        path.display()
    );
    None
}

/// Lower-cased words (runs of letters and digits).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn bag(words: &[String]) -> HashMap<&str, usize> {
    let mut bag = HashMap::new();
    for word in words {
        *bag.entry(word.as_str()).or_insert(0) += 1;
    }
    bag
}

/// Words in common (multiset intersection) over the larger count: 1.0 is identical bags.
fn agreement(ours: &[String], theirs: &[String]) -> (f64, usize, usize) {
    let (a, b) = (bag(ours), bag(theirs));
    let common: usize = a
        .iter()
        .map(|(word, n)| (*n).min(b.get(word).copied().unwrap_or(0)))
        .sum();
    let larger = ours.len().max(theirs.len()).max(1);
    (common as f64 / larger as f64, ours.len(), theirs.len())
}

/// The words one side has more often than the other, most different first.
fn differences(ours: &[String], theirs: &[String]) -> (Vec<String>, Vec<String>) {
    let (a, b) = (bag(ours), bag(theirs));
    let only = |x: &HashMap<&str, usize>, y: &HashMap<&str, usize>| {
        let mut extra: Vec<(usize, String)> = x
            .iter()
            .filter_map(|(w, n)| {
                let more = n.saturating_sub(y.get(w).copied().unwrap_or(0));
                (more > 0).then(|| (more, format!("{w}×{more}")))
            })
            .collect();
        extra.sort_by(|p, q| q.0.cmp(&p.0).then(p.1.cmp(&q.1)));
        extra.into_iter().take(12).map(|(_, w)| w).collect()
    };
    (only(&a, &b), only(&b, &a))
}

/// `pdftotext`'s text of each page (it ends every page with a form feed).
fn pdftotext_pages(pdf: &Path) -> Vec<String> {
    let output = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is missing: run `scripts/setup.sh system`");
    assert!(
        output.status.success(),
        "pdftotext failed on {}",
        pdf.display()
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut pages: Vec<String> = text.split('\u{c}').map(str::to_owned).collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

/// Our stored text of each page, from the chunks in the catalog.
fn our_pages(corpus: &Corpus, relative: &str, count: usize) -> Vec<String> {
    let mut pages = vec![String::new(); count];
    for (page, _, text) in corpus.chunks_of(relative) {
        let page = page.expect("every PDF chunk has a page") as usize;
        assert!(
            (1..=count).contains(&page),
            "page {page} of {count} in {relative}"
        );
        pages[page - 1].push_str(&text);
        pages[page - 1].push('\n');
    }
    pages
}

#[test]
fn pdf_text_agrees_with_pdftotext_and_pages_are_found_by_search() {
    let corpus = Corpus::empty();
    let mut bytes = 0u64;
    for name in MANUALS {
        let Some(from) = manual(name) else {
            return;
        };
        bytes += std::fs::metadata(&from).unwrap().len();
        copy(
            &from,
            &corpus.path(&format!("manuals/{}", name.replace('/', "-"))),
        );
    }
    let mut index = corpus.open();
    let started = Instant::now();
    let report = corpus.add(&mut index, &IndexOptions::default());
    let seconds = started.elapsed().as_secs_f64();
    assert_eq!(report.indexed as usize, MANUALS.len(), "{report:?}");
    eprintln!(
        "indexed {} PDFs, {:.1} MB in {seconds:.2} s: {:.2} MB/s (extraction, chunking, storage; \
         this build's optimisation level)",
        MANUALS.len(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / seconds
    );

    let mut probed_later_pages = 0;
    for name in MANUALS {
        let relative = format!("manuals/{}", name.replace('/', "-"));
        let Some(manual) = manual(name) else {
            return;
        };
        let reference = pdftotext_pages(&manual);
        let ours = our_pages(&corpus, &relative, reference.len());
        let ours_words: Vec<Vec<String>> = ours.iter().map(|p| words(p)).collect();
        let their_words: Vec<Vec<String>> = reference.iter().map(|p| words(p)).collect();
        let (document, n_ours, n_theirs) = agreement(&ours_words.concat(), &their_words.concat());
        let worst_page = ours_words
            .iter()
            .zip(&their_words)
            .enumerate()
            .filter(|(_, (_, theirs))| theirs.len() >= 50)
            .map(|(i, (o, t))| (agreement(o, t).0, i + 1))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        eprintln!(
            "{name}: {} pages, words ours {n_ours} / pdftotext {n_theirs}, agreement {:.2}%, \
             worst page {:?}",
            reference.len(),
            document * 100.0,
            worst_page.map(|(a, page)| (format!("{:.1}%", a * 100.0), page))
        );
        if let Some((worst, page)) = worst_page
            && worst < 0.95
        {
            let (extra, missing) = differences(&ours_words[page - 1], &their_words[page - 1]);
            eprintln!("    page {page} only ours: {extra:?}\n    only pdftotext: {missing:?}");
        }
        if document < 0.99 {
            let (extra, missing) = differences(&ours_words.concat(), &their_words.concat());
            eprintln!("    only ours: {extra:?}\n    only pdftotext: {missing:?}");
        }
        assert!(
            document >= 0.97,
            "{name}: only {:.2}% of words agree with pdftotext",
            document * 100.0
        );

        // Words that pdftotext sees once, on one page: search finds them on that page.
        let mut where_seen: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, page) in their_words.iter().enumerate() {
            for word in page {
                where_seen.entry(word.as_str()).or_default().push(i + 1);
            }
        }
        let probes: Vec<(&str, usize)> = where_seen
            .iter()
            .filter(|(w, pages)| {
                pages.len() == 1 && w.len() >= 9 && w.chars().all(|c| c.is_ascii_lowercase())
            })
            .map(|(w, pages)| (*w, pages[0]))
            .filter(|(_, page)| *page > 1 || reference.len() == 1)
            .take(4)
            .collect();
        assert!(!probes.is_empty(), "{name}: no word to probe pages with");
        probed_later_pages += probes.iter().filter(|(_, page)| *page > 1).count();
        for (word, page) in probes {
            let path = corpus.path(&relative);
            let hits: Vec<_> = index
                .search(word, 50)
                .unwrap()
                .into_iter()
                .filter(|h| h.path == path)
                .collect();
            assert!(
                hits.iter().any(|h| h.page == Some(page as u32)),
                "{name}: {word:?} is on page {page}, hits say {:?}",
                hits.iter().map(|h| h.page).collect::<Vec<_>>()
            );
        }
    }
    assert!(probed_later_pages >= 10, "{probed_later_pages}");
}

#[test]
fn broken_pdfs_are_skipped_with_a_reason_and_the_rest_is_indexed() {
    let corpus = Corpus::empty();
    let Some(good) = manual("base/lppl.pdf") else {
        return;
    };
    copy(&good, &corpus.path("good.pdf"));
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(corpus.path("truncated.pdf"), &bytes[..bytes.len() / 3]).unwrap();
    std::fs::write(
        corpus.path("garbage.pdf"),
        b"this is not a PDF at all, only words that look like one\n".repeat(50),
    )
    .unwrap();
    let mut header_only = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    header_only.extend((0..4000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    std::fs::write(corpus.path("noise.pdf"), header_only).unwrap();
    std::fs::write(corpus.path("notes.txt"), "quokkas eat leaves\n").unwrap();

    let mut index = corpus.open();
    let report = corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(report.indexed, 2, "{report:?}");
    let reason = |name: &str| {
        report
            .skipped
            .iter()
            .find(|s| s.path == corpus.path(name))
            .map(|s| s.reason.clone())
    };
    for name in ["truncated.pdf", "garbage.pdf", "noise.pdf"] {
        let reason = reason(name);
        assert!(
            matches!(reason, Some(SkipReason::Malformed { ref format, .. }) if format == "PDF"),
            "{name}: {reason:?}"
        );
        eprintln!("{name}: {}", reason.unwrap());
    }
    let files = corpus.catalog_files();
    let key = corpus.path("garbage.pdf").to_str().unwrap().to_owned();
    assert_eq!(files[&key].0, "skipped");
    assert!(
        files[&key]
            .1
            .as_deref()
            .unwrap()
            .starts_with("malformed PDF")
    );
    assert_eq!(index.search("quokkas", 5).unwrap().len(), 1);
    let hits = index.search("\"LaTeX Project Public License\"", 5).unwrap();
    assert!(hits.iter().any(|h| h.path == corpus.path("good.pdf")));
    assert!(hits.iter().all(|h| h.page.is_some()));
}

/// A copy of `from` encrypted (RC4, 128-bit key) with these passwords, written by lopdf.
pub fn encrypted_copy(from: &Path, to: &Path, user_password: &str) {
    use pdf_extract::{Document, EncryptionState, EncryptionVersion, Permissions};
    let mut document = Document::load(from).unwrap();
    let version = EncryptionVersion::V2 {
        document: &document,
        owner_password: "owner",
        user_password,
        key_length: 128,
        permissions: Permissions::PRINTABLE,
    };
    let state = EncryptionState::try_from(version).unwrap();
    document.encrypt(&state).unwrap();
    document.save(to).unwrap();
}

#[test]
fn a_pdf_that_needs_a_password_is_skipped_and_one_with_only_restrictions_is_read() {
    let corpus = Corpus::empty();
    let Some(source) = manual("tools/xr.pdf") else {
        return;
    };
    encrypted_copy(&source, &corpus.path("locked.pdf"), "secret");
    encrypted_copy(&source, &corpus.path("restricted.pdf"), "");

    let mut index = corpus.open();
    let report = corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(report.indexed, 1, "{report:?}");
    assert_eq!(report.skipped.len(), 1, "{report:?}");
    assert_eq!(report.skipped[0].path, corpus.path("locked.pdf"));
    assert_eq!(report.skipped[0].reason, SkipReason::Encrypted);
    let reference = words(&pdftotext_pages(&source).concat());
    let ours: Vec<String> = corpus
        .chunks_of("restricted.pdf")
        .iter()
        .flat_map(|c| words(&c.2))
        .collect();
    let (agreement, _, _) = agreement(&ours, &reference);
    assert!(agreement > 0.97, "{agreement}");
}

//! PDF: the text of every page, kept apart so chunks never span pages and hits cite a page.
//!
//! Parsing is `lopdf` (through `pdf-extract`, which re-exports the version it was built with);
//! text comes from `pdf-extract`'s content-stream interpreter (fonts, encodings, `ToUnicode`
//! maps, word spacing from glyph positions), one page at a time. Page numbers are physical,
//! 1-based (the page `pdftotext -f N` prints), not printed page labels.
//!
//! Hostile files: the whole document runs under [`run_bounded`](crate::bounded::run_bounded)
//! (own thread, panic caught, time limit); each page is interpreted under its own
//! `catch_unwind` so one broken page costs only that page, and the deadline is checked between
//! pages. The bytes given are already capped by the folder's size limit, and before any page
//! is interpreted every Flate-compressed stream (except images, which are never decoded for
//! text) is inflated into a counter, not memory: one that would unpack past
//! [`MAX_STREAM_BYTES`] makes the file a [`SkipReason::UnpackLimit`]. (Object streams are
//! unpacked by `lopdf` while loading, before this check can run.) An encrypted file
//! whose user password is empty (copy or print restrictions only) is decrypted and read; one
//! that needs a password is skipped as [`SkipReason::Encrypted`].

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use pdf_extract::{Document, PlainTextOutput};

use crate::bounded::{Stopped, panic_message, run_bounded};
use crate::extract::SkipReason;

/// How long one PDF may take before it is skipped.
pub(crate) const TIME_LIMIT: Duration = Duration::from_secs(60);

/// The most one compressed stream may inflate to (page contents, forms, fonts).
pub(crate) const MAX_STREAM_BYTES: u64 = 64 * 1024 * 1024;

/// The most `/Parent` links from a page up to the root of its page tree. Real files nest a few
/// levels (a balanced tree of a million pages is under 20 deep). `pdf-extract` follows the
/// chain for inherited attributes (`MediaBox`, `Resources`) recursively without a guard, so a
/// loop in it spins forever (or overflows the stack): the fuzzer found an 886-byte file whose
/// page is its own parent.
const MAX_PAGE_TREE_DEPTH: usize = 64;

/// The text of each page of a PDF, in order (an empty string for a page without text).
#[cfg(test)]
pub(crate) fn pages(bytes: Vec<u8>) -> Result<Vec<String>, SkipReason> {
    pages_within(bytes, TIME_LIMIT)
}

/// The text of each page of a PDF, in order (an empty string for a page without text), or
/// [`SkipReason::TimedOut`] past `limit` ([`TIME_LIMIT`] for a scan; the fuzzing harness
/// uses a short one).
pub(crate) fn pages_within(bytes: Vec<u8>, limit: Duration) -> Result<Vec<String>, SkipReason> {
    let deadline = Instant::now() + limit;
    // The inner deadline stops between pages; the outer limit catches one endless page.
    let outer = limit + Duration::from_secs(5).min(limit);
    let timed_out = || SkipReason::TimedOut {
        seconds: limit.as_secs().max(1),
    };
    match run_bounded(outer, move || read_pages(&bytes, deadline, limit)) {
        Ok(result) => result,
        Err(Stopped::TimedOut) => Err(timed_out()),
        Err(Stopped::Panicked(message)) => Err(malformed(format!("the parser failed: {message}"))),
    }
}

fn malformed(detail: impl Into<String>) -> SkipReason {
    SkipReason::Malformed {
        format: "PDF".into(),
        detail: detail.into(),
    }
}

fn read_pages(bytes: &[u8], deadline: Instant, limit: Duration) -> Result<Vec<String>, SkipReason> {
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(malformed("no %PDF header"));
    }
    let mut document = match catch_unwind(|| Document::load_mem(bytes)) {
        Ok(Ok(document)) => document,
        Ok(Err(pdf_extract::Error::Decryption(_))) => return Err(SkipReason::Encrypted),
        Ok(Err(error)) => return Err(malformed(error.to_string())),
        Err(payload) => {
            return Err(malformed(format!(
                "the parser failed: {}",
                panic_message(payload.as_ref())
            )));
        }
    };
    if document.is_encrypted() && document.decrypt("").is_err() {
        return Err(SkipReason::Encrypted);
    }
    check_streams(&document, MAX_STREAM_BYTES)?;
    let page_ids = document.get_pages();
    if page_ids.is_empty() {
        return Err(malformed("no pages"));
    }
    check_page_tree(&document, &page_ids)?;
    let numbers: Vec<u32> = page_ids.keys().copied().collect();
    let mut pages = Vec::with_capacity(numbers.len());
    let mut failed = 0usize;
    for number in numbers {
        if Instant::now() > deadline {
            return Err(SkipReason::TimedOut {
                seconds: limit.as_secs().max(1),
            });
        }
        let mut text = String::new();
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            let mut output = PlainTextOutput::new(&mut text);
            pdf_extract::output_doc_page(&document, &mut output, number)
        }));
        match outcome {
            Ok(Ok(())) => pages.push(tidy(&text)),
            Ok(Err(error)) => {
                tracing::debug!(page = number, %error, "PDF page unreadable");
                failed += 1;
                pages.push(String::new());
            }
            Err(payload) => {
                let message = panic_message(payload.as_ref());
                tracing::debug!(page = number, message, "PDF page broke the parser");
                failed += 1;
                pages.push(String::new());
            }
        }
    }
    if failed == pages.len() {
        return Err(malformed(format!(
            "none of its {failed} pages could be read"
        )));
    }
    Ok(pages)
}

/// Refuses a document in which a page's `/Parent` chain loops or nests past
/// [`MAX_PAGE_TREE_DEPTH`], before `pdf-extract` walks it.
fn check_page_tree(
    document: &Document,
    pages: &std::collections::BTreeMap<u32, pdf_extract::ObjectId>,
) -> Result<(), SkipReason> {
    'pages: for (&number, &page) in pages {
        let mut current = page;
        for _ in 0..=MAX_PAGE_TREE_DEPTH {
            let parent = document
                .get_dictionary(current)
                .and_then(|dict| dict.get(b"Parent"))
                .and_then(|parent| parent.as_reference());
            match parent {
                Ok(id) => current = id,
                Err(_) => continue 'pages, // the root (or a broken link pdf-extract stops at)
            }
        }
        return Err(malformed(format!(
            "the page tree above page {number} loops or nests past {MAX_PAGE_TREE_DEPTH} levels"
        )));
    }
    Ok(())
}

/// Refuses a document with a Flate stream that inflates past `cap` bytes, counting without
/// keeping what is inflated. Images are left alone: text extraction never decodes them.
fn check_streams(document: &Document, cap: u64) -> Result<(), SkipReason> {
    use std::io::Read;
    let mut buffer = vec![0u8; 64 * 1024];
    for object in document.objects.values() {
        let Ok(stream) = object.as_stream() else {
            continue;
        };
        let image = stream
            .dict
            .get(b"Subtype")
            .and_then(|s| s.as_name())
            .is_ok_and(|name| name == b"Image");
        let flate = stream
            .filters()
            .is_ok_and(|filters| filters.first().is_some_and(|f| *f == b"FlateDecode"));
        if image || !flate {
            continue;
        }
        let mut decoder = flate2::read::ZlibDecoder::new(stream.content.as_slice());
        let mut total = 0u64;
        // A corrupt stream ends the count; the extractor deals with it (or not) later.
        while let Ok(read) = decoder.read(&mut buffer) {
            if read == 0 {
                break;
            }
            total += read as u64;
            if total > cap {
                return Err(SkipReason::UnpackLimit {
                    detail: format!("a compressed stream unpacks to more than {cap} bytes"),
                });
            }
        }
    }
    Ok(())
}

/// Page text as the chunker wants it: ligatures spelled out, words hyphenated across a line
/// break joined again (as `pdftotext` does: `appli-` + `cable` gives `applicable` on the first
/// line), no control characters, no trailing spaces, at most one blank line in a row, no blank
/// lines at either end.
pub(crate) fn tidy(raw: &str) -> String {
    // `None` stands for a blank line.
    let mut lines: Vec<Option<String>> = raw.split('\n').map(clean_line).collect();
    for i in 0..lines.len().saturating_sub(1) {
        let (head, tail) = lines.split_at_mut(i + 1);
        let (Some(line), Some(Some(next))) = (head[i].as_mut(), tail.first_mut()) else {
            continue;
        };
        let mut ending = line.chars().rev();
        let hyphenated =
            ending.next() == Some('-') && ending.next().is_some_and(char::is_lowercase);
        if !hyphenated || !next.chars().next().is_some_and(char::is_lowercase) {
            continue;
        }
        let split = next.find(char::is_whitespace).unwrap_or(next.len());
        line.pop();
        line.push_str(&next[..split]);
        let rest = next[split..].trim_start().to_owned();
        *next = rest;
    }
    let mut out = String::with_capacity(raw.len());
    let mut blank_run = 0usize;
    for line in lines {
        match line {
            Some(line) if !line.is_empty() => {
                if !out.is_empty() {
                    out.push_str(if blank_run > 0 { "\n\n" } else { "\n" });
                }
                blank_run = 0;
                out.push_str(&line);
            }
            // A line emptied by joining a hyphenated word is not a paragraph break.
            Some(_) => {}
            None => blank_run += 1,
        }
    }
    out
}

/// One line: ligatures spelled out, tabs as spaces, control characters and trailing spaces
/// dropped; `None` when nothing is left.
fn clean_line(line: &str) -> Option<String> {
    let mut clean = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '\u{FB00}' => clean.push_str("ff"),
            '\u{FB01}' => clean.push_str("fi"),
            '\u{FB02}' => clean.push_str("fl"),
            '\u{FB03}' => clean.push_str("ffi"),
            '\u{FB04}' => clean.push_str("ffl"),
            '\u{FB05}' | '\u{FB06}' => clean.push_str("st"),
            '\t' => clean.push(' '),
            c if c.is_control() => {}
            c => clean.push(c),
        }
    }
    let trimmed = clean.trim_end();
    (!trimmed.trim().is_empty()).then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_spells_ligatures_and_squeezes_blank_lines() {
        assert_eq!(
            tidy("\n\n  \u{FB01}rst \u{FB02}oor\t x  \r\n\n\n\nnext\u{0}\n\n"),
            "  first floor  x\n\nnext"
        );
        assert_eq!(
            tidy("the appli-\ncable licence, well-\nknown\nand Self-\nMade"),
            "the applicable\nlicence, wellknown\nand Self-\nMade"
        );
    }

    #[test]
    fn a_stream_that_inflates_past_the_cap_is_refused() {
        use pdf_extract::{Dictionary, Object, Stream};
        use std::io::Write;
        let mut encoder =
            flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        encoder
            .write_all(&b"BT (bomb) Tj ET\n".repeat(200_000))
            .unwrap();
        let squeezed = encoder.finish().unwrap();
        assert!(squeezed.len() < 50_000, "{}", squeezed.len());
        let mut dict = Dictionary::new();
        dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
        let mut document = Document::with_version("1.5");
        document.add_object(Stream::new(dict, squeezed));
        assert!(check_streams(&document, 4 * 1024 * 1024).is_ok());
        assert!(matches!(
            check_streams(&document, 1024 * 1024),
            Err(SkipReason::UnpackLimit { .. })
        ));
    }

    #[test]
    fn garbage_and_truncated_files_are_malformed_not_panics() {
        assert!(matches!(
            pages(b"hello, not a pdf".to_vec()),
            Err(SkipReason::Malformed { .. })
        ));
        assert!(matches!(
            pages(b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R".to_vec()),
            Err(SkipReason::Malformed { .. })
        ));
    }
}

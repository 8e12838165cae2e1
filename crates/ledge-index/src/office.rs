//! DOCX and EPUB: zip packages of XML, read into Markdown-like text whose headings (`#` lines)
//! structure the chunks as Markdown's do.
//!
//! * DOCX: `word/document.xml`, one paragraph (`w:p`) per block, runs' text (`w:t`), tabs and
//!   breaks; a paragraph is a heading when its style is a heading (`word/styles.xml`: the
//!   built-in name `heading N` or `Title`, which Word keeps in English whatever the UI
//!   language, or an outline level) or it carries an outline level itself. Deleted revisions,
//!   field codes, headers, footers, notes and comments are left out.
//! * EPUB: `META-INF/container.xml` names the package document, whose spine lists the chapters
//!   in reading order; each (X)HTML chapter is converted like any HTML file. Without a usable
//!   spine, every `.xhtml`/`.html` entry is read in name order.
//!
//! Zip bombs: a package with more than [`MAX_ENTRIES`] entries is refused, and the parts read
//! may unpack to at most a budget (4 × the folder's size cap, at least 16 MiB) in total,
//! counted on the bytes actually inflated (not the sizes the archive claims), so the package
//! is skipped as [`SkipReason::UnpackLimit`] before it can exhaust memory. Encrypted entries
//! give [`SkipReason::Encrypted`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::extract::SkipReason;
use crate::html::html_to_text;

/// The most entries a DOCX or EPUB may have.
pub(crate) const MAX_ENTRIES: usize = 10_000;

/// How many bytes the parts read from a package may unpack to, for a folder size cap.
pub(crate) fn unpacked_budget(max_file_bytes: u64) -> u64 {
    max_file_bytes.saturating_mul(4).max(16 * 1024 * 1024)
}

/// An open zip package with what is left of its unpacking budget.
struct Package<'a> {
    format: &'static str,
    archive: ZipArchive<Cursor<&'a [u8]>>,
    budget: u64,
    limit: u64,
}

impl<'a> Package<'a> {
    fn open(format: &'static str, bytes: &'a [u8], budget: u64) -> Result<Self, SkipReason> {
        let archive = ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(format, e))?;
        if archive.len() > MAX_ENTRIES {
            return Err(SkipReason::UnpackLimit {
                detail: format!("{} entries, limit {MAX_ENTRIES}", archive.len()),
            });
        }
        Ok(Package {
            format,
            archive,
            budget,
            limit: budget,
        })
    }

    fn names(&self) -> Vec<String> {
        self.archive.file_names().map(str::to_owned).collect()
    }

    /// The unpacked bytes of one entry, or `None` when there is no such entry.
    fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, SkipReason> {
        let over = |limit: u64| SkipReason::UnpackLimit {
            detail: format!("unpacks to more than {limit} bytes"),
        };
        let file = match self.archive.by_name(name) {
            Ok(file) => file,
            Err(ZipError::FileNotFound) => return Ok(None),
            Err(error) => return Err(zip_error(self.format, error)),
        };
        if file.size() > self.budget {
            return Err(over(self.limit));
        }
        let mut bytes = Vec::new();
        file.take(self.budget.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| malformed(self.format, format!("{name}: {e}")))?;
        let read = bytes.len() as u64;
        if read > self.budget {
            return Err(over(self.limit));
        }
        self.budget -= read;
        Ok(Some(bytes))
    }

    fn read_required(&mut self, name: &str) -> Result<Vec<u8>, SkipReason> {
        self.read(name)?
            .ok_or_else(|| malformed(self.format, format!("no {name}")))
    }
}

fn malformed(format: &str, detail: impl Into<String>) -> SkipReason {
    SkipReason::Malformed {
        format: format.into(),
        detail: detail.into(),
    }
}

fn zip_error(format: &str, error: ZipError) -> SkipReason {
    match error {
        ZipError::UnsupportedArchive(message) if message.contains("assword") => {
            SkipReason::Encrypted
        }
        error => malformed(format, error.to_string()),
    }
}

fn xml_error(format: &str, part: &str, error: quick_xml::Error) -> SkipReason {
    malformed(format, format!("{part}: {error}"))
}

/// The value of the attribute with this local name (`w:val` -> `val`).
fn attribute(element: &BytesStart<'_>, local: &str) -> Option<String> {
    element
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| match a.normalized_value(XmlVersion::default()) {
            Ok(value) => value.into_owned(),
            Err(_) => a.value.clone().into_owned(),
        })
}

fn text_of(bytes: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(bytes)
}

// ---- DOCX ----

/// The text of a DOCX: paragraphs separated by blank lines, headings as `#` lines.
pub(crate) fn docx(bytes: &[u8], budget: u64) -> Result<String, SkipReason> {
    let mut package = Package::open("DOCX", bytes, budget)?;
    let styles = match package.read("word/styles.xml")? {
        Some(xml) => heading_styles(&text_of(&xml)),
        None => HashMap::new(),
    };
    let document = package.read_required("word/document.xml")?;
    docx_body(&text_of(&document), &styles).map_err(|e| xml_error("DOCX", "document.xml", e))
}

/// Style id -> heading level, from `word/styles.xml`.
fn heading_styles(xml: &str) -> HashMap<String, usize> {
    let mut levels = HashMap::new();
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut current: Option<String> = None;
    loop {
        let event = match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(event) => event,
        };
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "style" => current = attribute(&e, "styleId"),
                "name" => {
                    if let (Some(id), Some(name)) = (&current, attribute(&e, "val"))
                        && let Some(level) = heading_level_of_name(&name)
                    {
                        levels.insert(id.clone(), level);
                    }
                }
                "outlineLvl" => {
                    if let (Some(id), Some(level)) = (&current, outline_level(&e)) {
                        levels.entry(id.clone()).or_insert(level);
                    }
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == "style" => current = None,
            _ => {}
        }
    }
    levels
}

/// `heading 2` -> 2, `Title` -> 1 (also for style ids such as `Heading2`).
fn heading_level_of_name(name: &str) -> Option<usize> {
    let lower = name.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let digits = lower.strip_prefix("heading")?.trim();
    digits.parse::<usize>().ok().filter(|l| (1..=6).contains(l))
}

/// `<w:outlineLvl w:val="0"/>` -> level 1 (9 means body text).
fn outline_level(element: &BytesStart<'_>) -> Option<usize> {
    let value: usize = attribute(element, "val")?.parse().ok()?;
    (value < 6).then_some(value + 1)
}

/// One paragraph being read.
#[derive(Default)]
struct Paragraph {
    text: String,
    level: Option<usize>,
}

fn docx_body(xml: &str, styles: &HashMap<String, usize>) -> Result<String, quick_xml::Error> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = String::new();
    let mut paragraph: Option<Paragraph> = None;
    // Depth inside `w:t` (text to keep) and inside parts to leave out.
    let mut in_text = false;
    let mut skip_depth = 0usize;
    loop {
        match reader.read_event()? {
            Event::Eof => break,
            Event::Start(e) => match e.local_name().as_ref() {
                "delText" | "instrText" | "footnoteReference" | "commentReference" => {
                    skip_depth += 1;
                }
                "p" if skip_depth == 0 => paragraph = Some(Paragraph::default()),
                "t" => in_text = true,
                name => docx_mark(name, &e, paragraph.as_mut(), styles),
            },
            Event::Empty(e) => docx_mark(e.local_name().as_ref(), &e, paragraph.as_mut(), styles),
            Event::End(e) => match e.local_name().as_ref() {
                "delText" | "instrText" | "footnoteReference" | "commentReference" => {
                    skip_depth = skip_depth.saturating_sub(1);
                }
                "p" if skip_depth == 0 => {
                    if let Some(done) = paragraph.take() {
                        push_paragraph(&mut out, done);
                    }
                }
                "t" => in_text = false,
                _ => {}
            },
            Event::Text(t) if in_text && skip_depth == 0 => {
                if let Some(p) = paragraph.as_mut() {
                    p.text.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) if in_text && skip_depth == 0 => {
                if let Some(p) = paragraph.as_mut() {
                    push_reference(&mut p.text, &r);
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Empty elements inside a paragraph that mean text or structure.
fn docx_mark(
    name: &str,
    element: &BytesStart<'_>,
    paragraph: Option<&mut Paragraph>,
    styles: &HashMap<String, usize>,
) {
    let Some(p) = paragraph else { return };
    match name {
        "tab" => p.text.push('\t'),
        "br" | "cr" => p.text.push('\n'),
        "noBreakHyphen" => p.text.push('-'),
        "pStyle" => {
            if let Some(id) = attribute(element, "val") {
                p.level = styles
                    .get(&id)
                    .copied()
                    .or_else(|| heading_level_of_name(&id))
                    .or(p.level);
            }
        }
        "outlineLvl" => p.level = outline_level(element).or(p.level),
        _ => {}
    }
}

fn push_paragraph(out: &mut String, paragraph: Paragraph) {
    let text = paragraph.text.trim();
    if text.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    match paragraph.level {
        Some(level) => {
            out.push_str(&"#".repeat(level));
            out.push(' ');
            out.push_str(&text.replace(['\n', '\t'], " "));
        }
        None => out.push_str(text),
    }
}

fn push_reference(out: &mut String, reference: &quick_xml::events::BytesRef<'_>) {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        out.push(c);
        return;
    }
    let name = reference.xml10_content();
    if let Some(text) = quick_xml::escape::resolve_predefined_entity(&name) {
        out.push_str(text);
    }
}

// ---- EPUB ----

/// The text of an EPUB: its chapters in reading order, converted from XHTML.
pub(crate) fn epub(bytes: &[u8], budget: u64) -> Result<String, SkipReason> {
    let mut package = Package::open("EPUB", bytes, budget)?;
    let mut chapters = spine(&mut package)?;
    if chapters.is_empty() {
        let mut names: Vec<String> = package
            .names()
            .into_iter()
            .filter(|n| {
                let lower = n.to_ascii_lowercase();
                lower.ends_with(".xhtml") || lower.ends_with(".html") || lower.ends_with(".htm")
            })
            .collect();
        names.sort();
        chapters = names;
    }
    if chapters.is_empty() {
        return Err(malformed("EPUB", "no chapters"));
    }
    let mut out = String::new();
    for name in chapters {
        let Some(xhtml) = package.read(&name)? else {
            tracing::debug!(name, "EPUB chapter missing");
            continue;
        };
        let text = html_to_text(&text_of(&xhtml)).text;
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(text);
    }
    Ok(out)
}

/// The chapters named by the package document's spine, as entry names.
fn spine(package: &mut Package<'_>) -> Result<Vec<String>, SkipReason> {
    let Some(container) = package.read("META-INF/container.xml")? else {
        return Ok(Vec::new());
    };
    let mut rootfile = None;
    let container = text_of(&container);
    let mut reader = quick_xml::Reader::from_str(&container);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == "rootfile" => {
                rootfile = attribute(&e, "full-path");
                break;
            }
            Ok(_) => {}
        }
    }
    let Some(opf_name) = rootfile else {
        return Ok(Vec::new());
    };
    let Some(opf) = package.read(&opf_name)? else {
        return Ok(Vec::new());
    };
    let opf = text_of(&opf);
    let base = opf_name.rsplit_once('/').map_or("", |(dir, _)| dir);
    let mut items: HashMap<String, (String, String)> = HashMap::new();
    let mut order: Vec<String> = Vec::new();
    let mut reader = quick_xml::Reader::from_str(&opf);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) | Err(_) => break,
            Ok(Event::Start(e) | Event::Empty(e)) => match e.local_name().as_ref() {
                "item" => {
                    if let (Some(id), Some(href)) = (attribute(&e, "id"), attribute(&e, "href")) {
                        let media = attribute(&e, "media-type").unwrap_or_default();
                        items.insert(id, (href, media));
                    }
                }
                "itemref" => order.extend(attribute(&e, "idref")),
                _ => {}
            },
            Ok(_) => {}
        }
    }
    Ok(order
        .iter()
        .filter_map(|id| items.get(id))
        .filter(|(_, media)| media.contains("html") || media.is_empty())
        .map(|(href, _)| resolve(base, href))
        .collect())
}

/// `href` (relative, percent-encoded, maybe with a `#fragment`) from the folder `base`.
fn resolve(base: &str, href: &str) -> String {
    let href = href.split('#').next().unwrap_or_default();
    let href = percent_decode(href);
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in href.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    parts.join("/")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = text.get(i + 1..i + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docx_paragraphs_headings_tabs_and_entities() {
        let xml = r#"<?xml version="1.0"?><w:document xmlns:w="w"><w:body>
            <w:p><w:pPr><w:pStyle w:val="Titre1"/></w:pPr><w:r><w:t>Getting started</w:t></w:r></w:p>
            <w:p><w:r><w:t xml:space="preserve">Tom &amp; Jerry </w:t></w:r><w:r><w:tab/><w:t>run</w:t></w:r>
              <w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>
            <w:p><w:pPr><w:pStyle w:val="Heading2"/></w:pPr><w:r><w:t>Details</w:t></w:r></w:p>
            <w:p/></w:body></w:document>"#;
        let styles = heading_styles(
            r#"<w:styles xmlns:w="w"><w:style w:styleId="Titre1"><w:name w:val="heading 1"/></w:style>
               <w:style w:styleId="Normal"><w:name w:val="Normal"/></w:style></w:styles>"#,
        );
        let text = docx_body(xml, &styles).unwrap();
        assert_eq!(text, "# Getting started\n\nTom & Jerry \trun\n\n## Details");
    }

    #[test]
    fn epub_hrefs_resolve_against_the_package_folder() {
        assert_eq!(
            resolve("OEBPS", "text/ch%201.xhtml#top"),
            "OEBPS/text/ch 1.xhtml"
        );
        assert_eq!(resolve("OEBPS/opf", "../ch2.xhtml"), "OEBPS/ch2.xhtml");
        assert_eq!(resolve("", "ch3.xhtml"), "ch3.xhtml");
    }

    #[test]
    fn not_a_zip_is_malformed() {
        assert!(matches!(
            docx(b"PK\x03\x04 but not really", 1 << 20),
            Err(SkipReason::Malformed { .. })
        ));
    }
}

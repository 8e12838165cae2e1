//! DOCX, EPUB and RTF: small real files built here (the zip packages with the `zip` crate, as
//! Word and EPUB writers lay them out), indexed and searched; zip bombs refused with a reason.

use std::io::Write;
use std::path::Path;

use ledge_index::{IndexOptions, SkipReason};
use zip::CompressionMethod;
use zip::write::SimpleFileOptions;

use crate::corpus::{Corpus, words};

/// Writes a zip package of `(name, content)` entries, deflated (the first stored, as EPUB's
/// `mimetype` must be).
fn package(path: &Path, entries: &[(&str, &[u8])]) {
    let file = std::fs::File::create(path).unwrap();
    let mut zip = zip::ZipWriter::new(file);
    for (i, (name, content)) in entries.iter().enumerate() {
        let method = if i == 0 {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="heading 2"/><w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>
</w:styles>"#;

fn paragraph(style: Option<&str>, text: &str) -> String {
    let style = style
        .map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#))
        .unwrap_or_default();
    format!(r#"<w:p>{style}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>"#)
}

fn document_xml(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{body}<w:sectPr/></w:body></w:document>"#
    )
}

fn docx(path: &Path, body: &str) {
    package(
        path,
        &[
            ("[Content_Types].xml", CONTENT_TYPES.as_bytes()),
            ("word/document.xml", document_xml(body).as_bytes()),
            ("word/styles.xml", STYLES.as_bytes()),
        ],
    );
}

fn epub(path: &Path) {
    let container = r#"<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles></container>"#;
    let opf = r#"<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Sea Birds</dc:title></metadata>
<manifest>
<item id="c2" href="text/chapter%202.xhtml" media-type="application/xhtml+xml"/>
<item id="c1" href="text/chapter1.xhtml" media-type="application/xhtml+xml"/>
<item id="css" href="style.css" media-type="text/css"/>
</manifest>
<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>"#;
    let chapter = |title: &str, body: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>
<body><h1>{title}</h1><p>{body}</p></body></html>"#
        )
    };
    let one = chapter(
        "Puffins",
        "The puffin nests in burrows on grassy cliffs &amp; islands.",
    );
    let two = chapter(
        "Gannets",
        "Gannets plunge-dive from thirty metres to catch mackerel.",
    );
    package(
        path,
        &[
            ("mimetype", b"application/epub+zip"),
            ("META-INF/container.xml", container.as_bytes()),
            ("OEBPS/content.opf", opf.as_bytes()),
            ("OEBPS/text/chapter1.xhtml", one.as_bytes()),
            ("OEBPS/text/chapter 2.xhtml", two.as_bytes()),
            ("OEBPS/style.css", b"p { margin: 0 }"),
        ],
    );
}

const RTF: &str = r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\froman Times New Roman;}}
{\colortbl;\red0\green0\blue0;}{\*\generator Microsoft Word 16;}{\info{\author Hidden Author}}
\pard\plain\f0\fs24 The caf\'e9 on the pier serves kedgeree\par
\pard Its owner, Ren\u233?e, bakes \b sourdough\b0  every morning.\par}";

#[test]
fn docx_epub_and_rtf_are_indexed_with_text_and_headings() {
    let corpus = Corpus::empty();
    let body = [
        paragraph(Some("berschrift1"), "Garden journal"),
        paragraph(None, "The rhubarb came up early this spring."),
        paragraph(Some("berschrift2"), "Pests"),
        paragraph(
            None,
            "Slugs ate the lettuces; copper tape &amp; beer traps helped.",
        ),
    ]
    .concat();
    docx(&corpus.path("garden.docx"), &body);
    epub(&corpus.path("birds.epub"));
    std::fs::write(corpus.path("cafe.rtf"), RTF).unwrap();

    let mut index = corpus.open();
    let report = corpus.add(&mut index, &IndexOptions::default());
    assert_eq!(report.indexed, 3, "{report:?}");

    // DOCX: text, entities, and headings as the chunk's heading path.
    let chunks = corpus.chunks_of("garden.docx");
    let all: String = chunks
        .iter()
        .map(|c| c.2.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(all.contains("copper tape & beer traps"), "{all}");
    let hits = index.search("slugs lettuces", 5).unwrap();
    assert_eq!(hits[0].path, corpus.path("garden.docx"));
    assert_eq!(hits[0].heading, "Garden journal > Pests");
    assert_eq!(hits[0].page, None);

    // EPUB: chapters in spine order (not manifest order), with their headings.
    let chunks = corpus.chunks_of("birds.epub");
    let text = words(&chunks.iter().map(|c| c.2.as_str()).collect::<String>());
    let puffin = text.find("puffin nests").unwrap();
    let gannet = text.find("gannets plunge").unwrap();
    assert!(puffin < gannet, "{text}");
    assert!(
        !text.contains("margin"),
        "the stylesheet is not text: {text}"
    );
    let hits = index.search("mackerel", 5).unwrap();
    assert_eq!(hits[0].path, corpus.path("birds.epub"));
    assert_eq!(hits[0].heading, "Gannets");

    // RTF: text with Windows-1252 and Unicode escapes, no font table or document info.
    let chunks = corpus.chunks_of("cafe.rtf");
    let text: String = chunks.iter().map(|c| c.2.as_str()).collect();
    assert_eq!(
        text,
        "The café on the pier serves kedgeree\n\nIts owner, Renée, bakes sourdough every morning."
    );
    assert_eq!(index.search("kedgeree", 5).unwrap().len(), 1);
    assert!(index.search("Hidden Author", 5).unwrap().is_empty());
    assert!(index.search("Times", 5).unwrap().is_empty());
}

#[test]
fn zip_bombs_and_broken_packages_are_refused_with_a_reason() {
    let corpus = Corpus::empty();
    // 24 MiB of one repeated paragraph deflates to some 30 kB: over the 16 MiB budget.
    let filler = paragraph(None, "bomb ").repeat(24 * 1024 * 1024 / 60);
    docx(&corpus.path("bomb.docx"), &filler);
    // An EPUB with more entries than any book has.
    let names: Vec<String> = (0..10_050).map(|i| format!("OEBPS/x{i}.xhtml")).collect();
    let mut entries: Vec<(&str, &[u8])> = vec![("mimetype", b"application/epub+zip")];
    entries.extend(names.iter().map(|n| (n.as_str(), &b"<p>x</p>"[..])));
    package(&corpus.path("crowded.epub"), &entries);
    std::fs::write(corpus.path("fake.docx"), b"PK\x03\x04 not a zip at all").unwrap();
    package(
        &corpus.path("hollow.docx"),
        &[("[Content_Types].xml", CONTENT_TYPES.as_bytes())],
    );
    std::fs::write(corpus.path("fine.txt"), "albatrosses glide\n").unwrap();

    let mut index = corpus.open();
    let options = IndexOptions {
        max_file_bytes: 4 * 1024 * 1024, // the budget stays at its 16 MiB floor
        ..IndexOptions::default()
    };
    let report = corpus.add(&mut index, &options);
    assert_eq!(report.indexed, 1, "{report:?}");
    let reason = |name: &str| {
        report
            .skipped
            .iter()
            .find(|s| s.path == corpus.path(name))
            .map(|s| s.reason.clone())
            .unwrap_or_else(|| panic!("{name} not skipped: {report:?}"))
    };
    let bomb = reason("bomb.docx");
    assert!(
        matches!(&bomb, SkipReason::UnpackLimit { detail } if detail.contains("unpacks")),
        "{bomb:?}"
    );
    let crowded = reason("crowded.epub");
    assert!(
        matches!(&crowded, SkipReason::UnpackLimit { detail } if detail.contains("entries")),
        "{crowded:?}"
    );
    for name in ["fake.docx", "hollow.docx"] {
        let reason = reason(name);
        assert!(
            matches!(&reason, SkipReason::Malformed { format, .. } if format == "DOCX"),
            "{name}: {reason:?}"
        );
    }
    let files = corpus.catalog_files();
    let key = corpus.path("bomb.docx").to_str().unwrap().to_owned();
    assert_eq!(files[&key].0, "skipped");
    assert!(
        files[&key]
            .1
            .as_deref()
            .unwrap()
            .starts_with("refused (unpacks to more than")
    );
    assert_eq!(index.search("albatrosses", 5).unwrap().len(), 1);
    assert!(index.search("bomb", 5).unwrap().is_empty());
}

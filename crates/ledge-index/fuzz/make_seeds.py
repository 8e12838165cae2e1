#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz/corpus/ (the real files beside them were copied from
Debian packages, see README.md). Deterministic: running it again rewrites the same bytes."""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def put(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def pdf(pages):
    """A PDF with one Helvetica text line per page, uncompressed, with a correct xref."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def package(entries, method=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else method
            z.writestr(info, data)
    return out.getvalue()


W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx():
    body = (
        '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Fuzzing notes</w:t></w:r></w:p>'
        '<w:p><w:r><w:t xml:space="preserve">Extraction must never panic &amp; never hang. </w:t></w:r>'
        '<w:r><w:tab/><w:t>Caf\u00e9</w:t></w:r><w:r><w:br/><w:t>second line</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Outline heading</w:t></w:r></w:p>'
        '<w:tbl><w:tr><w:tc><w:p><w:r><w:t>cell</w:t></w:r></w:p></w:tc></w:tr></w:tbl>'
    )
    document = f'<?xml version="1.0" encoding="UTF-8"?><w:document {W}><w:body>{body}</w:body></w:document>'
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><w:styles {W}>'
        '<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/></w:style></w:styles>'
    )
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    return package([("[Content_Types].xml", types), ("word/document.xml", document), ("word/styles.xml", styles)])


def epub():
    container = (
        '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
        '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
        "</rootfiles></container>"
    )
    opf = (
        '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
        '<manifest><item id="c1" href="text/one.xhtml" media-type="application/xhtml+xml"/>'
        '<item id="c2" href="text/two%20b.xhtml" media-type="application/xhtml+xml"/></manifest>'
        '<spine><itemref idref="c1"/><itemref idref="c2"/></spine></package>'
    )
    one = '<html xmlns="http://www.w3.org/1999/xhtml"><body><h1>Chapter one</h1><p>It was a dark night.</p></body></html>'
    two = '<html xmlns="http://www.w3.org/1999/xhtml"><body><h2>Part &amp; two</h2><p>Na\u00efve text.</p></body></html>'
    return package([
        ("mimetype", "application/epub+zip"),
        ("META-INF/container.xml", container),
        ("OEBPS/content.opf", opf),
        ("OEBPS/text/one.xhtml", one),
        ("OEBPS/text/two b.xhtml", two),
    ])


def main():
    good = pdf(["Hello from page one", "Page two says (parentheses) \\\\ and more"])
    put("pdf", "two-pages.pdf", good)
    put("pdf", "truncated.pdf", good[: len(good) // 2])
    put("pdf", "bad-xref.pdf", good.replace(b"startxref\n", b"startxref\n9"))
    put("pdf", "no-pages.pdf", pdf([]))
    put("pdf", "deep-nesting.pdf", b"%PDF-1.4\n1 0 obj\n" + b"[" * 2000 + b"\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")

    d = docx()
    put("zip", "small.docx", d)
    put("zip", "truncated.docx", d[: len(d) * 2 // 3])
    put("zip", "stored.docx", package([("word/document.xml", f"<w:document {W}><w:body><w:p><w:r><w:t>stored</w:t></w:r></w:p></w:body></w:document>")], zipfile.ZIP_STORED))
    put("zip", "no-document.docx", package([("word/other.xml", "<x/>")]))
    e = epub()
    put("zip", "small.epub", e)
    put("zip", "epub-bad-spine.epub", e.replace(b'idref="c2"', b'idref="zz"'))
    put("zip", "epub-escape.epub", package([
        ("META-INF/container.xml", '<container><rootfiles><rootfile full-path="../../../x.opf"/></rootfiles></container>'),
    ]))

    put("rtf", "hello.rtf", rb"{\rtf1\ansi\deff0{\fonttbl{\f0 Times;}}{\*\generator x;}\f0\fs24 Hello \b bold\b0 world.\par Caf\'e9 \u8364? euro\par{\field{\*\fldinst HYPERLINK}{\fldrslt link}}}")
    put("rtf", "unicode-skip.rtf", rb"{\rtf1\uc2 a\u20320\'c4\'e3b\uc0\u22909 c\bin3 xyz d\par}")
    put("rtf", "unbalanced.rtf", rb"{\rtf1 {{{{ open groups \par } text after" + b"{" * 500)
    put("rtf", "closing.rtf", rb"{\rtf1 text}}}}} more \'zz \u-3 \ucx \par}")

    put("html", "entities.html", "<!doctype html><html><head><title>T</title><style>p{}</style><script>var x='<p>';</script></head><body><h1>Title &amp; more</h1><p>caf&eacute; &#8364; &#x1F600; &bogus;</p><pre>code\n  block</pre><ul><li>one<li>two</ul><table><tr><td>a<td>b</table></body></html>".encode())
    put("html", "broken.html", b"<html><body><h2>unclosed <b><i>tags</b></i><p>para<div></p></div><a href='x'>link<h3></h3>&#0;&#xD800;</body>")
    put("html", "deep.html", b"<div>" * 3000 + b"deep text" + b"</div>" * 10)

    put("chunk", "markdown.md", "# Title\n\nIntro para.\n\n## Sub\n\n```rust\n# not a heading\nfn main() {}\n```\n\nSetext\n======\n\ntext\r\nwith CRLF\r\n\n".encode())
    put("chunk", "long-line.txt", ("\u00e9" * 3000 + "\n" + "word " * 900).encode())
    put("chunk", "headings-only.md", b"# a\n## b\n### c\n#### d\n# e\n")
    put("chunk", "fence-unclosed.md", b"text\n\n~~~\n# inside\n\n\n# still inside\n")


if __name__ == "__main__":
    main()

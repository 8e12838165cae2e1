//! Chunking snapshots on real documents: where each chunk starts and ends, and under which
//! headings. Update with `UPDATE_EXPECT=1 cargo test -p ledge-index` and review the diff.

use std::fs;

use ledge_index::{ChunkConfig, Kind, chunk};

use crate::corpus::{LICENSES, data};

fn outline(text: &str, kind: Kind) -> String {
    let chunks = chunk(text, kind, ChunkConfig::default());
    let mut out = String::new();
    let mut previous_end = 0;
    for c in &chunks {
        // Chunks are in order, do not overlap, and cut exactly at what they claim.
        assert!(c.byte_start >= previous_end && c.byte_end > c.byte_start);
        assert!(c.byte_end - c.byte_start <= ChunkConfig::default().max_bytes);
        previous_end = c.byte_end;
        let body = c.text(text);
        let first = body.lines().next().unwrap_or_default();
        let first: String = first.chars().take(48).collect();
        out.push_str(&format!(
            "{:>4}-{:<4} {:>5}B [{}] {first}\n",
            c.line_start,
            c.line_end,
            body.len(),
            c.heading
        ));
    }
    out
}

#[test]
fn markdown_guide() {
    let text = fs::read_to_string(data("node-console.md")).unwrap();
    expect_test::expect_file!["../snapshots/node-console.md.chunks"]
        .assert_eq(&outline(&text, Kind::Markdown));
}

#[test]
fn plain_licence() {
    let text = fs::read_to_string(format!("{LICENSES}/MPL-2.0")).unwrap();
    expect_test::expect_file!["../snapshots/MPL-2.0.chunks"]
        .assert_eq(&outline(&text, Kind::Plain));
}

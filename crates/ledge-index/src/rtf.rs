//! RTF: the plain text of a control-word RTF document, paragraphs separated by blank lines.
//!
//! A small reader of its own rather than a dependency: groups, control words and symbols,
//! `\'hh` bytes (Windows-1252, RTF's usual `\ansicpg1252`), `\uN` Unicode characters with
//! their `\ucN` fallbacks skipped, and `\binN` data jumped over. Destinations that are not
//! body text (font, colour and style tables, document info, pictures, objects, field
//! instructions, headers and footers, and any `{\*\...}` group) are left out. It is linear in
//! the input and allocates at most the output, so it needs no bounding beyond the size cap.

use crate::extract::SkipReason;

/// Deeper nesting than this is not a document a person wrote.
const MAX_DEPTH: usize = 1_000;

/// Destinations whose content is not body text.
const SKIPPED: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "listtable",
    "listoverridetable",
    "revtbl",
    "rsidtbl",
    "info",
    "pict",
    "object",
    "objdata",
    "fldinst",
    "header",
    "headerl",
    "headerr",
    "headerf",
    "footer",
    "footerl",
    "footerr",
    "footerf",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "xmlnstbl",
    "generator",
    "filetbl",
    "pgdsctbl",
    "operator",
];

#[derive(Debug, Clone, Copy)]
struct State {
    skip: bool,
    /// How many fallback characters follow a `\u`.
    uc: usize,
}

/// The text of an RTF document.
pub(crate) fn extract(bytes: &[u8]) -> Result<String, SkipReason> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    if !bytes[start..].starts_with(b"{\\rtf") {
        return Err(SkipReason::Malformed {
            format: "RTF".into(),
            detail: "no {\\rtf header".into(),
        });
    }
    let mut out = String::new();
    let mut stack: Vec<State> = Vec::new();
    let mut state = State { skip: false, uc: 1 };
    // Fallback characters still to drop after a `\u`.
    let mut pending = 0usize;
    let mut i = start;
    while i < bytes.len() {
        let byte = bytes[i];
        i += 1;
        match byte {
            b'{' => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SkipReason::Malformed {
                        format: "RTF".into(),
                        detail: format!("groups nested deeper than {MAX_DEPTH}"),
                    });
                }
                stack.push(state);
                pending = 0;
            }
            b'}' => {
                state = stack.pop().unwrap_or(state);
                pending = 0;
            }
            b'\r' | b'\n' => {}
            b'\\' => {
                let Some(&next) = bytes.get(i) else { break };
                if next.is_ascii_alphabetic() {
                    let word_start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[word_start..i]).unwrap_or_default();
                    let param_start = i;
                    if i < bytes.len() && bytes[i] == b'-' {
                        i += 1;
                    }
                    while i < bytes.len() && bytes[i].is_ascii_digit() && i - param_start < 10 {
                        i += 1;
                    }
                    let param: Option<i64> = std::str::from_utf8(&bytes[param_start..i])
                        .ok()
                        .and_then(|p| p.parse().ok());
                    if i < bytes.len() && bytes[i] == b' ' {
                        i += 1;
                    }
                    if word == "bin" {
                        let skip = usize::try_from(param.unwrap_or(0)).unwrap_or(0);
                        i = i.saturating_add(skip).min(bytes.len());
                        continue;
                    }
                    control_word(word, param, &mut state, &mut out, &mut pending);
                } else {
                    i += 1;
                    match next {
                        b'\'' => {
                            let hex = bytes
                                .get(i..i + 2)
                                .and_then(|h| std::str::from_utf8(h).ok());
                            if let Some(value) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                                i += 2;
                                emit(&mut out, &state, &mut pending, cp1252(value));
                            }
                        }
                        b'*' => state.skip = true,
                        b'~' => emit(&mut out, &state, &mut pending, '\u{A0}'),
                        b'_' => emit(&mut out, &state, &mut pending, '-'),
                        b'-' => {}
                        b'\r' | b'\n' => paragraph(&mut out, &state),
                        other => emit(&mut out, &state, &mut pending, char::from(other)),
                    }
                }
            }
            other => emit(&mut out, &state, &mut pending, cp1252(other)),
        }
    }
    Ok(tidy(&out))
}

fn control_word(
    word: &str,
    param: Option<i64>,
    state: &mut State,
    out: &mut String,
    pending: &mut usize,
) {
    match word {
        "par" | "sect" | "page" | "row" => paragraph(out, state),
        "line" => push(out, state, '\n'),
        "tab" | "cell" => push(out, state, '\t'),
        "emdash" => emit(out, state, pending, '\u{2014}'),
        "endash" => emit(out, state, pending, '\u{2013}'),
        "bullet" => emit(out, state, pending, '\u{2022}'),
        "lquote" => emit(out, state, pending, '\u{2018}'),
        "rquote" => emit(out, state, pending, '\u{2019}'),
        "ldblquote" => emit(out, state, pending, '\u{201C}'),
        "rdblquote" => emit(out, state, pending, '\u{201D}'),
        "uc" => state.uc = usize::try_from(param.unwrap_or(1)).unwrap_or(1).min(10),
        "u" => {
            let mut code = param.unwrap_or(0);
            if code < 0 {
                code += 65_536;
            }
            let c = u32::try_from(code)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{FFFD}');
            push(out, state, c);
            *pending = state.uc;
        }
        word if SKIPPED.contains(&word) => state.skip = true,
        _ => {}
    }
}

/// A character of text, unless it is a `\u` fallback or in a skipped destination.
fn emit(out: &mut String, state: &State, pending: &mut usize, c: char) {
    if *pending > 0 {
        *pending -= 1;
        return;
    }
    push(out, state, c);
}

fn push(out: &mut String, state: &State, c: char) {
    if !state.skip {
        out.push(c);
    }
}

fn paragraph(out: &mut String, state: &State) {
    if !state.skip {
        out.push_str("\n\n");
    }
}

/// A Windows-1252 byte as a character (0x80..=0x9F differ from Latin-1).
fn cp1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9F => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
}

/// Trailing spaces off, runs of blank lines squeezed to one, no blank ends.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = false;
    for line in text.split('\n') {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank = true;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank { "\n\n" } else { "\n" });
        }
        blank = false;
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_symbols_unicode_and_skipped_destinations() {
        let rtf = br"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Helvetica;}}
{\colortbl;\red255\green0\blue0;}{\*\generator Riched20;}{\info{\title Secret title}}
\pard\b Caf\'e9 \b0 na\u239?ve \{braces\}\par
Second\tab line\line wrapped {\*\bkmkstart x}\ldblquote quoted\rdblquote\par
{\header Page header}{\pict\pngblip 89504e47}\par}";
        let text = extract(rtf).unwrap();
        assert_eq!(
            text,
            "Café naïve {braces}\n\nSecond\tline\nwrapped \u{201C}quoted\u{201D}"
        );
    }

    #[test]
    fn not_rtf_and_hostile_nesting_are_refused() {
        assert!(matches!(
            extract(b"plain words"),
            Err(SkipReason::Malformed { .. })
        ));
        let mut deep = b"{\\rtf1 ".to_vec();
        deep.extend(std::iter::repeat_n(b'{', 5_000));
        assert!(matches!(extract(&deep), Err(SkipReason::Malformed { .. })));
    }
}

#!/usr/bin/env python3
"""Check tests/questions/manuals.json, the public question set over Debian manuals.

Standard library only (plus `pdftotext` from poppler-utils for the PDF corpus).

    python3 tests/questions/check.py                 # check every entry
    python3 tests/questions/check.py --text CORPUS PATH   # print a file's extracted text

For every entry it checks the fields and their types, that ids are unique, that the answer
files exist under the corpus root, that `answer_pattern` compiles (and stays inside the
syntax Python `re` and Rust `regex` share), that `evidence` occurs in the extracted text of
one of the answer files (whitespace collapsed; HTML: visible text with tags stripped and
entities decoded; PDF: `pdftotext FILE -`, also with end-of-line hyphens joined), and that
the pattern matches the evidence but neither the question itself nor a non-answer such as
"I don't know.". When ripgrep (`rg`, built on Rust's `regex` crate) is on PATH, each
pattern is also compiled and matched against the evidence there. It prints one line per
failure and exits 1, or prints a per-corpus line and the summary
`N questions (dev D, test T): all checks passed`.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SET = HERE / "manuals.json"

CORPORA = {
    "python": Path("/usr/share/doc/python3.11/html"),
    "postgresql": Path("/usr/share/doc/postgresql-doc-15/html"),
    "texlive": Path("/usr/share/doc/texlive-doc/latex"),
}
PACKAGES = "python3.11-doc postgresql-doc-15 texlive-latex-base-doc (scripts/setup.sh corpora)"

FIELDS = {
    "id": str,
    "split": str,
    "corpus": str,
    "question": str,
    "answer_files": list,
    "answer_pattern": str,
    "evidence": str,
}
SPLITS = ("dev", "test")
MIN_QUESTIONS = 60
# Replies that answer nothing; no pattern may match them.
NON_ANSWERS = [
    "I don't know.",
    "The provided documents do not contain the answer to this question.",
    "I could not find this in your files.",
]
MAX_EVIDENCE = 200

# Constructs that Python `re` and Rust `regex` read differently or that Rust lacks.
# Inline flags are allowed only as a leading `(?i)`.
UNPORTABLE = [
    (re.compile(r"\(\?[=!<]"), "lookaround"),
    (re.compile(r"\\[1-9]"), "backreference"),
    (re.compile(r"\(\?P?<[A-Za-z_]"), "named group"),
    (re.compile(r"(?<!^)\(\?[a-zA-Z]"), "inline flag other than a leading (?i)"),
    (re.compile(r"^\(\?(?!i\))[a-zA-Z]"), "inline flag other than (?i)"),
    (re.compile(r"\\[AZzGQE]"), "anchor or quoting escape"),
    (re.compile(r"[*+?}]\+"), "possessive quantifier"),
]


class _TextOf(HTMLParser):
    """Visible text of an HTML page: tags dropped, entities decoded, script/style skipped."""

    SKIP = {"script", "style", "head"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def collapse(text: str) -> str:
    return " ".join(text.split())


_cache: dict[Path, list[str]] = {}


def extracted_texts(path: Path) -> list[str]:
    """The file's text in the forms evidence may be compared against, whitespace collapsed."""
    if path in _cache:
        return _cache[path]
    if path.suffix.lower() == ".pdf":
        out = subprocess.run(
            ["pdftotext", str(path), "-"], capture_output=True, text=True, errors="replace"
        )
        if out.returncode != 0:
            raise RuntimeError(f"pdftotext failed: {out.stderr.strip()[:200]}")
        raw = out.stdout
        forms = [collapse(raw), collapse(re.sub(r"-\n\s*", "", raw))]
    else:
        parser = _TextOf()
        parser.feed(path.read_text(encoding="utf-8", errors="replace"))
        parser.close()
        # Text nodes joined as they are, and (for words split across inline tags that
        # stand on their own lines) joined with a space.
        forms = [collapse(html.unescape("".join(parser.parts))),
                 collapse(html.unescape(" ".join(parser.parts)))]
    _cache[path] = forms
    return forms


def check_pattern(pattern: str) -> list[str]:
    problems = []
    for rx, what in UNPORTABLE:
        if rx.search(pattern):
            problems.append(f"pattern uses {what}, not portable to Rust regex")
    try:
        re.compile(pattern)
    except re.error as e:
        problems.append(f"pattern does not compile: {e}")
    return problems


def rust_regex_problem(pattern: str, evidence: str) -> str | None:
    """With ripgrep (Rust's `regex` crate) on PATH: does the pattern compile and match there too?"""
    rg = shutil.which("rg")
    if rg is None:
        return None
    out = subprocess.run(
        [rg, "--no-config", "--quiet", "-e", pattern, "-"],
        input=evidence, capture_output=True, text=True,
    )
    if out.returncode == 0:
        return None
    if out.returncode == 1:
        return "answer_pattern does not match the evidence under Rust regex (ripgrep)"
    return "answer_pattern rejected by Rust regex (ripgrep): " + " ".join(out.stderr.split())[:200]


def check(entries) -> tuple[list[str], dict]:
    failures: list[str] = []
    seen: set[str] = set()
    counts: dict[tuple[str, str], int] = {}

    if not isinstance(entries, list):
        return ["top level is not a JSON array"], counts

    for i, e in enumerate(entries):
        label = f"#{i}"
        if not isinstance(e, dict):
            failures.append(f"{label}: not an object")
            continue
        label = f"{e.get('id', label)}"

        def fail(msg: str) -> None:
            failures.append(f"{label}: {msg}")

        bad = False
        for key, typ in FIELDS.items():
            if key not in e:
                fail(f"missing field {key!r}")
                bad = True
            elif not isinstance(e[key], typ):
                fail(f"field {key!r} is not {typ.__name__}")
                bad = True
        extra = set(e) - set(FIELDS)
        if extra:
            fail(f"unknown fields {sorted(extra)}")
        if bad:
            continue

        if e["id"] in seen:
            fail("duplicate id")
        seen.add(e["id"])
        if e["split"] not in SPLITS:
            fail(f"split {e['split']!r} not in {SPLITS}")
        if e["corpus"] not in CORPORA:
            fail(f"corpus {e['corpus']!r} not in {sorted(CORPORA)}")
            continue
        counts[(e["corpus"], e["split"])] = counts.get((e["corpus"], e["split"]), 0) + 1
        if not e["question"].strip():
            fail("empty question")
        if len(e["evidence"]) > MAX_EVIDENCE:
            fail(f"evidence longer than {MAX_EVIDENCE} characters")
        if not e["answer_files"] or not all(isinstance(f, str) and f for f in e["answer_files"]):
            fail("answer_files must be a non-empty list of paths")
            continue

        for p in check_pattern(e["answer_pattern"]):
            fail(p)
        try:
            rx = re.compile(e["answer_pattern"])
        except re.error:
            rx = None

        evidence = collapse(e["evidence"])
        if rx is not None and not rx.search(evidence):
            fail("answer_pattern does not match the evidence")
        if rx is not None and rx.search(e["question"]):
            fail("answer_pattern matches the question itself (an echo would count as correct)")
        if rx is not None and any(rx.search(n) for n in NON_ANSWERS):
            fail("answer_pattern matches a non-answer")
        rust = rust_regex_problem(e["answer_pattern"], evidence)
        if rust:
            fail(rust)

        root = CORPORA[e["corpus"]]
        found = False
        for rel in e["answer_files"]:
            if rel.startswith("/") or ".." in Path(rel).parts:
                fail(f"answer file {rel!r} is not relative to the corpus root")
                continue
            path = root / rel
            if not path.is_file():
                fail(f"answer file missing: {path} (install {PACKAGES})")
                continue
            try:
                texts = extracted_texts(path)
            except Exception as ex:  # noqa: BLE001 - report and go on
                fail(f"cannot read {path}: {ex}")
                continue
            if any(evidence in t for t in texts):
                found = True
        if not found:
            fail(f"evidence not found in {e['answer_files']}: {evidence[:80]!r}")

    total = sum(counts.values())
    if len(entries) < MIN_QUESTIONS:
        failures.append(f"only {len(entries)} questions, want at least {MIN_QUESTIONS}")
    for corpus in CORPORA:
        dev, test = counts.get((corpus, "dev"), 0), counts.get((corpus, "test"), 0)
        if abs(dev - test) > max(2, (dev + test) // 10):
            failures.append(f"corpus {corpus}: split uneven (dev {dev}, test {test})")
    if total:
        dev = sum(v for (c, s), v in counts.items() if s == "dev")
        if abs(2 * dev - total) > max(2, total // 10):
            failures.append(f"split uneven overall (dev {dev}, test {total - dev})")
    return failures, counts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("file", nargs="?", default=str(DEFAULT_SET), help="question set (JSON)")
    ap.add_argument("--text", nargs=2, metavar=("CORPUS", "PATH"),
                    help="print the extracted text of one corpus file and exit")
    args = ap.parse_args()

    if args.text:
        corpus, rel = args.text
        print(extracted_texts(CORPORA[corpus] / rel)[0])
        return 0

    with open(args.file, encoding="utf-8") as f:
        entries = json.load(f)
    failures, counts = check(entries)
    for line in failures:
        print(line)
    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    dev = sum(v for (c, s), v in counts.items() if s == "dev")
    test = sum(v for (c, s), v in counts.items() if s == "test")
    per = ", ".join(
        f"{c} {counts.get((c, 'dev'), 0)}+{counts.get((c, 'test'), 0)}" for c in CORPORA
    )
    engines = "Python re" + (" and Rust regex (ripgrep)" if shutil.which("rg") else "")
    print(f"per corpus (dev+test): {per}; patterns checked with {engines}")
    print(f"{len(entries)} questions (dev {dev}, test {test}): all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

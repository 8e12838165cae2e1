// Marks on the sentences Ledge checked, put on an answer already rendered as Markdown.
//
// Design: the whole answer is rendered as Markdown exactly as before (so lists, tables, code
// blocks and emphasis that spans sentences come out the same), and the marks are applied
// afterwards. The rendered text is aligned to the raw Markdown character by character: what
// Markdown shows is, but for its syntax, a subsequence of the source (`**`, list numbers, link
// targets and fences disappear; the words stay in order), so each shown character is matched
// to the next equal character of the source, which gives it a source offset and so a
// sentence. Runs of shown text of one sentence are wrapped in a span per text node (a
// sentence may cross `<strong>` or `<code>`), and the sentence's marker (the "unverified"
// flag, Ledge's matched citation) goes after its last run. A character that cannot be
// matched nearby is left unmarked rather than guessed, so a mismatch stays local; the tail
// not checked yet is left as rendered. This runs before `linkCitations`, on the text of
// `[n]` itself; code blocks are aligned through but never wrapped.
//
// The alternatives were worse: inserting marker characters into the Markdown before
// rendering changes how it parses (a character before `1.` ends a list, one after `**`
// before a space ends bold), and rendering each sentence's Markdown on its own loses block
// structure.

import type { CheckedSentence, Source } from "../ipc";
import { citationButton, type OpenSource } from "./citations";
import { checkedPrefix, sentenceEnds, sentenceNote } from "./grounding";
import { sourceLabel } from "./sources";

/** How far ahead in the source a shown character is looked for before it is left unmatched. */
const WINDOW = 2000;

/** Elements whose direct text is layout whitespace, never wrapped. */
const CONTAINERS = new Set(["UL", "OL", "TABLE", "THEAD", "TBODY", "TFOOT", "TR"]);
/** Inline formatting a marker is moved out of when a sentence ends inside it. */
const INLINE = new Set(["STRONG", "EM", "B", "I", "DEL", "S", "CODE", "SPAN"]);

const WHITESPACE = /\s/;

/** A shown character that matched no source character nearby, or whitespace. */
const UNKNOWN = -1;
/** A shown character of the text not checked yet. */
const TAIL = -2;

/**
 * The sentence each character of each text node belongs to (-1: none), aligning the shown
 * text to `source`; `ends` are the sentences' end offsets in it. Exported for tests.
 */
export function alignSentences(source: string, texts: string[], ends: number[]): Int32Array[] {
  const checked = ends.length > 0 ? ends[ends.length - 1]! : 0;
  const cells: { row: Int32Array; i: number }[] = [];
  const rows = texts.map((t) => new Int32Array(t.length).fill(UNKNOWN));
  let pos = 0;
  let k = 0;
  texts.forEach((t, n) => {
    const row = rows[n]!;
    for (let i = 0; i < t.length; i++) {
      cells.push({ row, i });
      const ch = t[i]!;
      if (WHITESPACE.test(ch)) continue;
      const j = source.indexOf(ch, pos);
      if (j === -1 || j - pos > WINDOW) continue;
      pos = j + 1;
      if (j >= checked) {
        row[i] = TAIL;
        continue;
      }
      while (k < ends.length && ends[k]! <= j) k += 1;
      row[i] = k;
    }
  });
  // Whitespace (and a character left unmatched) goes with the sentence on both sides of it,
  // so a sentence's mark is one run, across text nodes too; between two sentences it belongs
  // to neither.
  const after = new Int32Array(cells.length);
  let next = UNKNOWN;
  for (let c = cells.length - 1; c >= 0; c--) {
    const { row, i } = cells[c]!;
    after[c] = next;
    if (row[i] !== UNKNOWN) next = row[i]!;
  }
  let before = UNKNOWN;
  cells.forEach(({ row, i }, c) => {
    if (row[i] !== UNKNOWN) before = row[i]!;
    else if (before >= 0 && after[c] === before) row[i] = before;
  });
  for (const row of rows) for (let i = 0; i < row.length; i++) if (row[i] === TAIL) row[i] = UNKNOWN;
  return rows;
}

function inside(node: Node, root: Node, tags: Set<string> | string): boolean {
  for (let p = node.parentElement; p && p !== root; p = p.parentElement) {
    if (typeof tags === "string" ? p.tagName === tags : tags.has(p.tagName)) return true;
  }
  return false;
}

/** The classes of a sentence's runs; null: not marked (a sentence without a claim). */
function sentenceClass(sentence: CheckedSentence): string | null {
  switch (sentence.support) {
    case "supported":
      return "sent sent-supported";
    case "unsupported":
      return "sent sent-unsupported";
    case "noClaim":
      return null;
  }
}

/** The "unverified" flag after an unsupported sentence: words, not only colour. */
export function unverifiedFlag(doc: Document, sentence: CheckedSentence): HTMLElement {
  const flag = doc.createElement("span");
  flag.className = "flag-unverified";
  const note = sentenceNote(sentence) ?? "";
  flag.title = note;
  const sign = doc.createElement("span");
  sign.className = "flag-sign";
  sign.setAttribute("aria-hidden", "true");
  sign.textContent = "?";
  const words = doc.createElement("span");
  words.textContent = "unverified";
  const why = doc.createElement("span");
  why.className = "visually-hidden";
  why.textContent = `: ${sentence.reason ?? "no source backs this sentence"}`;
  flag.append(sign, words, why);
  return flag;
}

/** Ledge's citation for a sentence the model left uncited: outlined, said to be Ledge's. */
export function matchedCitation(
  doc: Document,
  source: Source,
  onOpen: OpenSource,
  focusable = true,
): HTMLButtonElement {
  const button = citationButton(doc, source, onOpen, focusable);
  button.classList.add("matched");
  const label = sourceLabel(source);
  button.title = `Matched by Ledge: ${label}`;
  button.setAttribute("aria-label", `Source ${source.number}, matched by Ledge: ${label}`);
  return button;
}

/**
 * Marks the checked sentences of `text` in `root`, its rendered Markdown. Returns how many
 * sentences got a mark.
 */
export function markSentences(
  root: Element | DocumentFragment,
  text: string,
  sentences: CheckedSentence[],
  sources: Source[],
  onOpen: OpenSource,
  focusable = true,
): number {
  const checked = checkedPrefix(text, sentences);
  if (checked.length === 0) return 0;
  const doc = root.ownerDocument ?? document;
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  const rows = alignSentences(
    text,
    nodes.map((n) => n.nodeValue ?? ""),
    sentenceEnds(checked),
  );

  const last = new Map<number, HTMLElement>();
  nodes.forEach((node, n) => {
    const parent = node.parentElement;
    if (inside(node, root, "PRE") || (parent && CONTAINERS.has(parent.tagName))) return;
    const value = node.nodeValue ?? "";
    const row = rows[n]!;
    if (!row.some((k) => k >= 0 && sentenceClass(checked[k]!) !== null)) return;
    const fragment = doc.createDocumentFragment();
    let start = 0;
    while (start < value.length) {
      const k = row[start]!;
      let end = start + 1;
      while (end < value.length && row[end] === k) end += 1;
      const piece = value.slice(start, end);
      const cls = k >= 0 ? sentenceClass(checked[k]!) : null;
      if (cls === null) {
        fragment.append(piece);
      } else {
        const span = doc.createElement("span");
        span.className = cls;
        span.dataset.sentence = String(k);
        const note = sentenceNote(checked[k]!);
        if (note) span.title = note;
        span.textContent = piece;
        fragment.append(span);
        last.set(k, span);
      }
      start = end;
    }
    node.replaceWith(fragment);
  });

  const byNumber = new Map(sources.map((s) => [s.number, s]));
  for (const [k, span] of last) {
    const sentence = checked[k]!;
    const markers: Node[] = [];
    const source = sentence.matched !== null ? byNumber.get(sentence.matched) : undefined;
    if (source && !sentence.cited.includes(source.number)) {
      markers.push(matchedCitation(doc, source, onOpen, focusable));
    }
    if (sentence.support === "unsupported") markers.push(unverifiedFlag(doc, sentence));
    if (markers.length === 0) continue;
    // After the sentence's last words, outside the bold or code they may end in.
    let at: Node = span;
    while (
      at.parentElement &&
      at.parentElement !== root &&
      INLINE.has(at.parentElement.tagName) &&
      at.parentElement.lastChild === at
    ) {
      at = at.parentElement;
    }
    // Kept apart from the sentence's last word by a space, inside the same line.
    (at as ChildNode).after(...markers);
  }
  return last.size;
}

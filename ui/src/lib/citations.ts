// Citations in an answer: "[2]", "[1, 3]", "[1][4]", "[source 2]" (the forms the core's
// citation parser reads). Known numbers become buttons that open the source; numbers that
// match no source are left as the text they were.

import type { Source } from "../ipc";
import { sourceLabel } from "./sources";

export type CitationPiece =
  | { kind: "text"; text: string }
  | { kind: "cite"; raw: string; numbers: number[] };

const GROUP = /\[\s*(?:source\s*)?\d{1,6}(?:\s*,\s*(?:source\s*)?\d{1,6})*\s*\]/gi;

/** Splits text into plain runs and citation groups. */
export function splitCitations(text: string): CitationPiece[] {
  const pieces: CitationPiece[] = [];
  let last = 0;
  for (const match of text.matchAll(GROUP)) {
    const at = match.index ?? 0;
    if (at > last) pieces.push({ kind: "text", text: text.slice(last, at) });
    const numbers = (match[0].match(/\d+/g) ?? []).map(Number);
    pieces.push({ kind: "cite", raw: match[0], numbers });
    last = at + match[0].length;
  }
  if (last < text.length) pieces.push({ kind: "text", text: text.slice(last) });
  return pieces;
}

/** The distinct numbers cited in text, in order of first appearance. */
export function citedNumbers(text: string): number[] {
  const seen = new Set<number>();
  for (const piece of splitCitations(text)) {
    if (piece.kind === "cite") for (const n of piece.numbers) seen.add(n);
  }
  return [...seen];
}

export type OpenSource = (source: Source) => void;

/**
 * The citation button for one source. `focusable: false` keeps it out of the Tab order where
 * the sources are reachable another way (the popup's arrow keys).
 */
export function citationButton(
  doc: Document,
  source: Source,
  onOpen: OpenSource,
  focusable = true,
): HTMLButtonElement {
  const button = doc.createElement("button");
  button.type = "button";
  if (!focusable) button.tabIndex = -1;
  button.className = "cite";
  button.dataset.source = String(source.number);
  button.textContent = String(source.number);
  const label = sourceLabel(source);
  button.title = label;
  button.setAttribute("aria-label", `Source ${source.number}: ${label}`);
  button.addEventListener("click", (event) => {
    event.preventDefault();
    onOpen(source);
  });
  return button;
}

/**
 * Replaces citations in the text of `root` (not inside code) with buttons. Returns how many
 * buttons it made.
 */
export function linkCitations(
  root: Element | DocumentFragment,
  sources: Source[],
  onOpen: OpenSource,
  focusable = true,
): number {
  const doc = root.ownerDocument ?? document;
  const byNumber = new Map(sources.map((s) => [s.number, s]));
  if (byNumber.size === 0) return 0;
  const walker = doc.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let p = node.parentElement; p && p !== root; p = p.parentElement) {
        if (p.tagName === "CODE" || p.tagName === "PRE") return NodeFilter.FILTER_REJECT;
      }
      return node.nodeValue && node.nodeValue.includes("[")
        ? NodeFilter.FILTER_ACCEPT
        : NodeFilter.FILTER_SKIP;
    },
  });
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);

  let made = 0;
  for (const node of nodes) {
    const pieces = splitCitations(node.nodeValue ?? "");
    if (!pieces.some((p) => p.kind === "cite" && p.numbers.some((n) => byNumber.has(n)))) continue;
    const fragment = doc.createDocumentFragment();
    for (const piece of pieces) {
      if (piece.kind === "text" || !piece.numbers.some((n) => byNumber.has(n))) {
        fragment.append(piece.kind === "text" ? piece.text : piece.raw);
        continue;
      }
      const group = doc.createElement("span");
      group.className = "cite-group";
      for (const n of piece.numbers) {
        const source = byNumber.get(n);
        if (source) {
          group.append(citationButton(doc, source, onOpen, focusable));
          made += 1;
        } else {
          group.append(`[${n}]`);
        }
      }
      fragment.append(group);
    }
    node.replaceWith(fragment);
  }
  return made;
}

// @vitest-environment jsdom
import { describe, expect, it, vi } from "vitest";
import { quote, sentence, source } from "./fixtures.test-util";
import { checkedPrefix, MOSTLY_UNSUPPORTED, quoteSource, sentenceNote } from "./grounding";
import { GroundingHead, quotesBlock, unsupportedWarning } from "./quotes";

const PDF = source(1, { path: "/home/me/manual.pdf", title: "manual.pdf", lines: null, page: 30 });
const NOTES = source(2);

describe("quotesBlock", () => {
  it("quotes each sentence verbatim under a label, with its source and line or page", () => {
    const block = quotesBlock(
      [quote(2, "The key is under the <b>mat</b>.", { line: 23 }), quote(1, "Two years.", { line: null, page: 31 })],
      [PDF, NOTES],
      () => undefined,
    );
    expect(block?.getAttribute("aria-label")).toBe("From your files");
    expect(block?.querySelector(".quotes-head")?.textContent).toBe("From your files");
    const items = [...(block?.querySelectorAll(".quote") ?? [])];
    expect(items.map((li) => li.querySelector("blockquote")?.textContent)).toEqual(["The key is under the <b>mat</b>.", "Two years."]);
    // Source text is never parsed as markup.
    expect(block?.querySelector("b")).toBeNull();
    expect(items.map((li) => li.querySelector(".quote-where")?.textContent)).toEqual(["file2.md, line 23", "manual.pdf, p. 31"]);
    expect(items[0]?.querySelector("button")?.getAttribute("aria-label")).toBe("Open source 2 at the quote: file2.md, line 23");
  });

  it("opens the source at the quote's line or page, from the button or the quote itself", () => {
    const open = vi.fn();
    const block = quotesBlock([quote(2, "A.", { line: 23 }), quote(1, "B.", { line: null, page: 31 })], [PDF, NOTES], open);
    block?.querySelector<HTMLButtonElement>(".quote button")?.click();
    expect(open).toHaveBeenLastCalledWith(expect.objectContaining({ number: 2, lines: [23, 23], page: null }));
    expect(open).toHaveBeenCalledTimes(1);
    block?.querySelectorAll<HTMLElement>(".quote blockquote")[1]?.click();
    expect(open).toHaveBeenLastCalledWith(expect.objectContaining({ number: 1, path: "/home/me/manual.pdf", page: 31 }));
  });

  it("shows nothing without quotes, and a quote of an unknown source without a button", () => {
    expect(quotesBlock([], [NOTES], () => undefined)).toBeNull();
    const block = quotesBlock([quote(9, "Lost.")], [NOTES], () => undefined);
    expect(block?.querySelector("button")).toBeNull();
    expect(block?.querySelector(".quote-source")?.textContent).toBe("9Source 9");
  });

  it("can keep its buttons out of the Tab order", () => {
    const block = quotesBlock([quote(2, "A.")], [NOTES], () => undefined, false);
    expect(block?.querySelector<HTMLButtonElement>("button")?.tabIndex).toBe(-1);
  });
});

describe("the warning and the head above an answer", () => {
  it("says the core's words", () => {
    expect(MOSTLY_UNSUPPORTED).toBe("Most of this answer is not backed by your files: treat it as unverified.");
    const warning = unsupportedWarning();
    expect(warning.textContent).toBe(MOSTLY_UNSUPPORTED);
    expect(warning.querySelector("svg")?.getAttribute("aria-hidden")).toBe("true");
  });

  it("shows the quotes, then the warning when most of the answer is unbacked, and redraws only on change", () => {
    const head = new GroundingHead(() => undefined);
    expect(head.el.hidden).toBe(true);
    const quotes = [quote(2, "A.")];
    const sources = [NOTES];
    head.update(quotes, sources, false);
    expect(head.el.hidden).toBe(false);
    expect(head.el.querySelector(".grounding-warning")).toBeNull();
    const block = head.el.querySelector(".quotes");
    head.update(quotes, sources, false);
    expect(head.el.querySelector(".quotes")).toBe(block);
    head.update(quotes, sources, true);
    expect([...head.el.children].map((c) => c.className)).toEqual(["quotes", "grounding-warning"]);
    head.update([], sources, false);
    expect(head.el.hidden).toBe(true);
    expect(head.el.children).toHaveLength(0);
  });
});

describe("grounding data", () => {
  it("takes the sentences that continue the text, in order", () => {
    const a = sentence("One. ");
    const b = sentence("Two. ");
    const c = sentence("Three.");
    expect(checkedPrefix("One. Two. Three.", [a, b, c])).toEqual([a, b, c]);
    expect(checkedPrefix("One. Two. Thr", [a, b, c])).toEqual([a, b]);
    expect(checkedPrefix("One. Deux. Three.", [a, b, c])).toEqual([a]);
    expect(checkedPrefix("", [a])).toEqual([]);
    // A stored answer whose text lost the last sentence's trailing space.
    expect(checkedPrefix("One. Two.", [a, b])).toEqual([a, b]);
    expect(checkedPrefix("One. Tw", [a, b])).toEqual([a]);
  });

  it("opens a text quote at its line and a PDF quote at its page", () => {
    expect(quoteSource(NOTES, quote(2, "x", { line: 23 }))).toMatchObject({ lines: [23, 23], page: null });
    expect(quoteSource(PDF, quote(1, "x", { line: null, page: 31 }))).toMatchObject({ lines: null, page: 31 });
  });

  it("words each mark", () => {
    expect(sentenceNote(sentence("x", { evidence: "E." }))).toBe("Backed by your files: “E.”");
    expect(sentenceNote(sentence("x"))).toBeNull();
    expect(sentenceNote(sentence("x", { support: "noClaim", evidence: "E." }))).toBeNull();
    expect(sentenceNote(sentence("x", { support: "unsupported", reason: "No date." }))).toBe("No date.");
    expect(sentenceNote(sentence("x", { support: "unsupported" }))).toBe("No source backs this sentence.");
  });
});

// @vitest-environment jsdom
import { describe, expect, it, vi } from "vitest";
import type { CheckedSentence } from "../ipc";
import { answerReducer, initialAnswer, type AnswerAction, type AnswerState } from "./answer";
import { drawAnswer } from "./answerView";
import { linkCitations } from "./citations";
import { source, sentence } from "./fixtures.test-util";
import { alignSentences, markSentences } from "./marks";
import { renderMarkdown } from "./markdown";

const SOURCES = [source(1), source(2), source(3)];

function draw(text: string, sentences: CheckedSentence[], sources = SOURCES) {
  const el = document.createElement("div");
  const open = vi.fn();
  drawAnswer(el, text, sources, sentences, open);
  return { el, open };
}

/** The text of each sentence's runs, joined, by sentence index. */
function runs(el: Element): Record<string, string> {
  const out: Record<string, string> = {};
  for (const span of el.querySelectorAll<HTMLElement>(".sent")) {
    const k = span.dataset.sentence ?? "?";
    out[k] = (out[k] ?? "") + span.textContent;
  }
  return out;
}

const WARRANTY = [
  sentence("The dishwasher has a **two-year** warranty from the date of purchase [1]. ", {
    cited: [1],
    evidence: "The warranty covers two (2) years from the date of purchase.",
  }),
  sentence("You bought it on 14 March 2024, so it is covered until **14 March 2026**. ", {
    matched: 2,
    evidence: "14 March 2024 — Dishwasher SMV4HTX.",
  }),
  sentence("The extended warranty adds three more years.", {
    support: "unsupported",
    reason: "No source says how long the extended warranty lasts.",
    evidence: "Extended-warranty card in the drawer, not registered.",
  }),
];
const WARRANTY_TEXT = WARRANTY.map((s) => s.text).join("");

describe("alignSentences", () => {
  it("gives each shown character the sentence of its place in the source, skipping Markdown syntax", () => {
    const source = "One **bold** claim. Two [x](http://a.example/b) here.";
    // As rendered: "One ", "bold", " claim. Two ", "x", " here."
    const texts = ["One ", "bold", " claim. Two ", "x", " here."];
    const rows = alignSentences(source, texts, [20, source.length]);
    const at = (n: number) => [...rows[n]!];
    expect(at(0)).toEqual([0, 0, 0, 0]);
    expect(at(1)).toEqual([0, 0, 0, 0]);
    // The space between the two sentences belongs to neither.
    expect(at(2)).toEqual([0, 0, 0, 0, 0, 0, 0, -1, 1, 1, 1, 1]);
    expect(at(3)).toEqual([1]);
    expect(at(4)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it("leaves the tail that is not checked yet unmarked", () => {
    const rows = alignSentences("Done. Still writ", ["Done. Still writ"], [6]);
    expect([...rows[0]!]).toEqual([0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1]);
  });

  it("leaves a character with no counterpart in the source unmarked at the edge, not guessed", () => {
    // "&copy;" renders as "©", which is not in the source: inside a sentence it takes the
    // sentence on both sides; at its end it stays unmarked.
    const rows = alignSentences("A &copy; B. C &copy;", ["A © B. C ©"], [12, 20]);
    expect([...rows[0]!]).toEqual([0, 0, 0, 0, 0, 0, -1, 1, -1, -1]);
  });
});

describe("markSentences", () => {
  it("marks an unsupported sentence with words and its reason, not colour alone", () => {
    const { el } = draw(WARRANTY_TEXT, WARRANTY);
    const unsupported = el.querySelectorAll<HTMLElement>(".sent-unsupported");
    expect([...unsupported].map((s) => s.textContent).join("")).toBe("The extended warranty adds three more years.");
    expect(unsupported[0]?.title).toContain("No source says how long the extended warranty lasts.");
    expect(unsupported[0]?.title).toContain("Closest in your files: “Extended-warranty card in the drawer, not registered.”");
    const flags = el.querySelectorAll(".flag-unverified");
    expect(flags).toHaveLength(1);
    expect(flags[0]?.textContent).toBe("?unverified: No source says how long the extended warranty lasts.");
    expect(flags[0]?.querySelector(".visually-hidden")?.textContent).toContain("No source says");
    // The flag follows the sentence it is about.
    expect(unsupported[unsupported.length - 1]?.nextSibling).toBe(flags[0]);
  });

  it("gives a sentence Ledge matched its own citation, apart from the model's [n]", () => {
    const { el, open } = draw(WARRANTY_TEXT, WARRANTY);
    const cites = [...el.querySelectorAll<HTMLButtonElement>("button.cite")];
    expect(cites.map((b) => [b.textContent, b.classList.contains("matched")])).toEqual([
      ["1", false],
      ["2", true],
    ]);
    const matched = cites[1]!;
    expect(matched.title).toBe("Matched by Ledge: file2.md, lines 20–25");
    expect(matched.getAttribute("aria-label")).toBe("Source 2, matched by Ledge: file2.md, lines 20–25");
    matched.click();
    expect(open).toHaveBeenCalledWith(expect.objectContaining({ number: 2 }));
    // It comes right after the sentence's last words.
    const before = matched.previousSibling as HTMLElement;
    expect(before.dataset.sentence).toBe("1");
    expect(before.textContent).toBe(".");
    expect(el.querySelectorAll(".flag-unverified")).toHaveLength(1);
  });

  it("wraps each sentence across its bold, keeps the model's citation inside, and titles it with the evidence", () => {
    const { el } = draw(WARRANTY_TEXT, WARRANTY);
    const r = runs(el);
    expect(r["0"]).toBe("The dishwasher has a two-year warranty from the date of purchase 1.");
    expect(r["1"]).toBe("You bought it on 14 March 2024, so it is covered until 14 March 2026.");
    const first = el.querySelector<HTMLElement>('.sent-supported[data-sentence="0"]');
    expect(first?.title).toBe("Backed by your files: “The warranty covers two (2) years from the date of purchase.”");
    expect(el.querySelector("strong")?.textContent).toBe("two-year");
    expect(el.querySelector("strong .sent-supported")).not.toBeNull();
    // The model's own citation is a button inside its sentence.
    expect(el.querySelector('.sent[data-sentence="0"] button.cite:not(.matched)')?.textContent).toBe("1");
  });

  it("marks the checked prefix while streaming and leaves the tail as rendered text", () => {
    const text = WARRANTY_TEXT.slice(0, WARRANTY[0]!.text.length + 20);
    const { el } = draw(text, WARRANTY.slice(0, 1));
    expect(Object.keys(runs(el))).toEqual(["0"]);
    expect(el.textContent?.trim()).toBe("The dishwasher has a two-year warranty from the date of purchase 1. You bought it on 14");
    expect(el.querySelectorAll("p")).toHaveLength(1);
  });

  it("puts a marker outside the bold a sentence ends in", () => {
    const sentences = [sentence("It is covered until **14 March 2026.** ", { matched: 2 }), sentence("Done.")];
    const { el } = draw(sentences.map((s) => s.text).join(""), sentences);
    const matched = el.querySelector("button.cite.matched");
    expect(matched?.parentElement?.tagName).toBe("P");
    expect(matched?.previousSibling?.nodeName).toBe("STRONG");
  });

  it("keeps list structure, marks inside list items and never inside code blocks", () => {
    const sentences = [
      sentence("Rotate the keys in three steps:\n", { support: "noClaim" }),
      sentence("1. Add a new key with `restic key add` [1].\n", { cited: [1] }),
      sentence("2. Store the password in the vault.\n", { support: "unsupported", reason: "Not in the files." }),
      sentence("```bash\nrestic key list\n```\n", { support: "noClaim" }),
      sentence("Then remove the old key.", { matched: 3 }),
    ];
    const text = sentences.map((s) => s.text).join("");
    const { el } = draw(text, sentences);
    const items = el.querySelectorAll("ol > li");
    expect(items).toHaveLength(2);
    expect(items[0]?.querySelector(".sent-supported")).not.toBeNull();
    expect(items[0]?.querySelector("code .sent-supported")?.textContent).toBe("restic key add");
    expect(items[1]?.querySelector(".sent-unsupported")?.textContent).toBe("Store the password in the vault.");
    expect(items[1]?.querySelector(".flag-unverified")).not.toBeNull();
    expect(el.querySelector("pre .sent")).toBeNull();
    expect(el.querySelector("pre")?.textContent).toBe("restic key list");
    // A sentence without a claim is not marked.
    expect(el.querySelector("p")?.querySelector(".sent")).toBeNull();
    expect(el.querySelector("p:last-of-type button.cite.matched")?.textContent).toBe("3");
  });

  it("does not trust sentences that do not continue the text", () => {
    const root = document.createElement("div");
    root.append(renderMarkdown("Fresh answer."));
    const made = markSentences(root, "Fresh answer.", [sentence("Stale answer.", { support: "unsupported" })], SOURCES, () => undefined);
    expect(made).toBe(0);
    expect(root.querySelector(".sent, .flag-unverified")).toBeNull();
  });

  it("renders an answer without checked sentences exactly as before", () => {
    const text = "Every **90 days** [2].\n\n- one [1]\n- two";
    const { el } = draw(text, []);
    const before = document.createElement("div");
    const fragment = renderMarkdown(text);
    linkCitations(fragment, SOURCES, () => undefined);
    before.append(fragment);
    expect(el.innerHTML).toBe(before.innerHTML);
    expect(el.querySelector(".sent, .flag-unverified, .matched")).toBeNull();
  });

  it("cannot be forged by the answer's own markup", () => {
    const text = 'A <span class="flag-unverified sent-unsupported">claim</span>.';
    const { el } = draw(text, []);
    expect(el.querySelector(".flag-unverified, .sent-unsupported")).toBeNull();
  });

  it("keeps citation buttons out of the Tab order when asked", () => {
    const el = document.createElement("div");
    drawAnswer(el, WARRANTY_TEXT, SOURCES, WARRANTY, () => undefined, false);
    expect([...el.querySelectorAll<HTMLButtonElement>("button.cite")].map((b) => b.tabIndex)).toEqual([-1, -1]);
  });

  it("follows a stream of events: marks appear as sentences are checked, and a fallback clears them", () => {
    let s: AnswerState = answerReducer(initialAnswer, { type: "ask", question: "q" });
    const seq = s.seq;
    const step = (...events: AnswerAction[]) => {
      s = events.reduce(answerReducer, s);
      return draw(s.text, s.sentences).el;
    };
    let el = step(
      { type: "event", seq, event: { event: "sources", sources: SOURCES } },
      { type: "event", seq, event: { event: "text", text: "The extended warranty adds three more years." } },
    );
    expect(el.querySelector(".sent")).toBeNull();
    el = step({ type: "event", seq, event: { event: "checked", sentence: WARRANTY[2]! } });
    expect(el.querySelector(".sent-unsupported")?.textContent).toBe("The extended warranty adds three more years.");
    expect(el.querySelector(".flag-unverified")).not.toBeNull();
    el = step({ type: "event", seq, event: { event: "fallback", reason: "the server stopped" } });
    expect(el.textContent).toBe("");
    el = step({ type: "event", seq, event: { event: "text", text: "The extended warranty adds three more years." } });
    expect(el.textContent?.trim()).toBe("The extended warranty adds three more years.");
    expect(el.querySelector(".sent, .flag-unverified")).toBeNull();
  });
});

// What goes above the model's answer: the extractive answer ("From your files": source
// sentences quoted verbatim, each opening its source at its line or page) and, when most of
// the answer is not backed by the sources, a plain warning.

import type { Quote, Source } from "../ipc";
import type { OpenSource } from "./citations";
import { h } from "./dom";
import { quoteSource, MOSTLY_UNSUPPORTED } from "./grounding";
import { icon } from "./icons";
import { sourceLabel } from "./sources";

/**
 * The quotes block, or null without quotes. The quote is the source's text, so it is set as
 * text, never parsed. Clicking a quote (or its source button) opens the source at the quote.
 * `focusable: false` keeps the buttons out of the Tab order (the popup's arrow keys reach the
 * sources instead).
 */
export function quotesBlock(
  quotes: Quote[],
  sources: Source[],
  onOpen: OpenSource,
  focusable = true,
): HTMLElement | null {
  if (quotes.length === 0) return null;
  const byNumber = new Map(sources.map((s) => [s.number, s]));
  const items = quotes.map((quote) => {
    const source = byNumber.get(quote.number);
    const target = source ? quoteSource(source, quote) : null;
    const label = target ? sourceLabel(target) : `Source ${quote.number}`;
    const open = target
      ? h(
          "button",
          {
            type: "button",
            class: "quote-source",
            tabindex: focusable ? null : "-1",
            title: target.path,
            "aria-label": `Open source ${quote.number} at the quote: ${label}`,
            onclick: (event: Event) => {
              event.stopPropagation();
              onOpen(target);
            },
          },
          h("span", { class: "num", "aria-hidden": "true" }, String(quote.number)),
          h("span", { class: "quote-where" }, label),
        )
      : h("span", { class: "quote-source" }, h("span", { class: "num" }, String(quote.number)), label);
    return h(
      "li",
      {
        class: `quote${target ? " openable" : ""}`,
        dataset: { source: String(quote.number) },
        onclick: target
          ? () => {
              // Selecting the quote's words to copy them does not open the file.
              if (window.getSelection()?.isCollapsed === false) return;
              onOpen(target);
            }
          : null,
      },
      h("blockquote", { class: "quote-text selectable" }, quote.text),
      open,
    );
  });
  return h(
    "section",
    { class: "quotes", "aria-label": "From your files" },
    h("p", { class: "quotes-head", "aria-hidden": "true" }, "From your files"),
    h("ul", { class: "quote-list" }, items),
  );
}

/** The warning above an answer whose claims are mostly not backed by the sources. */
export function unsupportedWarning(): HTMLElement {
  return h(
    "p",
    { class: "grounding-warning", role: "note" },
    icon("warn", 15),
    h("span", null, MOSTLY_UNSUPPORTED),
  );
}

/**
 * The quotes and the warning of one answer, in one element placed above its text; redrawn
 * only when they change, so a quote being clicked is not replaced under the pointer while the
 * answer streams.
 */
export class GroundingHead {
  readonly el = h("div", { class: "grounding-head" });
  private drawn: { quotes: Quote[]; sources: Source[]; warn: boolean } | null = null;

  constructor(
    private readonly onOpen: OpenSource,
    private readonly focusable = true,
  ) {
    this.el.hidden = true;
  }

  update(quotes: Quote[], sources: Source[], mostlyUnsupported: boolean): void {
    const d = this.drawn;
    if (d && d.quotes === quotes && d.sources === sources && d.warn === mostlyUnsupported) return;
    this.drawn = { quotes, sources, warn: mostlyUnsupported };
    const block = quotesBlock(quotes, sources, this.onOpen, this.focusable);
    const warning = mostlyUnsupported ? unsupportedWarning() : null;
    this.el.replaceChildren(...[block, warning].filter((x): x is HTMLElement => x !== null));
    this.el.hidden = block === null && warning === null;
  }
}

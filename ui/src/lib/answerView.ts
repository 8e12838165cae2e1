// Draws an answer (Markdown with the checked sentences marked and citation buttons) into an
// element, at most once per frame however fast text pieces arrive.

import type { CheckedSentence, Source } from "../ipc";
import { linkCitations, type OpenSource } from "./citations";
import { markSentences } from "./marks";
import { renderMarkdown } from "./markdown";

/**
 * Renders `text` into `el`: its Markdown, the marks of the sentences checked so far (the rest,
 * not checked yet, as plain rendered text), then `[n]` as buttons.
 */
export function drawAnswer(
  el: HTMLElement,
  text: string,
  sources: Source[],
  sentences: CheckedSentence[],
  onOpen: OpenSource,
  focusableCitations = true,
): void {
  const fragment = renderMarkdown(text);
  markSentences(fragment, text, sentences, sources, onOpen, focusableCitations);
  linkCitations(fragment, sources, onOpen, focusableCitations);
  el.replaceChildren(fragment);
}

export class AnswerView {
  private text = "";
  private sources: Source[] = [];
  private sentences: CheckedSentence[] = [];
  private drawn: { text: string; sources: Source[]; sentences: CheckedSentence[] } | null = null;
  private frame = 0;

  constructor(
    readonly el: HTMLElement,
    private readonly onOpen: OpenSource,
    private readonly focusableCitations = true,
  ) {}

  /** Shows this text with these sources and checked sentences, on the next frame. */
  update(text: string, sources: Source[], sentences: CheckedSentence[] = []): void {
    this.text = text;
    this.sources = sources;
    this.sentences = sentences;
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Draws now (when the answer is complete, or before measuring). */
  flush(): void {
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    this.frame = 0;
    const d = this.drawn;
    if (d && d.text === this.text && d.sources === this.sources && d.sentences === this.sentences) return;
    drawAnswer(this.el, this.text, this.sources, this.sentences, this.onOpen, this.focusableCitations);
    this.drawn = { text: this.text, sources: this.sources, sentences: this.sentences };
  }

  clear(): void {
    this.update("", [], []);
    this.flush();
  }
}

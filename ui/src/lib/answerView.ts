// Draws an answer (Markdown with citation buttons) into an element, at most once per frame
// however fast text pieces arrive.

import type { Source } from "../ipc";
import { linkCitations, type OpenSource } from "./citations";
import { renderMarkdown } from "./markdown";

export class AnswerView {
  private text = "";
  private sources: Source[] = [];
  private drawn: { text: string; sources: Source[] } | null = null;
  private frame = 0;

  constructor(
    readonly el: HTMLElement,
    private readonly onOpen: OpenSource,
    private readonly focusableCitations = true,
  ) {}

  /** Shows this text with these sources, on the next frame. */
  update(text: string, sources: Source[]): void {
    this.text = text;
    this.sources = sources;
    if (this.frame === 0) this.frame = requestAnimationFrame(() => this.flush());
  }

  /** Draws now (when the answer is complete, or before measuring). */
  flush(): void {
    if (this.frame !== 0) cancelAnimationFrame(this.frame);
    this.frame = 0;
    if (this.drawn && this.drawn.text === this.text && this.drawn.sources === this.sources) return;
    const fragment = renderMarkdown(this.text);
    linkCitations(fragment, this.sources, this.onOpen, this.focusableCitations);
    this.el.replaceChildren(fragment);
    this.drawn = { text: this.text, sources: this.sources };
  }

  clear(): void {
    this.update("", []);
    this.flush();
  }
}

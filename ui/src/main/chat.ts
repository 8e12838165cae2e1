// The chat view: one conversation's messages, the answer being written, and the composer
// (pinned files, the question, Send/Stop).

import * as ipc from "../ipc";
import type { Message, Source } from "../ipc";
import {
  answerReducer,
  initialAnswer,
  isBusy,
  isCited,
  nothingFound,
  type AnswerAction,
  type AnswerState,
} from "../lib/answer";
import { AnswerView, drawAnswer } from "../lib/answerView";
import { citedNumbers } from "../lib/citations";
import { h, setChildren } from "../lib/dom";
import { backendLabel } from "../lib/backends";
import { basename, plural } from "../lib/format";
import { hotkeyText } from "../lib/hotkey";
import { icon } from "../lib/icons";
import { NO_GROUNDING } from "../lib/grounding";
import { GroundingHead } from "../lib/quotes";
import type { Route } from "../lib/route";
import { openArgs, sourceLabel } from "../lib/sources";
import { navigate, type View } from "./nav";
import { store } from "./store";

export class ChatView implements View {
  readonly el: HTMLElement;

  private conversationId: number | null;
  private messages: Message[] = [];
  private loading = false;
  private loadSeq = 0;
  /** The answer being written (or just finished, until the saved conversation is reloaded). */
  private answer: AnswerState = initialAnswer;
  /** The conversation the current answer belongs to (null: a new one). */
  private answerConversation: number | null = null;
  private pinned: string[] = [];
  private notice: string | null = null;
  private destroyed = false;
  /** The backend chosen for this conversation; `null`: the default. */
  private backend: string | null = null;

  private readonly titleEl = h("h1", { class: "chat-title", id: "chat-title" });
  private readonly backendSelect = h("select", { id: "chat-backend", class: "field small" });
  private readonly backendPicker = h(
    "div",
    { class: "chat-backend", hidden: true },
    h("label", { for: "chat-backend" }, "Answer with"),
    this.backendSelect,
  );
  private readonly scroller = h("div", { class: "chat-scroll" });
  private readonly messagesEl = h("div", { class: "messages" });
  private readonly turnEl = h("div", { class: "turn" });
  private readonly emptyEl = h("div", { class: "chat-empty" });
  private readonly noticeEl = h("div", { class: "chat-notice", role: "alert", hidden: true });
  private readonly chips = h("div", { class: "chips composer-chips", role: "group", "aria-label": "Pinned files" });
  private readonly input = h("textarea", {
    id: "chat-input",
    class: "composer-input",
    rows: "1",
    placeholder: "Ask about your files…",
    "aria-label": "Your question",
    spellcheck: "true",
  });
  private readonly sendButton = h(
    "button",
    { type: "submit", class: "btn primary icon-only round send", "aria-label": "Send", title: "Send (Enter)" },
    icon("send", 16),
  );
  private readonly stopButton = h(
    "button",
    { type: "button", class: "btn icon-only round stop", "aria-label": "Stop answering", title: "Stop (Esc)", hidden: true },
    icon("stop", 12),
  );
  private readonly turnAnswer = h("div", { class: "md answer-text" });
  private readonly turnView = new AnswerView(this.turnAnswer, (s) => this.open(s));
  private readonly turnHead = new GroundingHead((s) => this.open(s));
  private readonly unsubscribe: () => void;

  constructor(conversationId: number | null) {
    this.conversationId = conversationId;
    const pinButton = h(
      "button",
      {
        type: "button",
        class: "btn quiet small pin",
        title: "Pin files as context (or drop them on the window)",
        onclick: () => void this.pickFiles(),
      },
      icon("clip", 14),
      "Pin Files…",
    );
    const form = h(
      "form",
      { class: "composer", "aria-label": "Ask" },
      this.chips,
      h(
        "div",
        { class: "composer-box" },
        this.input,
        h("div", { class: "composer-actions" }, pinButton, h("span", { class: "spacer" }), this.stopButton, this.sendButton),
      ),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.send();
      } else if (event.key === "Escape" && this.busyHere()) {
        event.preventDefault();
        this.stop();
      }
    });
    this.input.addEventListener("input", () => {
      this.autosize();
      this.sendButton.disabled = this.input.value.trim() === "";
    });
    this.stopButton.addEventListener("click", () => this.stop());
    this.backendSelect.addEventListener("change", () => void this.chooseBackend(this.backendSelect.value));

    this.scroller.append(this.emptyEl, this.messagesEl, this.turnEl, this.noticeEl);
    this.el = h(
      "section",
      { class: "view chat-view", "aria-labelledby": "chat-title" },
      h("header", { class: "view-head" }, this.titleEl, this.backendPicker),
      this.scroller,
      form,
    );
    this.unsubscribe = store.subscribe(() => this.renderHead());
    this.render();
    void store.refreshBackends();
    if (conversationId !== null) void this.load(conversationId);
  }

  route(route: Route): void {
    if (route.view !== "chat" || route.conversationId === this.conversationId) return;
    this.conversationId = route.conversationId;
    this.messages = [];
    this.notice = null;
    this.backend = null;
    this.render();
    if (route.conversationId !== null) void this.load(route.conversationId);
    this.focus();
  }

  drop(paths: string[]): void {
    this.pin(paths);
  }

  focus(): void {
    this.input.focus();
  }

  destroy(): void {
    // An answer being written goes on; the core saves it, and the list is refreshed when it
    // is done (see saved()).
    this.destroyed = true;
    this.unsubscribe();
  }

  /** Whether the answer on screen is still being written. */
  private busyHere(): boolean {
    return isBusy(this.answer) && this.answerConversation === this.conversationId;
  }

  // -------------------------------------------------------------------------------------------

  private async load(id: number): Promise<void> {
    const seq = ++this.loadSeq;
    this.loading = true;
    this.renderEmpty();
    try {
      const [messages, backend] = await Promise.all([
        ipc.conversation(id),
        ipc.conversationBackend(id).catch(() => null),
      ]);
      if (seq !== this.loadSeq || this.conversationId !== id) return;
      this.messages = messages;
      this.backend = backend;
      // The saved conversation now holds the answer that was being written.
      if (this.answerConversation === id && !isBusy(this.answer)) this.answer = initialAnswer;
    } catch (error) {
      if (seq !== this.loadSeq) return;
      this.notice = ipc.errorText(error);
    }
    this.loading = false;
    this.render();
    this.scrollToEnd();
  }

  private send(): void {
    const question = this.input.value.trim();
    if (question === "" || this.busyHere()) return;
    this.input.value = "";
    this.autosize();
    this.sendButton.disabled = true;
    this.ask(question);
  }

  private ask(question: string, replaceLast = false): void {
    // One answer at a time: one still running for another conversation is stopped.
    if (isBusy(this.answer) && this.answer.requestId !== null) void ipc.stopAnswer(this.answer.requestId);
    // An unsaved answer (stopped before the core said where it went) stays on screen.
    this.keepUnsavedTurn();
    this.notice = null;
    this.answerConversation = this.conversationId;
    this.dispatch({ type: "ask", question, replaceLast });
    const seq = this.answer.seq;
    ipc
      .ask(
        {
          question,
          conversationId: this.conversationId,
          files: [...this.pinned],
          // A saved conversation keeps its own backend in the core.
          backend: this.conversationId === null ? this.backend : null,
          replaceLast,
        },
        (event) => this.dispatch({ type: "event", seq, event }),
      )
      .then((requestId) => {
        this.dispatch({ type: "started", seq, requestId });
        if (this.answer.seq === seq && this.answer.phase === "stopped") void ipc.stopAnswer(requestId);
      })
      .catch((error: unknown) => this.dispatch({ type: "failed", seq, message: ipc.errorText(error) }));
    this.scrollToEnd(true);
  }

  private keepUnsavedTurn(): void {
    const a = this.answer;
    if (a.phase === "idle" || a.summary !== null || this.answerConversation !== this.conversationId) return;
    const now = Date.now();
    this.messages = [
      ...this.messages,
      { id: -now, role: "user", text: a.question, sources: [], grounding: NO_GROUNDING, createdAt: now },
      {
        id: -now - 1,
        role: "assistant",
        text: a.text,
        sources: a.sources,
        grounding: { quotes: a.quotes, sentences: a.sentences, mostlyUnsupported: a.mostlyUnsupported },
        createdAt: now,
      },
    ];
    this.renderMessages();
  }

  private stop(): void {
    if (!this.busyHere()) return;
    const { requestId } = this.answer;
    this.dispatch({ type: "stop" });
    if (requestId !== null) {
      ipc.stopAnswer(requestId).catch((error: unknown) => this.showNotice(ipc.errorText(error)));
    }
    this.input.focus();
  }

  /** The person chose where this conversation's answers are computed. */
  private async chooseBackend(name: string): Promise<void> {
    const previous = this.backend;
    this.backend = name;
    if (this.conversationId === null) return;
    try {
      await ipc.setConversationBackend(this.conversationId, name);
    } catch (error) {
      this.backend = previous;
      this.renderBackend();
      this.showNotice(ipc.errorText(error));
    }
  }

  private renderBackend(): void {
    const backends = store.backends;
    // Only the built-in model: nothing to choose, so nothing shown.
    this.backendPicker.hidden = backends.length < 2;
    if (backends.length < 2) return;
    const chosen = this.backend ?? backends.find((b) => b.isDefault)?.name ?? "local";
    const key = JSON.stringify([backends, chosen]);
    if (this.backendSelect.dataset.drawn === key) return;
    this.backendSelect.dataset.drawn = key;
    setChildren(
      this.backendSelect,
      backends.map((b) =>
        h(
          "option",
          { value: b.name, disabled: b.refused && b.name !== chosen },
          `${backendLabel(b)}${b.isDefault ? " (default)" : ""}`,
        ),
      ),
    );
    this.backendSelect.value = chosen;
  }

  /** Answers the last question again, in place of its answer. */
  private regenerate(): void {
    const lastQuestion = [...this.messages].reverse().find((m) => m.role === "user")?.text;
    if (lastQuestion && !this.busyHere()) this.ask(lastQuestion, true);
  }

  /** Whether the saved last turn is being answered again (and so is hidden). */
  private replacingLast(): boolean {
    const a = this.answer;
    return a.replaceLast && a.phase !== "idle" && a.phase !== "error" && this.answerConversation === this.conversationId;
  }

  private dispatch(action: AnswerAction): void {
    const before = this.answer;
    this.answer = answerReducer(this.answer, action);
    if (this.answer === before) return;
    const stick = this.nearEnd();
    // Hiding a replaced turn depends on the phase.
    if (this.answer.phase !== before.phase || this.answer.replaceLast !== before.replaceLast) this.renderMessages();
    this.renderTurn();
    this.renderComposer();
    if (stick) this.scrollToEnd();
    if (action.type === "event" && action.event.event === "started") this.adopt(action.event.conversationId);
    if (action.type === "event" && action.event.event === "done") void this.saved(action.event.answer.conversationId);
  }

  /** The core named the conversation the answer goes to: a new chat becomes it at once. */
  private adopt(id: number): void {
    if (this.destroyed || this.answerConversation !== null) return;
    this.answerConversation = id;
    if (this.conversationId === null) {
      this.conversationId = id;
      navigate({ view: "chat", conversationId: id }, true);
    }
    void store.refreshConversations();
  }

  /** The core saved the answer in conversation `id`. */
  private async saved(id: number): Promise<void> {
    if (this.destroyed) {
      await store.refreshConversations();
      return;
    }
    if (this.answerConversation === null && this.conversationId === null) {
      this.conversationId = id;
      navigate({ view: "chat", conversationId: id }, true);
    }
    this.answerConversation = id;
    await store.refreshConversations();
    if (this.conversationId === id) await this.load(id);
    else this.answer = initialAnswer;
  }

  private open(source: Source): void {
    const args = openArgs(source);
    ipc.openSource(args.path, args.line, args.page).catch((error: unknown) => this.showNotice(ipc.errorText(error)));
  }

  private async pickFiles(): Promise<void> {
    try {
      const files = await ipc.pickFiles();
      this.pin(files);
    } catch (error) {
      this.showNotice(ipc.errorText(error));
    }
    this.input.focus();
  }

  private pin(paths: string[]): void {
    this.pinned = [...new Set([...this.pinned, ...paths])];
    this.renderComposer();
  }

  private unpin(path: string): void {
    this.pinned = this.pinned.filter((p) => p !== path);
    this.renderComposer();
    this.input.focus();
  }

  private showNotice(message: string): void {
    this.notice = message;
    this.noticeEl.hidden = false;
    this.noticeEl.textContent = message;
  }

  // -------------------------------------------------------------------------------------------

  private render(): void {
    this.renderHead();
    this.renderMessages();
    this.renderTurn();
    this.renderComposer();
    this.noticeEl.hidden = this.notice === null;
    this.noticeEl.textContent = this.notice ?? "";
  }

  private renderHead(): void {
    const summary = store.conversations.find((c) => c.id === this.conversationId);
    const title =
      this.conversationId === null
        ? this.answer.phase !== "idle"
          ? this.answer.question
          : "New Chat"
        : summary?.title.trim() ||
          // Just created by this answer: the list has not caught up yet.
          (this.answerConversation === this.conversationId ? this.answer.question : "") ||
          "Conversation";
    if (this.titleEl.textContent !== title) this.titleEl.textContent = title;
    this.renderBackend();
    this.renderEmpty();
  }

  private renderEmpty(): void {
    const nothing = this.messages.length === 0 && this.answer.phase === "idle";
    const empty = this.conversationId === null && nothing;
    const spinner = this.loading && nothing;
    this.emptyEl.hidden = !empty && !spinner;
    if (spinner) {
      setChildren(this.emptyEl, h("div", { class: "spinner" }));
      return;
    }
    if (!empty) return;
    const app = store.app;
    const hotkey = app ? hotkeyText(app.hotkey, app.platform) : null;
    setChildren(
      this.emptyEl,
      h(
        "div",
        { class: "empty-card" },
        h("div", { class: "empty-icon" }, icon("chat", 26)),
        h("h2", null, "Ask about your files"),
        h(
          "p",
          null,
          "Answers are written on this computer from the folders you chose, and cite the passages they used. Drop files here to ask about them.",
        ),
        hotkey ? h("p", { class: "empty-hint" }, "Quick question? Press ", h("kbd", null, hotkey), " anywhere.") : null,
      ),
    );
  }

  private renderMessages(): void {
    let shown = this.messages;
    if (this.replacingLast()) {
      const lastQuestion = shown.map((m) => m.role).lastIndexOf("user");
      if (lastQuestion >= 0) shown = shown.slice(0, lastQuestion);
    }
    const lastAssistant = [...shown].reverse().find((m) => m.role === "assistant");
    setChildren(
      this.messagesEl,
      shown.map((m) =>
        m.role === "user" ? this.userEl(m.text) : this.assistantEl(m, m === lastAssistant),
      ),
    );
    this.renderEmpty();
  }

  private userEl(text: string): HTMLElement {
    return h("div", { class: "msg user" }, h("div", { class: "bubble selectable" }, text));
  }

  private assistantEl(message: Message, last: boolean): HTMLElement {
    // Answers saved before Ledge checked them have no grounding: shown as they were.
    const grounding = message.grounding ?? NO_GROUNDING;
    const head = new GroundingHead((s) => this.open(s));
    head.update(grounding.quotes, message.sources, grounding.mostlyUnsupported);
    const body = h("div", { class: "md answer-text" });
    drawAnswer(body, message.text, message.sources, grounding.sentences, (s) => this.open(s));
    const cited = new Set(citedNumbers(message.text));
    const matched = new Set(message.sources.filter((s) => s.matched).map((s) => s.number));
    return h(
      "article",
      { class: "msg assistant", "aria-label": "Answer" },
      head.el,
      body,
      this.sourcesEl(message.sources, (n) => cited.size === 0 || cited.has(n) || matched.has(n)),
      h(
        "div",
        { class: "msg-actions" },
        this.copyButton(message.text),
        last
          ? h(
              "button",
              {
                type: "button",
                class: "btn quiet small regenerate",
                title: "Write this answer again",
                disabled: this.busyHere(),
                onclick: () => this.regenerate(),
              },
              icon("regen", 13),
              "Regenerate",
            )
          : null,
      ),
    );
  }

  private sourcesEl(sources: Source[], cited: (n: number) => boolean): HTMLElement | null {
    if (sources.length === 0) return null;
    return h(
      "div",
      { class: "msg-sources", role: "group", "aria-label": "Sources" },
      sources.map((s) =>
        h(
          "button",
          {
            type: "button",
            class: `source-chip${cited(s.number) ? "" : " uncited"}`,
            title: s.path,
            "aria-label": `Open source ${s.number}: ${sourceLabel(s)}`,
            onclick: () => this.open(s),
          },
          h("span", { class: "num" }, String(s.number)),
          h("span", { class: "label" }, sourceLabel(s)),
        ),
      ),
    );
  }

  private copyButton(text: string): HTMLButtonElement {
    const label = h("span", null, "Copy");
    const button = h(
      "button",
      { type: "button", class: "btn quiet small copy", title: "Copy the answer as Markdown" },
      icon("copy", 13),
      label,
    );
    button.addEventListener("click", () => {
      void copyText(text).then((ok) => {
        label.textContent = ok ? "Copied" : "Copy failed";
        setTimeout(() => (label.textContent = "Copy"), 1500);
      });
    });
    return button;
  }

  private renderTurn(): void {
    const a = this.answer;
    const shown = a.phase !== "idle" && this.answerConversation === this.conversationId;
    this.turnEl.hidden = !shown;
    if (!shown) return;
    this.turnAnswer.classList.toggle("writing", a.phase === "writing");
    this.turnAnswer.classList.toggle("nothing", nothingFound(a));
    this.turnHead.update(a.quotes, a.sources, a.mostlyUnsupported);
    this.turnView.update(a.text, a.sources, a.sentences);
    if (!isBusy(a)) this.turnView.flush();

    let status: HTMLElement | null = null;
    if (a.phase === "searching") {
      status = h("div", { class: "turn-status" }, h("span", { class: "spinner" }), "Searching your files…");
    } else if (a.phase === "writing" && a.text === "") {
      status = h(
        "div",
        { class: "turn-status" },
        h("span", { class: "spinner" }),
        a.sources.length > 0 ? `Reading ${plural(a.sources.length, "passage")}…` : "Thinking…",
      );
    } else if (a.phase === "writing" && a.fallback !== null) {
      status = h("div", { class: "turn-status fallback" }, `Answering on this computer instead: ${a.fallback}`);
    } else if (a.phase === "stopped") {
      status = h("div", { class: "turn-status stopped" }, "Stopped");
    } else if (a.phase === "error") {
      status = h(
        "div",
        { class: "turn-error", role: "alert" },
        a.error ?? "The answer failed.",
        h("button", { type: "button", class: "btn small", onclick: () => this.ask(a.question, a.replaceLast) }, "Try Again"),
      );
    }

    const answerBlock = h(
      "article",
      {
        class: "msg assistant",
        "aria-label": "Answer",
        "aria-live": "polite",
        "aria-busy": String(isBusy(a)),
      },
      this.turnHead.el,
      this.turnAnswer,
      status,
      this.sourcesEl(a.sources, (n) => isCited(a, n)),
      a.phase === "done" || a.phase === "stopped"
        ? h("div", { class: "msg-actions" }, this.copyButton(a.text))
        : null,
    );
    setChildren(this.turnEl, this.userEl(a.question), answerBlock);
  }

  private renderComposer(): void {
    const busy = this.busyHere();
    this.stopButton.hidden = !busy;
    this.sendButton.hidden = busy;
    this.sendButton.disabled = this.input.value.trim() === "";
    this.chips.hidden = this.pinned.length === 0;
    setChildren(
      this.chips,
      this.pinned.map((path) =>
        h(
          "span",
          { class: "chip", title: path },
          icon("file", 13),
          h("span", { class: "name" }, basename(path)),
          h(
            "button",
            { type: "button", "aria-label": `Unpin ${basename(path)}`, title: "Unpin", onclick: () => this.unpin(path) },
            icon("x", 11),
          ),
        ),
      ),
    );
    for (const button of this.messagesEl.querySelectorAll<HTMLButtonElement>(".regenerate")) {
      button.disabled = this.busyHere();
    }
  }

  private autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 180)}px`;
  }

  private nearEnd(): boolean {
    const s = this.scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight < 60;
  }

  private scrollToEnd(smooth = false): void {
    requestAnimationFrame(() => {
      this.scroller.scrollTo({ top: this.scroller.scrollHeight, behavior: smooth ? "smooth" : "auto" });
    });
  }
}

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // Older webviews: the selection-and-execCommand way.
    const area = h("textarea", { class: "visually-hidden", "aria-hidden": "true" });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

// The hotkey popup: one input, the answer streaming in under it with its sources, and a status
// line. The input keeps the focus (a combobox over the sources list); see lib/popupKeys.ts for
// what each key does.

import "../styles/base.css";
import "../styles/popup.css";

import * as ipc from "../ipc";
import type { AppState, IndexingState, ModelState, Source } from "../ipc";
import {
  answerConversation,
  answerReducer,
  initialAnswer,
  isBusy,
  isCited,
  nothingFound,
  type AnswerAction,
  type AnswerState,
} from "../lib/answer";
import { AnswerView } from "../lib/answerView";
import { h, setChildren } from "../lib/dom";
import { basename, dirname, plural, truncate } from "../lib/format";
import { hotkeyText } from "../lib/hotkey";
import { icon } from "../lib/icons";
import { popupKey } from "../lib/popupKeys";
import { GroundingHead } from "../lib/quotes";
import { openArgs, sourceLocation } from "../lib/sources";
import { indexingBusy, indexingText, modelText, modelTone } from "../lib/status";

interface PopupState {
  app: AppState | null;
  model: ModelState | null;
  indexing: IndexingState | null;
  answer: AnswerState;
  pinned: string[];
  selected: number | null;
  /** "Continue in chat" was asked for before the answer knew its conversation. */
  continuePending: boolean;
  notice: string | null;
}

const state: PopupState = {
  app: null,
  model: null,
  indexing: null,
  answer: initialAnswer,
  pinned: [],
  selected: null,
  continuePending: false,
  notice: null,
};

const platform = (): AppState["platform"] => state.app?.platform ?? guessPlatform();

function guessPlatform(): AppState["platform"] {
  return /Mac/i.test(navigator.platform) ? "macos" : /Win/i.test(navigator.platform) ? "windows" : "linux";
}

// ---------------------------------------------------------------------------------------------
// Skeleton (built once; parts are updated in place so the input keeps focus and caret).

const root = document.getElementById("popup") as HTMLElement;

const input = h("input", {
  id: "ask-input",
  class: "ask-input",
  type: "text",
  role: "combobox",
  "aria-label": "Ask Ledge about your files",
  "aria-autocomplete": "none",
  "aria-expanded": "false",
  "aria-controls": "sources",
  placeholder: "Ask your files…",
  autocomplete: "off",
  autocorrect: "off",
  spellcheck: "false",
  enterkeyhint: "send",
});

const spinner = h("span", { class: "spinner", role: "presentation", hidden: true });

const stopButton = h(
  "button",
  { type: "button", class: "btn small stop", hidden: true, title: "Stop answering" },
  icon("stop", 10),
  "Stop",
);

const askRow = h(
  "div",
  { class: "ask-row", "data-tauri-drag-region": true },
  h("span", { class: "ask-icon" }, icon("search", 20)),
  input,
  spinner,
  stopButton,
);

const chips = h("div", { class: "chips pinned", role: "group", "aria-label": "Pinned files", hidden: true });

const intro = h("div", { class: "intro" });

const questionEl = h("p", { class: "question selectable", hidden: true });
const answerText = h("div", { class: "md answer-text" });
// The extractive answer ("From your files") and the warning, above the model's text. Its
// buttons stay out of the Tab order like the citations (see below).
const groundingHead = new GroundingHead((source) => openSource(source), false);
const answerSection = h(
  "section",
  { class: "answer", "aria-live": "polite", "aria-busy": "false", "aria-label": "Answer", hidden: true },
  questionEl,
  groundingHead.el,
  answerText,
);
const errorEl = h("div", { class: "error", role: "alert", hidden: true });

const sourcesHead = h("h2", { class: "sources-head", id: "sources-head", hidden: true }, "Sources");
const sourcesList = h("ul", {
  id: "sources",
  class: "sources",
  role: "listbox",
  "aria-labelledby": "sources-head",
  hidden: true,
});

const body = h("div", { class: "popup-body-scroll" }, intro, answerSection, errorEl, sourcesHead, sourcesList);

const statusDot = h("span", { class: "dot" });
const statusText = h("span", { class: "status-text", id: "status-text" });
const status = h("div", { class: "status", role: "status" }, statusDot, statusText);

const continueLabel = h("span", null, "Continue in chat");
const continueKey = h("kbd", { "aria-hidden": "true" });
const continueButton = h(
  "button",
  { type: "button", class: "btn quiet small continue", title: "Continue this conversation in the chat window" },
  continueLabel,
  continueKey,
);
const settingsButton = h(
  "button",
  { type: "button", class: "btn quiet small icon-only", "aria-label": "Settings", title: "Settings" },
  icon("gear", 14),
);
const hints = h("div", { class: "hints", "aria-hidden": "true" });

const footer = h(
  "footer",
  { class: "bar" },
  status,
  h("div", { class: "bar-right" }, hints, continueButton, settingsButton),
);

root.append(askRow, chips, body, footer);

// Citation buttons stay out of the Tab order here: the arrow keys reach every source, and Tab
// goes from the input straight to "Continue in chat".
const answerView = new AnswerView(answerText, (source) => openSource(source), false);

// ---------------------------------------------------------------------------------------------
// Actions.

function dispatch(action: AnswerAction): void {
  const before = state.answer;
  state.answer = answerReducer(state.answer, action);
  if (state.answer === before) return;
  if (action.type === "event" && action.event.event === "sources") state.selected = null;
  if (
    state.continuePending &&
    answerConversation(state.answer) !== null &&
    (state.answer.phase === "done" || state.answer.phase === "stopped")
  ) {
    state.continuePending = false;
    void continueInChat();
  }
  render();
}

function ask(question: string): void {
  const previous = state.answer;
  if (isBusy(previous) && previous.requestId !== null) void ipc.stopAnswer(previous.requestId);
  state.notice = null;
  state.continuePending = false;
  dispatch({ type: "ask", question });
  const seq = state.answer.seq;
  ipc
    .ask({ question, conversationId: null, files: [...state.pinned] }, (event) => dispatch({ type: "event", seq, event }))
    .then((requestId) => {
      dispatch({ type: "started", seq, requestId });
      // Stop was pressed before the request id came back.
      if (state.answer.seq === seq && state.answer.phase === "stopped") void ipc.stopAnswer(requestId);
    })
    .catch((error: unknown) => dispatch({ type: "failed", seq, message: ipc.errorText(error) }));
}

function stop(): void {
  const { requestId } = state.answer;
  if (!isBusy(state.answer)) return;
  dispatch({ type: "stop" });
  if (requestId !== null) {
    ipc.stopAnswer(requestId).catch((error: unknown) => showNotice(ipc.errorText(error)));
  }
  input.focus();
}

function openSource(source: Source): void {
  const args = openArgs(source);
  ipc.openSource(args.path, args.line, args.page).catch((error: unknown) => showNotice(ipc.errorText(error)));
}

async function continueInChat(): Promise<void> {
  const conversationId = answerConversation(state.answer);
  if (isBusy(state.answer)) {
    // The chat window shows saved turns: go as soon as this answer is saved.
    state.continuePending = true;
    render();
    return;
  }
  try {
    await ipc.showChat(conversationId);
  } catch (error) {
    showNotice(ipc.errorText(error));
  }
}

function hide(): void {
  ipc.hidePopup().catch((error: unknown) => showNotice(ipc.errorText(error)));
}

function showNotice(message: string): void {
  state.notice = message;
  render();
}

function unpin(path: string): void {
  state.pinned = state.pinned.filter((p) => p !== path);
  render();
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// Events from the page.

input.addEventListener("keydown", (event) => {
  const action = popupKey(
    {
      selected: state.selected,
      sourceCount: state.answer.sources.length,
      hasQuestion: input.value.trim() !== "",
      busy: isBusy(state.answer),
      platform: platform(),
    },
    event,
  );
  if (action.type === "none") return;
  event.preventDefault();
  switch (action.type) {
    case "select":
      state.selected = action.index;
      render();
      break;
    case "open": {
      const source = state.answer.sources[action.index];
      if (source) openSource(source);
      break;
    }
    case "ask":
      ask(input.value.trim());
      break;
    case "stop":
      stop();
      break;
    case "hide":
      hide();
      break;
    case "continue":
      void continueInChat();
      break;
    case "settings":
      ipc.showSettings().catch((error: unknown) => showNotice(ipc.errorText(error)));
      break;
  }
});

input.addEventListener("input", () => {
  // Typing goes back to the question: Enter asks again rather than opening a source.
  state.selected = null;
  render();
});

// Esc hides from anywhere in the popup, not only from the input.
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && event.target !== input && !event.defaultPrevented) {
    event.preventDefault();
    hide();
  }
});

stopButton.addEventListener("click", stop);
continueButton.addEventListener("click", () => void continueInChat());
settingsButton.addEventListener("click", () => {
  ipc.showSettings().catch((error: unknown) => showNotice(ipc.errorText(error)));
});

window.addEventListener("focus", () => {
  if (document.activeElement === document.body) input.focus();
});

// ---------------------------------------------------------------------------------------------
// Rendering.

function render(): void {
  const a = state.answer;
  const busy = isBusy(a);
  const started = a.phase !== "idle";

  spinner.hidden = a.phase !== "searching";
  stopButton.hidden = !busy;

  // pinned files
  chips.hidden = state.pinned.length === 0;
  setChildren(
    chips,
    state.pinned.map((path) =>
      h(
        "span",
        { class: "chip", title: path },
        icon("file", 13),
        h("span", { class: "name" }, basename(path)),
        h(
          "button",
          { type: "button", "aria-label": `Unpin ${basename(path)}`, title: "Unpin", onclick: () => unpin(path) },
          icon("x", 11),
        ),
      ),
    ),
  );

  // intro (before the first question)
  intro.hidden = started;
  if (!started) renderIntro();

  // answer
  answerSection.hidden = !started;
  answerSection.setAttribute("aria-busy", String(busy));
  // Echo the question only once the input holds something else.
  questionEl.hidden = !started || input.value.trim() === a.question;
  questionEl.textContent = a.question;
  answerText.classList.toggle("writing", a.phase === "writing");
  answerText.classList.toggle("nothing", nothingFound(a));
  groundingHead.update(a.quotes, a.sources, a.mostlyUnsupported);
  answerView.update(a.text, a.sources, a.sentences);
  if (!busy) answerView.flush();

  errorEl.hidden = a.phase !== "error" && state.notice === null;
  errorEl.textContent = a.phase === "error" ? (a.error ?? "Something went wrong.") : (state.notice ?? "");

  renderSources();
  renderStatus();
  renderHints();

  continueButton.disabled = state.continuePending;
  continueLabel.textContent = state.continuePending ? "Opening chat…" : "Continue in chat";
  continueKey.textContent = platform() === "macos" ? "⌘↵" : "Ctrl+↵";
}

function renderIntro(): void {
  const hotkey = state.app ? hotkeyText(state.app.hotkey, platform()) : null;
  const noModel = (state.model ?? state.app?.model)?.state === "none";
  setChildren(
    intro,
    noModel
      ? h(
          "div",
          { class: "intro-card" },
          h("p", { class: "intro-title" }, "No model installed yet"),
          h("p", null, "Ledge answers with a model that runs on this computer. Add one in Settings."),
          h(
            "button",
            {
              type: "button",
              class: "btn small",
              onclick: () => void ipc.showSettings().catch((e: unknown) => showNotice(ipc.errorText(e))),
            },
            "Open Settings",
          ),
        )
      : h(
          "div",
          { class: "intro-card" },
          h("p", { class: "intro-title" }, "Ask anything about your files"),
          h(
            "p",
            null,
            "Answers are written on this computer from the folders you chose, with the passages they came from.",
          ),
          hotkey ? h("p", { class: "intro-hint" }, `${hotkey} opens this from anywhere.`) : null,
        ),
  );
}

function renderSources(): void {
  const { sources } = state.answer;
  const show = sources.length > 0;
  sourcesHead.hidden = !show;
  sourcesList.hidden = !show;
  input.setAttribute("aria-expanded", String(show));
  if (state.selected !== null && state.selected >= sources.length) state.selected = null;
  if (state.selected === null) input.removeAttribute("aria-activedescendant");
  else input.setAttribute("aria-activedescendant", `source-${state.selected}`);

  setChildren(
    sourcesList,
    sources.map((source, index) => {
      const selected = index === state.selected;
      const where = sourceLocation(source);
      const folder = basename(dirname(source.path));
      return h(
        "li",
        {
          id: `source-${index}`,
          role: "option",
          class: `source${selected ? " selected" : ""}${isCited(state.answer, source.number) ? "" : " uncited"}`,
          "aria-selected": String(selected),
          title: source.path,
          dataset: { number: String(source.number) },
          onclick: () => {
            state.selected = index;
            render();
            openSource(source);
            input.focus();
          },
        },
        h("span", { class: "num", "aria-hidden": "true" }, String(source.number)),
        h(
          "span",
          { class: "source-main" },
          h(
            "span",
            { class: "source-line" },
            h("span", { class: "source-title" }, source.title),
            where ? h("span", { class: "source-where" }, where) : null,
            folder ? h("span", { class: "source-folder" }, folder) : null,
          ),
          source.snippet ? h("span", { class: "source-snippet" }, truncate(source.snippet, 160)) : null,
        ),
        h("span", { class: "source-open", "aria-hidden": "true" }, selected ? h("kbd", null, "↵") : null),
      );
    }),
  );
  if (state.selected !== null) {
    document.getElementById(`source-${state.selected}`)?.scrollIntoView({ block: "nearest" });
  }
}

function renderStatus(): void {
  const a = state.answer;
  const model = state.model ?? state.app?.model ?? null;
  const indexing = state.indexing ?? state.app?.indexing ?? null;
  let text = "";
  let tone: "ok" | "busy" | "off" | "bad" = "off";

  if (model && (model.state === "loading" || model.state === "failed" || model.state === "none")) {
    text = modelText(model);
    tone = modelTone(model);
  } else if (a.phase === "searching") {
    text = "Searching your files…";
    tone = "busy";
  } else if (a.phase === "writing") {
    text = a.text === "" ? `Reading ${plural(a.sources.length, "passage")}…` : "Writing…";
    if (a.fallback !== null) text = `Answering on this computer instead (${a.fallback})`;
    tone = "busy";
  } else if (nothingFound(a)) {
    text = "Nothing found in your files";
    tone = "off";
  } else if (a.phase === "done") {
    // The sources the answer cites, and those Ledge matched to its uncited sentences.
    const n = new Set([...(a.summary?.cited ?? []), ...(a.summary?.matched ?? [])]).size;
    const secs = a.summary ? ` · ${(a.summary.totalMs / 1000).toFixed(1)} s` : "";
    const where = a.summary && a.summary.backend !== "local" ? ` · on ${a.summary.backend}` : "";
    text = n > 0 ? `Answered from ${plural(n, "source")}${secs}${where}` : `Answered${secs}${where}`;
    tone = "ok";
  } else if (a.phase === "stopped") {
    text = "Stopped";
  } else if (a.phase === "error") {
    text = "The answer failed";
    tone = "bad";
  } else if (indexing && indexingBusy(indexing)) {
    text = indexingText(indexing);
    tone = "busy";
  } else if (model) {
    text = modelText(model);
    tone = modelTone(model);
  }
  // Indexing is worth mentioning beside a finished answer: it may not have seen every file yet.
  if (indexing && indexingBusy(indexing) && (a.phase === "done" || nothingFound(a))) {
    text += ` · ${indexingText(indexing)}`;
  }
  statusText.textContent = text;
  statusDot.className = `dot ${tone}`;
}

function renderHints(): void {
  const parts: [string, string][] = [];
  if (state.answer.sources.length > 0) parts.push(["↑↓", "Sources"]);
  parts.push(["↵", state.selected !== null ? "Open" : "Ask"]);
  parts.push(["esc", "Hide"]);
  setChildren(
    hints,
    parts.map(([key, what]) => h("span", { class: "hint" }, h("kbd", null, key), what)),
  );
}

// ---------------------------------------------------------------------------------------------
// Start: state from the shell, then its events.

async function start(): Promise<void> {
  render();
  input.focus();
  const listeners = [
    ipc.onModelState((model) => {
      state.model = model;
      render();
    }),
    ipc.onIndexing((indexing) => {
      state.indexing = indexing;
      render();
    }),
    ipc.onPopupShown(() => {
      input.focus();
      input.select();
    }),
    ipc.onPinFiles(({ files, question }) => {
      state.pinned = [...new Set(files)];
      render();
      input.focus();
      if (question !== null && question.trim() !== "") {
        input.value = question;
        ask(question.trim());
      }
    }),
  ];
  try {
    await Promise.all(listeners);
    state.app = await ipc.appState();
  } catch (error) {
    state.notice = `Ledge's core is not answering: ${ipc.errorText(error)}`;
  }
  render();
}

void start();

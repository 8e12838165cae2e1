// The state of one streamed answer, as a pure reducer over what happens to it: the question is
// asked, the request id comes back, the core's events arrive (sources first, then the quotes of
// the extractive answer, then text pieces with each completed sentence checked, then done or
// error), the person presses Stop.
//
// Every ask gets a new `seq`; actions carry the seq of the ask they belong to, and actions of
// an older ask are ignored, so a slow stream can never write into a newer answer.

import type { AnswerSummary, AskEvent, CheckedSentence, Quote, Source } from "../ipc";
import { checkedPrefix } from "./grounding";

export type AnswerPhase =
  | "idle" // nothing asked yet
  | "searching" // asked, no sources yet
  | "writing" // sources known, text arriving
  | "done"
  | "stopped" // the person stopped it; later text is dropped
  | "error";

export interface AnswerState {
  seq: number;
  phase: AnswerPhase;
  question: string;
  requestId: number | null;
  sources: Source[];
  /** The extractive answer: source sentences quoted verbatim, shown before the model writes. */
  quotes: Quote[];
  text: string;
  /** The sentences of `text` checked so far, in order (their texts joined are a prefix of it). */
  sentences: CheckedSentence[];
  /** Set by done: most of the answer's claims are not backed by the sources. */
  mostlyUnsupported: boolean;
  /** How many text pieces arrived (for tests and for the caret while writing). */
  pieces: number;
  summary: AnswerSummary | null;
  error: string | null;
  /** Why the answer is being written again by the built-in model, when it is. */
  fallback: string | null;
  /** The conversation the answer goes to, once the core said so (its first event). */
  conversationId: number | null;
  /** Whether it replaces the conversation's last answer (regenerate). */
  replaceLast: boolean;
}

export type AnswerAction =
  | { type: "ask"; question: string; replaceLast?: boolean }
  | { type: "started"; seq: number; requestId: number }
  | { type: "event"; seq: number; event: AskEvent }
  | { type: "stop" }
  | { type: "failed"; seq: number; message: string }
  | { type: "reset" };

export const initialAnswer: AnswerState = {
  seq: 0,
  phase: "idle",
  question: "",
  requestId: null,
  sources: [],
  quotes: [],
  text: "",
  sentences: [],
  mostlyUnsupported: false,
  pieces: 0,
  summary: null,
  error: null,
  fallback: null,
  conversationId: null,
  replaceLast: false,
};

export function isBusy(state: AnswerState): boolean {
  return state.phase === "searching" || state.phase === "writing";
}

/** The conversation the answer goes to, once the core said so. */
export function answerConversation(state: AnswerState): number | null {
  return state.conversationId ?? state.summary?.conversationId ?? null;
}

export function nothingFound(state: AnswerState): boolean {
  return state.phase === "done" && state.summary?.nothingFound === true;
}

export function answerReducer(state: AnswerState, action: AnswerAction): AnswerState {
  switch (action.type) {
    case "ask":
      return {
        ...initialAnswer,
        seq: state.seq + 1,
        phase: "searching",
        question: action.question,
        replaceLast: action.replaceLast ?? false,
      };
    case "reset":
      return { ...initialAnswer, seq: state.seq + 1 };
    case "stop":
      return isBusy(state) ? { ...state, phase: "stopped" } : state;
    case "started":
      if (action.seq !== state.seq || state.phase === "idle") return state;
      return { ...state, requestId: action.requestId };
    case "failed":
      if (action.seq !== state.seq || !isBusy(state)) return state;
      return { ...state, phase: "error", error: action.message };
    case "event":
      if (action.seq !== state.seq) return state;
      return applyEvent(state, action.event);
  }
}

function applyEvent(state: AnswerState, event: AskEvent): AnswerState {
  switch (event.event) {
    case "started":
      // Kept even after Stop: the stopped answer is saved there too.
      if (state.phase === "idle") return state;
      return { ...state, conversationId: event.conversationId };
    case "sources":
      if (!isBusy(state)) return state;
      return { ...state, sources: event.sources, phase: "writing" };
    case "quotes":
      if (!isBusy(state)) return state;
      return { ...state, quotes: event.quotes };
    case "text":
      if (!isBusy(state) || event.text === "") return state;
      return { ...state, text: state.text + event.text, pieces: state.pieces + 1, phase: "writing" };
    case "checked": {
      // After Stop a sentence is still taken when it is one of the text shown (it may have
      // been completed by a piece that was dropped).
      if (state.phase !== "writing" && state.phase !== "stopped") return state;
      const sentences = [...state.sentences, event.sentence];
      if (state.phase === "stopped" && checkedPrefix(state.text, sentences).length < sentences.length) return state;
      return { ...state, sentences };
    }
    case "fallback":
      // The text so far is void, and so is what was checked of it; the quotes come from the
      // sources, which stay.
      if (!isBusy(state)) return state;
      return { ...state, text: "", sentences: [], pieces: 0, phase: "writing", fallback: event.reason };
    case "done": {
      const grounding = event.answer.grounding;
      if (state.phase === "stopped") {
        // Keep what was shown, but learn the conversation so "continue in chat" works, and
        // the checks of the sentences shown.
        const sentences = grounding ? checkedPrefix(state.text, grounding.sentences) : [];
        return {
          ...state,
          summary: event.answer,
          sentences: sentences.length > state.sentences.length ? sentences : state.sentences,
        };
      }
      if (!isBusy(state)) return state;
      // The summary's text is the whole answer; prefer it unless it is empty.
      const text = event.answer.text !== "" ? event.answer.text : state.text;
      // Its grounding is the whole check (the last sentence is only checked at the end).
      return {
        ...state,
        phase: "done",
        summary: event.answer,
        text,
        quotes: grounding && grounding.quotes.length > 0 ? grounding.quotes : state.quotes,
        sentences: grounding && grounding.sentences.length > 0 ? grounding.sentences : state.sentences,
        mostlyUnsupported: grounding?.mostlyUnsupported ?? false,
      };
    }
    case "error":
      if (!isBusy(state)) return state;
      return { ...state, phase: "error", error: event.message };
  }
}

/**
 * Whether the finished answer cites source `n`, itself or through a sentence Ledge matched to
 * it (before it finishes, every source counts).
 */
export function isCited(state: AnswerState, n: number): boolean {
  const cited = state.summary?.cited;
  if (state.phase !== "done" || !cited) return true;
  return cited.includes(n) || (state.summary?.matched ?? []).includes(n);
}

// Shared test data for the unit tests.

import type { AnswerSummary, CheckedSentence, IndexingState, Quote, Source } from "../ipc";

export function source(number: number, over: Partial<Source> = {}): Source {
  return {
    number,
    path: `/home/me/Notes/file${number}.md`,
    title: `file${number}.md`,
    lines: [10 * number, 10 * number + 5],
    page: null,
    snippet: `Snippet ${number}`,
    cited: false,
    matched: false,
    ...over,
  };
}

export function summary(over: Partial<AnswerSummary> = {}): AnswerSummary {
  return {
    conversationId: 7,
    messageId: 70,
    text: "",
    cited: [],
    matched: [],
    grounding: { quotes: [], sentences: [], mostlyUnsupported: false },
    nothingFound: false,
    promptTokens: 100,
    answerTokens: 20,
    firstTokenMs: 300,
    totalMs: 1200,
    backend: "local",
    computedOn: "this machine (built-in runtime)",
    fallback: null,
    ...over,
  };
}

export function indexing(over: Partial<IndexingState> = {}): IndexingState {
  return {
    running: false,
    paused: false,
    phase: "idle",
    folder: null,
    done: 0,
    total: null,
    current: null,
    lastError: null,
    ...over,
  };
}

export function sentence(text: string, over: Partial<CheckedSentence> = {}): CheckedSentence {
  return { text, support: "supported", cited: [], matched: null, evidence: null, reason: null, ...over };
}

export function quote(number: number, text: string, over: Partial<Quote> = {}): Quote {
  return { number, text, line: 10 * number + 2, page: null, ...over };
}

// Shared test data for the unit tests.

import type { AnswerSummary, IndexingState, Source } from "../ipc";

export function source(number: number, over: Partial<Source> = {}): Source {
  return {
    number,
    path: `/home/me/Notes/file${number}.md`,
    title: `file${number}.md`,
    lines: [10 * number, 10 * number + 5],
    page: null,
    snippet: `Snippet ${number}`,
    ...over,
  };
}

export function summary(over: Partial<AnswerSummary> = {}): AnswerSummary {
  return {
    conversationId: 7,
    messageId: 70,
    text: "",
    cited: [],
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

import { describe, expect, it } from "vitest";
import {
  answerConversation,
  answerReducer,
  initialAnswer,
  isBusy,
  isCited,
  nothingFound,
  type AnswerAction,
  type AnswerState,
} from "./answer";
import { quote, sentence, source, summary } from "./fixtures.test-util";

function run(actions: AnswerAction[], from: AnswerState = initialAnswer): AnswerState {
  return actions.reduce(answerReducer, from);
}

describe("answer stream reducer", () => {
  it("goes searching -> writing -> done, appending text pieces in order", () => {
    let s = run([{ type: "ask", question: "Where is the key?" }]);
    expect(s.phase).toBe("searching");
    expect(isBusy(s)).toBe(true);
    const seq = s.seq;
    s = run(
      [
        { type: "started", seq, requestId: 42 },
        { type: "event", seq, event: { event: "sources", sources: [source(1), source(2)] } },
      ],
      s,
    );
    expect(s.requestId).toBe(42);
    expect(s.phase).toBe("writing");
    expect(s.sources.map((x) => x.number)).toEqual([1, 2]);
    expect(s.text).toBe("");
    s = run(
      [
        { type: "event", seq, event: { event: "text", text: "Under the " } },
        { type: "event", seq, event: { event: "text", text: "mat [1]." } },
      ],
      s,
    );
    expect(s.text).toBe("Under the mat [1].");
    expect(s.pieces).toBe(2);
    s = answerReducer(s, {
      type: "event",
      seq,
      event: { event: "done", answer: summary({ text: "Under the mat [1].", cited: [1] }) },
    });
    expect(s.phase).toBe("done");
    expect(isBusy(s)).toBe(false);
    expect(answerConversation(s)).toBe(7);
    expect(isCited(s, 1)).toBe(true);
    expect(isCited(s, 2)).toBe(false);
  });

  it("learns its conversation from the first event, and keeps it after Stop", () => {
    let s = run([{ type: "ask", question: "Q" }]);
    const seq = s.seq;
    expect(answerConversation(s)).toBe(null);
    s = answerReducer(s, { type: "event", seq, event: { event: "started", conversationId: 12 } });
    expect(answerConversation(s)).toBe(12);
    expect(s.phase).toBe("searching");
    s = answerReducer(s, { type: "stop" });
    expect(answerConversation(s)).toBe(12);
    // A late "started" of an older ask does not leak into a newer one.
    s = run([{ type: "ask", question: "R", replaceLast: true }], s);
    s = answerReducer(s, { type: "event", seq, event: { event: "started", conversationId: 99 } });
    expect(answerConversation(s)).toBe(null);
    expect(s.replaceLast).toBe(true);
    expect(run([{ type: "ask", question: "S" }], s).replaceLast).toBe(false);
  });

  it("starts the text over when the endpoint fails and the built-in model answers", () => {
    let s = run([{ type: "ask", question: "Q" }]);
    const seq = s.seq;
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [source(1)] } },
        { type: "event", seq, event: { event: "text", text: "Half an ans" } },
        { type: "event", seq, event: { event: "fallback", reason: "the server stopped" } },
      ],
      s,
    );
    expect(s.text).toBe("");
    expect(s.pieces).toBe(0);
    expect(s.phase).toBe("writing");
    expect(s.fallback).toBe("the server stopped");
    s = run([{ type: "event", seq, event: { event: "text", text: "A whole answer." } }], s);
    expect(s.text).toBe("A whole answer.");
    // A fallback after the end changes nothing.
    const done = run([{ type: "event", seq, event: { event: "done", answer: summary() } }], s);
    expect(run([{ type: "event", seq, event: { event: "fallback", reason: "late" } }], done)).toEqual(done);
  });

  it("accepts events that arrive before the request id", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [] } },
        { type: "event", seq, event: { event: "text", text: "Hi" } },
        { type: "started", seq, requestId: 5 },
      ],
      s,
    );
    expect(s.text).toBe("Hi");
    expect(s.requestId).toBe(5);
  });

  it("ignores events from an older ask", () => {
    let s = run([{ type: "ask", question: "first" }]);
    const old = s.seq;
    s = answerReducer(s, { type: "ask", question: "second" });
    const before = s;
    s = answerReducer(s, { type: "event", seq: old, event: { event: "text", text: "stale" } });
    s = answerReducer(s, { type: "started", seq: old, requestId: 1 });
    expect(s).toBe(before);
    expect(s.question).toBe("second");
  });

  it("drops text after Stop but learns the conversation from done", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [source(1)] } },
        { type: "event", seq, event: { event: "text", text: "Partial" } },
        { type: "stop" },
        { type: "event", seq, event: { event: "text", text: " more" } },
        { type: "event", seq, event: { event: "done", answer: summary({ text: "Partial more", conversationId: 9 }) } },
      ],
      s,
    );
    expect(s.phase).toBe("stopped");
    expect(s.text).toBe("Partial");
    expect(answerConversation(s)).toBe(9);
  });

  it("Stop does nothing to a finished answer", () => {
    let s = run([{ type: "ask", question: "q" }]);
    s = answerReducer(s, { type: "event", seq: s.seq, event: { event: "done", answer: summary({ text: "x" }) } });
    expect(answerReducer(s, { type: "stop" })).toBe(s);
  });

  it("turns an error event and a failed invoke into the error phase", () => {
    let s = run([{ type: "ask", question: "q" }]);
    s = answerReducer(s, { type: "event", seq: s.seq, event: { event: "error", message: "model crashed" } });
    expect(s.phase).toBe("error");
    expect(s.error).toBe("model crashed");

    let t = run([{ type: "ask", question: "q" }]);
    t = answerReducer(t, { type: "failed", seq: t.seq, message: "no model installed" });
    expect(t.phase).toBe("error");
    expect(t.error).toBe("no model installed");
  });

  it("keeps streamed text when done carries none, and reports nothing found", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [] } },
        { type: "event", seq, event: { event: "text", text: "Your files don't say." } },
        { type: "event", seq, event: { event: "done", answer: summary({ text: "", nothingFound: true }) } },
      ],
      s,
    );
    expect(s.text).toBe("Your files don't say.");
    expect(nothingFound(s)).toBe(true);
  });

  it("reset clears everything and invalidates the running ask", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    s = answerReducer(s, { type: "reset" });
    expect(s.phase).toBe("idle");
    expect(answerReducer(s, { type: "event", seq, event: { event: "text", text: "late" } }).text).toBe("");
  });

  it("shows the quotes before any text, and keeps them through a fallback", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    const quotes = [quote(1, "Two years from purchase.")];
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [source(1)] } },
        { type: "event", seq, event: { event: "quotes", quotes } },
      ],
      s,
    );
    expect(s.quotes).toBe(quotes);
    expect(s.text).toBe("");
    expect(s.phase).toBe("writing");
    s = run([{ type: "event", seq, event: { event: "fallback", reason: "the server stopped" } }], s);
    expect(s.quotes).toBe(quotes);
  });

  it("collects checked sentences, and a fallback voids them with the text", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    const one = sentence("One [1]. ", { cited: [1] });
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [source(1)] } },
        { type: "event", seq, event: { event: "text", text: "One [1]. Tw" } },
        { type: "event", seq, event: { event: "checked", sentence: one } },
      ],
      s,
    );
    expect(s.sentences).toEqual([one]);
    s = run([{ type: "event", seq, event: { event: "fallback", reason: "timeout" } }], s);
    expect(s.sentences).toEqual([]);
    expect(s.text).toBe("");
    // The built-in model's answer is checked from its first sentence.
    const again = sentence("Uno [1]. ", { cited: [1] });
    s = run(
      [
        { type: "event", seq, event: { event: "text", text: "Uno [1]. Dos" } },
        { type: "event", seq, event: { event: "checked", sentence: again } },
      ],
      s,
    );
    expect(s.sentences).toEqual([again]);
  });

  it("takes the whole check from done, with the warning when most of it is unbacked", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    const one = sentence("Port 8443. ", { support: "unsupported" });
    const two = sentence("Since 2022.", { support: "unsupported" });
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [source(1)] } },
        { type: "event", seq, event: { event: "text", text: "Port 8443. Since 2022." } },
        { type: "event", seq, event: { event: "checked", sentence: one } },
      ],
      s,
    );
    expect(s.mostlyUnsupported).toBe(false);
    s = run(
      [
        {
          type: "event",
          seq,
          event: {
            event: "done",
            answer: summary({
              text: "Port 8443. Since 2022.",
              grounding: { quotes: [], sentences: [one, two], mostlyUnsupported: true },
            }),
          },
        },
      ],
      s,
    );
    expect(s.sentences).toEqual([one, two]);
    expect(s.mostlyUnsupported).toBe(true);
  });

  it("after Stop keeps only the checks of the text shown", () => {
    let s = run([{ type: "ask", question: "q" }]);
    const seq = s.seq;
    const one = sentence("Shown. ");
    const two = sentence("Dropped after stop.");
    s = run(
      [
        { type: "event", seq, event: { event: "sources", sources: [source(1)] } },
        { type: "event", seq, event: { event: "text", text: "Shown. Dro" } },
        { type: "stop" },
        { type: "event", seq, event: { event: "text", text: "pped after stop." } },
        { type: "event", seq, event: { event: "checked", sentence: one } },
        { type: "event", seq, event: { event: "checked", sentence: two } },
      ],
      s,
    );
    expect(s.sentences).toEqual([one]);
    s = run(
      [
        {
          type: "event",
          seq,
          event: {
            event: "done",
            answer: summary({ text: "Shown. Dropped after stop.", grounding: { quotes: [], sentences: [one, two], mostlyUnsupported: true } }),
          },
        },
      ],
      s,
    );
    expect(s.phase).toBe("stopped");
    expect(s.sentences).toEqual([one]);
    expect(s.mostlyUnsupported).toBe(false);
  });

  it("counts a source Ledge matched as used", () => {
    let s = run([{ type: "ask", question: "q" }]);
    s = answerReducer(s, { type: "event", seq: s.seq, event: { event: "done", answer: summary({ cited: [1], matched: [3] }) } });
    expect([1, 2, 3].map((n) => isCited(s, n))).toEqual([true, false, true]);
  });
});

// What Ledge checked of an answer, as data: which sentences of the streamed text are checked,
// where each one lies in it, and how a source is opened at a quote's line or page.

import type { CheckedSentence, Grounding, Quote, Source } from "../ipc";

/** The core's `MOSTLY_UNSUPPORTED`, shown above an answer whose claims are mostly unbacked. */
export const MOSTLY_UNSUPPORTED = "Most of this answer is not backed by your files: treat it as unverified.";

/** Grounding of an answer saved before Ledge checked answers: shown as before, unmarked. */
export const NO_GROUNDING: Grounding = { quotes: [], sentences: [], mostlyUnsupported: false };

/**
 * The leading sentences whose texts, joined, are a prefix of `text`: the checked part of the
 * answer on screen. A sentence that does not continue the text (a check that arrived for text
 * since voided, or text dropped after Stop) ends the run; the last one may end in whitespace
 * the text has not (yet) got.
 */
export function checkedPrefix(text: string, sentences: CheckedSentence[]): CheckedSentence[] {
  let at = 0;
  let count = 0;
  for (const sentence of sentences) {
    if (sentence.text !== "" && text.startsWith(sentence.text, at)) {
      at += sentence.text.length;
      count += 1;
      continue;
    }
    // The text's end may have lost the last sentence's trailing whitespace (a stored answer).
    const trimmed = sentence.text.trimEnd();
    if (trimmed !== "" && at + trimmed.length === text.length && text.endsWith(trimmed)) count += 1;
    break;
  }
  return count === sentences.length ? sentences : sentences.slice(0, count);
}

/** Where each sentence ends in the text (exclusive offsets, cumulative). */
export function sentenceEnds(sentences: CheckedSentence[]): number[] {
  let at = 0;
  return sentences.map((s) => (at += s.text.length));
}

/**
 * The source to open for a quote: the quote's own line (or page), so clicking a quote goes to
 * the sentence itself rather than to the start of its passage.
 */
export function quoteSource(source: Source, quote: Quote): Source {
  if (quote.line !== null) return { ...source, lines: [quote.line, quote.line], page: null };
  if (quote.page !== null) return { ...source, page: quote.page };
  return source;
}

/** The words a sentence's mark carries (title and screen-reader text), or null for none. */
export function sentenceNote(sentence: CheckedSentence): string | null {
  switch (sentence.support) {
    case "supported":
      return sentence.evidence ? `Backed by your files: “${sentence.evidence}”` : null;
    case "unsupported": {
      const why = sentence.reason ?? "No source backs this sentence.";
      return sentence.evidence ? `${why}\nClosest in your files: “${sentence.evidence}”` : why;
    }
    case "noClaim":
      return null;
  }
}

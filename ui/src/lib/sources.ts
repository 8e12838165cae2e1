// How a source (a passage of a file the answer drew on) is named and opened.

import type { SearchHit, Source } from "../ipc";

type Located = Pick<Source, "lines" | "page">;

/** "p. 4" for a PDF page, "line 12" or "lines 12–30" for text, "" when unknown. */
export function sourceLocation(source: Located): string {
  if (source.page !== null && source.page !== undefined) return `p. ${source.page}`;
  if (source.lines) {
    const [first, last] = source.lines;
    return first === last || last < first ? `line ${first}` : `lines ${first}–${last}`;
  }
  return "";
}

/** "file.md, lines 12–30", "manual.pdf, p. 4", or just the title. */
export function sourceLabel(source: Located & { title: string }): string {
  const where = sourceLocation(source);
  return where ? `${source.title}, ${where}` : source.title;
}

export interface OpenArgs {
  path: string;
  line: number | null;
  page: number | null;
}

/** What `open_source` gets for a source: the first cited line, or the page. */
export function openArgs(source: Pick<Source, "path" | "lines" | "page"> | SearchHit): OpenArgs {
  return {
    path: source.path,
    line: source.page === null && source.lines ? source.lines[0] : null,
    page: source.page,
  };
}

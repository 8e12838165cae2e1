import { describe, expect, it } from "vitest";
import { source } from "./fixtures.test-util";
import { openArgs, sourceLabel, sourceLocation } from "./sources";

describe("source labels", () => {
  it("names line ranges with an en dash, single lines and PDF pages", () => {
    expect(sourceLabel(source(1, { title: "file.md", lines: [12, 30] }))).toBe("file.md, lines 12–30");
    expect(sourceLabel(source(1, { title: "a.txt", lines: [7, 7] }))).toBe("a.txt, line 7");
    expect(sourceLabel(source(1, { title: "manual.pdf", lines: [1, 40], page: 4 }))).toBe("manual.pdf, p. 4");
    expect(sourceLabel(source(1, { title: "x.docx", lines: null, page: null }))).toBe("x.docx");
    expect(sourceLocation({ lines: null, page: 1 })).toBe("p. 1");
  });

  it("opens text at its first line and PDFs at their page", () => {
    expect(openArgs(source(2, { path: "/a/b.md", lines: [12, 30], page: null }))).toEqual({
      path: "/a/b.md",
      line: 12,
      page: null,
    });
    expect(openArgs(source(2, { path: "/a/m.pdf", lines: [3, 9], page: 4 }))).toEqual({
      path: "/a/m.pdf",
      line: null,
      page: 4,
    });
    expect(openArgs(source(2, { path: "/a/x", lines: null, page: null }))).toEqual({ path: "/a/x", line: null, page: null });
  });
});

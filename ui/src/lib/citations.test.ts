// @vitest-environment jsdom
import { describe, expect, it, vi } from "vitest";
import { citedNumbers, linkCitations, splitCitations } from "./citations";
import { source } from "./fixtures.test-util";
import { renderMarkdown } from "./markdown";

describe("splitCitations", () => {
  it("finds the forms the core cites with", () => {
    expect(citedNumbers("Red [2]. Both [1, 3] and [1,2]. Adjacent [3][1]. As [source 4] says.")).toEqual([
      2, 1, 3, 4,
    ]);
  });

  it("leaves brackets that are not citations alone", () => {
    const pieces = splitCitations("a[i] and [] and [x, 1] and [1a]");
    expect(pieces).toEqual([{ kind: "text", text: "a[i] and [] and [x, 1] and [1a]" }]);
  });

  it("keeps the text around citations", () => {
    expect(splitCitations("A [1] B")).toEqual([
      { kind: "text", text: "A " },
      { kind: "cite", raw: "[1]", numbers: [1] },
      { kind: "text", text: " B" },
    ]);
  });
});

describe("linkCitations", () => {
  function render(markdown: string, sources = [source(1), source(2)]) {
    const open = vi.fn();
    const root = document.createElement("div");
    root.append(renderMarkdown(markdown));
    const made = linkCitations(root, sources, open);
    return { root, open, made };
  }

  it("turns known numbers into buttons that open their source", () => {
    const { root, open, made } = render("The key is under the mat [2].");
    expect(made).toBe(1);
    const button = root.querySelector<HTMLButtonElement>("button.cite");
    expect(button?.textContent).toBe("2");
    expect(button?.getAttribute("aria-label")).toBe("Source 2: file2.md, lines 20–25");
    button?.click();
    expect(open).toHaveBeenCalledWith(expect.objectContaining({ number: 2, path: "/home/me/Notes/file2.md" }));
  });

  it("leaves unknown numbers as text", () => {
    const { root, made } = render("See [7] and [1, 9].");
    expect(made).toBe(1);
    expect(root.textContent?.trim()).toBe("See [7] and 1[9].");
    expect(root.querySelectorAll("button.cite")).toHaveLength(1);
  });

  it("does not touch citations inside code", () => {
    const { root, made } = render("Use `a[1]` or\n\n```\nx = b[2]\n```\n\nbut [1] is real.");
    expect(made).toBe(1);
    expect(root.querySelector("code")?.textContent).toBe("a[1]");
    expect(root.querySelector("pre")?.textContent).toContain("b[2]");
  });

  it("makes one button per number in grouped and adjacent citations", () => {
    const { root } = render("Both [1, 2] and [2][1].");
    expect([...root.querySelectorAll("button.cite")].map((b) => b.textContent)).toEqual(["1", "2", "2", "1"]);
  });

  it("can keep the buttons out of the Tab order", () => {
    const root = document.createElement("div");
    root.append(renderMarkdown("A [1]."));
    linkCitations(root, [source(1)], () => undefined, false);
    expect(root.querySelector<HTMLButtonElement>("button.cite")?.tabIndex).toBe(-1);
  });

  it("makes no buttons without sources", () => {
    expect(render("Text [1].", []).made).toBe(0);
  });
});

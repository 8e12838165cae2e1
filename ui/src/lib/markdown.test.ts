// @vitest-environment jsdom
import { describe, expect, it } from "vitest";
import { highlight, markdownToHtml, renderMarkdown } from "./markdown";

describe("markdown", () => {
  it("renders the usual Markdown", () => {
    const html = markdownToHtml("# Title\n\n**bold** and *em*\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |");
    expect(html).toContain("<h1>Title</h1>");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<li>one</li>");
    expect(html).toContain("<td>1</td>");
  });

  it("shows raw HTML from a hostile document as text", () => {
    const root = document.createElement("div");
    root.append(renderMarkdown('Hello <img src=x onerror="alert(1)"> <script>alert(2)</script>\n\n<div onclick="x()">hi</div>'));
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("script")).toBeNull();
    expect(root.querySelector("[onclick]")).toBeNull();
    expect(root.querySelector("[onerror]")).toBeNull();
    expect(root.textContent).toContain('<img src=x onerror="alert(1)">');
  });

  it("never loads images or follows links", () => {
    const root = document.createElement("div");
    root.append(
      renderMarkdown("![tracking pixel](https://evil.example/p.png) and [click me](javascript:alert(1)) <https://x.example>"),
    );
    expect(root.querySelector("img")).toBeNull();
    expect(root.querySelector("a")).toBeNull();
    expect(root.querySelector("[href]")).toBeNull();
    expect(root.querySelector("[src]")).toBeNull();
    const link = root.querySelector(".md-link");
    expect(link?.textContent).toBe("click me");
    expect(link?.getAttribute("title")).toBe("javascript:alert(1)");
    expect(root.querySelector(".md-image")?.textContent).toBe("tracking pixel");
  });

  it("drops class names that could dress text up as the app's own controls", () => {
    const html = markdownToHtml("```rust\nfn main() {}\n```");
    expect(html).toContain('class="hljs language-rust"');
    expect(html).toContain("hljs-keyword");
    expect(html).not.toContain("cite");
  });

  it("highlights known languages and escapes the rest", () => {
    expect(highlight("let x = 1;", "ts").language).toBe("typescript");
    expect(highlight("echo hi", "sh").language).toBe("bash");
    const unknown = highlight("<b>x</b>", "brainfuck");
    expect(unknown.language).toBeNull();
    expect(unknown.html).toBe("&lt;b&gt;x&lt;/b&gt;");
  });

  it("keeps task-list checkboxes inert", () => {
    const root = document.createElement("div");
    root.append(renderMarkdown("- [x] done\n- [ ] todo"));
    const boxes = [...root.querySelectorAll("input")];
    expect(boxes).toHaveLength(2);
    expect(boxes.every((b) => b.type === "checkbox" && b.disabled)).toBe(true);
  });
});

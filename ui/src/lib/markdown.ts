// Answers as Markdown, made safe. An answer can quote text from any file in the index, and a
// hostile document can try to smuggle markup through it, so:
// - raw HTML in the Markdown is shown as text, never parsed;
// - images are not loaded (that would be a network request): their alt text is shown;
// - links are not followable: their text is shown, the address in a tooltip;
// - the HTML marked produces still goes through DOMPurify with a short allow-list.
// Code blocks are highlighted with highlight.js (core plus a handful of languages).

import DOMPurify from "dompurify";
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";
import { Marked, type Tokens } from "marked";

const LANGUAGES = { bash, css, javascript, json, python, rust, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh", "console"], { languageName: "bash" });

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Highlighted HTML for a code block, or the escaped text when the language is unknown. */
export function highlight(code: string, lang: string | undefined): { html: string; language: string | null } {
  const name = (lang ?? "").trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  const definition = name ? hljs.getLanguage(name) : undefined;
  // The registered name for an alias ("ts" -> "typescript").
  const language = definition ? (hljs.listLanguages().find((l) => hljs.getLanguage(l) === definition) ?? name) : null;
  if (language === null) return { html: escapeHtml(code), language: null };
  return { html: hljs.highlight(code, { language, ignoreIllegals: true }).value, language };
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }: Tokens.HTML | Tokens.Tag): string {
      return escapeHtml(text);
    },
    code({ text, lang }: Tokens.Code): string {
      const { html, language } = highlight(text.replace(/\n$/, ""), lang);
      const cls = language ? ` language-${language}` : "";
      return `<pre><code class="hljs${cls}">${html}</code></pre>\n`;
    },
    image({ text }: Tokens.Image): string {
      return text ? `<span class="md-image">${escapeHtml(text)}</span>` : "";
    },
    link({ href, tokens }: Tokens.Link): string {
      const inner = this.parser.parseInline(tokens);
      return `<span class="md-link" title="${escapeHtml(href)}">${inner}</span>`;
    },
  },
});

const ALLOWED_TAGS = [
  "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code", "pre",
  "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "tr", "th", "td", "span", "input",
];
const ALLOWED_ATTR = ["class", "title", "start", "align", "type", "checked", "disabled"];
const CLASS_TOKEN = /^(hljs[\w-]*|[a-z]+_+|language-[\w+#.-]+|md-(link|image))$/;

DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
  if (data.attrName === "class") {
    data.attrValue = data.attrValue
      .split(/\s+/)
      .filter((token) => CLASS_TOKEN.test(token))
      .join(" ");
    if (data.attrValue === "") data.keepAttr = false;
  }
  // Task-list checkboxes are the only inputs marked makes; keep them inert.
  if (node.nodeName === "INPUT" && data.attrName === "type" && data.attrValue !== "checkbox") {
    data.keepAttr = false;
  }
});
DOMPurify.addHook("afterSanitizeElements", (node) => {
  if (node.nodeName === "INPUT") {
    const input = node as HTMLInputElement;
    if (input.getAttribute("type") !== "checkbox") input.remove();
    else input.setAttribute("disabled", "");
  }
});

/** Markdown to sanitized HTML (a string; for tests and copying). */
export function markdownToHtml(text: string): string {
  const raw = marked.parse(text, { async: false });
  return DOMPurify.sanitize(raw, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false });
}

/** Markdown to a sanitized fragment of the current document. */
export function renderMarkdown(text: string): DocumentFragment {
  const raw = marked.parse(text, { async: false });
  return DOMPurify.sanitize(raw, {
    ALLOWED_TAGS,
    ALLOWED_ATTR,
    ALLOW_DATA_ATTR: false,
    RETURN_DOM_FRAGMENT: true,
  });
}

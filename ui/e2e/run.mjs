// Browser tests of the UI: the built pages (dist/) in headless Chromium, with the Tauri IPC
// mocked by e2e/mock-backend.ts (Tauri's own @tauri-apps/api/mocks) injected before the page's
// scripts, so the production bundle runs unchanged. Screenshots of each main screen, light and
// dark, go to test-results/screenshots/.
//
//   node e2e/run.mjs            (npm run test:e2e)
//
// Offline: Chromium comes from Debian (/usr/bin/chromium, or $CHROMIUM_PATH), the pages from a
// static server on 127.0.0.1, and every request leaving that server fails the test.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdir, mkdtemp, readFile, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { extname, join, normalize, sep } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { build } from "vite";

const UI = fileURLToPath(new URL("..", import.meta.url));
const DIST = join(UI, "dist");
const MOCK_DIR = join(UI, "e2e", ".build");
const SHOTS = join(UI, "test-results", "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const POPUP = { width: 680, height: 440 };
const WINDOW = { width: 1080, height: 720 };

let server;
let origin;
let context;
let userDataDir;
let mockSource;

// ---------------------------------------------------------------------------------------------
// Set-up: a fresh dist/ (built only when a source is newer), the mock bundle, a static server,
// Chromium with a fresh profile.

async function newest(path) {
  const info = await stat(path);
  if (!info.isDirectory()) return info.mtimeMs;
  let max = 0;
  for (const entry of await readdir(path)) max = Math.max(max, await newest(join(path, entry)));
  return max;
}

async function ensureDist() {
  let built = 0;
  try {
    built = (await stat(join(DIST, "index.html"))).mtimeMs;
  } catch {
    // not built yet
  }
  const inputs = ["src", "index.html", "popup.html", "vite.config.ts", "package-lock.json"];
  const changed = Math.max(...(await Promise.all(inputs.map((p) => newest(join(UI, p))))));
  if (built > changed) return;
  console.log("# dist/ is missing or older than the sources: building it");
  await build({ root: UI, logLevel: "warn" });
}

async function buildMock() {
  await build({
    configFile: false,
    root: UI,
    logLevel: "warn",
    build: {
      outDir: MOCK_DIR,
      emptyOutDir: true,
      minify: false,
      lib: {
        entry: join(UI, "e2e", "mock-backend.ts"),
        formats: ["iife"],
        name: "LedgeMock",
        fileName: () => "mock.js",
      },
    },
  });
  return readFile(join(MOCK_DIR, "mock.js"), "utf8");
}

// The pages are served under the Content-Security-Policy recommended for the app (README.md),
// less the IPC origins the mock does not use: a violation is a console error, which fails.
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-src 'none'";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

function serve() {
  return new Promise((resolve) => {
    const s = createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      let path = decodeURIComponent(url.pathname);
      if (path.endsWith("/")) path += "index.html";
      const file = normalize(join(DIST, path));
      if (!file.startsWith(DIST + sep)) {
        res.writeHead(403).end();
        return;
      }
      try {
        const body = await readFile(file);
        res.writeHead(200, {
          "content-type": TYPES[extname(file)] ?? "application/octet-stream",
          "cache-control": "no-store",
          "content-security-policy": CSP,
        });
        res.end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

before(async () => {
  await ensureDist();
  mockSource = await buildMock();
  await mkdir(SHOTS, { recursive: true });
  server = await serve();
  origin = `http://127.0.0.1:${server.address().port}`;
  userDataDir = await mkdtemp(join(tmpdir(), "ledge-ui-e2e-"));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: WINDOW,
    deviceScaleFactor: 1,
    locale: "en-US",
    permissions: ["clipboard-read", "clipboard-write"],
  });
});

after(async () => {
  await context?.close();
  server?.close();
  if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Helpers.

const pages = new Set();

async function open(path, { scenario = {}, viewport = WINDOW } = {}) {
  const page = await context.newPage();
  page.problems = [];
  page.offsite = [];
  page.on("pageerror", (error) => page.problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") page.problems.push(`console error: ${message.text()}`);
  });
  page.on("response", (response) => {
    if (response.status() >= 400) page.problems.push(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith(origin) && !url.startsWith("data:")) page.offsite.push(url);
  });
  await page.setViewportSize(viewport);
  await page.emulateMedia({ colorScheme: "light", reducedMotion: "no-preference" });
  await page.addInitScript({ content: `window.__LEDGE_SCENARIO__ = ${JSON.stringify(scenario)};\n${mockSource}` });
  await page.goto(origin + path);
  pages.add(page);
  return page;
}

/** Closes the page, failing on page errors and on any request that left the test server. */
async function close(page) {
  pages.delete(page);
  await page.close();
  assert.deepEqual(page.problems, [], "the page logged errors");
  assert.deepEqual(page.offsite, [], "the page made requests outside the app");
}

const callsOf = (page, cmd) => page.evaluate((c) => window.__ledge.callsOf(c), cmd);

async function lastCall(page, cmd, count = 1) {
  await page.waitForFunction(([c, n]) => window.__ledge.callsOf(c).length >= n, [cmd, count]);
  const calls = await callsOf(page, cmd);
  return calls[calls.length - 1];
}

const ledge = (page, method, ...args) => page.evaluate(([m, a]) => window.__ledge[m](...a), [method, args]);

/** Visible controls without an accessible name (an approximation of the accessibility tree's). */
function unlabeledControls() {
  const named = (el) => {
    if (el.getAttribute("aria-label")?.trim()) return true;
    const by = el.getAttribute("aria-labelledby");
    if (by && by.split(/\s+/).some((id) => document.getElementById(id)?.textContent?.trim())) return true;
    if (el.labels && [...el.labels].some((l) => l.textContent?.trim())) return true;
    if (!["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) && el.textContent?.trim()) return true;
    return false;
  };
  return [...document.querySelectorAll('button, a[href], input, textarea, select, summary, [role="option"], [role="switch"]')]
    .filter((el) => el.getClientRects().length > 0 && !el.closest(".md"))
    .filter((el) => !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}

/** Saves light and dark screenshots of the page as it is now, after checking control labels. */
async function shoot(page, name) {
  assert.deepEqual(await page.evaluate(unlabeledControls), [], `controls without a label on ${name}`);
  for (const scheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: join(SHOTS, `${name}-${scheme}.png`), animations: "disabled", caret: "hide" });
  }
  await page.emulateMedia({ colorScheme: "light" });
}

/** Answer text as it shows: Markdown emphasis gone, [n] turned into the button's "n". */
const plain = (markdown) =>
  markdown
    .replace(/\*\*/g, "")
    .replace(/\[(\d+)\]/g, "$1")
    .replace(/\s+/g, " ")
    .trim();

async function shownText(locator) {
  return ((await locator.textContent()) ?? "").replace(/\s+/g, " ").trim();
}

async function waitForText(locator, expected) {
  const deadline = Date.now() + 5000;
  let actual = "";
  while (Date.now() < deadline) {
    actual = await shownText(locator);
    if (actual === expected) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(actual, expected);
}

const WARRANTY_Q = "What is the warranty period for the dishwasher?";
const HOME = "/home/maria";

// ---------------------------------------------------------------------------------------------
// Popup.

test("popup: ask, see sources, streamed text piece by piece, clickable citations, keyboard", async () => {
  const page = await open("/popup.html", { viewport: POPUP });
  const input = page.getByRole("combobox", { name: "Ask Ledge about your files" });
  await page.getByText("Ask anything about your files").waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.id), "ask-input", "the input has the focus");
  await page.getByText("qwen2.5-3b-instruct-q4 ready").waitFor();
  await shoot(page, "popup-idle");

  await input.fill(WARRANTY_Q);
  await input.press("Enter");
  const ask = await lastCall(page, "ask");
  assert.deepEqual(ask, { question: WARRANTY_Q, conversationId: null, files: [], backend: null, replaceLast: false, onEvent: "[channel]" });
  await page.getByText("Searching your files…").waitFor();

  // Sources come first.
  await ledge(page, "sources");
  const options = page.locator("#sources [role=option]");
  await options.nth(2).waitFor();
  assert.equal(await options.count(), 3);
  assert.match(await options.nth(0).textContent(), /dishwasher-manual\.pdf.*p\. 31/);
  assert.match(await options.nth(1).textContent(), /receipts-2024\.md.*lines 88–94/);
  await page.getByText("Reading 3 passages…").waitFor();

  // Then the text, piece by piece: each piece shows, the next one not yet.
  const pieces = await page.evaluate(() => window.__ledge.pieces);
  const answer = page.locator(".answer-text");
  let sent = "";
  for (const [i, piece] of pieces.slice(0, 6).entries()) {
    await ledge(page, "text", piece);
    sent += piece;
    await waitForText(answer, plain(sent));
    assert.ok(!(await shownText(answer)).includes(plain(pieces[i + 1])), "a later piece showed early");
  }
  assert.equal(await page.locator(".answer").getAttribute("aria-busy"), "true");
  await page.getByText("Writing…").waitFor();
  await shoot(page, "popup-answering");

  for (const piece of pieces.slice(6)) {
    await ledge(page, "text", piece);
    sent += piece;
  }
  const summary = await ledge(page, "done");
  await waitForText(answer, plain(sent));
  await page.getByText("Answered from 3 sources · 2.3 s").waitFor();
  assert.equal(await page.locator(".answer").getAttribute("aria-busy"), "false");
  assert.equal(await answer.locator("strong").first().textContent(), "two-year");

  // Citations open their source at the cited line or page.
  await answer.locator("button.cite", { hasText: "2" }).click();
  assert.deepEqual(await lastCall(page, "open_source"), { path: `${HOME}/Documents/Notes/receipts-2024.md`, line: 88, page: null });
  await answer.locator("button.cite", { hasText: "1" }).click();
  assert.deepEqual(await lastCall(page, "open_source", 2), { path: `${HOME}/Documents/Manuals/dishwasher-manual.pdf`, line: null, page: 31 });

  // Arrow keys move through the sources; Enter opens the selected one.
  await input.focus();
  const selected = () => page.locator('#sources [aria-selected="true"]').getAttribute("id");
  await input.press("ArrowDown");
  assert.equal(await selected(), "source-0");
  assert.equal(await input.getAttribute("aria-activedescendant"), "source-0");
  await input.press("ArrowDown");
  await input.press("ArrowDown");
  await input.press("ArrowDown");
  assert.equal(await selected(), "source-2", "the selection stops at the last source");
  await input.press("ArrowUp");
  assert.equal(await selected(), "source-1");
  await page.locator(".hints", { hasText: "Open" }).waitFor();
  await shoot(page, "popup-answered");
  await input.press("Enter");
  assert.deepEqual(await lastCall(page, "open_source", 3), { path: `${HOME}/Documents/Notes/receipts-2024.md`, line: 88, page: null });
  assert.equal((await callsOf(page, "ask")).length, 1, "Enter on a source opens it instead of asking");

  // Typing returns to the question.
  await input.press("End");
  await input.type("?");
  assert.equal(await page.locator('#sources [aria-selected="true"]').count(), 0);

  // Tab goes from the input to "Continue in chat"; so does Ctrl+Enter. Esc hides.
  await input.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Continue in chatCtrl+↵");
  await page.keyboard.press("Enter");
  assert.deepEqual(await lastCall(page, "show_chat"), { conversationId: summary.conversationId });
  await input.focus();
  await input.press("Control+Enter");
  assert.deepEqual(await lastCall(page, "show_chat", 2), { conversationId: summary.conversationId });
  await input.press("Escape");
  await lastCall(page, "hide_popup");
  await close(page);
});

test("popup: nothing found in your files", async () => {
  const page = await open("/popup.html", { viewport: POPUP, scenario: { askMode: "nothing" } });
  const input = page.getByRole("combobox", { name: "Ask Ledge about your files" });
  await input.fill("What did I write about sailing in Greenland?");
  await input.press("Enter");
  await page.locator(".status-text", { hasText: "Nothing found in your files" }).waitFor();
  assert.equal(await shownText(page.locator(".answer-text")), "I couldn't find anything about that in your files.");
  assert.ok(await page.locator("#sources").isHidden(), "no sources list");
  await shoot(page, "popup-nothing-found");
  await close(page);
});

test("popup: pinned files from the shell, Stop, and popup-shown focus", async () => {
  const page = await open("/popup.html", { viewport: POPUP });
  const input = page.getByRole("combobox", { name: "Ask Ledge about your files" });
  await ledge(page, "emit", "pin-files", { files: [`${HOME}/Desktop/lease.pdf`, `${HOME}/Desktop/notes.md`], question: null });
  const chips = page.locator(".pinned .chip");
  await chips.nth(1).waitFor();
  assert.deepEqual(await chips.allTextContents(), ["lease.pdf", "notes.md"]);
  await page.getByRole("button", { name: "Unpin notes.md" }).click();
  assert.equal(await chips.count(), 1);

  await input.fill("When does the lease end?");
  await input.press("Enter");
  const ask = await lastCall(page, "ask");
  assert.deepEqual(ask.files, [`${HOME}/Desktop/lease.pdf`]);
  await ledge(page, "sources");
  await ledge(page, "text", "The lease ends");
  await page.locator(".answer-text", { hasText: "The lease ends" }).waitFor();
  const { requestId } = await page.evaluate(() => window.__ledge.current());
  await page.getByRole("button", { name: "Stop" }).click();
  assert.deepEqual(await lastCall(page, "stop_answer"), { requestId });
  await ledge(page, "text", " on 31 May.");
  await page.locator(".status-text", { hasText: "Stopped" }).waitFor();
  assert.equal(await shownText(page.locator(".answer-text")), "The lease ends", "text after Stop is dropped");
  assert.ok(await page.getByRole("button", { name: "Stop" }).isHidden());

  // "Ask about this file" with a question asks at once.
  await ledge(page, "emit", "pin-files", { files: [`${HOME}/Desktop/invoice.pdf`], question: "Summarize this file" });
  const second = await lastCall(page, "ask", 2);
  assert.deepEqual(second, { question: "Summarize this file", conversationId: null, files: [`${HOME}/Desktop/invoice.pdf`], backend: null, replaceLast: false, onEvent: "[channel]" });

  // popup-shown puts the focus back in the input.
  await page.getByRole("button", { name: "Settings" }).focus();
  await ledge(page, "emit", "popup-shown", null);
  await page.waitForFunction(() => document.activeElement?.id === "ask-input");
  await close(page);
});

const MOSTLY_UNSUPPORTED = "Most of this answer is not backed by your files: treat it as unverified.";
const PROXY_Q = "Which port does the staging proxy use?";

/** Whether `a` comes before `b` in the page. */
const precedes = (page, a, b) =>
  page.evaluate(
    ([x, y]) => Boolean(document.querySelector(x).compareDocumentPosition(document.querySelector(y)) & Node.DOCUMENT_POSITION_FOLLOWING),
    [a, b],
  );

/** Streams the mostly unsupported answer about the staging proxy (sources, quote, sentences, done). */
async function streamProxyAnswer(page) {
  await ledge(page, "sources", await page.evaluate(() => window.__ledge.proxySources));
  await ledge(page, "quotes", await page.evaluate(() => window.__ledge.proxyQuotes));
  for (const sentence of await page.evaluate(() => window.__ledge.proxySentences)) {
    await ledge(page, "text", sentence.text);
    await ledge(page, "send", { event: "checked", sentence });
  }
  return ledge(page, "done", { grounding: { mostlyUnsupported: true } });
}

test("popup: the answer from your files first, then each sentence checked; a mostly unsupported answer is flagged", async () => {
  const page = await open("/popup.html", { viewport: POPUP });
  const input = page.getByRole("combobox", { name: "Ask Ledge about your files" });
  await input.fill(WARRANTY_Q);
  await input.press("Enter");
  await ledge(page, "sources");
  await ledge(page, "quotes");

  // The quotes show at once, before the model has written a word.
  const quotes = page.locator(".answer .quotes");
  await quotes.locator(".quote").nth(1).waitFor();
  assert.equal(await quotes.locator(".quotes-head").textContent(), "From your files");
  assert.deepEqual(await quotes.locator("blockquote").allTextContents(), [
    "The manufacturer's warranty covers parts and labour for two (2) years from the date of purchase.",
    "14 March 2024 — Dishwasher SMV4HTX, Electro Store, receipt no. 55120, paid by card.",
  ]);
  assert.deepEqual(await quotes.locator(".quote-where").allTextContents(), ["dishwasher-manual.pdf, p. 31", "receipts-2024.md, line 89"]);
  const answer = page.locator(".answer-text");
  assert.equal(await shownText(answer), "", "no model text yet");
  assert.ok(await precedes(page, ".answer .quotes", ".answer-text"), "the quotes come before the model's answer");
  await page.getByText("Reading 3 passages…").waitFor();
  await shoot(page, "popup-quotes");

  // A quote opens its source at the quote's own line or page, like a source does.
  await quotes.locator(".quote").nth(1).click();
  assert.deepEqual(await lastCall(page, "open_source"), { path: `${HOME}/Documents/Notes/receipts-2024.md`, line: 89, page: null });
  await quotes.getByRole("button", { name: "Open source 1 at the quote: dishwasher-manual.pdf, p. 31" }).click();
  assert.deepEqual(await lastCall(page, "open_source", 2), { path: `${HOME}/Documents/Manuals/dishwasher-manual.pdf`, line: null, page: 31 });

  // The model's sentences, each marked once checked.
  const steps = await page.evaluate(() => window.__ledge.checkedSteps);
  for (const step of steps.slice(0, 4)) await ledge(page, "send", step);
  await answer.locator('.sent-supported[data-sentence="0"]').first().waitFor();
  assert.equal(await answer.locator('.sent[data-sentence="1"]').count(), 0, "the tail is not marked before it is checked");
  for (const step of steps.slice(4)) await ledge(page, "send", step);
  const flag = answer.locator(".flag-unverified");
  await flag.waitFor();
  assert.equal(
    (await answer.locator(".sent-unsupported").allTextContents()).join(""),
    "The extended warranty adds three more years of cover.",
  );
  assert.match(await flag.getAttribute("title"), /No source says how long the extended warranty lasts\./);
  assert.equal(await flag.locator(".visually-hidden").textContent(), ": No source says how long the extended warranty lasts.");
  // The model's own [1], and Ledge's matched 2, told apart.
  assert.deepEqual(await answer.locator("button.cite:not(.matched)").allTextContents(), ["1"]);
  const matched = answer.locator("button.cite.matched");
  assert.equal(await matched.textContent(), "2");
  assert.equal(await matched.getAttribute("aria-label"), "Source 2, matched by Ledge: receipts-2024.md, lines 88–94");
  assert.match(await answer.locator('.sent-supported[data-sentence="0"]').first().getAttribute("title"), /Backed by your files: “The manufacturer's warranty covers/);
  await matched.click();
  assert.deepEqual(await lastCall(page, "open_source", 3), { path: `${HOME}/Documents/Notes/receipts-2024.md`, line: 88, page: null });

  await ledge(page, "done");
  await page.getByText("Answered from 2 sources · 2.3 s").waitFor();
  assert.equal(await page.locator(".grounding-warning").count(), 0, "no warning for a mostly backed answer");
  assert.equal(await quotes.locator(".quote").count(), 2, "the quotes stay");
  assert.equal(await answer.locator(".flag-unverified").count(), 1);
  // Ledge's matched source is not shown as unused.
  assert.doesNotMatch(await page.locator("#source-1").getAttribute("class"), /uncited/);
  assert.match(await page.locator("#source-2").getAttribute("class"), /uncited/);
  await page.mouse.move(0, 0);
  await shoot(page, "popup-checked");

  // A mostly unsupported answer: the warning above it.
  await input.fill(PROXY_Q);
  await input.press("Enter");
  await streamProxyAnswer(page);
  const warning = page.locator(".answer .grounding-warning");
  await warning.waitFor();
  assert.equal(await shownText(warning), MOSTLY_UNSUPPORTED);
  assert.ok(await precedes(page, ".answer .quotes", ".answer .grounding-warning"));
  assert.ok(await precedes(page, ".answer .grounding-warning", ".answer-text"), "the warning is above the model's answer");
  assert.equal(await answer.locator(".flag-unverified").count(), 2);
  await shoot(page, "popup-unsupported");

  // The quotes stay when the model fails.
  await input.fill(WARRANTY_Q);
  await input.press("Enter");
  await ledge(page, "sources");
  await ledge(page, "quotes");
  await ledge(page, "error", "the model ran out of memory");
  await page.locator(".error", { hasText: "the model ran out of memory" }).waitFor();
  assert.equal(await page.locator(".answer .quotes .quote").count(), 2);
  assert.equal(await page.locator(".grounding-warning").count(), 0, "the last answer's warning is gone");
  await close(page);
});

// ---------------------------------------------------------------------------------------------
// Chat window.

test("chat: conversation list, open one, citations, ask, stop, regenerate, copy, pin, new, delete", async () => {
  const page = await open("/index.html#/chat");
  const list = page.locator(".conversations a");
  await list.nth(3).waitFor();
  assert.equal(await list.count(), 4);
  assert.match(await list.nth(0).textContent(), /How do I rotate the backup keys\?/);
  await page.getByRole("heading", { name: "Ask about your files" }).waitFor();
  await page.getByText("qwen2.5-3b-instruct-q4 ready").waitFor();
  await shoot(page, "chat-empty");

  // Open a conversation.
  await list.nth(0).click();
  await page.waitForFunction(() => location.hash === "#/chat/1");
  const messages = page.locator(".messages .msg");
  await messages.nth(3).waitFor();
  assert.equal(await messages.count(), 4);
  assert.equal(await page.locator(".chat-title").textContent(), "How do I rotate the backup keys?");
  assert.equal(await page.locator("pre code.hljs.language-bash").count(), 1, "the code block is highlighted");
  assert.ok((await page.locator("pre .hljs-comment").count()) > 0);
  const first = messages.nth(1);
  assert.deepEqual(await first.locator(".answer-text button.cite").allTextContents(), ["1", "1", "2", "1", "3"]);
  await first.locator("button.cite", { hasText: "3" }).click();
  assert.deepEqual(await lastCall(page, "open_source"), {
    path: `${HOME}/Documents/Notes/incidents/2024-10-02 restore failure.md`,
    line: 40,
    page: null,
  });
  await first.getByRole("button", { name: /Open source 2: vault-policy\.md, lines 3–19/ }).click();
  assert.deepEqual(await lastCall(page, "open_source", 2), { path: `${HOME}/Documents/Notes/ops/vault-policy.md`, line: 3, page: null });
  await shoot(page, "chat");

  // Copy an answer.
  await first.getByRole("button", { name: "Copy" }).click();
  await first.getByText("Copied").waitFor();

  // Ask in this conversation, then stop.
  const input = page.getByRole("textbox", { name: "Your question" });
  await input.fill("Who has vault access?");
  await input.press("Enter");
  const ask = await lastCall(page, "ask");
  assert.deepEqual(ask, { question: "Who has vault access?", conversationId: 1, files: [], backend: null, replaceLast: false, onEvent: "[channel]" });
  await page.locator(".turn .bubble", { hasText: "Who has vault access?" }).waitFor();
  await page.locator(".turn-status", { hasText: "Searching your files…" }).waitFor();
  await ledge(page, "sources");
  await ledge(page, "text", "Three people: ");
  await ledge(page, "text", "Maria, Jonas");
  await page.locator(".turn .answer-text", { hasText: "Three people: Maria, Jonas" }).waitFor();
  await shoot(page, "chat-answering");
  const { requestId } = await page.evaluate(() => window.__ledge.current());
  await page.getByRole("button", { name: "Stop answering" }).click();
  assert.deepEqual(await lastCall(page, "stop_answer"), { requestId });
  await page.locator(".turn-status", { hasText: "Stopped" }).waitFor();
  await ledge(page, "done");
  await messages.nth(5).waitFor();
  assert.equal(await messages.count(), 6, "the saved turn is reloaded from the conversation");

  // Regenerate writes the last answer again in its place: the old turn is hidden while the
  // new one is written, and the saved conversation still has three turns.
  await page.locator(".messages .regenerate").click();
  const again = await lastCall(page, "ask", 2);
  assert.deepEqual(again, { question: "Who has vault access?", conversationId: 1, files: [], backend: null, replaceLast: true, onEvent: "[channel]" });
  await page.waitForFunction(() => document.querySelectorAll(".messages .msg").length === 4);
  await ledge(page, "sources");
  await ledge(page, "text", "Maria, Jonas and Lea [2].");
  await page.locator(".turn .answer-text", { hasText: "Maria, Jonas and Lea" }).waitFor();
  await shoot(page, "chat-regenerating");
  await ledge(page, "done");
  await page.locator(".messages .msg.assistant", { hasText: "Maria, Jonas and Lea" }).waitFor();
  assert.equal(await messages.count(), 6, "the regenerated answer replaced the last one");
  assert.equal(await page.locator(".messages .msg.assistant", { hasText: "Three people: Maria, Jonas" }).count(), 0);

  // Pin files by dropping them on the window and with the button.
  await ledge(page, "emit", "tauri://drag-drop", { paths: [`${HOME}/Desktop/access-list.md`], position: { x: 400, y: 300 } });
  await page.locator(".composer-chips .chip", { hasText: "access-list.md" }).waitFor();
  await page.getByRole("button", { name: "Pin Files…" }).click();
  await page.locator(".composer-chips .chip", { hasText: "contract-draft.pdf" }).waitFor();
  await input.fill("Is Lea on the access list?");
  await input.press("Enter");
  const pinned = await lastCall(page, "ask", 3);
  assert.deepEqual(pinned.files, [`${HOME}/Desktop/access-list.md`, `${HOME}/Downloads/contract-draft.pdf`]);
  await ledge(page, "sources", []);
  await ledge(page, "text", "Yes.");
  await ledge(page, "done");
  await messages.nth(7).waitFor();

  // A new chat starts a new conversation, listed and in the address as soon as the core
  // names it (before the answer is done).
  await page.getByRole("button", { name: "New Chat" }).click();
  await page.waitForFunction(() => location.hash === "#/chat");
  await input.fill("Where is the spare key?");
  await input.press("Enter");
  const fresh = await lastCall(page, "ask", 4);
  assert.equal(fresh.conversationId, null);
  await page.waitForFunction(() => /^#\/chat\/\d+$/.test(location.hash));
  await page.locator(".conversations a", { hasText: "Where is the spare key?" }).waitFor();
  assert.equal(await page.locator(".chat-title").textContent(), "Where is the spare key?");
  await ledge(page, "sources");
  await ledge(page, "text", "In the blue box [3].");
  const summary = await ledge(page, "done");
  assert.equal(await page.evaluate(() => location.hash), `#/chat/${summary.conversationId}`);
  await page.locator(".messages .msg.assistant", { hasText: "In the blue box" }).waitFor();

  // Delete a conversation, after confirming.
  await page.getByRole("button", { name: "Delete conversation “Summary of the Q3 planning notes”" }).click();
  await page.locator(".conv.confirming").getByRole("button", { name: "Delete" }).click();
  assert.deepEqual(await lastCall(page, "delete_conversation"), { id: 2 });
  await page.waitForFunction(() => document.querySelectorAll(".conversations a").length === 4);

  // The shell's navigate event switches views.
  await ledge(page, "emit", "navigate", { view: "settings", conversationId: null });
  await page.waitForFunction(() => location.hash === "#/settings");
  await page.getByRole("heading", { name: "Folders" }).waitFor();
  await ledge(page, "emit", "navigate", { view: "chat", conversationId: 3 });
  await page.waitForFunction(() => location.hash === "#/chat/3");
  await page.locator(".chat-title", { hasText: "Which port does the staging proxy use?" }).waitFor();
  assert.deepEqual(await lastCall(page, "conversation"), { id: 3 });
  await close(page);
});

test("chat: a stored answer's quotes, marks and warning; an old answer unmarked; a new answer checked as it streams", async () => {
  const page = await open("/index.html#/chat/3");
  const stored = page.locator(".messages .msg.assistant").first();
  await stored.locator(".grounding-warning").waitFor();
  assert.equal(await shownText(stored.locator(".grounding-warning")), MOSTLY_UNSUPPORTED);
  assert.deepEqual(await stored.locator(".quotes blockquote").allTextContents(), ["The staging proxy runs on proxy-2 behind the office VPN."]);
  assert.equal(await stored.locator(".answer-text .flag-unverified").count(), 2);
  assert.ok(await precedes(page, ".messages .quotes", ".messages .grounding-warning"));
  assert.ok(await precedes(page, ".messages .grounding-warning", ".messages .answer-text"));
  await stored.locator(".quote").click();
  assert.deepEqual(await lastCall(page, "open_source"), { path: `${HOME}/Documents/Notes/ops/staging.md`, line: 21, page: null });
  await page.mouse.move(0, 0);
  await shoot(page, "chat-unsupported");

  // Asked here: the quotes first, then the marks as sentences are checked.
  const input = page.getByRole("textbox", { name: "Your question" });
  await input.fill(WARRANTY_Q);
  await input.press("Enter");
  await ledge(page, "sources");
  await ledge(page, "quotes");
  const turn = page.locator(".turn .msg.assistant");
  await turn.locator(".quotes .quote").nth(1).waitFor();
  assert.equal(await shownText(turn.locator(".answer-text")), "", "no model text yet");
  assert.ok(await precedes(page, ".turn .quotes", ".turn .answer-text"));
  await turn.locator(".turn-status", { hasText: "Reading 3 passages…" }).waitFor();
  for (const step of await page.evaluate(() => window.__ledge.checkedSteps)) await ledge(page, "send", step);
  await turn.locator(".answer-text .flag-unverified").waitFor();
  assert.equal(await turn.locator(".answer-text button.cite.matched").textContent(), "2");
  await ledge(page, "done");
  // Saved, and shown from the conversation with the same marks.
  const saved = page.locator(".messages .msg.assistant").nth(1);
  await saved.locator(".answer-text .flag-unverified").waitFor();
  assert.equal(await saved.locator(".quotes .quote").count(), 2);
  assert.equal(await saved.locator(".grounding-warning").count(), 0);
  assert.deepEqual(await saved.locator(".answer-text button.cite:not(.matched)").allTextContents(), ["1"]);
  assert.equal(await saved.locator(".answer-text button.cite.matched").getAttribute("title"), "Matched by Ledge: receipts-2024.md, lines 88–94");
  assert.equal(
    (await saved.locator(".sent-unsupported").allTextContents()).join(""),
    "The extended warranty adds three more years of cover.",
  );
  await page.evaluate(() => document.querySelector(".chat-scroll").scrollTo(0, document.querySelector(".chat-scroll").scrollHeight));
  await shoot(page, "chat-checked");

  // An answer saved before Ledge checked answers is shown as before.
  await page.locator(".conversations a", { hasText: "How do I rotate the backup keys?" }).click();
  await page.waitForFunction(() => location.hash === "#/chat/1");
  const old = page.locator(".messages .msg.assistant").first();
  await old.locator("pre").waitFor();
  assert.equal(await old.locator(".quotes, .grounding-warning, .sent, .flag-unverified, .cite.matched").count(), 0);
  const newer = page.locator(".messages .msg.assistant").nth(1);
  assert.deepEqual(await newer.locator(".quotes blockquote").allTextContents(), ["Rotate every 90 days and whenever someone leaves."]);
  await close(page);
});

// ---------------------------------------------------------------------------------------------
// Settings.

test("settings: folders with problems, pause/resume, hotkey rejected then saved, models, login, remove, forget", async () => {
  const page = await open("/index.html#/settings", {
    scenario: {
      indexing: { running: true, phase: "scanning", folder: `${HOME}/Documents/Notes`, done: 120, total: 412, current: `${HOME}/Documents/Notes/ops/backup-runbook.md` },
      takenHotkeys: { "Alt+Space": "Alt+Space is taken by another app" },
    },
  });
  const rows = page.locator(".folder-row");
  await rows.nth(1).waitFor();
  assert.equal(await rows.count(), 2);
  assert.match(await rows.nth(0).textContent(), /Notes.*412 files · 3,208 passages · indexing now…/);
  assert.match(await rows.nth(0).textContent(), /2 problems/);
  await rows.nth(0).getByText("2 files could not be read").click();
  await page.getByText("PDF has no text layer (scanned image)").waitFor();
  await page.locator(".index-text", { hasText: "Scanning Notes: 120 of 412 files" }).waitFor();
  await page.locator(".index-current", { hasText: `${HOME}/Documents/Notes/ops/backup-runbook.md` }).waitFor();
  await page.locator(".model-row", { hasText: "smollm2-360m-instruct" }).waitFor();
  await shoot(page, "settings");
  await page.evaluate(() => {
    const scroller = document.querySelector(".settings-scroll");
    scroller.scrollTo(0, scroller.scrollHeight);
  });
  await shoot(page, "settings-bottom");
  await page.evaluate(() => document.querySelector(".settings-scroll").scrollTo(0, 0));

  // Indexing events move the progress (here and in the footer).
  await ledge(page, "emit", "indexing", {
    running: true, paused: false, phase: "embedding", folder: `${HOME}/Documents/Notes`, done: 1200, total: 3400, current: null, lastError: null,
  });
  await page.locator(".index-text", { hasText: "Embedding passages: 1,200 of 3,400 (35%)" }).waitFor();
  await page.locator(".footer .footer-text", { hasText: "Embedding passages: 1,200 of 3,400 (35%)" }).waitFor();
  assert.equal(await page.locator(".index-status [role=progressbar]").getAttribute("aria-valuenow"), "35");
  await ledge(page, "emit", "indexing", {
    running: true, paused: false, phase: "embedding", folder: `${HOME}/Documents/Notes`, done: 1300, total: 3400, current: null, lastError: "notes/huge.pdf: timed out",
  });
  await page.locator(".field-error", { hasText: "Last problem: notes/huge.pdf: timed out" }).waitFor();

  // Pause and resume indexing.
  await page.getByRole("button", { name: "Pause indexing" }).click();
  await lastCall(page, "pause_indexing");
  await page.locator(".index-text", { hasText: "Indexing paused" }).waitFor();
  await page.getByRole("button", { name: "Resume indexing" }).click();
  await lastCall(page, "resume_indexing");
  await page.getByRole("button", { name: "Pause indexing" }).waitFor();

  // A hotkey that is taken is refused with the shell's reason; another one is saved.
  const hotkey = page.locator(".hotkey-button");
  assert.deepEqual(await hotkey.locator("kbd").allTextContents(), ["Ctrl", "Alt", "Space"]);
  await hotkey.click();
  await page.getByText("Press keys…").waitFor();
  await page.keyboard.press("Alt+Space");
  assert.deepEqual(await lastCall(page, "set_hotkey"), { hotkey: "Alt+Space" });
  await page.locator(".hotkey-message.field-error", { hasText: "Alt+Space is taken by another app" }).waitFor();
  assert.deepEqual(await hotkey.locator("kbd").allTextContents(), ["Ctrl", "Alt", "Space"], "the old shortcut stays");
  await page.evaluate(() => document.querySelector(".settings-scroll").scrollTo(0, 0));
  await hotkey.scrollIntoViewIfNeeded();
  await shoot(page, "settings-hotkey-rejected");
  await hotkey.click();
  await page.keyboard.press("Shift+KeyA");
  await page.locator(".hotkey-message", { hasText: "Add Ctrl, Alt or Cmd/Super" }).waitFor();
  await page.keyboard.press("Control+Shift+KeyK");
  assert.deepEqual(await lastCall(page, "set_hotkey", 2), { hotkey: "Ctrl+Shift+K" });
  await page.locator(".hotkey-message.field-ok", { hasText: "Saved" }).waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll(".hotkey-button kbd")].map((k) => k.textContent).join("+") === "Ctrl+Shift+K");

  // Launch at login.
  await page.getByRole("switch", { name: "Open Ledge when you log in" }).click();
  assert.deepEqual(await lastCall(page, "set_launch_at_login"), { enabled: true });

  // Models: default and import.
  await page.getByRole("radio", { name: /smollm2-360m-instruct/ }).check();
  assert.deepEqual(await lastCall(page, "set_default_model"), { name: "smollm2-360m-instruct" });
  await page.locator(".model-row.is-default", { hasText: "smollm2-360m-instruct" }).waitFor();
  const importPath = page.getByRole("textbox", { name: "Import a model" });
  await importPath.fill("/tmp/notes.txt");
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await page.getByText("/tmp/notes.txt is not a GGUF file or a model folder").waitFor();
  await importPath.fill(`${HOME}/Downloads/mistral-7b-instruct.gguf`);
  await importPath.press("Enter");
  assert.deepEqual(await lastCall(page, "import_model", 2), { path: `${HOME}/Downloads/mistral-7b-instruct.gguf` });
  await page.locator(".model-row", { hasText: "mistral-7b-instruct" }).waitFor();

  // Add and remove folders (removing asks first).
  await page.getByRole("button", { name: "Add Folder…" }).click();
  assert.deepEqual(await lastCall(page, "add_folder"), { path: `${HOME}/Projects/handbook` });
  await rows.nth(2).waitFor();
  await page.getByRole("button", { name: "Add Folder…" }).click();
  await page.locator(".folders-panel .field-error", { hasText: `${HOME}/Projects/handbook is already indexed` }).waitFor();
  await page.getByRole("button", { name: "Remove Manuals" }).click();
  await page.getByText("Remove “Manuals” from Ledge?").waitFor();
  assert.equal((await callsOf(page, "remove_folder")).length, 0, "nothing removed before confirming");
  await page.getByRole("button", { name: "Remove Folder" }).click();
  assert.deepEqual(await lastCall(page, "remove_folder"), { path: `${HOME}/Documents/Manuals` });
  await page.waitForFunction(() => document.querySelectorAll(".folder-row").length === 2);

  // Forget everything needs the word typed.
  await page.getByRole("button", { name: "Forget Everything…" }).click();
  const confirm = page.getByRole("button", { name: "Forget Everything", exact: true });
  assert.ok(await confirm.isDisabled());
  const word = page.getByRole("textbox", { name: /Type forget to confirm/ });
  await word.fill("forge");
  assert.ok(await confirm.isDisabled());
  await word.fill("forget");
  await confirm.click();
  await lastCall(page, "forget_everything");
  await page.waitForFunction(() => location.hash === "#/welcome");
  await close(page);
});

// ---------------------------------------------------------------------------------------------
// First run.

test("settings: other machines — find, add (refused, then allowed), test, default, remove; chat: answer with one per conversation", async () => {
  const studioUrl = "http://192.168.1.30:52415/v1";
  const page = await open("/index.html#/settings", {
    scenario: {
      found: [
        { product: "LM Studio", url: "http://127.0.0.1:1234/v1", models: ["qwen2.5-7b-instruct"], error: null, addedAs: null },
        { product: "Ollama", url: "http://127.0.0.1:11434/v1", models: ["llama3.2", "phi4"], error: null, addedAs: null },
      ],
      endpoints: [
        { name: "studio", url: studioUrl, model: "llama-3.3-70b", isDefault: false, fallbackLocal: true, allowPublic: false, placement: "private network", refused: false },
      ],
    },
  });
  const rows = page.locator(".backend-row");
  await rows.nth(1).waitFor();
  assert.match(await rows.nth(0).textContent(), /This computer \(built-in model\).*Default.*nothing leaves it/);
  assert.match(await rows.nth(1).textContent(), /studio · private network.*192\.168\.1\.30:52415.*model llama-3\.3-70b.*falls back to the built-in model/);

  // Servers running on this computer; "Use…" fills the form with a free name and its one model.
  await page.getByRole("button", { name: "Look for Servers on This Computer" }).click();
  assert.deepEqual(await lastCall(page, "backends"), { discover: true });
  await page.locator(".found-row", { hasText: "LM Studio is running" }).waitFor();
  await page.locator(".found-row", { hasText: "LM Studio" }).getByRole("button", { name: "Use…" }).click();
  const form = page.getByRole("form", { name: "Add a server" });
  assert.equal(await form.getByLabel("Name", { exact: true }).inputValue(), "lm-studio");
  assert.equal(await form.getByLabel("Address", { exact: true }).inputValue(), "http://127.0.0.1:1234/v1");
  assert.equal(await form.getByLabel("Model", { exact: true }).inputValue(), "qwen2.5-7b-instruct");
  await page.evaluate(() => document.querySelector(".backend-form").scrollIntoView());
  await shoot(page, "settings-backends");
  await form.getByRole("button", { name: "Add", exact: true }).click();
  assert.deepEqual(await lastCall(page, "add_backend"), {
    name: "lm-studio", url: "http://127.0.0.1:1234/v1", model: "qwen2.5-7b-instruct",
    allowPublic: false, fallbackLocal: true, makeDefault: false, check: true,
  });
  await page.locator(".backend-message", { hasText: "Added lm-studio (this machine)." }).waitFor();
  await page.locator(".found-row", { hasText: "LM Studio" }).getByText("Added as lm-studio").waitFor();
  assert.equal(await rows.count(), 3);

  // The form says what is wrong before asking the core; the core's refusals are shown as they are.
  await form.getByLabel("Name", { exact: true }).fill("local");
  await form.getByLabel("Address", { exact: true }).fill("203.0.113.9:8080");
  await form.getByRole("button", { name: "Add", exact: true }).click();
  await page.locator(".backend-message", { hasText: "“local” is the built-in model" }).waitFor();
  await form.getByLabel("Name", { exact: true }).fill("cloud");
  await form.getByRole("button", { name: "Add", exact: true }).click();
  await page.locator(".backend-message", { hasText: "is on the public internet" }).waitFor();
  assert.equal(await rows.count(), 3, "nothing added when refused");
  // Allowing a public address shows what it means before it is added.
  await form.getByLabel("Allow an address on the public internet").check();
  await page.locator(".public-warning", { hasText: "leave your devices" }).waitFor();
  await form.getByRole("button", { name: "Add", exact: true }).click();
  assert.equal((await lastCall(page, "add_backend", 3)).allowPublic, true);
  // It does not answer now; it can still be added, on the person's word.
  await page.locator(".backend-message", { hasText: "cannot reach http://203.0.113.9:8080/v1" }).waitFor();
  await form.getByRole("button", { name: "Add Without Checking" }).click();
  const unchecked = await lastCall(page, "add_backend", 4);
  assert.equal(unchecked.check, false);
  assert.equal(unchecked.allowPublic, true);
  await page.locator(".backend-message.field-warning", { hasText: "Added cloud (public internet)" }).waitFor();
  await page.locator(".backend-row", { hasText: "cloud" }).getByText("Public").waitFor();
  assert.equal(await form.getByLabel("Allow an address on the public internet").isChecked(), false, "the override is not kept for the next one");

  // Test: a reply with its timing, or the reason it failed.
  const lm = page.locator(".backend-row", { hasText: "lm-studio" });
  await lm.getByRole("button", { name: "Test" }).click();
  await lm.getByText(/replied “ready”: first word after 212 ms/).waitFor();
  const cloud = page.locator(".backend-row", { hasText: "cloud" });
  await cloud.getByRole("button", { name: "Test" }).click();
  await cloud.locator(".field-error", { hasText: "cannot reach http://203.0.113.9:8080/v1" }).waitFor();

  // Default, then removal (confirmed) puts the built-in model back as the default.
  await page.locator(".backend-row", { hasText: "studio · private" }).getByRole("button", { name: "Use by Default" }).click();
  assert.deepEqual(await lastCall(page, "set_default_backend"), { name: "studio" });
  await page.locator(".backend-row.is-default", { hasText: "studio · private" }).waitFor();
  await cloud.getByRole("button", { name: "Remove cloud" }).click();
  await cloud.getByRole("button", { name: "Remove", exact: true }).click();
  assert.deepEqual(await lastCall(page, "remove_backend"), { name: "cloud" });
  await page.locator(".backend-row", { hasText: "cloud" }).waitFor({ state: "detached" });

  // The chat window offers the backends; a new chat sends its choice with the question.
  await page.evaluate(() => { location.hash = "#/chat"; });
  const picker = page.getByLabel("Answer with");
  await picker.waitFor();
  assert.equal(await picker.inputValue(), "studio", "the default is preselected");
  assert.deepEqual(await picker.locator("option").allTextContents(), [
    "This computer (built-in model)",
    "studio · private network (default)",
    "lm-studio · this machine",
  ]);
  await picker.selectOption("lm-studio");
  await page.locator("#chat-input").fill("Who has vault access?");
  await page.locator("#chat-input").press("Enter");
  assert.equal((await lastCall(page, "ask")).backend, "lm-studio");
  await ledge(page, "sources");
  await ledge(page, "done", { backend: "lm-studio", computedOn: "127.0.0.1:1234 (this machine)" });
  // Saved: the conversation keeps its backend, and a change is stored for it.
  await page.waitForFunction(() => location.hash.startsWith("#/chat/"));
  await page.waitForFunction(() => document.querySelector("#chat-backend")?.value === "lm-studio");
  await picker.selectOption("local");
  const stored = await lastCall(page, "set_conversation_backend");
  assert.equal(stored.backend, "local");
  await shoot(page, "chat-backend");
  await close(page);
});

test("settings: download a model from Hugging Face, with progress and Cancel; a bad name and a missing model are explained", async () => {
  const page = await open("/index.html#/settings", { scenario: { downloadMs: 1500 } });
  const repo = page.getByLabel("Download a model");
  await repo.waitFor();
  const download = page.getByRole("button", { name: "Download", exact: true });
  await repo.fill("just-a-name");
  await download.click();
  await page.locator(".models-panel .field-error", { hasText: "model's name on Hugging Face" }).waitFor();
  assert.equal((await callsOf(page, "download_model")).length, 0, "a malformed name is not sent");
  await repo.fill("nobody/nothing");
  await download.click();
  await page.locator(".models-panel .field-error", { hasText: "Hugging Face has no model nobody/nothing" }).waitFor();
  // Cancelled part way: the reason is shown, nothing is installed, and it can be asked again.
  const cancel = page.getByRole("button", { name: "Cancel", exact: true });
  assert.equal(await cancel.isHidden(), true, "Cancel shows only while downloading");
  await repo.fill("mlx-community/Qwen2.5-0.5B-Instruct-4bit");
  await repo.press("Enter");
  await page.locator(".import-status", { hasText: "40 % (108 of 270 MB)" }).waitFor();
  await cancel.click();
  assert.equal((await callsOf(page, "cancel_download")).length, 1);
  await page.locator(".models-panel .field-error", { hasText: "was cancelled" }).waitFor();
  await page.locator(".models-panel .download").scrollIntoViewIfNeeded();
  await shoot(page, "settings-download-cancelled");
  assert.equal(await cancel.isHidden(), true);
  assert.equal(await page.locator(".model-row", { hasText: "Qwen2.5-0.5B-Instruct-4bit" }).count(), 0);
  assert.equal(await repo.inputValue(), "mlx-community/Qwen2.5-0.5B-Instruct-4bit", "the name stays for another try");
  await download.click();
  assert.deepEqual(await lastCall(page, "download_model", 3), { repo: "mlx-community/Qwen2.5-0.5B-Instruct-4bit", name: null });
  await page.locator(".import-status", { hasText: "40 % (108 of 270 MB)" }).waitFor();
  await page.locator(".import-status", { hasText: "Downloaded mlx-community/Qwen2.5-0.5B-Instruct-4bit." }).waitFor();
  await page.locator(".model-row", { hasText: "Qwen2.5-0.5B-Instruct-4bit" }).waitFor();
  assert.equal(await repo.inputValue(), "");
  await close(page);
});

test("settings: other apps reach Ledge over MCP with the configuration shown", async () => {
  const page = await open("/index.html#/settings");
  const config = page.getByLabel("MCP client configuration");
  await config.getByText('"command": "/Applications/Ledge.app/Contents/MacOS/ledge-app"').waitFor();
  const parsed = JSON.parse(await config.textContent());
  assert.deepEqual(parsed.mcpServers.ledge.args, ["--mcp"]);
  await page.locator("#settings-mcp").scrollIntoViewIfNeeded();
  await shoot(page, "settings-mcp");
  await close(page);
});

test("settings: a folder's own exclusions, a bad pattern explained, saved and shown", async () => {
  const page = await open("/index.html#/settings");
  const notes = page.locator(".folder-row", { hasText: "Notes" }).first();
  await notes.waitFor();
  await page.locator(".folder-row", { hasText: "Manuals" }).getByText("leaves out *.log").waitFor();
  await notes.getByRole("button", { name: "Exclusions for Notes" }).click();
  const input = page.getByLabel("Leave out of Notes, one pattern per line:");
  await input.fill("drafts/**\n[broken");
  await page.getByRole("button", { name: "Save" }).click();
  await notes.locator(".field-error", { hasText: "`[broken` is not a valid exclude pattern" }).waitFor();
  await input.fill("  drafts/**\n\nnode_modules ");
  await shoot(page, "settings-exclusions");
  await page.getByRole("button", { name: "Save" }).click();
  assert.deepEqual(await lastCall(page, "set_folder_exclusions", 2), {
    path: `${HOME}/Documents/Notes`,
    patterns: ["drafts/**", "node_modules"],
  });
  await notes.getByText("leaves out drafts/**, node_modules").waitFor();
  await input.waitFor({ state: "detached" });
  await close(page);
});

test("welcome: privacy, folders, model, then the chat", async () => {
  const page = await open("/index.html", { scenario: { onboarded: false, noFolders: true } });
  await page.waitForFunction(() => location.hash === "#/welcome");
  await page.getByRole("heading", { name: "Nothing leaves this computer" }).waitFor();
  assert.ok(await page.locator(".sidebar").isHidden(), "no sidebar during onboarding");
  await shoot(page, "welcome");

  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Choose folders to ask about" }).waitFor();
  await page.getByRole("button", { name: "Skip for Now" }).waitFor();
  await page.getByRole("button", { name: "Add Folder…" }).click();
  assert.deepEqual(await lastCall(page, "add_folder"), { path: `${HOME}/Projects/handbook` });
  await page.locator(".folder-row", { hasText: "handbook" }).waitFor();
  await page.getByRole("button", { name: "Continue" }).waitFor();
  await shoot(page, "welcome-folders");

  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("heading", { name: "Choose a model" }).waitFor();
  await page.getByRole("radio", { name: /smollm2-360m-instruct/ }).check();
  assert.deepEqual(await lastCall(page, "set_default_model"), { name: "smollm2-360m-instruct" });
  await page.locator(".model-row.is-default", { hasText: "smollm2-360m-instruct" }).waitFor();
  await shoot(page, "welcome-model");

  await page.getByRole("button", { name: "Back" }).click();
  await page.getByRole("heading", { name: "Choose folders to ask about" }).waitFor();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Start Using Ledge" }).click();
  await lastCall(page, "complete_onboarding");
  await page.waitForFunction(() => location.hash === "#/chat");
  await page.locator(".sidebar").waitFor();
  await page.getByRole("heading", { name: "Ask about your files" }).waitFor();
  await close(page);
});

test("welcome without models offers the import", async () => {
  const page = await open("/index.html#/welcome", { scenario: { onboarded: false, noModels: true } });
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByText("No chat model installed yet. Download a recommended one or import one below.").waitFor();
  await page.getByText("You can finish now and download or import a model later in Settings.").waitFor();
  await shoot(page, "welcome-no-model");
  await close(page);
});

test("welcome and settings: recommended for this computer, downloaded with one click", async () => {
  const page = await open("/index.html#/welcome", { scenario: { onboarded: false, noModels: true, downloadMs: 800 } });
  await page.getByRole("button", { name: "Continue" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  const list = page.getByRole("list", { name: "Recommended for this computer" });
  const seven = list.locator(".catalog-row", { hasText: "Qwen2.5-7B-Instruct-4bit" });
  await seven.getByText("Recommended").waitFor();
  await seven.getByText("7B parameters · 4.3 GB download · needs 5.5 GB of memory · Apache-2.0").waitFor();
  // The welcome offers only what fits; the 32B model waits in the settings.
  assert.equal(await list.locator(".catalog-row", { hasText: "32B" }).count(), 0);
  await shoot(page, "welcome-recommended");
  await page.getByRole("button", { name: "Download Qwen2.5-7B-Instruct-4bit" }).click();
  assert.deepEqual(await lastCall(page, "download_model"), { repo: "mlx-community/Qwen2.5-7B-Instruct-4bit", name: null });
  await page.locator(".import-status", { hasText: "40 % (108 of 270 MB)" }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Download Llama-3.2-3B-Instruct-4bit" }).isDisabled(), "one download at a time");
  await page.locator(".import-status", { hasText: "Downloaded Qwen2.5-7B-Instruct-4bit." }).waitFor();
  await seven.getByText("Installed").waitFor();
  await page.getByRole("radio", { name: /Qwen2.5-7B-Instruct-4bit/ }).waitFor();
  await close(page);

  const settings = await open("/index.html#/settings");
  const big = settings.locator(".catalog-row", { hasText: "Qwen2.5-32B-Instruct-4bit" });
  await big.getByText("Needs more memory than this computer can spare.").waitFor();
  assert.ok(await big.getByRole("button", { name: "Download Qwen2.5-32B-Instruct-4bit" }).isDisabled());
  await settings.locator(".models-panel .catalog").scrollIntoViewIfNeeded();
  await shoot(settings, "settings-recommended");
  await close(settings);
});

test("popup: the status line follows the model-state and indexing events", async () => {
  const page = await open("/popup.html", {
    viewport: POPUP,
    scenario: { model: { state: "loading", step: "Loading qwen2.5-3b-instruct-q4 (3 of 5)…" } },
  });
  const status = page.locator(".status-text");
  await status.getByText("Loading qwen2.5-3b-instruct-q4 (3 of 5)…").waitFor();
  assert.match(await page.locator(".status .dot").getAttribute("class"), /busy/);
  await shoot(page, "popup-model-loading");
  const indexing = { running: true, paused: false, phase: "embedding", folder: `${HOME}/Documents/Notes`, done: 1200, total: 3400, current: null, lastError: null };
  await ledge(page, "emit", "indexing", indexing);
  await ledge(page, "emit", "model-state", { state: "ready", model: "qwen2.5-3b-instruct-q4" });
  await status.getByText("Embedding passages: 1,200 of 3,400 (35%)").waitFor();
  await ledge(page, "emit", "indexing", { ...indexing, running: false, phase: "idle" });
  await status.getByText("qwen2.5-3b-instruct-q4 ready").waitFor();
  await ledge(page, "emit", "model-state", { state: "failed", message: "not enough memory" });
  await status.getByText("Model failed: not enough memory").waitFor();
  assert.match(await page.locator(".status .dot").getAttribute("class"), /bad/);
  await close(page);
});

test("popup without a model points to Settings", async () => {
  const page = await open("/popup.html", { viewport: POPUP, scenario: { noModels: true } });
  await page.getByText("No model installed yet").waitFor();
  await page.getByRole("button", { name: "Open Settings" }).click();
  await lastCall(page, "show_settings");
  await close(page);
});

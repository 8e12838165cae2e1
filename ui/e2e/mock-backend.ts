// A stand-in for the Rust shell in the browser tests, injected before the page's own scripts
// (page.addInitScript) so the production bundle runs unchanged. It uses Tauri's own IPC mocks
// (`mockIPC` with event mocking, `mockWindows`), answers every command of the contract from
// in-memory data, records each call, and lets the test drive the answer stream through the
// `onEvent` channel the UI passed to `ask`.
//
// The test talks to it through `window.__ledge`; a scenario set beforehand in
// `window.__LEDGE_SCENARIO__` changes the starting data.

import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type {
  AnswerSummary,
  AppState,
  AskEvent,
  Backend,
  CheckedSentence,
  Grounding,
  Quote,
  FoundServer,
  ConversationSummary,
  Folder,
  Message,
  Model,
  CatalogModel,
  Source,
} from "../src/ipc";

interface Scenario {
  onboarded?: boolean;
  /** "manual": the test sends the events; "auto": a scripted answer streams in; "nothing": nothing found. */
  askMode?: "manual" | "auto" | "nothing";
  /** Milliseconds between streamed pieces in auto mode. */
  pieceMs?: number;
  /** How long a model download takes (it can be cancelled until then). */
  downloadMs?: number;
  takenHotkeys?: Record<string, string>;
  noModels?: boolean;
  noFolders?: boolean;
  indexing?: Partial<AppState["indexing"]>;
  model?: AppState["model"];
  /** Servers the person added before (the built-in model is always there). */
  endpoints?: Backend[];
  /** Known servers "running on this computer". */
  found?: FoundServer[];
}

interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

declare global {
  interface Window {
    __LEDGE_SCENARIO__?: Scenario;
    __ledge: unknown;
  }
}

const scenario: Scenario = window.__LEDGE_SCENARIO__ ?? {};
const HOME = "/home/maria";
const MINUTE = 60_000;
const now = Date.now();

// ---------------------------------------------------------------------------------------------
// Data.

const app: AppState = {
  version: "0.1.0",
  platform: "linux",
  dataDir: `${HOME}/.local/share/ledge`,
  onboarded: scenario.onboarded ?? true,
  chatModel: scenario.noModels ? null : "qwen2.5-3b-instruct-q4",
  embedder: scenario.noModels ? null : "bge-small-en-v1.5",
  model: scenario.model ?? (scenario.noModels ? { state: "none" } : { state: "ready", model: "qwen2.5-3b-instruct-q4" }),
  hotkey: "Ctrl+Alt+Space",
  hotkeyProblem: null,
  launchAtLogin: false,
  indexing: {
    running: false,
    paused: false,
    phase: "idle",
    folder: null,
    done: 0,
    total: null,
    current: null,
    lastError: null,
    ...scenario.indexing,
  },
};

let folders: Folder[] = scenario.noFolders
  ? []
  : [
      {
        path: `${HOME}/Documents/Notes`,
        files: 412,
        chunks: 3208,
        errors: 2,
        problems: [
          { path: `${HOME}/Documents/Notes/scans/lease-2019.pdf`, reason: "PDF has no text layer (scanned image)" },
          { path: `${HOME}/Documents/Notes/old/budget.xlsx`, reason: "Unsupported file type" },
        ],
        indexedAt: now - 12 * MINUTE,
        exclude: [],
      },
      {
        path: `${HOME}/Documents/Manuals`,
        files: 38,
        chunks: 1944,
        errors: 0,
        problems: [],
        indexedAt: now - 3 * 60 * MINUTE,
        exclude: ["*.log"],
      },
    ];

let models: Model[] = scenario.noModels
  ? []
  : [
      { name: "qwen2.5-3b-instruct-q4", role: "chat", architecture: "qwen2", bytes: 1_930_000_000, isDefault: true, problem: null },
      { name: "smollm2-360m-instruct", role: "chat", architecture: "llama", bytes: 724_000_000, isDefault: false, problem: null },
      { name: "bge-small-en-v1.5", role: "embedding", architecture: "bert", bytes: 133_000_000, isDefault: true, problem: null },
    ];

const src = (number: number, path: string, lines: [number, number] | null, page: number | null, snippet: string): Source => ({
  number,
  path,
  title: path.slice(path.lastIndexOf("/") + 1),
  lines,
  page,
  snippet,
  cited: false,
  matched: false,
});

/** Answers saved before Ledge checked them (and questions) have no grounding. */
const NONE: Grounding = { quotes: [], sentences: [], mostlyUnsupported: false };

const BACKUP_SOURCES: Source[] = [
  src(1, `${HOME}/Documents/Notes/ops/backup-runbook.md`, [12, 48], null, "Key rotation: add the new key with restic key add, then wait for one nightly run before removing the old key."),
  src(2, `${HOME}/Documents/Notes/ops/vault-policy.md`, [3, 19], null, "Backup repository passwords live in the team vault. Rotate every 90 days and whenever someone leaves."),
  src(3, `${HOME}/Documents/Notes/incidents/2024-10-02 restore failure.md`, [40, 52], null, "Root cause: the old key was removed before the nightly job had used the new one."),
];

let conversations: ConversationSummary[] = [
  { id: 1, title: "How do I rotate the backup keys?", updatedAt: now - 20 * MINUTE, messages: 4 },
  { id: 2, title: "Summary of the Q3 planning notes", updatedAt: now - 26 * 60 * MINUTE, messages: 2 },
  { id: 3, title: "Which port does the staging proxy use?", updatedAt: now - 3 * 24 * 60 * MINUTE, messages: 2 },
  { id: 4, title: "Dishwasher error E24", updatedAt: now - 16 * 24 * 60 * MINUTE, messages: 2 },
];

// A mostly unsupported answer, kept in conversation 3: one quote, two claims Ledge could not
// find in the files.
const PROXY_SOURCES: Source[] = [
  src(1, `${HOME}/Documents/Notes/ops/staging.md`, [20, 34], null, "The staging proxy runs on proxy-2 behind the office VPN."),
];
const PROXY_QUOTES: Quote[] = [
  { number: 1, text: "The staging proxy runs on proxy-2 behind the office VPN.", line: 21, page: null },
];
const PROXY_SENTENCES: CheckedSentence[] = [
  {
    text: "The staging proxy listens on port 8443. ",
    support: "unsupported",
    cited: [],
    matched: null,
    evidence: "The staging proxy runs on proxy-2 behind the office VPN.",
    reason: "No source mentions port 8443.",
  },
  {
    text: "It was moved there from port 8080 in 2022 when TLS was added.",
    support: "unsupported",
    cited: [],
    matched: null,
    evidence: null,
    reason: "No source says when the proxy moved or why.",
  },
];
const PROXY_TEXT = PROXY_SENTENCES.map((s) => s.text).join("");

const messages = new Map<number, Message[]>([
  [
    1,
    [
      { id: 11, role: "user", text: "How do I rotate the backup keys?", sources: [], grounding: NONE, createdAt: now - 25 * MINUTE },
      {
        id: 12,
        role: "assistant",
        text:
          "Rotating the backup keys takes three steps [1]:\n\n" +
          "1. Add a new key on the backup host with `restic key add` [1].\n" +
          "2. Store the new repository password in the team vault; the old key keeps working until you remove it [2].\n" +
          "3. After one nightly run with the new key, remove the old one:\n\n" +
          "```bash\n# list keys, then remove the old one by its id\nrestic key list\nrestic key remove 4a1f2c9e\n```\n\n" +
          "Don't remove the old key before the nightly job has run once with the new one: that is what broke the restore in October [1][3].",
        sources: BACKUP_SOURCES,
        grounding: NONE,
        createdAt: now - 25 * MINUTE,
      },
      { id: 13, role: "user", text: "And how often should we do it?", sources: [], grounding: NONE, createdAt: now - 20 * MINUTE },
      {
        id: 14,
        role: "assistant",
        text: "Every **90 days**, and right away when someone with vault access leaves the team [2].",
        sources: BACKUP_SOURCES,
        grounding: {
          quotes: [{ number: 2, text: "Rotate every 90 days and whenever someone leaves.", line: 4, page: null }],
          sentences: [
            {
              text: "Every **90 days**, and right away when someone with vault access leaves the team [2].",
              support: "supported",
              cited: [2],
              matched: null,
              evidence: "Rotate every 90 days and whenever someone leaves.",
              reason: null,
            },
          ],
          mostlyUnsupported: false,
        },
        createdAt: now - 20 * MINUTE,
      },
    ],
  ],
  [
    2,
    [
      { id: 21, role: "user", text: "Summary of the Q3 planning notes", sources: [], grounding: NONE, createdAt: now - 26 * 60 * MINUTE },
      { id: 22, role: "assistant", text: "The Q3 plan focuses on the migration and hiring two engineers.", sources: [], grounding: NONE, createdAt: now - 26 * 60 * MINUTE },
    ],
  ],
  [
    3,
    [
      { id: 31, role: "user", text: "Which port does the staging proxy use?", sources: [], grounding: NONE, createdAt: now - 3 * 24 * 60 * MINUTE },
      {
        id: 32,
        role: "assistant",
        text: PROXY_TEXT,
        sources: PROXY_SOURCES,
        grounding: { quotes: PROXY_QUOTES, sentences: PROXY_SENTENCES, mostlyUnsupported: true },
        createdAt: now - 3 * 24 * 60 * MINUTE,
      },
    ],
  ],
]);

const WARRANTY_SOURCES: Source[] = [
  src(1, `${HOME}/Documents/Manuals/dishwasher-manual.pdf`, [1, 30], 31, "Warranty. The manufacturer's warranty covers parts and labour for two (2) years from the date of purchase."),
  src(2, `${HOME}/Documents/Notes/receipts-2024.md`, [88, 94], null, "14 March 2024 — Dishwasher SMV4HTX, Electro Store, receipt no. 55120, paid by card."),
  src(3, `${HOME}/Documents/Notes/home-inventory.md`, [5, 12], null, "Kitchen: dishwasher (2024), extended-warranty card in the drawer, not registered."),
];

const WARRANTY_PIECES = [
  "The dishwasher",
  " has a **two-year**",
  " manufacturer's warranty",
  " from the purchase date [1].",
  " You bought it on",
  " 14 March 2024 [2],",
  " so it is covered until",
  " **14 March 2026**.",
  "\n\nThe extended-warranty card",
  " from the manual was never registered [3].",
];

// The warranty answer as Ledge checks it: the extractive answer first, then three sentences,
// one the model cited itself, one Ledge matched to a source the model left uncited, and one no
// source backs. Each sentence's check comes after the text event that began the next one (or
// at the end), as the core sends them.
const WARRANTY_QUOTES: Quote[] = [
  { number: 1, text: "The manufacturer's warranty covers parts and labour for two (2) years from the date of purchase.", line: null, page: 31 },
  { number: 2, text: "14 March 2024 — Dishwasher SMV4HTX, Electro Store, receipt no. 55120, paid by card.", line: 89, page: null },
];
const CHECKED_SENTENCES: CheckedSentence[] = [
  {
    text: "The dishwasher has a **two-year** manufacturer's warranty from the date of purchase [1]. ",
    support: "supported",
    cited: [1],
    matched: null,
    evidence: WARRANTY_QUOTES[0]!.text,
    reason: null,
  },
  {
    text: "You bought it on 14 March 2024, so it is covered until **14 March 2026**. ",
    support: "supported",
    cited: [],
    matched: 2,
    evidence: WARRANTY_QUOTES[1]!.text,
    reason: null,
  },
  {
    text: "The extended warranty adds three more years of cover.",
    support: "unsupported",
    cited: [],
    matched: null,
    evidence: "Kitchen: dishwasher (2024), extended-warranty card in the drawer, not registered.",
    reason: "No source says how long the extended warranty lasts.",
  },
];
const CHECKED_STEPS: AskEvent[] = [
  { event: "text", text: "The dishwasher has a **two-year**" },
  { event: "text", text: " manufacturer's warranty from the date of purchase [1]." },
  { event: "text", text: " You bought it on 14 March 2024," },
  { event: "checked", sentence: CHECKED_SENTENCES[0]! },
  { event: "text", text: " so it is covered until **14 March 2026**." },
  { event: "text", text: " The extended warranty" },
  { event: "checked", sentence: CHECKED_SENTENCES[1]! },
  { event: "text", text: " adds three more years of cover." },
  { event: "checked", sentence: CHECKED_SENTENCES[2]! },
];

// ---------------------------------------------------------------------------------------------
// Recording and the answer channel.

const calls: Call[] = [];
let nextRequest = 100;
let nextConversation = 50;
let channel: {
  id: number;
  index: number;
  requestId: number;
  question: string;
  conversationId: number | null;
  replaceLast: boolean;
} | null = null;
let timers: number[] = [];
/** Cancels the download in flight, if any. */
let download: (() => void) | null = null;

/** The catalog as a 16 GB Apple Silicon Mac sees it (`ledge-core`'s catalog, its shape and
 * its verdicts for that memory); `installed` follows the installed models. */
const catalogEntries: Omit<CatalogModel, "installed">[] = [
  { id: "Qwen2.5-7B-Instruct-4bit", repo: "mlx-community/Qwen2.5-7B-Instruct-4bit", kind: "chat", params: "7B", diskBytes: 4_300_000_000, memoryBytes: 5_500_000_000, context: 32768, licence: "Apache-2.0", note: "For 16 GB Macs.", fit: "fits", recommended: true },
  { id: "Llama-3.2-3B-Instruct-4bit", repo: "mlx-community/Llama-3.2-3B-Instruct-4bit", kind: "chat", params: "3B", diskBytes: 1_800_000_000, memoryBytes: 3_300_000_000, context: 131072, licence: "Llama 3.2 Community License", note: "For 8 GB Macs.", fit: "fits", recommended: false },
  { id: "Llama-3.2-1B-Instruct-4bit", repo: "mlx-community/Llama-3.2-1B-Instruct-4bit", kind: "chat", params: "1B", diskBytes: 700_000_000, memoryBytes: 1_800_000_000, context: 131072, licence: "Llama 3.2 Community License", note: "The smallest useful chat model: when memory is short.", fit: "fits", recommended: false },
  { id: "all-MiniLM-L6-v2", repo: "sentence-transformers/all-MiniLM-L6-v2", kind: "embedding", params: "22M", diskBytes: 91_000_000, memoryBytes: 200_000_000, context: 256, licence: "Apache-2.0", note: "Finds passages by meaning as well as by words; Ledge's embedding model.", fit: "fits", recommended: true },
  { id: "Qwen2.5-32B-Instruct-4bit", repo: "mlx-community/Qwen2.5-32B-Instruct-4bit", kind: "chat", params: "32B", diskBytes: 18_400_000_000, memoryBytes: 20_500_000_000, context: 32768, licence: "Apache-2.0", note: "For 48 GB Macs (fits a 32 GB one with little else open).", fit: "too-big", recommended: false },
];

const catalog = (): CatalogModel[] =>
  catalogEntries.map((entry) => ({ ...entry, installed: models.some((m) => m.name.toLowerCase() === entry.id.toLowerCase()) }));
let streamed = "";
/** The quotes and checked sentences sent for the ask in flight (its done carries them). */
let sentQuotes: Quote[] = [];
let sentSentences: CheckedSentence[] = [];

function internals(): {
  runCallback: (id: number, data: unknown) => void;
  invoke: (cmd: string, args?: unknown) => Promise<unknown>;
} {
  return (window as unknown as { __TAURI_INTERNALS__: ReturnType<typeof internals> }).__TAURI_INTERNALS__;
}

function send(event: AskEvent): void {
  if (!channel) throw new Error("no ask in flight");
  if (event.event === "text") streamed += event.text;
  if (event.event === "quotes") sentQuotes = event.quotes;
  if (event.event === "checked") sentSentences.push(event.sentence);
  if (event.event === "fallback") {
    streamed = "";
    sentSentences = [];
  }
  internals().runCallback(channel.id, { index: channel.index, message: event });
  channel.index += 1;
}

/** A summary's fields, with the grounding's own fields overridable one by one. */
type SummaryOver = Partial<Omit<AnswerSummary, "grounding">> & { grounding?: Partial<Grounding> };

function summary(over: SummaryOver = {}): AnswerSummary {
  const conversationId = channel?.conversationId ?? nextConversation;
  const { grounding, ...rest } = over;
  return {
    conversationId,
    messageId: 900 + nextRequest,
    text: streamed,
    cited: [...new Set([...(streamed.match(/\[(\d+)\]/g) ?? [])].map((m) => Number(m.slice(1, -1))))],
    matched: [...new Set(sentSentences.flatMap((s) => (s.matched === null ? [] : [s.matched])))],
    grounding: { quotes: sentQuotes, sentences: [...sentSentences], mostlyUnsupported: false, ...grounding },
    nothingFound: false,
    promptTokens: 812,
    answerTokens: 64,
    firstTokenMs: 420,
    totalMs: 2300,
    backend: "local",
    computedOn: "this machine (built-in runtime)",
    fallback: null,
    ...rest,
  };
}

/** Saves the streamed turn the way the core would, so reloading the conversation shows it. */
function saveTurn(answer: AnswerSummary, sources: Source[]): void {
  if (!channel) return;
  const list = messages.get(answer.conversationId) ?? [];
  if (channel.replaceLast) {
    const lastQuestion = list.map((m) => m.role).lastIndexOf("user");
    if (lastQuestion >= 0) list.splice(lastQuestion);
  }
  list.push(
    { id: answer.messageId - 1, role: "user", text: channel.question, sources: [], grounding: NONE, createdAt: Date.now() },
    {
      id: answer.messageId,
      role: "assistant",
      text: answer.text,
      sources: sources.map((s) => ({ ...s, cited: answer.cited.includes(s.number), matched: answer.matched.includes(s.number) })),
      grounding: answer.grounding,
      createdAt: Date.now(),
    },
  );
  messages.set(answer.conversationId, list);
  const existing = conversations.find((c) => c.id === answer.conversationId);
  if (existing) {
    existing.updatedAt = Date.now();
    existing.messages = list.length;
    conversations = [existing, ...conversations.filter((c) => c !== existing)];
  } else {
    conversations = [
      { id: answer.conversationId, title: channel.question, updatedAt: Date.now(), messages: list.length },
      ...conversations,
    ];
  }
}

let lastSources: Source[] = [];

function done(over: SummaryOver = {}): AnswerSummary {
  const answer = summary(over);
  saveTurn(answer, lastSources);
  send({ event: "done", answer });
  return answer;
}

function autoAnswer(mode: "auto" | "nothing"): void {
  const ms = scenario.pieceMs ?? 40;
  const at = (i: number, f: () => void) => timers.push(window.setTimeout(f, ms * i));
  if (mode === "nothing") {
    at(1, () => {
      lastSources = [];
      send({ event: "sources", sources: [] });
    });
    at(2, () => send({ event: "text", text: "I couldn't find anything about that in your files." }));
    at(3, () => done({ nothingFound: true }));
    return;
  }
  at(1, () => {
    lastSources = WARRANTY_SOURCES;
    send({ event: "sources", sources: WARRANTY_SOURCES });
  });
  WARRANTY_PIECES.forEach((text, i) => at(i + 2, () => send({ event: "text", text })));
  at(WARRANTY_PIECES.length + 2, () => done());
}

function emit(event: string, payload: unknown): Promise<unknown> {
  return internals().invoke("plugin:event|emit", { event, payload });
}

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const LOCAL_BACKEND: Backend = {
  name: "local",
  url: null,
  model: null,
  isDefault: true,
  fallbackLocal: false,
  allowPublic: false,
  placement: "this machine (built-in runtime)",
  refused: false,
};
let backends: Backend[] = [LOCAL_BACKEND, ...(scenario.endpoints ?? [])];
const conversationBackends = new Map<number, string>();

/** Where a mock address is, as the core's address policy would say. */
function placementOf(host: string): string | null {
  if (host === "127.0.0.1" || host === "localhost" || host === "::1") return "this machine";
  if (/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(host) || host.endsWith(".local")) return "private network";
  return null;
}

function addBackend(args: Record<string, unknown>): unknown {
  const name = String(args.name);
  if (backends.some((b) => b.name === name)) throw `a backend named \`${name}\` exists already`;
  const url = String(args.url).replace(/^http:\/\//, "");
  const host = url.split(":")[0] ?? "";
  const placement = placementOf(host) ?? (args.allowPublic ? "public internet" : null);
  if (placement === null) {
    throw `${host} is on the public internet: the passages of your files would leave your devices; allow public addresses for this endpoint to use it anyway`;
  }
  const full = `http://${url.includes("/") ? url : `${url}/v1`}`;
  const found = (scenario.found ?? []).find((f) => f.url === full);
  if (args.check && !found) throw `cannot reach ${full}: connection refused`;
  const model = (args.model as string | null) ?? null;
  if (args.check && found && model === null && found.models.length !== 1) {
    throw `${full} offers several models (${found.models.join(", ")}); choose one`;
  }
  if (args.makeDefault) backends = backends.map((b) => ({ ...b, isDefault: false }));
  backends = [
    ...backends,
    {
      name,
      url: full,
      model,
      isDefault: Boolean(args.makeDefault),
      fallbackLocal: Boolean(args.fallbackLocal),
      allowPublic: Boolean(args.allowPublic),
      placement,
      refused: false,
    },
  ];
  const warnings = placement === "public internet" ? [`${full} is on the public internet.`] : [];
  return { name, placement, warnings };
}

function knownBackend(name: string): void {
  if (!backends.some((b) => b.name === name)) throw `there is no backend \`${name}\``;
}

// ---------------------------------------------------------------------------------------------
// Commands.

function handle(cmd: string, args: Record<string, unknown>): unknown {
  switch (cmd) {
    case "app_state":
      return clone(app);
    case "ask": {
      timers.forEach((t) => clearTimeout(t));
      timers = [];
      const onEvent = args.onEvent as { id: number };
      const requestId = nextRequest++;
      const conversationId = (args.conversationId as number | null) ?? null;
      if (conversationId === null) nextConversation += 1;
      channel = {
        id: onEvent.id,
        index: 0,
        requestId,
        question: String(args.question),
        conversationId: conversationId ?? nextConversation,
        replaceLast: args.replaceLast === true,
      };
      // Like the core: a new question's conversation exists (empty) from its first event.
      const id = channel.conversationId ?? nextConversation;
      if (conversationId === null) {
        conversations = [{ id, title: channel.question, updatedAt: Date.now(), messages: 0 }, ...conversations];
      }
      queueMicrotask(() => send({ event: "started", conversationId: id }));
      if (typeof args.backend === "string") conversationBackends.set(conversationId ?? nextConversation, args.backend);
      streamed = "";
      sentQuotes = [];
      sentSentences = [];
      lastSources = [];
      const mode = scenario.askMode ?? "manual";
      if (mode !== "manual") autoAnswer(mode);
      return requestId;
    }
    case "stop_answer":
      timers.forEach((t) => clearTimeout(t));
      timers = [];
      return null;
    case "search":
      return [];
    case "conversations":
      return clone(conversations);
    case "conversation": {
      const id = args.id as number;
      if (!conversations.some((c) => c.id === id)) throw `No conversation ${id}`;
      return clone(messages.get(id) ?? []);
    }
    case "delete_conversation":
      conversations = conversations.filter((c) => c.id !== args.id);
      return null;
    case "open_source":
    case "reveal_file":
    case "show_chat":
    case "show_settings":
    case "hide_popup":
      return null;
    case "folders":
      return clone(folders);
    case "add_folder":
      if (folders.some((f) => f.path === args.path)) throw `${String(args.path)} is already indexed`;
      folders = [...folders, { path: String(args.path), files: 0, chunks: 0, errors: 0, problems: [], indexedAt: null, exclude: [] }];
      return null;
    case "set_folder_exclusions": {
      const patterns = args.patterns as string[];
      const bad = patterns.find((p) => p.includes("["));
      if (bad) throw `\`${bad}\` is not a valid exclude pattern: unclosed character class`;
      if (!folders.some((f) => f.path === args.path)) throw `${String(args.path)} is not an indexed folder`;
      folders = folders.map((f) => (f.path === args.path ? { ...f, exclude: patterns } : f));
      return null;
    }
    case "remove_folder":
      folders = folders.filter((f) => f.path !== args.path);
      return null;
    case "pause_indexing":
    case "resume_indexing":
      app.indexing = { ...app.indexing, paused: cmd === "pause_indexing" };
      window.setTimeout(() => void emit("indexing", clone(app.indexing)), 10);
      return null;
    case "pick_folder":
      return `${HOME}/Projects/handbook`;
    case "pick_files":
      return [`${HOME}/Downloads/contract-draft.pdf`];
    case "models":
      return clone(models);
    case "catalog":
      return clone(catalog());
    case "mcp_setup": {
      const command = "/Applications/Ledge.app/Contents/MacOS/ledge-app";
      return { command, args: ["--mcp"], config: JSON.stringify({ mcpServers: { ledge: { command, args: ["--mcp"] } } }, null, 2) };
    }
    case "set_default_model":
      models = models.map((m) => (m.role === "chat" ? { ...m, isDefault: m.name === args.name } : m));
      app.chatModel = String(args.name);
      return null;
    case "import_model": {
      const path = String(args.path);
      if (!path.endsWith(".gguf")) throw `${path} is not a GGUF file or a model folder`;
      const name = path.slice(path.lastIndexOf("/") + 1).replace(/\.gguf$/, "");
      models = [...models, { name, role: "chat", architecture: "llama", bytes: 4_100_000_000, isDefault: false, problem: null }];
      return null;
    }
    case "download_model": {
      const repo = String(args.repo);
      if (repo === "nobody/nothing") throw "Hugging Face has no model nobody/nothing (or it is private: set HF_TOKEN)";
      const name = repo.slice(repo.indexOf("/") + 1);
      const ms = scenario.downloadMs ?? 600;
      const steps = [`Downloading ${repo}: 40 % (108 of 270 MB)`, `Checking that ${repo} loads…`];
      const stepTimers = steps.map((step, i) =>
        window.setTimeout(() => void emit("model-state", { state: "loading", step }), 10 + (i * ms) / 2),
      );
      return new Promise((resolve, reject) => {
        const finish = window.setTimeout(() => {
          download = null;
          models = [...models, { name, role: "chat", architecture: "qwen2", bytes: 270_000_000, isDefault: false, problem: null }];
          void emit("model-state", clone(app.model));
          resolve(null);
        }, ms);
        download = () => {
          [finish, ...stepTimers].forEach((t) => clearTimeout(t));
          download = null;
          void emit("model-state", clone(app.model));
          reject(`the download of ${repo} was cancelled; what was fetched is kept, and downloading it again resumes`);
        };
      });
    }
    case "cancel_download":
      download?.();
      return null;
    case "set_hotkey": {
      const hotkey = String(args.hotkey);
      const taken = (scenario.takenHotkeys ?? {})[hotkey];
      if (taken) throw taken;
      app.hotkey = hotkey;
      return null;
    }
    case "set_launch_at_login":
      app.launchAtLogin = Boolean(args.enabled);
      return null;
    case "complete_onboarding":
      app.onboarded = true;
      return null;
    case "backends": {
      const found = args.discover
        ? (scenario.found ?? []).map((f) => ({ ...f, addedAs: backends.find((b) => b.url === f.url)?.name ?? null }))
        : [];
      return clone({ backends, found });
    }
    case "add_backend":
      return addBackend(args);
    case "remove_backend": {
      const name = String(args.name);
      knownBackend(name);
      const wasDefault = backends.some((b) => b.name === name && b.isDefault);
      backends = backends
        .filter((b) => b.name !== name)
        .map((b) => (wasDefault && b.name === "local" ? { ...b, isDefault: true } : b));
      for (const [id, backend] of conversationBackends) if (backend === name) conversationBackends.delete(id);
      return null;
    }
    case "set_default_backend": {
      const name = String(args.name);
      knownBackend(name);
      backends = backends.map((b) => ({ ...b, isDefault: b.name === name }));
      return null;
    }
    case "test_backend": {
      const backend = backends.find((b) => b.name === args.name);
      if (!backend?.url) throw `there is no backend \`${String(args.name)}\``;
      if (!(scenario.found ?? []).some((f) => f.url === backend.url)) throw `cannot reach ${backend.url}: connection refused`;
      return { model: backend.model ?? "the-model", address: "127.0.0.1:1234", placement: backend.placement, reply: "ready", firstTokenMs: 212.4, totalMs: 388.9 };
    }
    case "conversation_backend": {
      const id = args.id as number;
      return conversationBackends.get(id) ?? backends.find((b) => b.isDefault)?.name ?? "local";
    }
    case "set_conversation_backend": {
      knownBackend(String(args.backend));
      conversationBackends.set(args.id as number, String(args.backend));
      return null;
    }
    case "forget_everything":
      folders = [];
      conversations = [];
      messages.clear();
      app.onboarded = false;
      return null;
    default:
      throw `unknown command ${cmd}`;
  }
}

mockWindows(location.pathname.endsWith("popup.html") ? "popup" : "main");
mockIPC(
  (cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    const recorded = { ...args };
    if ("onEvent" in recorded) recorded.onEvent = "[channel]";
    calls.push({ cmd, args: clone(recorded) });
    return handle(cmd, args);
  },
  { shouldMockEvents: true },
);

window.__ledge = {
  calls,
  callsOf: (cmd: string) => calls.filter((c) => c.cmd === cmd).map((c) => c.args),
  emit,
  /** The ask in flight: request id, question, conversation. */
  current: () => (channel ? { requestId: channel.requestId, question: channel.question } : null),
  sources: (list: Source[] = WARRANTY_SOURCES) => {
    lastSources = list;
    send({ event: "sources", sources: list });
  },
  text: (text: string) => send({ event: "text", text }),
  quotes: (list: Quote[] = WARRANTY_QUOTES) => send({ event: "quotes", quotes: list }),
  /** Any event of the answer stream, as the core would send it. */
  send: (event: AskEvent) => send(event),
  done: (over: SummaryOver = {}) => done(over),
  error: (message: string) => send({ event: "error", message }),
  pieces: WARRANTY_PIECES,
  /** The checked warranty answer: its text and checked events in the order the core sends them. */
  checkedSteps: CHECKED_STEPS,
  checkedSentences: CHECKED_SENTENCES,
  proxySources: PROXY_SOURCES,
  proxyQuotes: PROXY_QUOTES,
  proxySentences: PROXY_SENTENCES,
  warrantySources: WARRANTY_SOURCES,
  app,
};

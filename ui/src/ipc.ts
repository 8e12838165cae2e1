// The one door between the UI and the Rust shell (src-tauri). Every command, channel and event
// of the IPC contract (v1) is typed here; the rest of the UI calls these functions and never
// touches `invoke`, `Channel` or `listen` itself.

import { Channel, invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";

// ---------------------------------------------------------------------------------------------
// Types (JSON shapes, camelCase), as in the contract.

export type ModelState =
  | { state: "none" }
  | { state: "notLoaded" }
  | { state: "loading"; step: string }
  | { state: "ready"; model: string }
  | { state: "failed"; message: string };

export interface IndexingState {
  running: boolean;
  paused: boolean;
  phase: "idle" | "scanning" | "embedding";
  folder: string | null;
  done: number;
  total: number | null;
  current: string | null;
  lastError: string | null;
}

export type Platform = "macos" | "linux" | "windows";

export interface AppState {
  version: string;
  platform: Platform;
  dataDir: string;
  onboarded: boolean;
  chatModel: string | null;
  embedder: string | null;
  model: ModelState;
  hotkey: string;
  hotkeyProblem: string | null;
  launchAtLogin: boolean;
  indexing: IndexingState;
}

export interface Source {
  number: number;
  path: string;
  title: string;
  lines: [number, number] | null;
  page: number | null;
  snippet: string;
  /** The answer cites it itself. */
  cited: boolean;
  /** Ledge matched a sentence to it that the model left uncited. */
  matched: boolean;
}

/** A sentence of the extractive answer, verbatim from source `number`. */
export interface Quote {
  number: number;
  text: string;
  /** The line of the file it starts on (1-based); null for PDFs. */
  line: number | null;
  page: number | null;
}

export type Support = "supported" | "unsupported" | "noClaim";

/** A sentence of the model's answer as Ledge checked it against the sources. */
export interface CheckedSentence {
  /** Exactly as written, whitespace included: the sentences in order, joined, are the answer. */
  text: string;
  support: Support;
  /** The model's own [n] in it. */
  cited: number[];
  /** The source Ledge matched it to where the model cited none (shown apart from [n]). */
  matched: number | null;
  /** The source sentence that backs it, or comes closest. */
  evidence: string | null;
  /** Why it is unsupported, in words. */
  reason: string | null;
}

/** What Ledge checked of an answer (empty lists and false for answers saved before). */
export interface Grounding {
  quotes: Quote[];
  sentences: CheckedSentence[];
  mostlyUnsupported: boolean;
}

export interface AnswerSummary {
  conversationId: number;
  messageId: number;
  text: string;
  cited: number[];
  /** Sources Ledge matched to sentences the model left uncited. */
  matched: number[];
  grounding: Grounding;
  nothingFound: boolean;
  promptTokens: number;
  answerTokens: number;
  firstTokenMs: number | null;
  totalMs: number;
  /** `local` (the built-in runtime) or the name of the endpoint that answered. */
  backend: string;
  /** Where the answer was computed, in words. */
  computedOn: string;
  /** The endpoint failed and the built-in model answered instead: why. */
  fallback: string | null;
}

export type AskEvent =
  /** First: the conversation the answer goes to (a new one exists from now on). */
  | { event: "started"; conversationId: number }
  | { event: "sources"; sources: Source[] }
  /** The extractive answer, right after the sources and before any text (may be empty). */
  | { event: "quotes"; quotes: Quote[] }
  | { event: "text"; text: string }
  /** After the text event that completed it: a sentence of the answer, checked. */
  | { event: "checked"; sentence: CheckedSentence }
  /** The endpoint failed part way: drop the text so far; the built-in model answers anew. */
  | { event: "fallback"; reason: string }
  | { event: "done"; answer: AnswerSummary }
  | { event: "error"; message: string };

export interface ConversationSummary {
  id: number;
  title: string;
  updatedAt: number;
  messages: number;
}

export interface Message {
  id: number;
  role: "user" | "assistant";
  text: string;
  sources: Source[];
  grounding: Grounding;
  createdAt: number;
}

export interface SearchHit {
  path: string;
  title: string;
  lines: [number, number] | null;
  page: number | null;
  snippet: string;
}

export interface FolderProblem {
  path: string;
  reason: string;
}

export interface Folder {
  path: string;
  files: number;
  chunks: number;
  errors: number;
  problems: FolderProblem[];
  indexedAt: number | null;
  /** The person's own exclusions for this folder (globs). */
  exclude: string[];
}

export interface Model {
  name: string;
  role: "chat" | "embedding";
  architecture: string | null;
  bytes: number;
  isDefault: boolean;
  problem: string | null;
}

/** Where answers can be computed: the built-in model (`local`) or a server the person added. */
export interface Backend {
  name: string;
  url: string | null;
  model: string | null;
  isDefault: boolean;
  fallbackLocal: boolean;
  allowPublic: boolean;
  /** Where it computes ("this machine", "private network", ...), or why it is refused now. */
  placement: string;
  refused: boolean;
}

/** A known server (LM Studio, Ollama, mlx_lm.server, ...) answering on this computer. */
export interface FoundServer {
  product: string;
  url: string;
  models: string[];
  error: string | null;
  addedAs: string | null;
}

export interface Backends {
  backends: Backend[];
  found: FoundServer[];
}

export interface NewBackend {
  name: string;
  url: string;
  model: string | null;
  allowPublic: boolean;
  fallbackLocal: boolean;
  makeDefault: boolean;
  /** Ask the server for its models before adding it. */
  check: boolean;
}

export interface AddedBackend {
  name: string;
  placement: string;
  warnings: string[];
}

export interface BackendTest {
  model: string;
  address: string;
  placement: string;
  reply: string;
  firstTokenMs: number;
  totalMs: number;
}

export interface PinFilesPayload {
  files: string[];
  question: string | null;
}

export interface NavigatePayload {
  view: "chat" | "settings" | "welcome";
  conversationId: number | null;
}

// ---------------------------------------------------------------------------------------------
// Commands.

/** The message of a rejected command: the shell rejects with a plain string. */
export function errorText(error: unknown): string {
  if (typeof error === "string") return error;
  if (error instanceof Error) return error.message;
  if (error && typeof error === "object" && "message" in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === "string") return message;
  }
  return String(error);
}

export const appState = (): Promise<AppState> => invoke<AppState>("app_state");

/**
 * Asks a question. `onEvent` receives the answer's events in order (started, sources, the
 * quotes of the extractive answer, text pieces with a checked event after each piece that
 * completed a sentence, then done or error); they may start arriving before the returned
 * request id does.
 */
export interface AskOptions {
  question: string;
  /** The conversation to continue; null starts a new one. */
  conversationId: number | null;
  /** Files to answer from; empty: the whole index. */
  files: string[];
  /** The backend to answer with; null: the conversation's, else the default. */
  backend?: string | null;
  /** Answer again in place of the conversation's last answer (regenerate). */
  replaceLast?: boolean;
}

export function ask(options: AskOptions, onEvent: (event: AskEvent) => void): Promise<number> {
  const channel = new Channel<AskEvent>(onEvent);
  const { question, conversationId, files, backend = null, replaceLast = false } = options;
  return invoke<number>("ask", { question, conversationId, files, backend, replaceLast, onEvent: channel });
}

export const stopAnswer = (requestId: number): Promise<void> =>
  invoke<void>("stop_answer", { requestId });

export const search = (query: string, limit: number): Promise<SearchHit[]> =>
  invoke<SearchHit[]>("search", { query, limit });

export const conversations = (): Promise<ConversationSummary[]> =>
  invoke<ConversationSummary[]>("conversations");

export const conversation = (id: number): Promise<Message[]> =>
  invoke<Message[]>("conversation", { id });

export const deleteConversation = (id: number): Promise<void> =>
  invoke<void>("delete_conversation", { id });

export const openSource = (path: string, line: number | null, page: number | null): Promise<void> =>
  invoke<void>("open_source", { path, line, page });

export const revealFile = (path: string): Promise<void> => invoke<void>("reveal_file", { path });

export const folders = (): Promise<Folder[]> => invoke<Folder[]>("folders");

export const addFolder = (path: string): Promise<void> => invoke<void>("add_folder", { path });

export const removeFolder = (path: string): Promise<void> =>
  invoke<void>("remove_folder", { path });

export const setFolderExclusions = (path: string, patterns: string[]): Promise<void> =>
  invoke<void>("set_folder_exclusions", { path, patterns });

export const pauseIndexing = (): Promise<void> => invoke<void>("pause_indexing");

export const resumeIndexing = (): Promise<void> => invoke<void>("resume_indexing");

export const pickFolder = (): Promise<string | null> => invoke<string | null>("pick_folder");

export const pickFiles = (): Promise<string[]> => invoke<string[]>("pick_files");

export const models = (): Promise<Model[]> => invoke<Model[]>("models");

export const setDefaultModel = (name: string): Promise<void> =>
  invoke<void>("set_default_model", { name });

export const importModel = (path: string): Promise<void> =>
  invoke<void>("import_model", { path });

export const backends = (discover: boolean): Promise<Backends> =>
  invoke<Backends>("backends", { discover });

export const addBackend = (backend: NewBackend): Promise<AddedBackend> =>
  invoke<AddedBackend>("add_backend", { ...backend });

export const removeBackend = (name: string): Promise<void> => invoke<void>("remove_backend", { name });

export const setDefaultBackend = (name: string): Promise<void> =>
  invoke<void>("set_default_backend", { name });

export const testBackend = (name: string): Promise<BackendTest> => invoke<BackendTest>("test_backend", { name });

export const conversationBackend = (id: number): Promise<string> =>
  invoke<string>("conversation_backend", { id });

export const setConversationBackend = (id: number, backend: string): Promise<void> =>
  invoke<void>("set_conversation_backend", { id, backend });

/** Downloads a model from the Hugging Face hub; progress comes as model-state events. */
export const downloadModel = (repo: string, name: string | null = null): Promise<void> =>
  invoke<void>("download_model", { repo, name });

/** How an MCP client launches Ledge's tools: this app's binary with `--mcp`. */
export interface McpSetup {
  command: string;
  args: string[];
  /** The `mcpServers` entry, pretty JSON, for the client's configuration. */
  config: string;
}

export const mcpSetup = (): Promise<McpSetup> => invoke<McpSetup>("mcp_setup");

/** A model Ledge recommends, judged for this computer (`models/catalog.toml`). */
export interface CatalogModel {
  id: string;
  repo: string;
  kind: "chat" | "embedding";
  params: string;
  diskBytes: number;
  memoryBytes: number;
  context: number;
  licence: string;
  note: string;
  fit: "fits" | "too-big" | "other-platform";
  recommended: boolean;
  installed: boolean;
}

/** The recommended models for this computer's platform, best first. */
export const catalog = (): Promise<CatalogModel[]> => invoke<CatalogModel[]>("catalog");

/** Stops the download under way: its `downloadModel` promise fails with "cancelled". */
export const cancelDownload = (): Promise<void> => invoke<void>("cancel_download");

export const setHotkey = (hotkey: string): Promise<void> => invoke<void>("set_hotkey", { hotkey });

export const setLaunchAtLogin = (enabled: boolean): Promise<void> =>
  invoke<void>("set_launch_at_login", { enabled });

export const completeOnboarding = (): Promise<void> => invoke<void>("complete_onboarding");

export const forgetEverything = (): Promise<void> => invoke<void>("forget_everything");

export const showChat = (conversationId: number | null): Promise<void> =>
  invoke<void>("show_chat", { conversationId });

export const showSettings = (): Promise<void> => invoke<void>("show_settings");

export const hidePopup = (): Promise<void> => invoke<void>("hide_popup");

// ---------------------------------------------------------------------------------------------
// Events (backend -> UI).

type Handler<T> = (payload: T) => void;

function on<T>(name: string, handler: Handler<T>): Promise<UnlistenFn> {
  return listen<T>(name, (event) => handler(event.payload));
}

export const onIndexing = (handler: Handler<IndexingState>) => on("indexing", handler);
export const onModelState = (handler: Handler<ModelState>) => on("model-state", handler);
export const onPinFiles = (handler: Handler<PinFilesPayload>) => on("pin-files", handler);
export const onPopupShown = (handler: Handler<null>) => on("popup-shown", handler);
export const onNavigate = (handler: Handler<NavigatePayload>) => on("navigate", handler);

/**
 * Files dragged onto this window: Tauri hands over their paths through the webview's
 * drag-and-drop event (the DOM's own drop event carries no paths in a webview).
 */
export function onFileDrop(handlers: {
  hover: (over: boolean) => void;
  drop: (paths: string[]) => void;
}): Promise<UnlistenFn> {
  return getCurrentWebview().onDragDropEvent((event) => {
    const payload = event.payload;
    switch (payload.type) {
      case "enter":
      case "over":
        handlers.hover(true);
        break;
      case "leave":
        handlers.hover(false);
        break;
      case "drop":
        handlers.hover(false);
        if (payload.paths.length > 0) handlers.drop(payload.paths);
        break;
    }
  });
}

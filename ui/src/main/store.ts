// What the chat window's views share: the shell's state (kept fresh by its events) and the
// conversation list. Views subscribe and redraw what depends on it.

import * as ipc from "../ipc";
import type { AppState, Backend, ConversationSummary, IndexingState, ModelState } from "../ipc";

type Listener = () => void;

class Store {
  app: AppState | null = null;
  conversations: ConversationSummary[] = [];
  /** Where answers can be computed: the built-in model, then the servers the person added. */
  backends: Backend[] = [];
  /** A problem talking to the core, shown once at the top of the window. */
  problem: string | null = null;
  private listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  get platform(): AppState["platform"] {
    return this.app?.platform ?? (/Mac/i.test(navigator.platform) ? "macos" : "linux");
  }

  get model(): ModelState | null {
    return this.app?.model ?? null;
  }

  get indexing(): IndexingState | null {
    return this.app?.indexing ?? null;
  }

  setModel(model: ModelState): void {
    if (!this.app) return;
    this.app = { ...this.app, model, chatModel: model.state === "ready" ? model.model : this.app.chatModel };
    this.changed();
  }

  setIndexing(indexing: IndexingState): void {
    if (!this.app) return;
    this.app = { ...this.app, indexing };
    this.changed();
  }

  async refreshApp(): Promise<AppState | null> {
    try {
      this.app = await ipc.appState();
      this.problem = null;
    } catch (error) {
      this.problem = `Ledge's core is not answering: ${ipc.errorText(error)}`;
    }
    this.changed();
    return this.app;
  }

  setBackends(backends: Backend[]): void {
    this.backends = backends;
    this.changed();
  }

  async refreshBackends(): Promise<void> {
    try {
      this.setBackends((await ipc.backends(false)).backends);
    } catch (error) {
      this.problem = ipc.errorText(error);
      this.changed();
    }
  }

  async refreshConversations(): Promise<void> {
    try {
      this.conversations = await ipc.conversations();
    } catch (error) {
      this.problem = ipc.errorText(error);
    }
    this.changed();
  }
}

export const store = new Store();

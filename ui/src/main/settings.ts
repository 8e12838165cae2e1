// Settings: folders and indexing, models, the hotkey, launch at login, the data folder and
// "Forget Everything".

import * as ipc from "../ipc";
import { h, setChildren, uid } from "../lib/dom";
import { hotkeyCaps, hotkeyText, recordHotkey, type Modifier } from "../lib/hotkey";
import { icon } from "../lib/icons";
import type { Route } from "../lib/route";
import { indexingBusy, indexingFraction, indexingText } from "../lib/status";
import { BackendsPanel } from "./backends";
import { navigate, type View } from "./nav";
import { FoldersPanel, ModelsPanel } from "./panels";
import { store } from "./store";

const FORGET_WORD = "forget";

function section(id: string, title: string, intro: string | null, ...children: (Node | null)[]): HTMLElement {
  return h(
    "section",
    { class: "settings-section", "aria-labelledby": id },
    h("h2", { id, class: "section-title" }, title),
    intro ? h("p", { class: "section-intro" }, intro) : null,
    h("div", { class: "card" }, ...children),
  );
}

export class SettingsView implements View {
  readonly el: HTMLElement;
  private readonly folders = new FoldersPanel({ compact: false });
  private readonly models = new ModelsPanel({ compact: false });
  private readonly backends = new BackendsPanel();
  private readonly unsubscribe: () => void;

  // indexing
  private readonly indexText = h("span", { class: "index-text" });
  private readonly indexCurrent = h("span", { class: "index-current selectable", hidden: true });
  private readonly indexBar = h("div", { class: "progress", role: "progressbar", "aria-label": "Indexing progress" }, h("span"));
  private readonly pauseButton = h("button", { type: "button", class: "btn small pause-indexing" });
  private indexError: string | null = null;
  private readonly indexErrorEl = h("p", { class: "field-error", role: "alert", hidden: true });

  // hotkey
  private recording = false;
  private pendingMods: Modifier[] = [];
  private hotkeyMessage: { kind: "error" | "ok"; text: string } | null = null;
  private readonly hotkeyButton: HTMLButtonElement;
  private readonly hotkeyMessageEl = h("p", { class: "hotkey-message", role: "alert" });
  private readonly hotkeyProblemEl = h("p", { class: "field-warning hotkey-problem", hidden: true });

  // launch at login
  private readonly loginSwitch: HTMLInputElement;
  private readonly loginError = h("p", { class: "field-error", role: "alert", hidden: true });

  // data
  private readonly dataDir = h("code", { class: "data-dir selectable" });
  private forgetOpen = false;
  private forgetting = false;
  private forgetError: string | null = null;
  private readonly forgetArea = h("div", { class: "forget" });

  // other apps (MCP)
  private readonly mcpConfig = h("pre", { class: "mcp-config selectable", "aria-label": "MCP client configuration" });
  private readonly mcpCopied = h("span", { class: "help mcp-copied", role: "status" });

  private readonly about = h("p", { class: "about" });
  private wasIndexing = false;

  constructor() {
    this.pauseButton.addEventListener("click", () => void this.togglePause());

    const hotkeyHelpId = uid("hotkey-help");
    this.hotkeyButton = h("button", {
      type: "button",
      class: "hotkey-button",
      "aria-describedby": hotkeyHelpId,
    });
    this.hotkeyButton.addEventListener("click", () => this.startRecording());
    this.hotkeyButton.addEventListener("keydown", (event) => this.recordKey(event));
    this.hotkeyButton.addEventListener("blur", () => this.stopRecording());

    const loginId = uid("login");
    this.loginSwitch = h("input", { id: loginId, type: "checkbox", role: "switch", class: "switch" });
    this.loginSwitch.addEventListener("change", () => void this.setLogin(this.loginSwitch.checked));

    this.el = h(
      "section",
      { class: "view settings-view", "aria-labelledby": "settings-title" },
      h("header", { class: "view-head" }, h("h1", { id: "settings-title", class: "chat-title" }, "Settings")),
      h(
        "div",
        { class: "settings-scroll" },
        h(
          "div",
          { class: "settings-inner" },
          section(
            "settings-folders",
            "Folders",
            "Ledge reads these folders to answer. Your files stay where they are and are only ever read.",
            this.folders.el,
            h(
              "div",
              { class: "index-row" },
              h("div", { class: "index-status" }, this.indexText, this.indexBar, this.indexCurrent),
              this.pauseButton,
            ),
            this.indexErrorEl,
          ),
          section(
            "settings-exclusions",
            "Exclusions",
            null,
            h(
              "div",
              { class: "card-pad exclusions" },
              h("p", null, "Always left out, in every folder:"),
              h(
                "ul",
                { class: "plain-list" },
                h("li", null, "Hidden files and folders, and whatever a folder's .gitignore or .ignore leaves out"),
                h(
                  "li",
                  null,
                  "Places that hold secrets: SSH and GnuPG keys, cloud credentials, keychains and password stores, .env files, private keys, browser profiles",
                ),
                h("li", null, "Files larger than 32 MB"),
              ),
              h(
                "p",
                { class: "help" },
                h("strong", null, "Your own exclusions: "),
                "per folder, with its Exclusions… button above.",
              ),
            ),
          ),
          section("settings-models", "Models", "Everything runs on this computer. The chat model writes the answers; the search model finds passages by meaning.", h("div", { class: "card-pad" }, this.models.el)),
          section(
            "settings-backends",
            "Other machines",
            "A bigger model on your own Mac Studio or server can answer instead: Ledge works with exo, mlx_lm.server, LM Studio, Ollama, Jan and GPT4All. Your files are still searched here; only the passages that answer a question are sent, and only to machines you add.",
            h("div", { class: "card-pad" }, this.backends.el),
          ),
          section(
            "settings-mcp",
            "Other apps",
            "Apps that speak MCP (the Model Context Protocol), such as Claude Desktop, code editors and agents, can search your indexed files, read them, and get Ledge's cited answers. Add this to the app's MCP configuration:",
            h(
              "div",
              { class: "card-pad mcp" },
              this.mcpConfig,
              h(
                "div",
                { class: "import-row" },
                h("button", { type: "button", class: "btn small copy-mcp", onclick: () => void this.copyMcp() }, "Copy"),
                this.mcpCopied,
              ),
              h(
                "p",
                { class: "help" },
                "Such an app reaches only the folders indexed here, and what it receives goes to the model it uses, which may not be on this computer: connect only apps you trust with these files.",
              ),
            ),
          ),
          section(
            "settings-general",
            "Shortcut and startup",
            null,
            h(
              "div",
              { class: "card-row hotkey-row" },
              h(
                "div",
                { class: "card-row-text" },
                h("div", { class: "card-row-title" }, "Popup shortcut"),
                h(
                  "p",
                  { class: "help", id: hotkeyHelpId },
                  "Opens the popup from any app. Click, then press the new keys; Esc cancels.",
                ),
                this.hotkeyProblemEl,
                this.hotkeyMessageEl,
              ),
              this.hotkeyButton,
            ),
            h(
              "div",
              { class: "card-row" },
              h(
                "div",
                { class: "card-row-text" },
                h("label", { for: loginId, class: "card-row-title" }, "Open Ledge when you log in"),
                h("p", { class: "help" }, "Ledge starts quietly in the background, so the shortcut works right away."),
                this.loginError,
              ),
              this.loginSwitch,
            ),
          ),
          section(
            "settings-data",
            "Privacy and data",
            "Nothing you ask or index leaves this computer. Ledge keeps its index, conversations and settings in one folder.",
            h(
              "div",
              { class: "card-row" },
              h(
                "div",
                { class: "card-row-text" },
                h("div", { class: "card-row-title" }, "Data folder"),
                this.dataDir,
              ),
              h(
                "button",
                {
                  type: "button",
                  class: "btn small",
                  onclick: () => {
                    const dir = store.app?.dataDir;
                    if (dir) ipc.revealFile(dir).catch(() => undefined);
                  },
                },
                "Show in File Manager",
              ),
            ),
            this.forgetArea,
          ),
          this.about,
        ),
      ),
    );
    this.unsubscribe = store.subscribe(() => this.renderState());
    this.renderState();
    this.renderForget();
    void this.folders.refresh();
    void this.models.refresh();
    void this.backends.refresh();
    void this.loadMcp();
  }

  route(_route: Route): void {}

  private async loadMcp(): Promise<void> {
    try {
      this.mcpConfig.textContent = (await ipc.mcpSetup()).config;
    } catch (error) {
      this.mcpConfig.textContent = ipc.errorText(error);
    }
  }

  private async copyMcp(): Promise<void> {
    try {
      await navigator.clipboard.writeText(this.mcpConfig.textContent ?? "");
      this.mcpCopied.textContent = "Copied.";
    } catch (error) {
      this.mcpCopied.textContent = `Could not copy: ${ipc.errorText(error)}`;
    }
  }

  focus(): void {
    this.folders.addButton.focus({ preventScroll: true });
  }

  destroy(): void {
    this.unsubscribe();
  }

  // -------------------------------------------------------------------------------------------

  private async togglePause(): Promise<void> {
    const paused = store.indexing?.paused ?? false;
    try {
      if (paused) await ipc.resumeIndexing();
      else await ipc.pauseIndexing();
      this.indexError = null;
      const indexing = store.indexing;
      // The indexing event follows; show the change at once.
      if (indexing) store.setIndexing({ ...indexing, paused: !paused });
    } catch (error) {
      this.indexError = ipc.errorText(error);
      this.renderState();
    }
  }

  private startRecording(): void {
    this.recording = true;
    this.pendingMods = [];
    this.hotkeyMessage = null;
    this.renderHotkey();
  }

  private stopRecording(): void {
    if (!this.recording) return;
    this.recording = false;
    this.renderHotkey();
  }

  private recordKey(event: KeyboardEvent): void {
    if (!this.recording) return;
    // Plain Tab leaves the field, as everywhere else.
    if (event.key === "Tab" && !event.ctrlKey && !event.altKey && !event.metaKey) {
      this.stopRecording();
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    const result = recordHotkey(event, store.platform);
    switch (result.kind) {
      case "pending":
        this.pendingMods = result.modifiers;
        this.renderHotkey();
        break;
      case "cancel":
        this.stopRecording();
        break;
      case "invalid":
        this.hotkeyMessage = { kind: "error", text: result.message };
        this.pendingMods = [];
        this.renderHotkey();
        break;
      case "done":
        this.recording = false;
        void this.saveHotkey(result.hotkey);
        break;
    }
  }

  private async saveHotkey(hotkey: string): Promise<void> {
    const platform = store.platform;
    try {
      await ipc.setHotkey(hotkey);
      this.hotkeyMessage = { kind: "ok", text: `Saved: ${hotkeyText(hotkey, platform)} now opens the popup.` };
      await store.refreshApp();
    } catch (error) {
      this.hotkeyMessage = { kind: "error", text: ipc.errorText(error) };
    }
    this.renderHotkey();
  }

  private async setLogin(enabled: boolean): Promise<void> {
    try {
      await ipc.setLaunchAtLogin(enabled);
      this.loginError.hidden = true;
      await store.refreshApp();
    } catch (error) {
      this.loginSwitch.checked = !enabled;
      this.loginError.hidden = false;
      this.loginError.textContent = ipc.errorText(error);
    }
  }

  private async forget(): Promise<void> {
    this.forgetting = true;
    this.forgetError = null;
    this.renderForget();
    try {
      await ipc.forgetEverything();
      this.forgetOpen = false;
      this.forgetting = false;
      const app = await store.refreshApp();
      await store.refreshConversations();
      navigate(app && !app.onboarded ? { view: "welcome" } : { view: "chat", conversationId: null });
      return;
    } catch (error) {
      this.forgetError = ipc.errorText(error);
    }
    this.forgetting = false;
    this.renderForget();
  }

  // -------------------------------------------------------------------------------------------

  private renderState(): void {
    const app = store.app;
    const indexing = store.indexing;
    // A pass just ended: the folders' counts changed.
    const nowIndexing = indexing !== null && indexing.running;
    if (this.wasIndexing && !nowIndexing) void this.folders.refresh();
    this.wasIndexing = nowIndexing;
    if (indexing) {
      this.indexText.textContent = indexingText(indexing);
      const current = indexingBusy(indexing) ? indexing.current : null;
      this.indexCurrent.hidden = current === null;
      this.indexCurrent.textContent = current ?? "";
      this.indexCurrent.title = current ?? "";
      const busy = indexingBusy(indexing);
      const fraction = indexingFraction(indexing);
      this.indexBar.hidden = !busy;
      this.indexBar.classList.toggle("indeterminate", busy && fraction === null);
      (this.indexBar.firstElementChild as HTMLElement).style.width = `${Math.round((fraction ?? 0) * 100)}%`;
      if (fraction !== null) this.indexBar.setAttribute("aria-valuenow", String(Math.round(fraction * 100)));
      else this.indexBar.removeAttribute("aria-valuenow");
      this.pauseButton.hidden = !indexing.running && !indexing.paused;
      setChildren(
        this.pauseButton,
        icon(indexing.paused ? "play" : "pause", 12),
        indexing.paused ? "Resume" : "Pause",
      );
      this.pauseButton.setAttribute("aria-label", indexing.paused ? "Resume indexing" : "Pause indexing");
    }
    // A command failed, or the indexer reports a problem while it keeps going.
    const indexProblem =
      this.indexError ?? (indexing?.running && indexing.lastError ? `Last problem: ${indexing.lastError}` : null);
    this.indexErrorEl.hidden = indexProblem === null;
    this.indexErrorEl.textContent = indexProblem ?? "";
    this.folders.render();
    this.models.render();
    if (app) {
      this.loginSwitch.checked = app.launchAtLogin;
      this.dataDir.textContent = app.dataDir;
      this.about.textContent = `Ledge ${app.version} · ${platformName(app.platform)}`;
    }
    this.renderHotkey();
  }

  private renderHotkey(): void {
    const app = store.app;
    const platform = store.platform;
    this.hotkeyButton.classList.toggle("recording", this.recording);
    if (this.recording) {
      const caps = this.pendingMods.length > 0 ? hotkeyCaps(`${this.pendingMods.join("+")}+…`, platform) : [];
      setChildren(
        this.hotkeyButton,
        caps.length > 0 ? caps.map((c) => h("kbd", null, c)) : h("span", { class: "recording-text" }, "Press keys…"),
      );
      this.hotkeyButton.setAttribute("aria-label", "Recording a new shortcut. Press the keys, or Escape to cancel.");
    } else if (app) {
      setChildren(this.hotkeyButton, hotkeyCaps(app.hotkey, platform).map((c) => h("kbd", null, c)));
      this.hotkeyButton.setAttribute("aria-label", `Popup shortcut: ${hotkeyText(app.hotkey, platform)}. Press to change.`);
    }
    const problem = app?.hotkeyProblem ?? null;
    this.hotkeyProblemEl.hidden = problem === null;
    this.hotkeyProblemEl.textContent = problem ?? "";
    const message = this.hotkeyMessage;
    this.hotkeyMessageEl.hidden = message === null;
    this.hotkeyMessageEl.className = `hotkey-message ${message?.kind === "ok" ? "field-ok" : "field-error"}`;
    this.hotkeyMessageEl.textContent = message?.text ?? "";
  }

  private renderForget(): void {
    const head = h(
      "div",
      { class: "card-row" },
      h(
        "div",
        { class: "card-row-text" },
        h("div", { class: "card-row-title" }, "Forget everything"),
        h(
          "p",
          { class: "help" },
          "Deletes Ledge's own data: the index, conversations and settings. Installed models stay (remove them from the models folder). Your files are not touched.",
        ),
      ),
      this.forgetOpen
        ? null
        : h(
            "button",
            {
              type: "button",
              class: "btn small danger open-forget",
              onclick: () => {
                this.forgetOpen = true;
                this.renderForget();
                this.forgetArea.querySelector<HTMLInputElement>("input")?.focus();
              },
            },
            "Forget Everything…",
          ),
    );
    if (!this.forgetOpen) {
      setChildren(this.forgetArea, head);
      return;
    }
    const inputId = uid("forget");
    const input = h("input", {
      id: inputId,
      class: "field forget-input",
      type: "text",
      autocomplete: "off",
      spellcheck: "false",
      disabled: this.forgetting,
    });
    const confirm = h(
      "button",
      {
        type: "button",
        class: "btn small danger solid confirm-forget",
        disabled: true,
        onclick: () => void this.forget(),
      },
      this.forgetting ? "Forgetting…" : "Forget Everything",
    );
    input.addEventListener("input", () => {
      confirm.disabled = this.forgetting || input.value.trim().toLowerCase() !== FORGET_WORD;
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !confirm.disabled) {
        event.preventDefault();
        void this.forget();
      } else if (event.key === "Escape") {
        this.forgetOpen = false;
        this.renderForget();
        this.forgetArea.querySelector<HTMLButtonElement>(".open-forget")?.focus();
      }
    });
    setChildren(
      this.forgetArea,
      head,
      h(
        "div",
        { class: "confirm forget-confirm" },
        h("label", { for: inputId }, "This cannot be undone. Type ", h("strong", null, FORGET_WORD), " to confirm."),
        h(
          "div",
          { class: "confirm-actions" },
          input,
          h(
            "button",
            {
              type: "button",
              class: "btn small",
              onclick: () => {
                this.forgetOpen = false;
                this.renderForget();
              },
            },
            "Cancel",
          ),
          confirm,
        ),
        this.forgetError ? h("p", { class: "field-error", role: "alert" }, this.forgetError) : null,
      ),
    );
  }
}

function platformName(platform: string): string {
  return platform === "macos" ? "macOS" : platform === "linux" ? "Linux" : "Windows";
}

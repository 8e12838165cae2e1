// First run: three short steps — what Ledge does with your files (nothing leaves this
// computer), which folders it may read, which model answers — then `complete_onboarding`.

import * as ipc from "../ipc";
import { h, setChildren } from "../lib/dom";
import { hotkeyCaps } from "../lib/hotkey";
import { icon, type IconName } from "../lib/icons";
import type { Route } from "../lib/route";
import type { View } from "./nav";
import { FoldersPanel, ModelsPanel } from "./panels";
import { store } from "./store";

const STEPS = ["Privacy", "Folders", "Model"] as const;

export class WelcomeView implements View {
  readonly el: HTMLElement;
  private step = 0;
  private finishing = false;
  private error: string | null = null;
  private readonly folders = new FoldersPanel({ compact: true, onChange: () => this.renderActions() });
  private readonly models = new ModelsPanel({ compact: true, onChange: () => this.renderActions() });
  private readonly card = h("div", { class: "welcome-card" });
  private readonly stepsEl = h("ol", { class: "steps", "aria-label": "Steps" });
  private readonly body = h("div", { class: "welcome-body" });
  private readonly actions = h("div", { class: "welcome-actions" });
  private readonly unsubscribe: () => void;

  constructor(private readonly done: () => void) {
    this.card.append(this.stepsEl, this.body, this.actions);
    this.el = h("section", { class: "view welcome-view", "aria-labelledby": "welcome-title" }, this.card);
    this.unsubscribe = store.subscribe(() => {
      this.folders.render();
      this.models.render();
    });
    void this.folders.refresh();
    void this.models.refresh();
    this.render();
  }

  route(_route: Route): void {}

  focus(): void {
    this.actions.querySelector<HTMLButtonElement>(".btn.primary")?.focus();
  }

  destroy(): void {
    this.unsubscribe();
  }

  private go(step: number): void {
    this.step = Math.max(0, Math.min(STEPS.length - 1, step));
    this.error = null;
    this.render();
    this.body.querySelector<HTMLElement>("h1")?.focus();
  }

  private async finish(): Promise<void> {
    this.finishing = true;
    this.renderActions();
    try {
      await ipc.completeOnboarding();
      await store.refreshApp();
      this.done();
      return;
    } catch (error) {
      this.error = ipc.errorText(error);
    }
    this.finishing = false;
    this.render();
  }

  private render(): void {
    setChildren(
      this.stepsEl,
      STEPS.map((name, i) =>
        h(
          "li",
          {
            class: i === this.step ? "current" : i < this.step ? "past" : "",
            "aria-current": i === this.step ? "step" : null,
          },
          h("span", { class: "step-dot", "aria-hidden": "true" }, i < this.step ? icon("check", 11) : String(i + 1)),
          h("span", { class: "step-name" }, name),
        ),
      ),
    );
    switch (this.step) {
      case 0:
        setChildren(this.body, this.privacyStep());
        break;
      case 1:
        setChildren(this.body, this.foldersStep());
        break;
      default:
        setChildren(this.body, this.modelStep());
    }
    this.renderActions();
  }

  private heading(text: string, lead: string): HTMLElement[] {
    return [
      h("h1", { id: "welcome-title", class: "welcome-title", tabindex: "-1" }, text),
      h("p", { class: "welcome-lead" }, lead),
    ];
  }

  private privacyStep(): HTMLElement {
    const point = (name: IconName, title: string, text: string): HTMLElement =>
      h(
        "li",
        null,
        h("span", { class: "point-icon" }, icon(name, 18)),
        h("span", null, h("strong", null, title), h("span", { class: "point-text" }, text)),
      );
    const dataDir = store.app?.dataDir;
    return h(
      "div",
      { class: "step" },
      h("div", { class: "welcome-mark", "aria-hidden": "true" }, icon("lock", 30)),
      ...this.heading(
        "Nothing leaves this computer",
        "Ledge answers questions from your own files, with a model that runs right here.",
      ),
      h(
        "ul",
        { class: "points" },
        point("folder", "Your files stay put.", " Ledge only reads the folders you choose; it never moves, changes or uploads them."),
        point("chip", "Answers are written locally.", " No account, no cloud service, no network connection."),
        point(
          "trash",
          "Your data is yours to delete.",
          dataDir
            ? ` The index and conversations live in ${dataDir}. Forget Everything in Settings removes them.`
            : " Forget Everything in Settings removes everything Ledge keeps.",
        ),
      ),
    );
  }

  private foldersStep(): HTMLElement {
    return h(
      "div",
      { class: "step" },
      ...this.heading(
        "Choose folders to ask about",
        "Pick the folders with notes, documents and manuals you want answers from. Indexing starts in the background; you can add more later.",
      ),
      h("div", { class: "card" }, this.folders.el),
    );
  }

  private modelStep(): HTMLElement {
    const app = store.app;
    const hotkey = app ? hotkeyCaps(app.hotkey, app.platform) : null;
    return h(
      "div",
      { class: "step" },
      ...this.heading(
        "Choose a model",
        "The model writes the answers on this computer. Smaller models answer faster; larger ones write better.",
      ),
      h("div", { class: "card card-pad" }, this.models.el),
      hotkey
        ? h(
            "p",
            { class: "welcome-hint" },
            "When you're set, press ",
            hotkey.map((c) => h("kbd", null, c)),
            " in any app to ask.",
          )
        : null,
    );
  }

  private renderActions(): void {
    const last = this.step === STEPS.length - 1;
    const hasFolders = this.folders.folders.length > 0;
    const hasModel = this.models.models.some((m) => m.role === "chat");
    const primaryLabel = last ? (this.finishing ? "Starting…" : "Start Using Ledge") : this.step === 1 && !hasFolders ? "Skip for Now" : "Continue";
    const primary = h(
      "button",
      {
        type: "button",
        class: "btn primary next",
        disabled: this.finishing,
        onclick: () => (last ? void this.finish() : this.go(this.step + 1)),
      },
      primaryLabel,
      last ? null : icon("arrowRight", 14),
    );
    const hadFocus = this.actions.contains(document.activeElement);
    setChildren(
      this.actions,
      this.error ? h("p", { class: "field-error", role: "alert" }, this.error) : null,
      last && !hasModel
        ? h("p", { class: "welcome-note" }, "You can finish now and download or import a model later in Settings.")
        : null,
      h("span", { class: "spacer" }),
      this.step > 0
        ? h("button", { type: "button", class: "btn back", onclick: () => this.go(this.step - 1) }, "Back")
        : null,
      primary,
    );
    if (hadFocus) primary.focus();
  }
}

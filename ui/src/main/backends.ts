// Settings → Other machines: the servers a person runs themselves (exo, mlx_lm.server,
// LM Studio, Ollama, ...) that may answer instead of the built-in model. Lists them with where
// they compute, finds the ones running on this computer, adds one by address (a public
// address only with an explicit, warned override), tests, chooses the default, removes.

import * as ipc from "../ipc";
import type { Backend, FoundServer } from "../ipc";
import { LOCAL, addressProblem, backendLabel, nameProblem, suggestModel, suggestName } from "../lib/backends";
import { h, setChildren, uid } from "../lib/dom";
import { icon } from "../lib/icons";
import { cancelAnd } from "./panels";
import { store } from "./store";

type Message = { kind: "ok" | "error" | "warning"; text: string };

export class BackendsPanel {
  readonly el: HTMLElement;
  private backends: Backend[] = [];
  private found: FoundServer[] = [];
  private loaded = false;
  private searching = false;
  private busy = false;
  private confirming: string | null = null;
  private readonly rowMessages = new Map<string, Message>();
  private message: Message | null = null;

  private readonly list = h("ul", { class: "rows backend-list", "aria-label": "Where answers are computed" });
  private readonly foundList = h("ul", { class: "rows found-list", "aria-label": "Servers found on this computer" });
  private readonly findButton = h("button", { type: "button", class: "btn small find-servers" }, "Look for Servers on This Computer");
  private readonly messageEl = h("p", { class: "field-error backend-message", role: "alert", hidden: true });

  // the add form
  private readonly nameInput: HTMLInputElement;
  private readonly urlInput: HTMLInputElement;
  private readonly modelInput: HTMLInputElement;
  private readonly fallbackBox: HTMLInputElement;
  private readonly defaultBox: HTMLInputElement;
  private readonly publicBox: HTMLInputElement;
  private readonly publicWarning = h(
    "p",
    { class: "field-warning public-warning", hidden: true },
    "The passages of your files that answer each question, and the question itself, will be sent to this address on the internet and leave your devices.",
  );
  private readonly addButton = h("button", { type: "submit", class: "btn small primary add-backend" }, "Add");
  /** The server did not pass the check: it can still be added (it may be switched off now). */
  private readonly addAnywayButton = h("button", { type: "button", class: "btn small add-anyway", hidden: true }, "Add Without Checking");
  private failedCheck = false;

  constructor() {
    const field = (label: string, input: HTMLInputElement, help: string | null = null) =>
      h(
        "div",
        { class: "form-field" },
        h("label", { for: input.id }, label),
        input,
        help ? h("p", { class: "help" }, help) : null,
      );
    const text = (placeholder: string) =>
      h("input", { id: uid("backend"), class: "field", type: "text", autocomplete: "off", spellcheck: "false", placeholder });
    const check = (label: string, box: HTMLInputElement) =>
      h("label", { class: "check", for: box.id }, box, h("span", null, label));
    const box = () => h("input", { id: uid("backend-box"), type: "checkbox" });

    this.nameInput = text("studio");
    this.urlInput = text("192.168.1.20:8080");
    this.modelInput = text("the server's only model");
    this.fallbackBox = box();
    this.fallbackBox.checked = true;
    this.defaultBox = box();
    this.publicBox = box();
    this.publicBox.addEventListener("change", () => {
      this.publicWarning.hidden = !this.publicBox.checked;
    });
    this.findButton.addEventListener("click", () => void this.refresh(true));
    this.addAnywayButton.addEventListener("click", () => void this.add(false));

    const form = h(
      "form",
      { class: "backend-form", "aria-label": "Add a server" },
      h("h3", { class: "form-title" }, "Add a server"),
      h(
        "div",
        { class: "form-grid" },
        field("Name", this.nameInput),
        field("Address", this.urlInput, "HOST:PORT or http://HOST:PORT/v1, on this computer or your own network."),
        field("Model", this.modelInput, "Optional when the server offers one model."),
      ),
      check("If it fails, answer with the built-in model", this.fallbackBox),
      check("Use it for new questions", this.defaultBox),
      check("Allow an address on the public internet", this.publicBox),
      this.publicWarning,
      h("div", { class: "panel-actions" }, this.addAnywayButton, this.addButton),
    );
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.add(true);
    });

    this.el = h(
      "div",
      { class: "backends-panel" },
      this.list,
      h("div", { class: "panel-actions found-actions" }, this.findButton),
      this.foundList,
      this.messageEl,
      form,
    );
  }

  async refresh(discover = false): Promise<void> {
    if (discover) {
      this.searching = true;
      this.render();
    }
    try {
      const result = await ipc.backends(discover);
      this.backends = result.backends;
      if (discover) this.found = result.found;
      else this.found = this.found.map((f) => ({ ...f, addedAs: this.addedAs(f) }));
      if (discover && result.found.length === 0) {
        this.message = { kind: "ok", text: "No known server (exo, mlx_lm.server, LM Studio, Ollama, Jan, GPT4All) is running on this computer." };
      }
    } catch (error) {
      this.message = { kind: "error", text: ipc.errorText(error) };
    }
    this.loaded = true;
    this.searching = false;
    store.setBackends(this.backends);
    this.render();
  }

  private addedAs(found: FoundServer): string | null {
    return this.backends.find((b) => b.url === found.url)?.name ?? null;
  }

  /** Fills the form from a server found on this computer. */
  private useFound(found: FoundServer): void {
    this.nameInput.value = suggestName(
      found,
      this.backends.map((b) => b.name),
    );
    this.urlInput.value = found.url;
    this.modelInput.value = suggestModel(found) ?? "";
    this.message =
      found.models.length > 1
        ? { kind: "warning", text: `It offers ${found.models.length} models (${found.models.join(", ")}); enter the one to use.` }
        : null;
    this.render();
    (found.models.length > 1 ? this.modelInput : this.addButton).focus();
  }

  private async add(check: boolean): Promise<void> {
    if (this.busy) return;
    const name = this.nameInput.value.trim();
    const url = this.urlInput.value.trim();
    const problem =
      nameProblem(
        name,
        this.backends.map((b) => b.name),
      ) ?? addressProblem(url);
    if (problem !== null) {
      this.message = { kind: "error", text: problem };
      this.render();
      (nameProblem(name, []) !== null ? this.nameInput : this.urlInput).focus();
      return;
    }
    this.busy = true;
    this.message = null;
    this.failedCheck = false;
    this.render();
    try {
      const added = await ipc.addBackend({
        name,
        url,
        model: this.modelInput.value.trim() || null,
        allowPublic: this.publicBox.checked,
        fallbackLocal: this.fallbackBox.checked,
        makeDefault: this.defaultBox.checked,
        check,
      });
      const warnings = added.warnings.join(" ");
      this.message = {
        kind: warnings ? "warning" : "ok",
        text: `Added ${added.name} (${added.placement}).${warnings ? ` ${warnings}` : ""}`,
      };
      for (const input of [this.nameInput, this.urlInput, this.modelInput]) input.value = "";
      this.publicBox.checked = false;
      this.defaultBox.checked = false;
      this.publicWarning.hidden = true;
    } catch (error) {
      this.message = { kind: "error", text: ipc.errorText(error) };
      this.failedCheck = check;
    }
    this.busy = false;
    await this.refresh();
    if (this.message?.kind === "error") this.urlInput.focus();
  }

  private async act(name: string, action: () => Promise<Message | null>): Promise<void> {
    this.rowMessages.delete(name);
    this.busy = true;
    this.render();
    try {
      const message = await action();
      if (message) this.rowMessages.set(name, message);
    } catch (error) {
      this.rowMessages.set(name, { kind: "error", text: ipc.errorText(error) });
    }
    this.busy = false;
    await this.refresh();
  }

  private test(name: string): Promise<void> {
    this.rowMessages.set(name, { kind: "ok", text: "Asking it for a one-word reply…" });
    return this.act(name, async () => {
      const result = await ipc.testBackend(name);
      return {
        kind: "ok",
        text: `${result.model} at ${result.address} (${result.placement}) replied “${result.reply}”: first word after ${Math.round(result.firstTokenMs)} ms, ${Math.round(result.totalMs)} ms in all.`,
      };
    });
  }

  private render(): void {
    const message = this.message;
    this.messageEl.hidden = message === null;
    this.messageEl.className = `backend-message ${message?.kind === "ok" ? "field-ok" : message?.kind === "warning" ? "field-warning" : "field-error"}`;
    this.messageEl.textContent = message?.text ?? "";
    this.addButton.disabled = this.busy;
    this.addAnywayButton.hidden = !this.failedCheck || this.busy;
    this.addButton.textContent = this.busy ? "Checking…" : "Add";
    this.findButton.disabled = this.searching;
    this.findButton.textContent = this.searching ? "Looking…" : "Look for Servers on This Computer";

    if (!this.loaded) {
      setChildren(this.list, h("li", { class: "row muted" }, "Loading…"));
      return;
    }
    setChildren(
      this.list,
      this.backends.map((b) => this.row(b)),
    );
    setChildren(
      this.foundList,
      this.found.map((f) =>
        h(
          "li",
          { class: "row found-row" },
          h(
            "div",
            { class: "row-main" },
            h("span", { class: "row-icon" }, icon("chip", 18)),
            h(
              "span",
              { class: "row-text" },
              h("span", { class: "row-title" }, `${f.product} is running`),
              h("span", { class: "row-meta selectable" }, [f.url, f.models.join(", ")].filter(Boolean).join(" · ")),
              f.error ? h("span", { class: "row-problem" }, f.error) : null,
            ),
          ),
          f.addedAs
            ? h("span", { class: "badge" }, `Added as ${f.addedAs}`)
            : h("button", { type: "button", class: "btn small use-found", onclick: () => this.useFound(f) }, "Use…"),
        ),
      ),
    );
  }

  private row(b: Backend): HTMLElement {
    const local = b.name === LOCAL;
    const details = local
      ? "Answers on this computer; nothing leaves it."
      : [b.url, b.model ? `model ${b.model}` : "the server's model", b.fallbackLocal ? "falls back to the built-in model" : null]
          .filter(Boolean)
          .join(" · ");
    const rowMessage = this.rowMessages.get(b.name) ?? null;
    const actions: (HTMLElement | null)[] = [];
    if (!b.isDefault) {
      actions.push(
        h(
          "button",
          {
            type: "button",
            class: "btn small make-default",
            disabled: this.busy || b.refused,
            onclick: () => void this.act(b.name, () => ipc.setDefaultBackend(b.name).then(() => null)),
          },
          "Use by Default",
        ),
      );
    }
    if (!local) {
      actions.push(
        h("button", { type: "button", class: "btn small test-backend", disabled: this.busy, onclick: () => void this.test(b.name) }, "Test"),
      );
      actions.push(
        this.confirming === b.name
          ? cancelAnd(
              "confirm-inline",
              () => {
                this.confirming = null;
                this.render();
              },
              h(
                "button",
                {
                  type: "button",
                  class: "btn small danger solid confirm-remove",
                  onclick: () => {
                    this.confirming = null;
                    void this.act(b.name, () => ipc.removeBackend(b.name).then(() => null));
                  },
                },
                "Remove",
              ),
            )
          : h(
              "button",
              {
                type: "button",
                class: "btn small quiet remove-backend",
                "aria-label": `Remove ${b.name}`,
                onclick: () => {
                  this.confirming = b.name;
                  this.render();
                },
              },
              "Remove…",
            ),
      );
    }
    return h(
      "li",
      { class: `row backend-row${b.isDefault ? " is-default" : ""}`, dataset: { name: b.name } },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-icon" }, icon(local ? "chip" : "folder", 18)),
        h(
          "span",
          { class: "row-text" },
          h(
            "span",
            { class: "row-title" },
            backendLabel(b),
            b.isDefault ? h("span", { class: "badge" }, "Default") : null,
            b.allowPublic ? h("span", { class: "badge warn" }, "Public") : null,
          ),
          h("span", { class: "row-meta selectable" }, details),
          b.refused ? h("span", { class: "row-problem" }, b.placement) : null,
          rowMessage
            ? h(
                "span",
                { class: `row-message ${rowMessage.kind === "error" ? "field-error" : "field-ok"}`, role: "status" },
                rowMessage.text,
              )
            : null,
        ),
      ),
      h("div", { class: "row-actions" }, ...actions),
    );
  }
}

// Pieces Settings and the first-run welcome share: the folder list and the model chooser.

import * as ipc from "../ipc";
import type { CatalogModel, Folder, Model } from "../ipc";
import { h, setChildren, uid } from "../lib/dom";
import { basename, formatBytes, plural, relativeTime } from "../lib/format";
import { icon } from "../lib/icons";
import { indexingBusy } from "../lib/status";
import { store } from "./store";

/** A confirmation's buttons: Cancel, then the action it guards. */
export function cancelAnd(cls: string, onCancel: () => void, action: HTMLElement): HTMLElement {
  return h("div", { class: cls }, h("button", { type: "button", class: "btn small", onclick: onCancel }, "Cancel"), action);
}

// ---------------------------------------------------------------------------------------------
// Folders.

export class FoldersPanel {
  readonly el: HTMLElement;
  folders: Folder[] = [];
  private loaded = false;
  private confirming: string | null = null;
  /** The folder whose exclusions are being edited. */
  private editing: string | null = null;
  private excludeError: string | null = null;
  /** Listing the folders failed. */
  private loadError: string | null = null;
  /** The last add/remove/reveal failed. */
  private actionError: string | null = null;
  private drawn = "";
  private readonly openProblems = new Set<string>();
  private readonly list = h("ul", { class: "rows folder-list", "aria-label": "Indexed folders" });
  private readonly errorEl = h("p", { class: "field-error", role: "alert", hidden: true });
  readonly addButton: HTMLButtonElement;

  constructor(private readonly options: { compact: boolean; onChange?: () => void }) {
    this.addButton = h(
      "button",
      { type: "button", class: "btn add-folder", onclick: () => void this.add() },
      icon("plus", 14),
      "Add Folder…",
    );
    this.el = h(
      "div",
      { class: "folders-panel" },
      this.list,
      this.errorEl,
      h("div", { class: "panel-actions" }, this.addButton),
    );
  }

  async refresh(): Promise<void> {
    try {
      this.folders = await ipc.folders();
      this.loadError = null;
    } catch (error) {
      this.loadError = ipc.errorText(error);
    }
    this.loaded = true;
    this.render();
    this.options.onChange?.();
  }

  private async add(): Promise<void> {
    try {
      const path = await ipc.pickFolder();
      if (path === null) return;
      await ipc.addFolder(path);
      this.actionError = null;
    } catch (error) {
      this.actionError = ipc.errorText(error);
    }
    await this.refresh();
    this.addButton.focus();
  }

  private async remove(path: string): Promise<void> {
    this.confirming = null;
    try {
      await ipc.removeFolder(path);
      this.actionError = null;
    } catch (error) {
      this.actionError = ipc.errorText(error);
    }
    await this.refresh();
    this.addButton.focus();
  }

  private reveal(path: string): void {
    ipc.revealFile(path).catch((error: unknown) => {
      this.actionError = ipc.errorText(error);
      this.render();
    });
  }

  render(): void {
    const message = this.actionError ?? this.loadError;
    this.errorEl.hidden = message === null;
    this.errorEl.textContent = message ?? "";
    // Indexing events arrive often; redraw only when what the list shows changed, so an open
    // problem list or the focus inside the list survives them.
    const indexing = store.indexing;
    const working = indexing !== null && indexingBusy(indexing) ? indexing.folder : null;
    const key = JSON.stringify([this.loaded, this.folders, working, this.confirming, this.editing, this.excludeError]);
    if (key === this.drawn) return;
    this.drawn = key;
    if (!this.loaded) {
      setChildren(this.list, h("li", { class: "row muted" }, "Loading folders…"));
      return;
    }
    if (this.folders.length === 0) {
      setChildren(
        this.list,
        h(
          "li",
          { class: "row muted empty-row" },
          this.options.compact
            ? "No folders yet. Add the folders Ledge may read, like Documents or Notes."
            : "No folders yet. Ledge answers only from folders you add here.",
        ),
      );
      return;
    }
    const now = Date.now();
    setChildren(
      this.list,
      this.folders.map((folder) => {
        const name = basename(folder.path);
        const meta = [
          plural(folder.files, "file"),
          plural(folder.chunks, "passage"),
          working === folder.path
            ? "indexing now…"
            : folder.indexedAt !== null
              ? `indexed ${relativeTime(folder.indexedAt, now).toLowerCase()}`
              : "not indexed yet",
        ].join(" · ");
        const problemCount = Math.max(folder.errors, folder.problems.length);
        const row = h(
          "li",
          { class: "row folder-row", dataset: { path: folder.path } },
          h(
            "div",
            { class: "row-main" },
            h("span", { class: "row-icon" }, icon("folder", 18)),
            h(
              "div",
              { class: "row-text" },
              h("div", { class: "row-title" }, name),
              h("div", { class: "row-sub selectable" }, folder.path),
              h(
                "div",
                { class: "row-meta" },
                meta,
                problemCount > 0
                  ? h("span", { class: "badge warn" }, plural(problemCount, "problem"))
                  : null,
                folder.exclude.length > 0
                  ? h("span", { class: "badge" }, `leaves out ${folder.exclude.join(", ")}`)
                  : null,
              ),
            ),
            h(
              "div",
              { class: "row-actions" },
              h(
                "button",
                {
                  type: "button",
                  class: "btn quiet small icon-only",
                  "aria-label": `Show ${name} in the file manager`,
                  title: "Show in file manager",
                  onclick: () => this.reveal(folder.path),
                },
                icon("reveal", 14),
              ),
              this.options.compact
                ? null
                : h(
                    "button",
                    {
                      type: "button",
                      class: "btn small quiet edit-exclusions",
                      "aria-label": `Exclusions for ${name}`,
                      "aria-expanded": String(this.editing === folder.path),
                      onclick: () => {
                        this.editing = this.editing === folder.path ? null : folder.path;
                        this.excludeError = null;
                        this.render();
                        this.list.querySelector<HTMLTextAreaElement>(".exclude-input")?.focus();
                      },
                    },
                    "Exclusions…",
                  ),
              h(
                "button",
                {
                  type: "button",
                  class: "btn small remove-folder",
                  "aria-label": `Remove ${name}`,
                  onclick: () => {
                    this.confirming = folder.path;
                    this.render();
                    this.list.querySelector<HTMLButtonElement>(".confirm-remove")?.focus();
                  },
                },
                "Remove",
              ),
            ),
          ),
          folder.problems.length > 0 ? this.problemsEl(folder) : null,
          this.editing === folder.path ? this.exclusionsEl(folder, name) : null,
          this.confirming === folder.path
            ? h(
                "div",
                { class: "confirm", role: "group", "aria-label": `Remove ${name}?` },
                h(
                  "p",
                  null,
                  h("strong", null, `Remove “${name}” from Ledge?`),
                  " Its files stay where they are; only Ledge's index of them is deleted.",
                ),
                cancelAnd(
                  "confirm-actions",
                  () => {
                    this.confirming = null;
                    this.render();
                  },
                  h(
                    "button",
                    {
                      type: "button",
                      class: "btn small danger solid confirm-remove",
                      onclick: () => void this.remove(folder.path),
                    },
                    "Remove Folder",
                  ),
                ),
              )
            : null,
        );
        return row;
      }),
    );
  }

  private exclusionsEl(folder: Folder, name: string): HTMLElement {
    const id = uid("exclude");
    const input = h("textarea", {
      id,
      class: "field exclude-input",
      rows: "3",
      spellcheck: "false",
      placeholder: "*.log\nnode_modules\ndrafts/**",
    });
    input.value = folder.exclude.join("\n");
    const save = async () => {
      const patterns = input.value.split("\n").map((p) => p.trim()).filter(Boolean);
      try {
        await ipc.setFolderExclusions(folder.path, patterns);
        this.editing = null;
        this.excludeError = null;
      } catch (error) {
        this.excludeError = ipc.errorText(error);
      }
      await this.refresh();
    };
    input.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        this.editing = null;
        this.render();
      }
    });
    return h(
      "div",
      { class: "confirm exclusions-edit", role: "group", "aria-label": `Exclusions for ${name}` },
      h("label", { for: id }, "Leave out of ", h("strong", null, name), ", one pattern per line:"),
      input,
      h(
        "p",
        { class: "help" },
        "A name matches anywhere (*.log, node_modules); a pattern with / matches from the folder (drafts/**). What they match leaves the index; your files are not touched.",
      ),
      this.excludeError ? h("p", { class: "field-error", role: "alert" }, this.excludeError) : null,
      cancelAnd(
        "confirm-actions",
        () => {
          this.editing = null;
          this.render();
        },
        h("button", { type: "button", class: "btn small primary save-exclusions", onclick: () => void save() }, "Save"),
      ),
    );
  }

  private problemsEl(folder: Folder): HTMLElement {
    const n = folder.problems.length;
    const more = folder.errors - n;
    const details = h(
      "details",
      { class: "problems", open: this.openProblems.has(folder.path) },
      h("summary", null, n === 1 ? "1 file could not be read" : `${plural(n, "file")} could not be read`),
      h(
        "ul",
        null,
        folder.problems.map((p) =>
          h(
            "li",
            null,
            h("span", { class: "problem-path selectable", title: p.path }, p.path),
            h("span", { class: "problem-reason" }, p.reason),
          ),
        ),
        more > 0 ? h("li", { class: "muted" }, `…and ${plural(more, "more")}`) : null,
      ),
    );
    details.addEventListener("toggle", () => {
      if (details.open) this.openProblems.add(folder.path);
      else this.openProblems.delete(folder.path);
    });
    return details;
  }
}

// ---------------------------------------------------------------------------------------------
// Models.

/** A one-line text field that runs `submit` on Enter. */
function entryField(id: string, cls: string, placeholder: string, submit: () => void): HTMLInputElement {
  const input = h("input", { id, class: `field ${cls}`, type: "text", placeholder, autocomplete: "off", spellcheck: "false" });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      submit();
    }
  });
  return input;
}

export class ModelsPanel {
  readonly el: HTMLElement;
  models: Model[] = [];
  /** The catalog's models for this computer, best first. */
  private catalog: CatalogModel[] = [];
  private loaded = false;
  private loadError: string | null = null;
  private defaultError: string | null = null;
  private importing = false;
  private importError: string | null = null;
  private importDone: string | null = null;
  private downloading = false;
  private readonly repoInput: HTMLInputElement;
  private readonly downloadButton: HTMLButtonElement;
  private readonly cancelDownloadButton = h(
    "button",
    {
      type: "button",
      class: "btn cancel-download",
      hidden: true,
      onclick: () => void ipc.cancelDownload().catch((error: unknown) => this.showError(ipc.errorText(error))),
    },
    "Cancel",
  );
  private drawn = "";
  private readonly groupName = uid("model");
  private readonly chatList = h("div", { class: "rows model-list", role: "radiogroup", "aria-label": "Chat model" });
  private readonly embedList = h("ul", { class: "rows model-list embed-list", "aria-label": "Search models" });
  private readonly embedHead = h("h3", { class: "subhead" }, "Search model");
  private readonly errorEl = h("p", { class: "field-error", role: "alert", hidden: true });
  private readonly catalogList = h("ul", { class: "rows model-list catalog-list", "aria-label": "Recommended for this computer" });
  private readonly pathInput: HTMLInputElement;
  private readonly importButton: HTMLButtonElement;
  private readonly importStatus = h("p", { class: "help import-status", role: "status" });

  constructor(private readonly options: { compact: boolean; onChange?: () => void }) {
    const inputId = uid("import-path");
    this.pathInput = entryField(inputId, "import-path", "/path/to/model.gguf or a model folder", () => void this.importModel());
    this.importButton = h(
      "button",
      { type: "button", class: "btn import-model", onclick: () => void this.importModel() },
      "Import",
    );
    const repoId = uid("download-repo");
    this.repoInput = entryField(repoId, "download-repo", "mlx-community/Qwen2.5-3B-Instruct-4bit", () => void this.downloadModel());
    this.downloadButton = h(
      "button",
      { type: "button", class: "btn download-model", onclick: () => void this.downloadModel() },
      "Download",
    );
    const chooseFile = h(
      "button",
      { type: "button", class: "btn", onclick: () => void this.choose("file") },
      "Choose File…",
    );
    const chooseFolder = h(
      "button",
      { type: "button", class: "btn", onclick: () => void this.choose("folder") },
      "Choose Folder…",
    );
    this.el = h(
      "div",
      { class: "models-panel" },
      this.chatList,
      this.embedHead,
      this.embedList,
      this.errorEl,
      h(
        "div",
        { class: "import catalog" },
        h("h3", { class: "subhead" }, "Recommended for this computer"),
        h(
          "p",
          { class: "help" },
          "Chosen for this computer's memory. Downloading is the only time Ledge connects to the internet; an interrupted download resumes.",
        ),
        this.catalogList,
      ),
      h(
        "div",
        { class: "import" },
        h("label", { for: inputId, class: "import-label" }, "Import a model"),
        h("p", { class: "help" }, "A GGUF file or a Hugging Face/MLX model folder already on this computer. It is copied into Ledge's data folder and checked."),
        h("div", { class: "import-row" }, this.pathInput, this.importButton),
        h("div", { class: "import-row choose" }, chooseFile, chooseFolder),
        this.importStatus,
      ),
      h(
        "div",
        { class: "import download" },
        h("label", { for: repoId, class: "import-label" }, "Download a model"),
        h(
          "p",
          { class: "help download-note" },
          "A model on Hugging Face, by its name (owner/model): MLX or safetensors weights. This is the only time Ledge connects to the internet, and only when you press Download; an interrupted download resumes.",
        ),
        h("div", { class: "import-row" }, this.repoInput, this.downloadButton, this.cancelDownloadButton),
      ),
    );
  }

  async refresh(): Promise<void> {
    try {
      this.models = await ipc.models();
      this.loadError = null;
    } catch (error) {
      this.loadError = ipc.errorText(error);
    }
    try {
      this.catalog = await ipc.catalog();
    } catch (error) {
      this.loadError ??= ipc.errorText(error);
    }
    this.loaded = true;
    this.render();
    this.options.onChange?.();
  }

  private async choose(kind: "file" | "folder"): Promise<void> {
    try {
      const path = kind === "folder" ? await ipc.pickFolder() : ((await ipc.pickFiles())[0] ?? null);
      if (path !== null) this.pathInput.value = path;
    } catch (error) {
      this.importError = ipc.errorText(error);
      this.render();
    }
    this.pathInput.focus();
  }

  private async importModel(): Promise<void> {
    const path = this.pathInput.value.trim();
    if (path === "") {
      this.refuse("Enter the path of a GGUF file or a model folder.", this.pathInput);
      return;
    }
    await this.install("import", () => ipc.importModel(path), `Imported ${basename(path)}.`, this.pathInput);
  }

  private async downloadModel(): Promise<void> {
    const repo = this.repoInput.value.trim();
    if (!/^[^/\s]+\/[^/\s]+$/.test(repo)) {
      this.refuse("Enter the model's name on Hugging Face, like mlx-community/Qwen2.5-3B-Instruct-4bit.", this.repoInput);
      return;
    }
    await this.install("download", () => ipc.downloadModel(repo), `Downloaded ${repo}.`, this.repoInput);
  }

  private showError(message: string): void {
    this.importError = message;
    this.render();
  }

  private refuse(message: string, input: HTMLInputElement): void {
    if (this.importing || this.downloading) return;
    this.importError = message;
    this.render();
    input.focus();
  }

  /** Runs an import or a download (one at a time), then shows the models as they are now. */
  private async install(kind: "import" | "download", action: () => Promise<void>, done: string, input: HTMLInputElement): Promise<void> {
    if (this.importing || this.downloading) return;
    this.importing = kind === "import";
    this.downloading = kind === "download";
    this.importError = null;
    this.importDone = null;
    this.render();
    try {
      await action();
      this.importDone = done;
      input.value = "";
    } catch (error) {
      this.importError = ipc.errorText(error);
    }
    this.importing = false;
    this.downloading = false;
    await this.refresh();
    await store.refreshApp();
  }

  private async setDefault(name: string): Promise<void> {
    try {
      await ipc.setDefaultModel(name);
      this.defaultError = null;
    } catch (error) {
      this.defaultError = ipc.errorText(error);
    }
    await this.refresh();
    await store.refreshApp();
    this.chatList.querySelector<HTMLInputElement>("input:checked")?.focus();
  }

  /** The model-state event changes the import progress line. */
  renderStatus(): void {
    const model = store.model;
    if (this.importing || this.downloading) {
      this.importStatus.textContent =
        model && model.state === "loading"
          ? model.step
          : this.downloading
            ? "Downloading…"
            : "Importing… this can take a minute for large models.";
    } else if (this.importError !== null) {
      this.importStatus.textContent = "";
    } else {
      this.importStatus.textContent = this.importDone ?? "";
    }
    this.importButton.disabled = this.importing || this.downloading;
    this.importButton.textContent = this.importing ? "Importing…" : "Import";
    this.downloadButton.disabled = this.importing || this.downloading;
    this.downloadButton.textContent = this.downloading ? "Downloading…" : "Download";
    this.cancelDownloadButton.hidden = !this.downloading;
    for (const button of this.catalogList.querySelectorAll<HTMLButtonElement>("button.catalog-download")) {
      button.disabled = this.importing || this.downloading;
    }
  }

  /** One recommended model: what it is, what it needs, and Download (or Installed). */
  private catalogRow(m: CatalogModel): HTMLElement {
    const tooBig = m.fit === "too-big";
    const details = [
      `${m.params} parameters`,
      `${formatBytes(m.diskBytes)} download`,
      `needs ${formatBytes(m.memoryBytes)} of memory`,
      m.licence,
    ].join(" · ");
    const action = m.installed
      ? h("span", { class: "badge ok" }, "Installed")
      : h(
          "button",
          {
            type: "button",
            class: "btn catalog-download",
            disabled: tooBig || this.importing || this.downloading,
            "aria-label": `Download ${m.id}`,
            onclick: () => void this.install("download", () => ipc.downloadModel(m.repo), `Downloaded ${m.id}.`, this.repoInput),
          },
          "Download",
        );
    return h(
      "li",
      { class: `row model-row catalog-row${tooBig ? " too-big" : ""}`, "data-model": m.id },
      h(
        "div",
        { class: "row-main" },
        h("span", { class: "row-icon" }, icon("chip", 18)),
        h(
          "span",
          { class: "row-text" },
          h(
            "span",
            { class: "row-title" },
            m.id,
            m.recommended ? h("span", { class: "badge" }, "Recommended") : null,
            m.kind === "embedding" ? h("span", { class: "badge" }, "Search") : null,
          ),
          h("span", { class: "row-meta" }, details),
          h("span", { class: "row-meta" }, tooBig ? "Needs more memory than this computer can spare." : m.note),
        ),
        action,
      ),
    );
  }

  render(): void {
    const message = this.importError ?? this.defaultError ?? this.loadError;
    this.errorEl.hidden = message === null;
    this.errorEl.textContent = message ?? "";
    this.renderStatus();
    const model = store.model;
    const loaded = model?.state === "ready" ? model.model : null;
    const key = JSON.stringify([this.loaded, this.models, this.catalog, loaded]);
    if (key === this.drawn) return;
    this.drawn = key;
    if (!this.loaded) {
      setChildren(this.chatList, h("div", { class: "row muted" }, "Loading models…"));
      return;
    }
    // The welcome shows only what fits; the settings show the rest too, marked.
    const offered = this.options.compact ? this.catalog.filter((m) => m.fit === "fits").slice(0, 4) : this.catalog;
    setChildren(
      this.catalogList,
      offered.length === 0 ? h("li", { class: "row muted" }, "No recommendation for this computer.") : offered.map((m) => this.catalogRow(m)),
    );
    const chat = this.models.filter((m) => m.role === "chat");
    const embed = this.models.filter((m) => m.role === "embedding");
    if (chat.length === 0) {
      setChildren(
        this.chatList,
        h("div", { class: "row muted empty-row" }, "No chat model installed yet. Download a recommended one or import one below."),
      );
    } else {
      setChildren(
        this.chatList,
        chat.map((m) => {
          const id = uid("model-radio");
          const radio = h("input", {
            id,
            type: "radio",
            name: this.groupName,
            value: m.name,
            checked: m.isDefault,
            disabled: m.problem !== null,
          });
          radio.addEventListener("change", () => {
            if (radio.checked) void this.setDefault(m.name);
          });
          const details = [m.architecture, formatBytes(m.bytes)].filter(Boolean).join(" · ");
          return h(
            "div",
            { class: `row model-row${m.isDefault ? " is-default" : ""}` },
            h(
              "label",
              { for: id, class: "row-main" },
              radio,
              h(
                "span",
                { class: "row-text" },
                h(
                  "span",
                  { class: "row-title" },
                  m.name,
                  m.isDefault ? h("span", { class: "badge" }, "Default") : null,
                  loaded === m.name ? h("span", { class: "badge ok" }, "Loaded") : null,
                ),
                h("span", { class: "row-meta" }, details),
                m.problem ? h("span", { class: "row-problem" }, m.problem) : null,
              ),
            ),
          );
        }),
      );
    }
    this.embedHead.hidden = embed.length === 0 || this.options.compact;
    this.embedList.hidden = embed.length === 0 || this.options.compact;
    setChildren(
      this.embedList,
      embed.map((m) =>
        h(
          "li",
          { class: "row model-row" },
          h(
            "div",
            { class: "row-main" },
            h("span", { class: "row-icon" }, icon("chip", 18)),
            h(
              "span",
              { class: "row-text" },
              h("span", { class: "row-title" }, m.name, m.isDefault ? h("span", { class: "badge" }, "In use") : null),
              h(
                "span",
                { class: "row-meta" },
                [m.architecture, formatBytes(m.bytes), "finds passages by meaning"].filter(Boolean).join(" · "),
              ),
              m.problem ? h("span", { class: "row-problem" }, m.problem) : null,
            ),
          ),
        ),
      ),
    );
  }
}

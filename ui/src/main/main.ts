// The chat window (label `main`): a sidebar of conversations, the current view (chat,
// settings, or first-run welcome, chosen by the URL hash) and a status footer.

import "../styles/base.css";
import "../styles/app.css";

import * as ipc from "../ipc";
import { h, setChildren } from "../lib/dom";
import { relativeTime } from "../lib/format";
import { icon } from "../lib/icons";
import { parseRoute, routeHash, type Route } from "../lib/route";
import { indexingBusy, indexingFraction, indexingText, modelText, modelTone } from "../lib/status";
import { ChatView } from "./chat";
import { navigate, type View } from "./nav";
import { SettingsView } from "./settings";
import { store } from "./store";
import { WelcomeView } from "./welcome";

const app = document.getElementById("app") as HTMLElement;

// ---------------------------------------------------------------------------------------------
// Sidebar.

const newChatButton = h(
  "button",
  { type: "button", class: "btn new-chat", title: "New chat" },
  icon("plus", 15),
  "New Chat",
);
const conversationList = h("ul", { class: "conversations", "aria-label": "Conversations" });
const settingsLink = h("a", { class: "nav-link", href: "#/settings" }, icon("gear", 15), "Settings");
const sidebar = h(
  "nav",
  { class: "sidebar", "aria-label": "Ledge" },
  h("div", { class: "sidebar-head" }, h("span", { class: "brand" }, "Ledge"), newChatButton),
  h("div", { class: "sidebar-scroll" }, conversationList),
  h("div", { class: "sidebar-foot" }, settingsLink),
);

/** The conversation whose delete is awaiting confirmation. */
let confirmingDelete: number | null = null;

function renderSidebar(): void {
  const route = parseRoute(location.hash);
  const current = route.view === "chat" ? route.conversationId : null;
  settingsLink.toggleAttribute("aria-current", route.view === "settings");
  if (route.view === "settings") settingsLink.setAttribute("aria-current", "page");
  const now = Date.now();
  if (store.conversations.length === 0) {
    setChildren(conversationList, h("li", { class: "conversations-empty" }, "No conversations yet"));
    return;
  }
  setChildren(
    conversationList,
    store.conversations.map((c) => {
      const title = c.title.trim() || "Untitled";
      if (confirmingDelete === c.id) {
        return h(
          "li",
          { class: "conv confirming" },
          h("span", { class: "confirm-text" }, `Delete “${title}”?`),
          h(
            "span",
            { class: "confirm-actions" },
            h(
              "button",
              { type: "button", class: "btn small", onclick: () => cancelDelete() },
              "Cancel",
            ),
            h(
              "button",
              {
                type: "button",
                class: "btn small danger solid",
                "data-confirm-delete": String(c.id),
                onclick: () => void deleteConversation(c.id),
              },
              "Delete",
            ),
          ),
        );
      }
      return h(
        "li",
        { class: `conv${c.id === current ? " current" : ""}` },
        h(
          "a",
          {
            href: routeHash({ view: "chat", conversationId: c.id }),
            "aria-current": c.id === current ? "page" : null,
          },
          h("span", { class: "conv-title" }, title),
          h("span", { class: "conv-meta" }, relativeTime(c.updatedAt, now)),
        ),
        h(
          "button",
          {
            type: "button",
            class: "conv-delete",
            "aria-label": `Delete conversation “${title}”`,
            title: "Delete",
            onclick: () => askDelete(c.id),
          },
          icon("trash", 14),
        ),
      );
    }),
  );
}

function askDelete(id: number): void {
  confirmingDelete = id;
  renderSidebar();
  conversationList.querySelector<HTMLButtonElement>(`[data-confirm-delete="${id}"]`)?.focus();
}

function cancelDelete(): void {
  const id = confirmingDelete;
  confirmingDelete = null;
  renderSidebar();
  conversationList.querySelector<HTMLAnchorElement>(`a[href="#/chat/${id}"]`)?.focus();
}

async function deleteConversation(id: number): Promise<void> {
  confirmingDelete = null;
  try {
    await ipc.deleteConversation(id);
  } catch (error) {
    store.problem = ipc.errorText(error);
  }
  const route = parseRoute(location.hash);
  if (route.view === "chat" && route.conversationId === id) navigate({ view: "chat", conversationId: null });
  await store.refreshConversations();
  newChatButton.focus();
}

newChatButton.addEventListener("click", () => {
  navigate({ view: "chat", conversationId: null });
  current?.focus();
});

// ---------------------------------------------------------------------------------------------
// Footer: the model and the indexer.

const modelDot = h("span", { class: "dot" });
const modelLabel = h("span", { class: "footer-text" });
const indexLabel = h("span", { class: "footer-text" });
const indexBar = h("span", { class: "progress footer-progress", role: "presentation" }, h("span"));
const indexLink = h("a", { class: "footer-index", href: "#/settings", title: "Indexing (open Settings)" }, indexBar, indexLabel);
const footer = h(
  "footer",
  { class: "footer", role: "status", "aria-label": "Status" },
  h("span", { class: "footer-model" }, modelDot, modelLabel),
  indexLink,
);

function renderFooter(): void {
  const model = store.model;
  modelLabel.textContent = model ? modelText(model) : "Connecting…";
  modelDot.className = `dot ${model ? modelTone(model) : "busy"}`;
  const indexing = store.indexing;
  if (!indexing) {
    indexLink.hidden = true;
    return;
  }
  indexLink.hidden = false;
  indexLabel.textContent = indexingText(indexing);
  const busy = indexingBusy(indexing);
  indexBar.hidden = !busy;
  const fraction = indexingFraction(indexing);
  indexBar.classList.toggle("indeterminate", busy && fraction === null);
  (indexBar.firstElementChild as HTMLElement).style.width = `${Math.round((fraction ?? 0) * 100)}%`;
}

// ---------------------------------------------------------------------------------------------
// Layout and routing.

const problemBanner = h("div", { class: "banner", role: "alert", hidden: true });
const content = h("main", { class: "content", id: "content" });
const mainColumn = h("div", { class: "main-column" }, problemBanner, content, footer);
const dropOverlay = h(
  "div",
  { class: "drop-overlay", hidden: true, "aria-hidden": "true" },
  h("div", { class: "drop-card" }, icon("clip", 28), h("p", null, "Drop to pin these files to your question")),
);
app.append(sidebar, mainColumn, dropOverlay);

let current: View | null = null;
let currentKind: Route["view"] | null = null;

function applyRoute(): void {
  let route = parseRoute(location.hash);
  if (store.app && !store.app.onboarded && route.view !== "welcome") {
    route = { view: "welcome" };
    history.replaceState(null, "", routeHash(route));
  }
  if (currentKind !== route.view || !current) {
    current?.destroy();
    current =
      route.view === "chat"
        ? new ChatView(route.conversationId)
        : route.view === "settings"
          ? new SettingsView()
          : new WelcomeView(() => navigate({ view: "chat", conversationId: null }));
    currentKind = route.view;
    content.replaceChildren(current.el);
    current.focus();
  } else {
    current.route(route);
  }
  app.classList.toggle("welcome-mode", route.view === "welcome");
  document.title =
    route.view === "settings" ? "Ledge Settings" : route.view === "welcome" ? "Welcome to Ledge" : "Ledge";
  renderSidebar();
}

window.addEventListener("hashchange", applyRoute);

// The contract has no "conversations changed" event; questions asked in the popup show up in
// the list when this window comes back to the front.
window.addEventListener("focus", () => {
  if (store.app?.onboarded) void store.refreshConversations();
});

// App-wide shortcuts: Cmd/Ctrl+N new chat, Cmd/Ctrl+, settings.
document.addEventListener("keydown", (event) => {
  const mod = store.platform === "macos" ? event.metaKey : event.ctrlKey;
  if (!mod || event.altKey || event.shiftKey) return;
  if (event.key === "n" && currentKind !== "welcome") {
    event.preventDefault();
    newChatButton.click();
  } else if (event.key === "," && currentKind !== "welcome") {
    event.preventDefault();
    navigate({ view: "settings" });
  }
});

store.subscribe(() => {
  renderSidebar();
  renderFooter();
  problemBanner.hidden = store.problem === null;
  problemBanner.textContent = store.problem ?? "";
});

async function start(): Promise<void> {
  renderFooter();
  renderSidebar();
  try {
    await Promise.all([
      ipc.onModelState((model) => store.setModel(model)),
      ipc.onIndexing((indexing) => store.setIndexing(indexing)),
      ipc.onNavigate(({ view, conversationId }) => {
        // The popup may have started this conversation: fetch the list first.
        void store.refreshConversations().then(() =>
          navigate(view === "chat" ? { view, conversationId } : { view }),
        );
      }),
      ipc.onFileDrop({
        hover: (over) => {
          dropOverlay.hidden = !(over && current?.drop !== undefined);
        },
        drop: (paths) => current?.drop?.(paths),
      }),
    ]);
  } catch (error) {
    store.problem = `Ledge's core is not answering: ${ipc.errorText(error)}`;
  }
  await store.refreshApp();
  await store.refreshConversations();
  applyRoute();
}

void start();

// Words and checks for backends (where answers are computed) that the settings and the chat
// window share. The core checks everything again; these only let the form say what is wrong
// before a round trip.

import type { Backend, FoundServer } from "../ipc";

/** The built-in model's name wherever a backend name is expected (as in the core). */
export const LOCAL = "local";

/** How a backend is named in pickers: the built-in model in words, an endpoint by name and place. */
export function backendLabel(backend: Backend): string {
  if (backend.name === LOCAL) return "This computer (built-in model)";
  return backend.refused ? `${backend.name} (refused)` : `${backend.name} · ${backend.placement}`;
}

/** What is wrong with a backend name, as the core's rules say; `null` when it is fine. */
export function nameProblem(name: string, taken: readonly string[]): string | null {
  if (name.length === 0) return "Give it a name.";
  if (name.length > 64) return "Use at most 64 characters.";
  if (name === LOCAL) return "“local” is the built-in model; choose another name.";
  if (!/^[A-Za-z0-9._-]+$/.test(name)) return "Use letters, digits, “-”, “_” and “.”.";
  if (taken.includes(name)) return `There is already a backend named “${name}”.`;
  return null;
}

/** What is wrong with an address before the core parses it; `null` when it may be fine. */
export function addressProblem(address: string): string | null {
  const text = address.trim();
  if (text.length === 0) return "Enter the server's address, like 192.168.1.20:8080.";
  if (/^https:\/\//i.test(text)) return "Use http://: Ledge talks plain HTTP to servers on your own machines.";
  return null;
}

/** A free name for a server found on this computer: "lm-studio", "ollama-2", ... */
export function suggestName(found: FoundServer, taken: readonly string[]): string {
  const base =
    (found.product.toLowerCase().split("/")[0] ?? "")
      .trim()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "server";
  if (!taken.includes(base) && base !== LOCAL) return base;
  for (let n = 2; ; n += 1) {
    const name = `${base}-${n}`;
    if (!taken.includes(name)) return name;
  }
}

/** The model to ask a found server for: its only one, else none (the person chooses). */
export function suggestModel(found: FoundServer): string | null {
  return found.models.length === 1 ? (found.models[0] ?? null) : null;
}

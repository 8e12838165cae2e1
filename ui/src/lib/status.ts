// One-line texts for the model and the indexer, shown in status bars and settings.

import type { IndexingState, ModelState } from "../ipc";
import { basename, formatCount } from "./format";

export function modelText(model: ModelState): string {
  switch (model.state) {
    case "none":
      return "No model installed";
    case "notLoaded":
      return "Model loads on first question";
    case "loading":
      return model.step || "Loading model…";
    case "ready":
      return `${model.model} ready`;
    case "failed":
      return `Model failed: ${model.message}`;
  }
}

/** "ok" (green), "busy" (animated), "off" (grey), "bad" (red): the dot beside modelText. */
export function modelTone(model: ModelState): "ok" | "busy" | "off" | "bad" {
  switch (model.state) {
    case "ready":
      return "ok";
    case "loading":
      return "busy";
    case "failed":
      return "bad";
    default:
      return "off";
  }
}

/** Progress in 0..1, or null when there is none to show (idle, or total unknown). */
export function indexingFraction(state: IndexingState): number | null {
  if (!state.running || state.total === null || state.total <= 0) return null;
  return Math.min(1, Math.max(0, state.done / state.total));
}

/**
 * "Scanning Notes: 120 of 500 files", "Embedding passages: 1,200 of 3,400 (35%)",
 * "Indexing paused", "Index up to date", or the last error.
 */
export function indexingText(state: IndexingState): string {
  if (state.paused) return "Indexing paused";
  if (!state.running || state.phase === "idle") {
    return state.lastError ? `Indexing stopped: ${state.lastError}` : "Index up to date";
  }
  const count =
    state.total === null
      ? formatCount(state.done)
      : `${formatCount(state.done)} of ${formatCount(state.total)}`;
  if (state.phase === "scanning") {
    const where = state.folder ? ` ${basename(state.folder)}` : "";
    return `Scanning${where}: ${count} files`;
  }
  const fraction = indexingFraction(state);
  const percent = fraction === null ? "" : ` (${Math.floor(fraction * 100)}%)`;
  return `Embedding passages: ${count}${percent}`;
}

/** Whether the indexer is doing something worth a progress bar. */
export function indexingBusy(state: IndexingState): boolean {
  return state.running && !state.paused && state.phase !== "idle";
}

// What a key does in the popup. The input keeps the focus the whole time (a combobox): the
// arrow keys move a selection through the sources below it, Enter asks — or opens the selected
// source — and Esc hides the popup.

export interface PopupKeyContext {
  /** Index of the selected source, or null while the input itself is "selected". */
  selected: number | null;
  sourceCount: number;
  /** Whether the input holds a question (non-blank). */
  hasQuestion: boolean;
  /** Whether an answer is being searched for or written. */
  busy: boolean;
  platform: "macos" | "linux" | "windows";
}

export interface PopupKey {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  isComposing?: boolean;
}

export type PopupAction =
  | { type: "none" }
  | { type: "select"; index: number | null }
  | { type: "open"; index: number }
  | { type: "ask" }
  | { type: "stop" }
  | { type: "hide" }
  | { type: "continue" }
  | { type: "settings" };

const NONE: PopupAction = { type: "none" };

/** The platform's command modifier: Cmd on macOS, Ctrl elsewhere. */
export function hasMod(press: PopupKey, platform: PopupKeyContext["platform"]): boolean {
  return platform === "macos" ? press.metaKey : press.ctrlKey;
}

export function popupKey(ctx: PopupKeyContext, press: PopupKey): PopupAction {
  if (press.isComposing) return NONE; // an input method is composing text: leave it alone
  const mod = hasMod(press, ctx.platform);
  switch (press.key) {
    case "Escape":
      return { type: "hide" };
    case "ArrowDown":
      if (ctx.sourceCount === 0 || mod || press.altKey || press.shiftKey) return NONE;
      if (ctx.selected === null) return { type: "select", index: 0 };
      return { type: "select", index: Math.min(ctx.selected + 1, ctx.sourceCount - 1) };
    case "ArrowUp":
      if (ctx.selected === null || mod || press.altKey || press.shiftKey) return NONE;
      return { type: "select", index: ctx.selected === 0 ? null : ctx.selected - 1 };
    case "Enter":
      if (mod) return { type: "continue" };
      if (press.shiftKey || press.altKey || press.ctrlKey || press.metaKey) return NONE;
      if (ctx.selected !== null && ctx.selected < ctx.sourceCount) {
        return { type: "open", index: ctx.selected };
      }
      return ctx.hasQuestion ? { type: "ask" } : NONE;
    case ".":
      return mod && ctx.busy ? { type: "stop" } : NONE;
    case ",":
      return mod ? { type: "settings" } : NONE;
    default:
      return NONE;
  }
}

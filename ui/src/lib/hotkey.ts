// The global hotkey as a string ("Ctrl+Alt+Space"): recorded from a key press in Settings,
// checked before it is sent to `set_hotkey`, and shown the platform's way.
//
// The canonical form is modifiers in the order Ctrl, Alt, Shift, Cmd (macOS) / Super (others),
// then one key named like the DOM's `KeyboardEvent.code` without its "Key"/"Digit" prefix:
// "A", "7", "Space", "F5", "ArrowUp", "Comma". These are names the shell's hotkey parser
// (tauri-plugin-global-shortcut) accepts. `code` is used rather than `key` so the shortcut
// does not depend on the keyboard layout or on what Alt/Option does to a letter.

import type { Platform } from "../ipc";

export type Modifier = "Ctrl" | "Alt" | "Shift" | "Cmd" | "Super";

const MODIFIER_ORDER: Modifier[] = ["Ctrl", "Alt", "Shift", "Cmd", "Super"];

/** The keys a shortcut may end with, beyond letters, digits and F1–F24. */
const NAMED_KEYS = new Set([
  "Space",
  "Enter",
  "Tab",
  "Backspace",
  "Delete",
  "Insert",
  "Home",
  "End",
  "PageUp",
  "PageDown",
  "ArrowUp",
  "ArrowDown",
  "ArrowLeft",
  "ArrowRight",
  "Minus",
  "Equal",
  "BracketLeft",
  "BracketRight",
  "Backslash",
  "Semicolon",
  "Quote",
  "Backquote",
  "Comma",
  "Period",
  "Slash",
]);

const MODIFIER_CODES = /^(Control|Alt|Shift|Meta|OS|Super|Hyper|Fn|CapsLock)(Left|Right)?$/;

/** The subset of a KeyboardEvent the recorder reads (so tests can pass plain objects). */
export interface KeyPress {
  code: string;
  key: string;
  ctrlKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
  metaKey: boolean;
}

export type RecordResult =
  /** Only modifiers so far: show them ("Ctrl+Alt+…") and keep listening. */
  | { kind: "pending"; modifiers: Modifier[] }
  /** Escape: stop recording, keep the old shortcut. */
  | { kind: "cancel" }
  | { kind: "done"; hotkey: string }
  | { kind: "invalid"; message: string };

function metaName(platform: Platform): Modifier {
  return platform === "macos" ? "Cmd" : "Super";
}

function heldModifiers(press: KeyPress, platform: Platform): Modifier[] {
  const mods: Modifier[] = [];
  if (press.ctrlKey) mods.push("Ctrl");
  if (press.altKey) mods.push("Alt");
  if (press.shiftKey) mods.push("Shift");
  if (press.metaKey) mods.push(metaName(platform));
  return mods;
}

/** "KeyA" -> "A", "Digit7" -> "7", "Numpad7" -> "Numpad7", "F5" -> "F5"; null if unusable. */
export function keyName(code: string): string | null {
  let m = /^Key([A-Z])$/.exec(code);
  if (m) return m[1] ?? null;
  m = /^Digit([0-9])$/.exec(code);
  if (m) return m[1] ?? null;
  if (/^F([1-9]|1[0-9]|2[0-4])$/.test(code)) return code;
  if (/^Numpad[0-9]$/.test(code)) return code;
  if (NAMED_KEYS.has(code)) return code;
  return null;
}

function isFunctionKey(key: string): boolean {
  return /^F([1-9]|1[0-9]|2[0-4])$/.test(key);
}

/** What is wrong with a shortcut made of these parts, or null when it is usable. */
function problemOf(modifiers: Modifier[], key: string): string | null {
  const strong = modifiers.filter((m) => m !== "Shift");
  if (strong.length === 0 && !isFunctionKey(key)) {
    return "Add Ctrl, Alt or Cmd/Super: a shortcut without one would fire while you type.";
  }
  return null;
}

export function formatHotkey(modifiers: Modifier[], key: string): string {
  const sorted = [...new Set(modifiers)].sort(
    (a, b) => MODIFIER_ORDER.indexOf(a) - MODIFIER_ORDER.indexOf(b),
  );
  return [...sorted, key].join("+");
}

/** Turns one keydown during recording into the next step. */
export function recordHotkey(press: KeyPress, platform: Platform): RecordResult {
  const modifiers = heldModifiers(press, platform);
  if (press.code === "Escape" && modifiers.length === 0) return { kind: "cancel" };
  if (MODIFIER_CODES.test(press.code) || press.key === "Dead" || press.code === "") {
    return { kind: "pending", modifiers };
  }
  const key = keyName(press.code);
  if (key === null) {
    return { kind: "invalid", message: `${press.key || press.code} can't be used in a shortcut.` };
  }
  const problem = problemOf(modifiers, key);
  if (problem) return { kind: "invalid", message: problem };
  return { kind: "done", hotkey: formatHotkey(modifiers, key) };
}

const MODIFIER_ALIASES: Record<string, Modifier> = {
  ctrl: "Ctrl",
  control: "Ctrl",
  alt: "Alt",
  option: "Alt",
  opt: "Alt",
  shift: "Shift",
  cmd: "Cmd",
  command: "Cmd",
  super: "Super",
  meta: "Super",
  win: "Super",
};

/**
 * Reads a typed or stored shortcut ("ctrl + alt + space", "Option+K") into the canonical
 * form, or explains why it can't be one.
 */
export function parseHotkey(
  text: string,
  platform: Platform,
): { ok: true; hotkey: string } | { ok: false; message: string } {
  const parts = text
    .split("+")
    .map((part) => part.trim())
    .filter((part) => part !== "");
  if (parts.length === 0) return { ok: false, message: "Press a key combination." };
  const last = parts[parts.length - 1] ?? "";
  const modifiers: Modifier[] = [];
  for (const part of parts.slice(0, -1)) {
    const modifier = MODIFIER_ALIASES[part.toLowerCase()];
    if (!modifier) return { ok: false, message: `${part} is not a modifier key.` };
    modifiers.push(modifier === "Cmd" || modifier === "Super" ? metaName(platform) : modifier);
  }
  if (MODIFIER_ALIASES[last.toLowerCase()]) {
    return { ok: false, message: "A shortcut needs a key besides the modifiers." };
  }
  const key = canonicalKey(last);
  if (key === null) return { ok: false, message: `${last} can't be used in a shortcut.` };
  const problem = problemOf(modifiers, key);
  if (problem) return { ok: false, message: problem };
  return { ok: true, hotkey: formatHotkey(modifiers, key) };
}

const ARROWS: Record<string, string> = {
  up: "ArrowUp",
  down: "ArrowDown",
  left: "ArrowLeft",
  right: "ArrowRight",
};

function canonicalKey(text: string): string | null {
  if (/^[a-z]$/i.test(text)) return text.toUpperCase();
  if (/^[0-9]$/.test(text)) return text;
  const lower = text.toLowerCase();
  const fn = /^f([0-9]{1,2})$/.exec(lower);
  if (fn) return keyName(`F${fn[1]}`);
  const byCode = keyName(text) ?? keyName(`Key${text}`) ?? keyName(`Digit${text}`);
  if (byCode) return byCode;
  const arrow = ARROWS[lower];
  if (arrow) return arrow;
  for (const name of NAMED_KEYS) if (name.toLowerCase() === lower) return name;
  return null;
}

const MAC_SYMBOLS: Record<string, string> = {
  Ctrl: "⌃",
  Alt: "⌥",
  Shift: "⇧",
  Cmd: "⌘",
  Super: "⌘",
};

const KEY_LABELS: Record<string, string> = {
  ArrowUp: "↑",
  ArrowDown: "↓",
  ArrowLeft: "←",
  ArrowRight: "→",
  Minus: "-",
  Equal: "=",
  BracketLeft: "[",
  BracketRight: "]",
  Backslash: "\\",
  Semicolon: ";",
  Quote: "'",
  Backquote: "`",
  Comma: ",",
  Period: ".",
  Slash: "/",
};

/**
 * The shortcut as key caps to show: ["⌃", "⌥", "Space"] on macOS, ["Ctrl", "Alt", "Space"]
 * elsewhere; Alt is "Option" in words on a Mac.
 */
export function hotkeyCaps(hotkey: string, platform: Platform): string[] {
  const parts = hotkey.split("+").filter((p) => p !== "");
  return parts.map((part, i) => {
    const isKey = i === parts.length - 1;
    if (!isKey && platform === "macos") return MAC_SYMBOLS[part] ?? part;
    return KEY_LABELS[part] ?? part;
  });
}

/** The shortcut in words for sentences and labels ("Ctrl+Alt+Space", "⌃⌥Space"). */
export function hotkeyText(hotkey: string, platform: Platform): string {
  const caps = hotkeyCaps(hotkey, platform);
  return platform === "macos" ? caps.join("") : caps.join("+");
}

/** The in-app modifier for shortcuts like "continue in chat": ⌘ on macOS, Ctrl elsewhere. */
export function modKeyLabel(platform: Platform): string {
  return platform === "macos" ? "⌘" : "Ctrl+";
}

import { describe, expect, it } from "vitest";
import { hotkeyCaps, hotkeyText, keyName, parseHotkey, recordHotkey, type KeyPress } from "./hotkey";

const press = (code: string, mods: Partial<KeyPress> = {}, key = ""): KeyPress => ({
  code,
  key,
  ctrlKey: false,
  altKey: false,
  shiftKey: false,
  metaKey: false,
  ...mods,
});

describe("recording a hotkey", () => {
  it("builds Ctrl+Alt+Space from a key press", () => {
    expect(recordHotkey(press("Space", { ctrlKey: true, altKey: true }, " "), "linux")).toEqual({
      kind: "done",
      hotkey: "Ctrl+Alt+Space",
    });
  });

  it("uses the physical key, not the character Option produced", () => {
    expect(recordHotkey(press("KeyK", { altKey: true }, "˚"), "macos")).toEqual({ kind: "done", hotkey: "Alt+K" });
  });

  it("orders modifiers canonically and names Meta per platform", () => {
    const all = { ctrlKey: true, altKey: true, shiftKey: true, metaKey: true };
    expect(recordHotkey(press("Digit1", all), "macos")).toEqual({ kind: "done", hotkey: "Ctrl+Alt+Shift+Cmd+1" });
    expect(recordHotkey(press("Digit1", all), "linux")).toEqual({ kind: "done", hotkey: "Ctrl+Alt+Shift+Super+1" });
  });

  it("waits while only modifiers are held", () => {
    expect(recordHotkey(press("ControlLeft", { ctrlKey: true }, "Control"), "linux")).toEqual({
      kind: "pending",
      modifiers: ["Ctrl"],
    });
    expect(recordHotkey(press("AltRight", { ctrlKey: true, altKey: true }, "Alt"), "linux")).toEqual({
      kind: "pending",
      modifiers: ["Ctrl", "Alt"],
    });
  });

  it("rejects shortcuts that would fire while typing", () => {
    expect(recordHotkey(press("KeyA"), "linux").kind).toBe("invalid");
    expect(recordHotkey(press("KeyA", { shiftKey: true }), "linux").kind).toBe("invalid");
    expect(recordHotkey(press("F5"), "linux")).toEqual({ kind: "done", hotkey: "F5" });
  });

  it("cancels on a bare Escape and rejects keys it cannot name", () => {
    expect(recordHotkey(press("Escape", {}, "Escape"), "linux")).toEqual({ kind: "cancel" });
    const r = recordHotkey(press("MediaPlayPause", { ctrlKey: true }, "MediaPlayPause"), "linux");
    expect(r.kind).toBe("invalid");
  });

  it("names keys like the DOM's code without prefixes", () => {
    expect(keyName("KeyQ")).toBe("Q");
    expect(keyName("Digit0")).toBe("0");
    expect(keyName("F24")).toBe("F24");
    expect(keyName("F25")).toBeNull();
    expect(keyName("Comma")).toBe("Comma");
    expect(keyName("IntlBackslash")).toBeNull();
  });
});

describe("parsing and showing a hotkey", () => {
  it("normalizes typed forms", () => {
    expect(parseHotkey("ctrl + alt + space", "linux")).toEqual({ ok: true, hotkey: "Ctrl+Alt+Space" });
    expect(parseHotkey("Option+k", "macos")).toEqual({ ok: true, hotkey: "Alt+K" });
    expect(parseHotkey("Super+up", "macos")).toEqual({ ok: true, hotkey: "Cmd+ArrowUp" });
    expect(parseHotkey("Alt+Shift+f12", "linux")).toEqual({ ok: true, hotkey: "Alt+Shift+F12" });
  });

  it("explains what is wrong", () => {
    expect(parseHotkey("", "linux")).toMatchObject({ ok: false });
    expect(parseHotkey("Ctrl+Alt", "linux")).toEqual({ ok: false, message: "A shortcut needs a key besides the modifiers." });
    expect(parseHotkey("Hyper+A", "linux")).toEqual({ ok: false, message: "Hyper is not a modifier key." });
    expect(parseHotkey("Shift+A", "linux")).toMatchObject({ ok: false });
  });

  it("shows symbols on macOS and words elsewhere", () => {
    expect(hotkeyCaps("Ctrl+Alt+Space", "macos")).toEqual(["⌃", "⌥", "Space"]);
    expect(hotkeyCaps("Ctrl+Alt+Space", "linux")).toEqual(["Ctrl", "Alt", "Space"]);
    expect(hotkeyText("Cmd+Shift+Comma", "macos")).toBe("⌘⇧,");
    expect(hotkeyText("Super+ArrowUp", "linux")).toBe("Super+↑");
  });
});

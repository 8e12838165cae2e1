import { describe, expect, it } from "vitest";
import { popupKey, type PopupKey, type PopupKeyContext } from "./popupKeys";

const ctx = (over: Partial<PopupKeyContext> = {}): PopupKeyContext => ({
  selected: null,
  sourceCount: 3,
  hasQuestion: true,
  busy: false,
  platform: "linux",
  ...over,
});
const key = (k: string, over: Partial<PopupKey> = {}): PopupKey => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  shiftKey: false,
  altKey: false,
  ...over,
});

describe("popup keys", () => {
  it("moves through sources with the arrows, stopping at the ends", () => {
    expect(popupKey(ctx(), key("ArrowDown"))).toEqual({ type: "select", index: 0 });
    expect(popupKey(ctx({ selected: 0 }), key("ArrowDown"))).toEqual({ type: "select", index: 1 });
    expect(popupKey(ctx({ selected: 2 }), key("ArrowDown"))).toEqual({ type: "select", index: 2 });
    expect(popupKey(ctx({ selected: 1 }), key("ArrowUp"))).toEqual({ type: "select", index: 0 });
    expect(popupKey(ctx({ selected: 0 }), key("ArrowUp"))).toEqual({ type: "select", index: null });
    expect(popupKey(ctx(), key("ArrowUp"))).toEqual({ type: "none" });
    expect(popupKey(ctx({ sourceCount: 0 }), key("ArrowDown"))).toEqual({ type: "none" });
  });

  it("Enter opens the selected source, or asks", () => {
    expect(popupKey(ctx({ selected: 1 }), key("Enter"))).toEqual({ type: "open", index: 1 });
    expect(popupKey(ctx(), key("Enter"))).toEqual({ type: "ask" });
    expect(popupKey(ctx({ hasQuestion: false }), key("Enter"))).toEqual({ type: "none" });
    expect(popupKey(ctx(), key("Enter", { shiftKey: true }))).toEqual({ type: "none" });
  });

  it("the platform's command key + Enter continues in chat", () => {
    expect(popupKey(ctx(), key("Enter", { ctrlKey: true }))).toEqual({ type: "continue" });
    expect(popupKey(ctx({ platform: "macos" }), key("Enter", { metaKey: true }))).toEqual({ type: "continue" });
    // Ctrl+Enter on a Mac is not the command key: nothing happens.
    expect(popupKey(ctx({ platform: "macos" }), key("Enter", { ctrlKey: true }))).toEqual({ type: "none" });
  });

  it("Esc hides, even with a source selected", () => {
    expect(popupKey(ctx({ selected: 2 }), key("Escape"))).toEqual({ type: "hide" });
  });

  it("Cmd/Ctrl+. stops only while busy; Cmd/Ctrl+, opens settings", () => {
    expect(popupKey(ctx({ busy: true }), key(".", { ctrlKey: true }))).toEqual({ type: "stop" });
    expect(popupKey(ctx({ busy: false }), key(".", { ctrlKey: true }))).toEqual({ type: "none" });
    expect(popupKey(ctx(), key(",", { ctrlKey: true }))).toEqual({ type: "settings" });
  });

  it("leaves keys alone while an input method composes", () => {
    expect(popupKey(ctx(), key("Enter", { isComposing: true }))).toEqual({ type: "none" });
  });
});

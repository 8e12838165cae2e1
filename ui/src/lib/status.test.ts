import { describe, expect, it } from "vitest";
import { indexing } from "./fixtures.test-util";
import { indexingBusy, indexingFraction, indexingText, modelText, modelTone } from "./status";

describe("indexing progress text", () => {
  it("counts files while scanning, naming the folder", () => {
    const s = indexing({ running: true, phase: "scanning", folder: "/home/me/Notes", done: 120, total: 500 });
    expect(indexingText(s)).toBe("Scanning Notes: 120 of 500 files");
    expect(indexingFraction(s)).toBeCloseTo(0.24);
  });

  it("shows passages and a percentage while embedding", () => {
    const s = indexing({ running: true, phase: "embedding", done: 1200, total: 3400 });
    expect(indexingText(s)).toBe("Embedding passages: 1,200 of 3,400 (35%)");
  });

  it("copes with an unknown total", () => {
    const s = indexing({ running: true, phase: "scanning", folder: null, done: 42, total: null });
    expect(indexingText(s)).toBe("Scanning: 42 files");
    expect(indexingFraction(s)).toBeNull();
    expect(indexingBusy(s)).toBe(true);
  });

  it("says paused, up to date, or the last error", () => {
    expect(indexingText(indexing({ running: true, paused: true, phase: "embedding" }))).toBe("Indexing paused");
    expect(indexingBusy(indexing({ running: true, paused: true, phase: "embedding" }))).toBe(false);
    expect(indexingText(indexing())).toBe("Index up to date");
    expect(indexingText(indexing({ lastError: "disk full" }))).toBe("Indexing stopped: disk full");
  });
});

describe("model text", () => {
  it("describes each state", () => {
    expect(modelText({ state: "none" })).toBe("No model installed");
    expect(modelText({ state: "loading", step: "Loading smollm2 (3 of 5)…" })).toBe("Loading smollm2 (3 of 5)…");
    expect(modelText({ state: "ready", model: "smollm2" })).toBe("smollm2 ready");
    expect(modelText({ state: "failed", message: "bad file" })).toBe("Model failed: bad file");
    expect(modelTone({ state: "loading", step: "" })).toBe("busy");
    expect(modelTone({ state: "failed", message: "" })).toBe("bad");
  });
});

import { describe, expect, it } from "vitest";
import { basename, dirname, formatBytes, plural, relativeTime, truncate } from "./format";

describe("formatBytes", () => {
  it("uses decimal units with one decimal below 10", () => {
    expect(formatBytes(0)).toBe("0 bytes");
    expect(formatBytes(1)).toBe("1 byte");
    expect(formatBytes(999)).toBe("999 bytes");
    expect(formatBytes(1500)).toBe("1.5 kB");
    expect(formatBytes(812_000_000)).toBe("812 MB");
    expect(formatBytes(1_300_000_000)).toBe("1.3 GB");
    expect(formatBytes(2_000_000_000)).toBe("2 GB");
    expect(formatBytes(999_960)).toBe("1 MB");
    expect(formatBytes(-1)).toBe("–");
  });
});

describe("paths and words", () => {
  it("splits paths with either separator", () => {
    expect(basename("/home/me/Notes/")).toBe("Notes");
    expect(basename("C:\\Users\\me\\a.pdf")).toBe("a.pdf");
    expect(dirname("/home/me/a.md")).toBe("/home/me");
    expect(dirname("/a.md")).toBe("/");
    expect(dirname("a.md")).toBe("");
  });

  it("pluralizes with thousands separators", () => {
    expect(plural(1, "file")).toBe("1 file");
    expect(plural(1234, "passage")).toBe("1,234 passages");
  });

  it("truncates at a word boundary", () => {
    expect(truncate("one  two\nthree", 50)).toBe("one two three");
    expect(truncate("alpha beta gamma delta", 14)).toBe("alpha beta…");
  });
});

describe("relativeTime", () => {
  const now = new Date(2026, 10, 25, 15, 0, 0).getTime();
  it("reads naturally", () => {
    expect(relativeTime(now - 10_000, now)).toBe("Just now");
    expect(relativeTime(now - 5 * 60_000, now)).toBe("5 min ago");
    expect(relativeTime(now - 3 * 3_600_000, now)).toBe("3 h ago");
    expect(relativeTime(new Date(2026, 10, 24, 9).getTime(), now)).toBe("Yesterday");
    expect(relativeTime(new Date(2026, 10, 21, 9).getTime(), now)).toBe("Saturday");
    expect(relativeTime(new Date(2026, 2, 3).getTime(), now)).toBe("Mar 3");
    expect(relativeTime(new Date(2025, 2, 3).getTime(), now)).toBe("Mar 3, 2025");
  });
});

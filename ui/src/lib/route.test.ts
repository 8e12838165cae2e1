import { describe, expect, it } from "vitest";
import { parseRoute, routeHash } from "./route";

describe("routes", () => {
  it("parses the chat window's hashes", () => {
    expect(parseRoute("#/chat")).toEqual({ view: "chat", conversationId: null });
    expect(parseRoute("#/chat/12")).toEqual({ view: "chat", conversationId: 12 });
    expect(parseRoute("#/chat/abc")).toEqual({ view: "chat", conversationId: null });
    expect(parseRoute("#/settings")).toEqual({ view: "settings" });
    expect(parseRoute("#/welcome")).toEqual({ view: "welcome" });
    expect(parseRoute("")).toEqual({ view: "chat", conversationId: null });
  });

  it("round-trips", () => {
    for (const hash of ["#/chat", "#/chat/3", "#/settings", "#/welcome"]) {
      expect(routeHash(parseRoute(hash))).toBe(hash);
    }
  });
});

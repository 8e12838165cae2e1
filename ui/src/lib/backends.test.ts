import { describe, expect, it } from "vitest";
import type { Backend, FoundServer } from "../ipc";
import { addressProblem, backendLabel, nameProblem, suggestModel, suggestName } from "./backends";

const local: Backend = {
  name: "local",
  url: null,
  model: null,
  isDefault: true,
  fallbackLocal: false,
  allowPublic: false,
  placement: "this machine (built-in runtime)",
  refused: false,
};

const found = (product: string, models: string[] = []): FoundServer => ({
  product,
  url: "http://127.0.0.1:1234/v1",
  models,
  error: null,
  addedAs: null,
});

describe("backend labels", () => {
  it("names the built-in model in words and endpoints by name and place", () => {
    expect(backendLabel(local)).toBe("This computer (built-in model)");
    const studio = { ...local, name: "studio", url: "http://10.0.0.2:8080/v1", placement: "private network" };
    expect(backendLabel(studio)).toBe("studio · private network");
    expect(backendLabel({ ...studio, refused: true })).toBe("studio (refused)");
  });
});

describe("backend names", () => {
  it("follows the core's rules", () => {
    expect(nameProblem("studio", [])).toBeNull();
    expect(nameProblem("mac-mini_2.lan", [])).toBeNull();
    expect(nameProblem("", [])).toMatch(/name/);
    expect(nameProblem("local", [])).toMatch(/built-in/);
    expect(nameProblem("my studio", [])).toMatch(/letters/);
    expect(nameProblem("x".repeat(65), [])).toMatch(/64/);
    expect(nameProblem("studio", ["local", "studio"])).toMatch(/already/);
  });

  it("suggests free names for servers found on this computer", () => {
    expect(suggestName(found("LM Studio"), [])).toBe("lm-studio");
    expect(suggestName(found("Jan / Osaurus"), [])).toBe("jan");
    expect(suggestName(found("mlx_lm.server"), [])).toBe("mlx_lm.server");
    expect(suggestName(found("Ollama"), ["ollama", "ollama-2"])).toBe("ollama-3");
  });

  it("suggests a model only when the server has exactly one", () => {
    expect(suggestModel(found("Ollama", ["llama3.2"]))).toBe("llama3.2");
    expect(suggestModel(found("Ollama", ["a", "b"]))).toBeNull();
    expect(suggestModel(found("Ollama"))).toBeNull();
  });
});

describe("backend addresses", () => {
  it("catches what the core would refuse anyway", () => {
    expect(addressProblem("192.168.1.20:8080")).toBeNull();
    expect(addressProblem("http://studio.local:52415/v1")).toBeNull();
    expect(addressProblem("  ")).toMatch(/address/);
    expect(addressProblem("https://api.example.com")).toMatch(/http:/);
  });
});

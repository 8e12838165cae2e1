import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL(".", import.meta.url));

// Two pages: the chat window (index.html, label `main`) and the hotkey popup (popup.html,
// label `popup`). `base: "./"` keeps every asset URL relative, so the pages load the same
// under Tauri's custom protocol, a file URL or a test server.
export default defineConfig({
  base: "./",
  clearScreen: false,
  server: { host: "127.0.0.1", port: 1420, strictPort: true },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: ["es2022", "safari16"],
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    rolldownOptions: {
      input: {
        index: resolve(root, "index.html"),
        popup: resolve(root, "popup.html"),
      },
      output: {
        // Both pages share the libraries (Tauri API, marked, DOMPurify, highlight.js): one
        // "vendor" chunk for them, and one "shared" chunk for the app code both pages use.
        codeSplitting: {
          groups: [
            { name: "vendor", test: /node_modules/ },
            { name: "shared", test: /\/src\/(lib|ipc)/, minShareCount: 2 },
          ],
        },
      },
    },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});

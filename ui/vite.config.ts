/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// The app runs inside Tauri 2 (WebKitGTK 2.50 on Linux) under a strict CSP:
//   default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'
// So: relative base, no inline module-preload polyfill, CSS emitted as a file,
// and no source maps shipped to candidates.
export default defineConfig({
  base: "./",
  clearScreen: false,
  server: {
    port: 1420,
    strictPort: true,
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2021",
    sourcemap: false,
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    // CSS is left out of tests unless named; the colour test reads the style sheet as text.
    css: { include: [/style\.css/] },
  },
});

import { resolve } from "node:path";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// Two pages: the client (index.html, which also answers every client-side route) and GraphiQL
// (graphiql.html, served at /graphiql). Everything lands in dist/, which the server embeds:
// hashed files under dist/assets/ are cached for good, the two pages are revalidated.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // The committed build must be reproducible byte for byte from the sources.
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 8192,
    // Fonts and icons stay files of their own rather than data: URLs.
    assetsInlineLimit: 0,
    rolldownOptions: {
      // GraphiQL's modules carry React Compiler directives that bundling drops harmlessly.
      onLog(level, log, handler) {
        if (log.code === "MODULE_LEVEL_DIRECTIVE") return;
        handler(level, log);
      },
      input: {
        app: resolve(import.meta.dirname, "index.html"),
        graphiql: resolve(import.meta.dirname, "graphiql.html"),
      },
    },
  },
  server: {
    // `npm run dev` next to `cargo run`: the API stays on the server.
    proxy: {
      "/graphql": { target: "http://127.0.0.1:8000", ws: true },
      "/stream": "http://127.0.0.1:8000",
      "/auth/google": "http://127.0.0.1:8000",
      "/auth/providers": "http://127.0.0.1:8000",
    },
  },
});

/**
 * The web UI's build (`vite build` → web/dist, served by nginx or by the master) and its dev
 * server (`npm run dev`: hot module replacement, API calls proxied to the master).
 */
import { defineConfig } from 'vite';

const master = process.env.JONKKINS_DEV_MASTER ?? 'http://127.0.0.1:8080';
// Streams (SSE) must pass unbuffered; the proxy keeps them open.
const toMaster = { target: master, changeOrigin: false, ws: false };

export default defineConfig({
  root: import.meta.dirname,
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // No inline scripts or styles anywhere: the CSP allows only 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: Number(process.env.JONKKINS_DEV_PORT ?? 5173),
    proxy: { '/api': toMaster, '/login': toMaster, '/login-slave': toMaster, '/logout': toMaster },
  },
});

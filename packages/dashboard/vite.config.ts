// Builds the dashboard into dist/: index.html plus content-hashed assets under dist/assets/, all local (the
// gateway serves them under /dashboard; no CDN, so it works on an offline network).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/dashboard/',
  resolve: { alias: { 'node:crypto': fileURLToPath(new URL('./src/node-crypto-stub.ts', import.meta.url)) } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});

// Builds the dashboard into dist/: index.html plus content-hashed assets under dist/assets/, all local (the
// gateway serves them under /dashboard; no CDN, so it works on an offline network).
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, target: 'es2022', chunkSizeWarningLimit: 800 },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});

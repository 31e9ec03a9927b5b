// Serves the built dashboard (packages/dashboard/dist) under /dashboard: content-hashed assets are cached
// for a year, index.html is revalidated on every load, any other /dashboard path is the app (client routes).
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { OpenAPIHono } from '@hono/zod-openapi';
import { dashboardDistDir } from '@whatisup/dashboard';
import type { Context } from 'hono';
import type { AppEnv } from '../deps.ts';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
};
const ASSET_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

interface LoadedFile {
  body: Uint8Array<ArrayBuffer>;
  gzip: Uint8Array<ArrayBuffer> | undefined;
  etag: string;
  type: string;
}

export function registerDashboard(app: OpenAPIHono<AppEnv>, distDir: string = dashboardDistDir): void {
  const files = new Map<string, Promise<LoadedFile | null>>();
  const load = (relative: string) => {
    let file = files.get(relative);
    if (!file) {
      file = readFile(join(distDir, relative)).then(
        (content) => {
          const body = new Uint8Array(content);
          const type = TYPES[extname(relative)] ?? 'application/octet-stream';
          const compressible = /^(text|application\/json|image\/svg)/.test(type) && body.byteLength > 1024;
          return {
            body,
            gzip: compressible ? new Uint8Array(gzipSync(body)) : undefined,
            etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
            type,
          };
        },
        () => null,
      );
      files.set(relative, file);
      // A missing file is looked up again next time (the build may land after the gateway started).
      void file.then((loaded) => loaded ?? files.delete(relative));
    }
    return file;
  };

  const send = (c: Context<AppEnv>, file: LoadedFile, cacheControl: string) => {
    const headers: Record<string, string> = {
      'Content-Type': file.type,
      'Cache-Control': cacheControl,
      ETag: file.etag,
      Vary: 'Accept-Encoding',
      ...SECURITY_HEADERS,
    };
    if (c.req.header('If-None-Match') === file.etag) return c.body(null, 304, headers);
    if (file.gzip && /\bgzip\b/.test(c.req.header('Accept-Encoding') ?? '')) {
      return c.body(file.gzip, 200, { ...headers, 'Content-Encoding': 'gzip' });
    }
    return c.body(file.body, 200, headers);
  };

  app.get('/dashboard', (c) => c.redirect('/dashboard/', 308));
  app.get('/dashboard/assets/:name', async (c) => {
    const name = c.req.param('name');
    const file = ASSET_NAME.test(name) ? await load(`assets/${name}`) : null;
    if (!file) return c.text('not found', 404, { 'Cache-Control': 'no-store' });
    return send(c, file, 'public, max-age=31536000, immutable');
  });
  app.get('/dashboard/*', async (c) => {
    const index = await load('index.html');
    if (!index) {
      return c.text(
        'The dashboard is not built yet: run `scripts/node24 pnpm --filter @whatisup/dashboard build` ' +
          '(pnpm install does it), then reload.',
        503,
        { 'Cache-Control': 'no-store', 'Retry-After': '10' },
      );
    }
    return send(c, index, 'no-cache');
  });
}

/**
 * Serves the built operations centre (dist-web/, built by scripts/build-web.mjs): index.html at
 * the app's own paths (/, /vitals, /table), hashed assets under /assets/ with a long cache. When
 * the app is not built, the app paths answer a 500 ProblemDetails saying how to build it.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { NgsiError } from '../errors.js';
import { contentSecurityPolicy } from '../server/security.js';

/** Paths of the single-page app (client-side routes) that serve index.html. */
export const APP_PATHS = ['/', '/vitals', '/table'];

/**
 * The server's CSP plus what MapLibre needs: its workers start from blob: URLs, and so may images;
 * with configured raster tiles, their origin too.
 */
function appCsp(tileOrigin: string | undefined): string {
  const tiles = tileOrigin ? ` ${tileOrigin}` : '';
  return contentSecurityPolicy({ 'worker-src': "'self' blob:", 'img-src': `'self' data: blob:${tiles}`, 'connect-src': `'self'${tiles}` });
}

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

export function staticRoutes(app: FastifyInstance, root: string, tileOrigin?: string): void {
  const csp = appCsp(tileOrigin);
  const assets = path.join(root, 'assets');
  const index = () => {
    const file = path.join(root, 'index.html');
    if (!existsSync(file)) throw new NgsiError('InternalError', 'the operations centre is not built: run `npm run build:web`');
    return readFileSync(file);
  };
  const sendIndex = async (_req: unknown, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-cache').header('Content-Security-Policy', csp).send(index());
  for (const p of APP_PATHS) app.get(p, sendIndex);

  app.get<{ Params: { file: string } }>('/assets/:file', async (req, reply) => {
    const name = req.params.file;
    const file = path.join(assets, name);
    // Only plain file names inside assets/ (no traversal, no directories).
    if (!/^[\w.-]+$/.test(name) || !existsSync(file) || !statSync(file).isFile()) throw new NgsiError('ResourceNotFound', `no asset ${name}`);
    return reply
      .type(TYPES[path.extname(name)] ?? 'application/octet-stream')
      .header('Cache-Control', 'public, max-age=31536000, immutable')
      .send(readFileSync(file));
  });
}

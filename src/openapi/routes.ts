import type { FastifyInstance } from 'fastify';
import { openApiDocument } from './document.js';
import { docsPage } from './docs-page.js';

/** The page allows nothing but its own inline styles: no scripts, no external resources. */
const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let cachedJson: string | undefined;
let cachedPage: string | undefined;

/**
 * GET /openapi.json (the OpenAPI 3.1 document) and GET /docs (its HTML reference page). The
 * server ignores trailing slashes, so /docs/ is the same route. Both are built once.
 */
export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', async (_req, reply) => {
    cachedJson ??= JSON.stringify(openApiDocument());
    return reply.type('application/json; charset=utf-8').send(cachedJson);
  });

  app.get('/docs', async (_req, reply) => {
    cachedPage ??= docsPage(openApiDocument());
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', DOCS_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      .send(cachedPage);
  });
}

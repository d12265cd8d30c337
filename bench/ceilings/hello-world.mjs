/**
 * The HTTP ceiling: a Fastify server (the same framework as Urbis, no logging) whose only route,
 * GET /, answers {"hello":"world"}. Run as its own process by the benchmark:
 * `node bench/ceilings/hello-world.mjs <port>`.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) });
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));

/**
 * HTTP security of every response: security headers (CSP, frame and content-type options,
 * referrer policy, HSTS when clients come over HTTPS), CORS for an allow-list of origins
 * (preflights answered here), and rate limits with 429 and Retry-After: per client address here,
 * per API key or account through the limiter this returns (applied once the caller is known).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Config } from '../config.js';
import { NgsiError } from '../errors.js';

/** A token bucket per key: `perMinute` requests a minute, in bursts of up to `perMinute`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(private readonly perMinute: number) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one request for `key`: 0 when allowed, else the seconds to wait before the next one. */
  take(key: string, now = Date.now()): number {
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: now };
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (this.buckets.size > 50_000) this.prune(now);
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Drops buckets that have refilled (they are as good as new). */
  private prune(now: number): void {
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * this.perMs >= this.perMinute) this.buckets.delete(k);
  }
}

/** Replies 429 with Retry-After. */
export function tooManyRequests(reply: FastifyReply, seconds: number, what: string): FastifyReply {
  const e = new NgsiError('TooManyRequests', `too many requests ${what}; retry in ${seconds} s`);
  return reply.code(429).header('Retry-After', String(seconds)).type('application/json').send(e.toProblem());
}

/** The Content-Security-Policy of every answer, directive by directive. */
const CSP_DIRECTIVES: Record<string, string> = {
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self' 'unsafe-inline'",
  'img-src': "'self' data:",
  'connect-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
};

/** The Content-Security-Policy header value, with directives added or replaced by `changes`. */
export function contentSecurityPolicy(changes: Record<string, string> = {}): string {
  return Object.entries({ ...CSP_DIRECTIVES, ...changes })
    .map(([directive, sources]) => `${directive} ${sources}`)
    .join('; ');
}

const CSP = contentSecurityPolicy();

const CORS_HEADERS = 'Accept, Authorization, Content-Type, Link, NGSILD-Tenant, Urbis-Purpose';
const CORS_EXPOSED = 'Link, Location, NGSILD-Results-Count, NGSILD-Tenant, Retry-After';

export interface Security {
  /** Per API key / account limiter (undefined: no limit). */
  principalLimiter?: RateLimiter;
}

export function setupSecurity(app: FastifyInstance, config: Config): Security {
  const ipLimiter = config.rateLimit > 0 ? new RateLimiter(config.rateLimit) : undefined;
  const origins = new Set(config.corsOrigins);
  app.addHook('onRequest', async (req, reply) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Frame-Options', 'DENY');
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Opener-Policy', 'same-origin');
    if (config.https) reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    const origin = req.headers.origin;
    const allowed = origin !== undefined && origins.has(origin);
    if (allowed) {
      reply.header('Access-Control-Allow-Origin', origin);
      reply.header('Access-Control-Allow-Credentials', 'true');
      reply.header('Access-Control-Expose-Headers', CORS_EXPOSED);
    }
    if (origin !== undefined) reply.header('Vary', 'Origin');
    if (req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined) {
      if (!allowed) {
        const e = new NgsiError('Forbidden', `origin ${origin} is not allowed to call this API (--cors-origins)`);
        return reply.code(403).type('application/json').send(e.toProblem());
      }
      return reply
        .code(204)
        .header('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE')
        .header('Access-Control-Allow-Headers', CORS_HEADERS)
        .header('Access-Control-Max-Age', '600')
        .send();
    }
    if (ipLimiter) {
      const wait = ipLimiter.take(req.ip);
      if (wait > 0) return tooManyRequests(reply, wait, `from ${req.ip}`);
    }
  });
  return config.keyRateLimit > 0 ? { principalLimiter: new RateLimiter(config.keyRateLimit) } : {};
}

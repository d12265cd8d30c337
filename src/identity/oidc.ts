/**
 * OpenID Connect: Bearer tokens (JWTs) issued by the configured provider, verified with jose
 * against the provider's JWKS (found through its /.well-known/openid-configuration), for the
 * configured client id (audience), with the provider's claim mapped to Urbis roles; and the web
 * sign-in through the provider (authorization code flow with PKCE, the client secret sent to the
 * token endpoint), whose ID token becomes a session.
 */
import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { ConfigError } from '../config.js';
import { isRole, type Principal, type Role } from './principal.js';

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Claim carrying groups/roles (a string or an array of strings). */
  roleClaim: string;
  /** "value=role,value=role"; empty: claim values that are role names. */
  roleMap: string;
}

/** Parses "city-admins=admin,traffic=operator". */
export function parseRoleMap(text: string): Map<string, Role> {
  const map = new Map<string, Role>();
  for (const pair of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = pair.lastIndexOf('=');
    const role = pair.slice(eq + 1).trim();
    if (eq <= 0 || !isRole(role)) throw new ConfigError(`--oidc-role-map: "${pair}" is not value=role with a role of Urbis`);
    map.set(pair.slice(0, eq).trim(), role);
  }
  return map;
}

interface Discovery {
  issuer?: string;
  jwks_uri?: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
}

/** The S256 code challenge of a PKCE code verifier. */
export const codeChallenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export class OidcVerifier {
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;
  private discovery: Discovery | undefined;
  private readonly roleMap: Map<string, Role>;

  constructor(private readonly settings: OidcSettings) {
    this.roleMap = parseRoleMap(settings.roleMap);
  }

  /** The provider's discovery document (fetched once). */
  private async discover(): Promise<Discovery> {
    if (this.discovery) return this.discovery;
    const res = await fetch(`${this.settings.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`OIDC discovery at ${this.settings.issuer} answered ${res.status}`);
    const doc = (await res.json()) as Discovery;
    if (doc.issuer !== this.settings.issuer || typeof doc.jwks_uri !== 'string') throw new Error(`OIDC discovery at ${this.settings.issuer} names another issuer or no jwks_uri`);
    this.discovery = doc;
    return doc;
  }

  /** The provider's JWKS (jose caches and refreshes the keys). */
  private async keys(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.jwks ??= createRemoteJWKSet(new URL((await this.discover()).jwks_uri!), { timeoutDuration: 5000 });
    return this.jwks;
  }

  /** Where to send the browser to sign in (authorization code flow, PKCE S256). */
  async authorizationUrl(redirectUri: string, state: string, nonce: string, verifier: string): Promise<string> {
    const endpoint = (await this.discover()).authorization_endpoint;
    if (!endpoint) throw new Error('the OIDC provider names no authorization_endpoint');
    const url = new URL(endpoint);
    const params = { response_type: 'code', client_id: this.settings.clientId, redirect_uri: redirectUri, scope: 'openid profile', state, nonce, code_challenge: codeChallenge(verifier), code_challenge_method: 'S256' };
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url.toString();
  }

  /** Exchanges an authorization code for the ID token (client secret in HTTP Basic) and verifies it. */
  async exchange(code: string, redirectUri: string, verifier: string, nonce: string): Promise<Principal> {
    const endpoint = (await this.discover()).token_endpoint;
    if (!endpoint) throw new Error('the OIDC provider names no token_endpoint');
    const basic = Buffer.from(`${encodeURIComponent(this.settings.clientId)}:${encodeURIComponent(this.settings.clientSecret)}`).toString('base64');
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier }).toString(),
      signal: AbortSignal.timeout(5000),
    });
    const body = (await res.json().catch(() => ({}))) as { id_token?: unknown; error?: unknown };
    if (!res.ok || typeof body.id_token !== 'string') throw new Error(`the token endpoint refused the code (${res.status} ${String(body.error ?? '')})`);
    const { payload } = await jwtVerify(body.id_token, await this.keys(), { issuer: this.settings.issuer, audience: this.settings.clientId });
    if (payload.nonce !== nonce) throw new Error('the ID token does not carry the nonce of this sign-in');
    return this.principalOf(payload);
  }

  /** The principal of a valid token; throws (jose's errors) when the token is invalid or expired. */
  async verify(token: string): Promise<Principal> {
    const { payload } = await jwtVerify(token, await this.keys(), { issuer: this.settings.issuer, audience: this.settings.clientId });
    return this.principalOf(payload);
  }

  private principalOf(claims: JWTPayload): Principal {
    const raw = claims[this.settings.roleClaim];
    const values = (Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[\s,]+/) : []).filter((v): v is string => typeof v === 'string');
    const roles = new Set<Role>();
    for (const v of values) {
      const role = this.roleMap.size > 0 ? this.roleMap.get(v) : isRole(v) ? v : undefined;
      if (role) roles.add(role);
    }
    const tenant = typeof claims.tenant === 'string' ? claims.tenant : '';
    const p: Principal = { tenant, subject: `oidc:${typeof claims.preferred_username === 'string' ? claims.preferred_username : claims.sub}`, roles: [...roles], method: 'oidc' };
    if (typeof claims.department === 'string') p.department = claims.department;
    return p;
  }
}

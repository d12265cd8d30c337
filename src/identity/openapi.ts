/**
 * The OpenAPI section of identity and access control: the /auth routes (identity/routes.ts).
 */
import { NgsiError, type ErrorType } from '../errors.js';
import type { ApiSection, Json } from '../openapi/sections.js';
import { ROLES } from './principal.js';
import { KEY_SCOPES } from './accounts.js';

const TAG = 'Identity and access';
const JSON_TYPE = 'application/json';
const schema = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export function problemResponse(description: string, type: ErrorType): Json {
  return {
    description,
    content: { [JSON_TYPE]: { schema: schema('ProblemDetails'), examples: { [type]: { summary: type, value: new NgsiError(type, description).toProblem() } } } },
  };
}

/** The 401/403 answers of a route the route table protects. */
export const DENIED: Json = {
  401: problemResponse('Not signed in, or the credentials are invalid, expired or revoked', 'Unauthorized'),
  403: problemResponse('Signed in, but not allowed to call this route', 'Forbidden'),
};

const ok = (description: string, s: Json) => ({ description, content: { [JSON_TYPE]: { schema: s } } });
const body = (s: Json) => ({ required: true, content: { [JSON_TYPE]: { schema: s } } });
const BAD = { 400: problemResponse('The body is not what the operation takes (the detail names the member)', 'BadRequestData') };

function op(id: string, summary: string, description: string, responses: Json, extra: Json = {}): Json {
  return { operationId: id, tags: [TAG], summary, description, responses: { ...responses, ...DENIED }, ...extra };
}

const role = { type: 'string', enum: [...ROLES] };
const roles = { type: 'array', items: role, minItems: 1 };
const level = {
  description: 'public (anyone), internal (any signed-in staff: admin, operator, analyst, data-steward, auditor) or a list of roles (restricted; "role:department" narrows to a department).',
  oneOf: [{ type: 'string', enum: ['public', 'internal'] }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
};

export const identitySection: ApiSection = {
  tags: [{ name: TAG, description: 'Sign-in (session cookie), accounts, API keys and the access policy of the tenant. See docs/identity.md.' }],
  schemas: {
    Account: {
      type: 'object',
      properties: {
        username: { type: 'string' },
        tenant: { type: 'string' },
        roles,
        department: { type: 'string' },
        disabled: { type: 'boolean' },
        mustChangePassword: { type: 'boolean' },
        demo: { type: 'boolean' },
        locked: { type: 'boolean' },
        createdAt: { type: 'string', format: 'date-time' },
        oneTimePassword: { type: 'string', description: 'Only in the answer to a creation without password: shown once.' },
      },
      required: ['username', 'tenant', 'roles'],
    },
    ApiKey: {
      type: 'object',
      properties: {
        id: { type: 'string' },
        name: { type: 'string' },
        tenant: { type: 'string' },
        roles,
        scopes: { type: 'array', items: { type: 'string', enum: [...KEY_SCOPES] } },
        createdAt: { type: 'string', format: 'date-time' },
        createdBy: { type: 'string' },
        revokedAt: { type: 'string', format: 'date-time' },
        key: { type: 'string', description: 'Only in the answer to the creation: the key, shown once (send it as Authorization: Bearer <key>).' },
      },
      required: ['id', 'name', 'roles', 'scopes'],
    },
    AccessPolicy: {
      type: 'object',
      description: 'The access policy of a tenant. Type and attribute names are read and shown with the request\'s @context (Link header).',
      properties: {
        default: { type: 'object', properties: { read: level, write: { type: 'array', items: { type: 'string' } } } },
        types: { type: 'object', additionalProperties: { type: 'object', properties: { read: level, write: { type: 'array', items: { type: 'string' } } } } },
        attributes: { type: 'object', additionalProperties: level },
        ownerAttributes: { type: 'array', items: { type: 'string' } },
      },
    },
  },
  paths: {
    '/auth/login': {
      post: {
        operationId: 'login',
        tags: [TAG],
        summary: 'Sign in',
        description: `Checks username and password (of the tenant in NGSILD-Tenant) and sets the session cookie (HttpOnly, Secure, SameSite=Strict). Five failures in a row lock the account for 15 minutes; at most 10 attempts a minute per client address.`,
        requestBody: body({ type: 'object', properties: { username: { type: 'string' }, password: { type: 'string' } }, required: ['username', 'password'] }),
        responses: {
          200: { ...ok('Signed in; the session cookie is set.', schema('Account')), headers: { 'Set-Cookie': { schema: { type: 'string' } } } },
          ...BAD,
          401: problemResponse('Wrong username or password, or the account is locked or disabled', 'Unauthorized'),
          429: problemResponse('Too many sign-in attempts from this address; see Retry-After', 'TooManyRequests'),
        },
      },
    },
    '/auth/oidc/login': {
      get: {
        operationId: 'oidcLogin',
        tags: [TAG],
        summary: 'Sign in through the OIDC provider',
        description: 'Redirects the browser to the provider (authorization code flow with PKCE). 404 when no provider is configured.',
        parameters: [{ name: 'returnTo', in: 'query', required: false, description: 'Path of this server to return to after signing in.', schema: { type: 'string', default: '/' } }],
        responses: { 302: { description: 'To the provider.' }, ...BAD, 404: problemResponse('Single sign-on is not configured', 'ResourceNotFound') },
      },
    },
    '/auth/oidc/callback': {
      get: {
        operationId: 'oidcCallback',
        tags: [TAG],
        summary: 'Return from the OIDC provider',
        description: 'Exchanges the code (with the client secret), verifies the ID token, sets the session cookie and redirects to returnTo.',
        parameters: [
          { name: 'code', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'state', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'error', in: 'query', required: false, schema: { type: 'string' } },
        ],
        responses: {
          302: { description: 'Signed in; the session cookie is set.' },
          401: problemResponse('The sign-in state does not match, or the provider refused', 'Unauthorized'),
          404: problemResponse('Single sign-on is not configured', 'ResourceNotFound'),
        },
      },
    },
    '/auth/logout': {
      post: { operationId: 'logout', tags: [TAG], summary: 'Sign out', description: 'Ends the session and clears the cookie.', responses: { 204: { description: 'Signed out.' } } },
    },
    '/auth/me': {
      get: op('whoAmI', 'The caller', 'The principal the request acts as: subject, tenant, roles, how it authenticated.', { 200: ok('The principal.', { type: 'object' }) }),
    },
    '/auth/password': {
      post: op(
        'changePassword',
        'Change the password',
        'Changes the password of the signed-in account (at least 12 characters). Required after a one-time password. Ends every session of the account and sets a new session cookie.',
        { 204: { description: 'Changed; the new session cookie is set.' }, ...BAD },
        { requestBody: body({ type: 'object', properties: { currentPassword: { type: 'string' }, newPassword: { type: 'string', minLength: 12 } }, required: ['currentPassword', 'newPassword'] }) },
      ),
    },
    '/auth/users': {
      get: op('listAccounts', 'List accounts', 'The accounts of the tenant (admin).', { 200: ok('The accounts.', { type: 'array', items: schema('Account') }) }),
      post: op(
        'createAccount',
        'Create an account',
        'Creates an account of the tenant (admin). Without a password, a one-time password is returned once and must be changed at the first sign-in.',
        { 201: ok('Created.', schema('Account')), ...BAD },
        { requestBody: body({ type: 'object', properties: { username: { type: 'string' }, roles, department: { type: 'string' }, password: { type: 'string', minLength: 12 } }, required: ['username', 'roles'] }) },
      ),
    },
    '/auth/users/{username}': {
      patch: op(
        'updateAccount',
        'Disable or enable an account',
        'Disabling ends the account\'s sessions (admin).',
        { 204: { description: 'Done.' }, ...BAD, 404: problemResponse('No such account', 'ResourceNotFound') },
        {
          parameters: [{ name: 'username', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: body({ type: 'object', properties: { disabled: { type: 'boolean' } }, required: ['disabled'] }),
        },
      ),
    },
    '/auth/keys': {
      get: op('listApiKeys', 'List API keys', 'The API keys of the tenant, without their secrets (admin).', { 200: ok('The keys.', { type: 'array', items: schema('ApiKey') }) }),
      post: op(
        'createApiKey',
        'Create an API key',
        'Creates a key with roles and scopes (read, write); the key is in the answer, once, and only its hash is stored (admin).',
        { 201: ok('Created.', schema('ApiKey')), ...BAD },
        { requestBody: body({ type: 'object', properties: { name: { type: 'string' }, roles, scopes: { type: 'array', items: { type: 'string', enum: [...KEY_SCOPES] } }, department: { type: 'string' } }, required: ['roles'] }) },
      ),
    },
    '/auth/keys/{keyId}': {
      delete: op('revokeApiKey', 'Revoke an API key', 'The key stops working at once (admin).', { 204: { description: 'Revoked.' }, 404: problemResponse('No such key', 'ResourceNotFound') }, {
        parameters: [{ name: 'keyId', in: 'path', required: true, schema: { type: 'string' } }],
      }),
    },
    '/auth/policy': {
      get: op('getPolicy', 'The access policy', 'The access policy of the tenant (staff).', { 200: ok('The policy.', schema('AccessPolicy')) }),
      put: op('setPolicy', 'Replace the access policy', 'Replaces the access policy of the tenant (admin); the change is audited.', { 204: { description: 'Replaced.' }, ...BAD }, {
        requestBody: body(schema('AccessPolicy')),
      }),
    },
  },
};

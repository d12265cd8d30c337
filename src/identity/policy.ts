/**
 * The access policy of a tenant: which entity types and attributes are public (readable without
 * signing in), internal (any signed-in staff) or restricted (named roles); which roles may write
 * which types; which attributes name the owner of a record (residents write only their own).
 * Names are stored expanded (IRIs); the API reads and shows them through an @context.
 */
import { badRequest } from '../errors.js';
import { ROLES } from './principal.js';

/** public, internal, or restricted to these role tokens ("role" or "role:department"). */
export type Level = 'public' | 'internal' | string[];

export interface TypeRule {
  /** Who may read entities of the type (default: the policy's default). */
  read?: Level;
  /** Roles that may create, change and delete entities of the type ("resident": their own records only). */
  write?: string[];
}

export interface Policy {
  /** Read level and writers of every type not listed. */
  default: { read: Level; write: string[] };
  /** Rules per entity type (expanded IRI). */
  types: Record<string, TypeRule>;
  /** Read level per attribute (expanded IRI), on every type; unlisted attributes follow their entity. */
  attributes: Record<string, Level>;
  /** Attributes (expanded) naming the account that owns a record: urn:ngsi-ld:Person:<account name>. */
  ownerAttributes: string[];
}

/** A city's sensible start: everything internal; writes by operators, data stewards, devices and admins. */
export const DEFAULT_POLICY: Policy = {
  default: { read: 'internal', write: ['admin', 'operator', 'data-steward', 'device'] },
  types: {},
  attributes: {},
  ownerAttributes: ['https://uri.etsi.org/ngsi-ld/default-context/owner', 'https://smartdatamodels.org/owner'],
};

/** Role tokens: a role name, optionally with ":department". */
function roleToken(v: unknown, where: string): string {
  if (typeof v !== 'string') throw badRequest(`${where} must be a role name`);
  const [role, dept] = v.split(':');
  if (!(ROLES as readonly string[]).includes(role) || (dept !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(dept))) {
    throw badRequest(`${where}: "${v}" is not a role (${ROLES.join(', ')}), optionally followed by :department`);
  }
  return v;
}

function level(v: unknown, where: string): Level {
  if (v === 'public' || v === 'internal') return v;
  if (Array.isArray(v) && v.length > 0) return v.map((r, i) => roleToken(r, `${where}[${i}]`));
  throw badRequest(`${where} must be "public", "internal" or a non-empty array of roles (restricted)`);
}

function roles(v: unknown, where: string): string[] {
  if (!Array.isArray(v)) throw badRequest(`${where} must be an array of roles`);
  return v.map((r, i) => roleToken(r, `${where}[${i}]`));
}

function object(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw badRequest(`${where} must be an object`);
  return v as Record<string, unknown>;
}

/**
 * Reads a policy document, expanding type and attribute names with `expand` (the request's
 * @context). Throws BadRequestData naming the member at fault; nothing is kept from a bad document.
 */
export function parsePolicy(body: unknown, expand: (term: string) => string): Policy {
  const b = object(body, 'the policy');
  for (const k of Object.keys(b)) {
    if (!['default', 'types', 'attributes', 'ownerAttributes'].includes(k)) throw badRequest(`unknown policy member "${k}" (default, types, attributes, ownerAttributes)`);
  }
  const d = object(b.default ?? {}, 'default');
  const policy: Policy = {
    default: {
      read: d.read === undefined ? DEFAULT_POLICY.default.read : level(d.read, 'default.read'),
      write: d.write === undefined ? DEFAULT_POLICY.default.write : roles(d.write, 'default.write'),
    },
    types: {},
    attributes: {},
    ownerAttributes: b.ownerAttributes === undefined ? DEFAULT_POLICY.ownerAttributes : [],
  };
  for (const [name, raw] of Object.entries(object(b.types ?? {}, 'types'))) {
    const r = object(raw, `types.${name}`);
    const rule: TypeRule = {};
    if (r.read !== undefined) rule.read = level(r.read, `types.${name}.read`);
    if (r.write !== undefined) rule.write = roles(r.write, `types.${name}.write`);
    policy.types[expand(name)] = rule;
  }
  for (const [name, raw] of Object.entries(object(b.attributes ?? {}, 'attributes'))) {
    policy.attributes[expand(name)] = level(raw, `attributes.${name}`);
  }
  if (b.ownerAttributes !== undefined) {
    if (!Array.isArray(b.ownerAttributes) || b.ownerAttributes.some((a) => typeof a !== 'string')) throw badRequest('ownerAttributes must be an array of attribute names');
    policy.ownerAttributes = (b.ownerAttributes as string[]).map(expand);
  }
  return policy;
}

/** The policy with names compacted for display. */
export function presentPolicy(p: Policy, compact: (iri: string) => string): unknown {
  const mapKeys = <V>(o: Record<string, V>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [compact(k), v]));
  return { default: p.default, types: mapKeys(p.types), attributes: mapKeys(p.attributes), ownerAttributes: p.ownerAttributes.map(compact) };
}

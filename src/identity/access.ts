/**
 * Access control over entities: what one principal may read and write of a tenant's data under
 * the tenant's policy. Produces the broker's EntityAccess (read filter for queries, visible view
 * of an entity, guarded writes) and `visibleEntity` for other features (temporal, notifications).
 */
import { alreadyExists, forbidden, notFound } from '../errors.js';
import { primaryValue, type Entity } from '../broker/model.js';
import type { EntityAccess, EntityMutator, ReadFilter } from '../broker/store.js';
import { accountUri, isStaff, roleTokens, type Principal } from './principal.js';
import { DEFAULT_POLICY, type Level, type Policy } from './policy.js';
import type { IdentityStore } from './store.js';
import { CHANNELS, type ClusterBus } from '../cluster/bus.js';
import { follow, type Following } from '../cluster/follow.js';

/** The rules of one policy for one principal. */
class Rules {
  private readonly tokens: Set<string>;
  private readonly staff: boolean;
  private readonly resident: boolean;
  readonly hiddenAttrs: Set<string>;

  constructor(
    private readonly policy: Policy,
    private readonly principal: Principal,
  ) {
    this.tokens = roleTokens(principal);
    this.staff = isStaff(principal);
    this.resident = principal.roles.includes('resident');
    this.hiddenAttrs = new Set(Object.entries(policy.attributes).filter(([, l]) => !this.canRead(l)).map(([a]) => a));
  }

  canRead(level: Level): boolean {
    if (level === 'public') return true;
    if (level === 'internal') return this.staff;
    return level.some((t) => this.tokens.has(t));
  }

  private readLevel(type: string): Level {
    return this.policy.types[type]?.read ?? this.policy.default.read;
  }

  /** 'yes': may write the type; 'own': only records the principal owns (residents); 'no'. */
  private typeWrite(type: string): 'yes' | 'own' | 'no' {
    const writers = this.policy.types[type]?.write ?? this.policy.default.write;
    if (writers.some((w) => w.split(':')[0] !== 'resident' && this.tokens.has(w))) return 'yes';
    return this.resident && writers.some((w) => this.tokens.has(w)) ? 'own' : 'no';
  }

  private owned(e: Entity): boolean {
    if (!this.resident) return false;
    const me = accountUri(this.principal);
    return this.policy.ownerAttributes.some((name) =>
      (e.attrs[name] ?? []).some((i) => {
        // The same test as the store's read filter: the primary value, or one of its items.
        const v = primaryValue(i);
        return v === me || (Array.isArray(v) && v.includes(me));
      }),
    );
  }

  readable(e: Entity): boolean {
    return e.types.every((t) => this.canRead(this.readLevel(t))) || this.owned(e);
  }

  writable(e: Entity): boolean {
    return e.types.every((t) => {
      const w = this.typeWrite(t);
      return w === 'yes' || (w === 'own' && this.owned(e));
    });
  }

  /** The entity is restricted (or carries restricted attributes the caller sees): its reads are audited. */
  restricted(e: Entity): boolean {
    return e.types.some((t) => Array.isArray(this.readLevel(t))) || Object.keys(e.attrs).some((a) => Array.isArray(this.policy.attributes[a]));
  }

  /** The entity without the attributes the caller may not read. */
  strip(e: Entity): Entity {
    if (this.hiddenAttrs.size === 0 || !Object.keys(e.attrs).some((a) => this.hiddenAttrs.has(a))) return e;
    return { ...e, attrs: Object.fromEntries(Object.entries(e.attrs).filter(([a]) => !this.hiddenAttrs.has(a))) };
  }

  visible(e: Entity): Entity | undefined {
    return this.readable(e) ? this.strip(e) : undefined;
  }

  readFilter(): ReadFilter {
    const listed = Object.keys(this.policy.types);
    const readable = (t: string) => this.canRead(this.readLevel(t));
    const f: ReadFilter = this.canRead(this.policy.default.read) ? { hiddenTypes: listed.filter((t) => !readable(t)) } : { onlyTypes: listed.filter(readable) };
    if (this.resident) f.owner = { attrs: this.policy.ownerAttributes, id: accountUri(this.principal) };
    if (this.hiddenAttrs.size > 0) f.hiddenAttrs = [...this.hiddenAttrs];
    return f;
  }

  guard<R>(id: string, mutate: EntityMutator<R>, creating: boolean): EntityMutator<R> {
    const who = this.principal.roles.length > 0 ? this.principal.roles.join('/') : 'an anonymous caller';
    return (current) => {
      if (current && !this.readable(current) && !this.writable(current)) {
        // As if absent: the same answers a missing entity gets (a creation still finds the id taken).
        if (creating) throw alreadyExists(`entity ${id} already exists`, id);
        throw notFound(`entity ${id} does not exist`, id);
      }
      if (current && !this.writable(current)) throw forbidden(`${who} may not change entity ${id} (policy of its type)`, id);
      const out = mutate(current ? this.strip(current) : undefined);
      if (out.next === undefined || out.next === null) return out;
      const written = Object.keys(out.next.attrs).filter((a) => this.hiddenAttrs.has(a));
      if (written.length > 0) throw forbidden(`${who} may not write the restricted attribute ${written[0]}`, id);
      if (!this.writable(out.next)) {
        throw forbidden(`${who} may not write entity ${id} of type ${out.next.types.join(', ')}${this.resident ? ' (residents write only records they own)' : ''}`, id);
      }
      if (!current || this.hiddenAttrs.size === 0) return out;
      // Attributes the caller cannot see are kept as they are.
      const attrs = { ...out.next.attrs };
      for (const a of this.hiddenAttrs) if (current.attrs[a]) attrs[a] = current.attrs[a];
      return { next: { ...out.next, attrs }, result: out.result };
    };
  }
}

export class AccessControl {
  private readonly policies = new Map<string, Policy>();
  /** Counts this node's own policy changes, so that a reload never undoes one it did not see. */
  private changes = 0;

  constructor(private readonly store: IdentityStore) {}

  /** Loads every tenant's policy (call once before serving; again when another node changed one). */
  async load(): Promise<void> {
    for (;;) {
      const seen = this.changes;
      const list = await this.store.listPolicies();
      if (seen !== this.changes) continue;
      this.policies.clear();
      for (const [tenant, policy] of list) this.policies.set(tenant, policy);
      return;
    }
  }

  /** Reloads the policies whenever another node changes one. */
  follow(bus: ClusterBus, onError: (err: unknown) => void): Following {
    return follow(bus, CHANNELS.policies, () => this.load(), onError);
  }

  policy(tenant: string): Policy {
    return this.policies.get(tenant) ?? DEFAULT_POLICY;
  }

  /** Replaces a tenant's policy; `record` runs in the same transaction (the audit record). */
  async setPolicy(tenant: string, policy: Policy, record: () => void): Promise<void> {
    await this.store.savePolicy(tenant, policy, record);
    this.policies.set(tenant, policy);
    this.changes++;
  }

  /** The broker access of `principal` on `tenant`; `onRestrictedRead` hears of each restricted entity it reads. */
  entityAccess(principal: Principal, tenant: string, onRestrictedRead: (id: string) => void): EntityAccess {
    const rules = new Rules(this.policy(tenant), principal);
    return {
      readFilter: rules.readFilter(),
      visible(entity) {
        const v = rules.visible(entity);
        if (v && rules.restricted(v)) onRestrictedRead(v.id);
        return v;
      },
      guard: (id, mutate, creating) => rules.guard(id, mutate, creating),
    };
  }

  /**
   * What `principal` may see of `entity` of `tenant`: the entity without the attributes it may not
   * read, or undefined when it may not see the entity at all. For features that hand entities to
   * callers outside the broker's queries (temporal history, notifications).
   */
  visibleEntity(principal: Principal, tenant: string, entity: Entity): Entity | undefined {
    return new Rules(this.policy(tenant), principal).visible(entity);
  }
}

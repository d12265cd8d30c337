/**
 * A map that keeps at most `limit` entries, dropping the oldest first: the stores' caches of
 * prepared statements, compiled patterns and parsed geo-queries, whose keys repeat from request
 * to request but are unbounded in number.
 */
export class BoundedMap<V> {
  private readonly map = new Map<string, V>();

  constructor(private readonly limit: number) {}

  /** The value under `key`, made (and kept) on first use. */
  get(key: string, make: (key: string) => V): V {
    let v = this.map.get(key);
    if (v === undefined) {
      v = make(key);
      if (this.map.size >= this.limit) this.map.delete(this.map.keys().next().value as string);
      this.map.set(key, v);
    }
    return v;
  }
}

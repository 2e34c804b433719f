// A bounded memo that keeps what was used lately: two generations, the newer filled until it holds `limit`
// entries, then it becomes the older one and the oldest generation goes. An entry found in the older one
// moves to the newer, so what people keep asking survives; at most 2 × limit entries are kept, and a hit
// costs one or two lookups (an exact LRU would delete and re-insert on every hit).
export class RecentMap<K, V> {
  private newer = new Map<K, V>();
  private older = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const value = this.newer.get(key);
    if (value !== undefined) return value;
    const old = this.older.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: K, value: V): void {
    if (this.newer.size >= this.limit) {
      this.older = this.newer;
      this.newer = new Map();
    }
    this.newer.set(key, value);
  }
}

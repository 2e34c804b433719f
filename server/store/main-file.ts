// Internal to the lowdb store: db.json, the store's one file people read and edit (the keyword rules,
// pretty-printed). Opening it seeds a new store, refuses a file that is not a store of this version (left as
// it is), and moves the platform values an earlier version kept there into their records.
import { Low, type Adapter } from 'lowdb';
import { z } from 'zod';
import { ruleSchema, type Rule } from '../content/rules.ts';
import { StoreError, type Records } from './chat-store.ts';
import { moveValuesToRecords, type KeptValue } from './legacy-values.ts';

/** db.json: the rules, and (written by versions before the records) the platform's values, moved out at open. */
type MainData = { version: 1; rules: Rule[]; values?: Record<string, KeptValue> };

const mainSchema = z.object({
  version: z.literal(1),
  rules: z.array(ruleSchema),
  values: z.record(z.string(), z.object({ value: z.unknown(), expiresAt: z.number().optional() })).optional(),
});

export class MainFile {
  private db?: Low<MainData>;

  /** `describe`: the file's name in errors. */
  constructor(
    private readonly adapter: Adapter<unknown>,
    private readonly describe: string,
  ) {}

  /** Reads db.json (writing it with `seedRules` when there is none), then moves an earlier version's values to `records`. */
  async open(seedRules: Rule[], records: (kind: string) => Records<unknown>, now: number): Promise<void> {
    let raw: unknown;
    try {
      raw = await this.adapter.read();
    } catch (err) {
      throw StoreError.aboutFile(this.describe, err instanceof SyntaxError ? `not valid JSON (${err.message})` : `cannot be read (${(err as Error).message})`);
    }
    const db = new Low<MainData>(this.adapter as Adapter<MainData>, { version: 1, rules: seedRules });
    if (raw === null) {
      await db.write(); // a new store: seed the rules
    } else {
      const parsed = mainSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw StoreError.aboutFile(this.describe, `not a store file of this version (${issue?.path.join('.') || 'top level'}: ${issue?.message})`);
      }
      db.data = parsed.data as MainData;
    }
    this.db = db;
    await this.moveValues(records, now);
  }

  get rules(): Rule[] {
    return this.opened().data.rules;
  }

  /** Replaces the rules and writes the file; when the write fails, memory goes back to what the file has. */
  async saveRules(rules: Rule[]): Promise<void> {
    const db = this.opened();
    const previous = db.data.rules;
    db.data.rules = rules;
    try {
      await db.write();
    } catch (err) {
      db.data.rules = previous;
      throw StoreError.unwritten('The rules', err);
    }
  }

  /** Moves the values a store written by an earlier version kept in db.json to their records, then drops them from db.json. */
  private async moveValues(records: (kind: string) => Records<unknown>, now: number): Promise<void> {
    const db = this.opened();
    if (!db.data.values) return;
    try {
      await moveValuesToRecords(db.data.values, records, now);
    } catch (err) {
      throw StoreError.aboutFile(this.describe, `its platform values could not be moved to their records (${(err as Error).message})`, 'unavailable');
    }
    const { values, ...rest } = db.data;
    db.data = rest; // only once every record is written: a crash before leaves db.json as it was
    try {
      await db.write();
    } catch (err) {
      db.data = { ...rest, values };
      throw StoreError.unwritten('db.json without its moved values', err);
    }
  }

  private opened(): Low<MainData> {
    if (!this.db) throw new Error('The store is not open; call open() first.');
    return this.db;
  }
}

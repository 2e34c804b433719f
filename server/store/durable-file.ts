// A lowdb adapter for files the journal hands its data to: written whole to a temporary file, synced, then
// renamed over the old one, so the file on disk is always either the old version or the new one, complete.
import { open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Adapter } from 'lowdb';

export class DurableJSONFile<T> implements Adapter<T> {
  private readonly temp: string;

  /** `indent` pretty-prints, for files people read and edit by hand. */
  constructor(
    private readonly file: string,
    private readonly indent?: number,
  ) {
    this.temp = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  }

  async read(): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.file, 'utf8')) as T;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /** Resolves once the new contents are on disk. */
  async write(data: T): Promise<void> {
    const handle = await open(this.temp, 'w');
    try {
      await handle.writeFile(JSON.stringify(data, null, this.indent));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(this.temp, this.file);
  }
}

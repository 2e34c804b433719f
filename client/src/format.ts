// Small pure helpers for rendering: times, colours, safe links.
import { linkTarget } from '../../server/links.ts';

const FIVE_MINUTES = 5 * 60 * 1000;

/** Whether a centred time stamp goes between two messages, as WeChat shows one after a pause. */
export function needsTimestamp(previous: string | undefined, next: string): boolean {
  return previous === undefined || Date.parse(next) - Date.parse(previous) > FIVE_MINUTES;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "14:05" today, "Yesterday 14:05", else "11/20 14:05" (or with the year when it is another one). */
export function formatTime(iso: string, now = new Date()): string {
  const date = new Date(iso);
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  const day = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(now) - day(date)) / 86_400_000);
  if (days === 0) return time;
  if (days === 1) return `Yesterday ${time}`;
  const monthDay = `${date.getMonth() + 1}/${date.getDate()}`;
  return date.getFullYear() === now.getFullYear() ? `${monthDay} ${time}` : `${date.getFullYear()}/${monthDay} ${time}`;
}

/** A stable hue for a string, so a generated cover or avatar always has the same colour. */
export function hueOf(text: string): number {
  let hash = 0;
  for (const char of text) hash = (hash * 31 + char.codePointAt(0)!) >>> 0;
  return hash % 360;
}

/** A link target that is safe to put in an href: hashes of this page, paths that stay on this site, or http(s). */
export function safeHref(url: string, origin = location.origin): string | undefined {
  return url.startsWith('#') ? url : linkTarget(url, origin);
}

/** The first character of a name, for a generated avatar. */
export function initialOf(name: string): string {
  return [...name.trim()][0]?.toUpperCase() ?? '?';
}

// Text normalisation shared by keyword matching and commands.

/** Case-, width- and spacing-insensitive form of a message: "  ＰＡＹＭＥＮＴ " → "payment". */
export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The normalised text without surrounding punctuation, for whole-message comparisons ("help?" → "help"). */
export function bare(text: string): string {
  return bareOf(normalize(text));
}

/** `bare` of text normalised already: callers that need both forms normalise once. */
export function bareOf(normal: string): string {
  const stripped = normal.replace(/^[\p{P}\p{S}\s]+|[\p{P}\p{S}\s]+$/gu, '');
  return stripped || normal;
}

const WORD_CHAR = /[\p{L}\p{N}]/u;
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * Whether `keyword`, found in `text` at `at` (both normalised), stands as a word there. Latin words
 * must ("game" is in "a game?" and "games" but not in "endgame"); CJK has no spaces, so any place counts.
 */
export function standsAsWord(text: string, at: number, keyword: string): boolean {
  const before = text[at - 1];
  const after = text[at + keyword.length];
  const first = keyword[0]!;
  const last = keyword[keyword.length - 1]!;
  const startOk = !before || CJK.test(first) || !WORD_CHAR.test(first) || !WORD_CHAR.test(before) || CJK.test(before);
  const plural = after === 's' && !WORD_CHAR.test(text[at + keyword.length + 1] ?? ' ');
  const endOk = !after || plural || CJK.test(last) || !WORD_CHAR.test(last) || !WORD_CHAR.test(after) || CJK.test(after);
  return startOk && endOk;
}

/** A short excerpt of `text` for previews, cut at a word boundary. */
export function excerpt(text: string, maxChars: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const cut = flat.slice(0, maxChars);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxChars / 2 ? cut.slice(0, space) : cut).replace(/[\s,.;:]+$/, '')}…`;
}

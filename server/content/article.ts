// Parses the article file: Markdown with one '## Title {#id}' heading per section.
import { readFileSync } from 'node:fs';
import { ContentError } from './content-error.ts';

export type Section = {
  id: string;
  /** 1-based position, the number a user can send to read it. */
  number: number;
  title: string;
  keywords: string[];
  text: string;
};

export type ArticleContent = { title: string; sections: Section[] };

const TITLE = /^#\s+(.+?)\s*$/;
const SECTION = /^##\s+(.+?)(?:\s+\{#([A-Za-z0-9_-]+)\})?\s*$/;
const KEYWORDS = /^keywords\s*[:：]\s*(.*)$/i;
const COMMENT_START = '<!--';
const COMMENT_END = '-->';
// Section ids travel in URLs (/api/article/sections/:id), which take ids of 1..64 characters.
const MAX_ID_LENGTH = 64;

function slugify(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, MAX_ID_LENGTH)
    .replace(/^-+|-+$/g, '');
}

/** Joins a section's body lines into text: paragraphs separated by one blank line. */
function toText(lines: string[]): string {
  return lines
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Parses article Markdown; `file` only names the source in errors. */
export function parseArticle(source: string, file: string): ArticleContent {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/);
  let title: string | undefined;
  let titleLine = 1;
  const sections: Section[] = [];
  let current: (Omit<Section, 'text'> & { body: string[]; line: number }) | undefined;
  let inComment = false;
  const fail = (line: number, reason: string): never => {
    throw new ContentError(file, line, reason);
  };

  const finish = () => {
    if (!current) return;
    const text = toText(current.body);
    if (!text) fail(current.line, `section "${current.title}" has no text`);
    const { body: _body, line: _line, ...section } = current;
    sections.push({ ...section, text });
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trimEnd();
    if (inComment) {
      if (line.includes(COMMENT_END)) inComment = false;
      return;
    }
    if (line.trimStart().startsWith(COMMENT_START)) {
      inComment = !line.includes(COMMENT_END);
      return;
    }
    const sectionMatch = SECTION.exec(line);
    if (sectionMatch) {
      if (title === undefined) fail(lineNo, 'a section comes before the article title ("# Title")');
      finish();
      const sectionTitle = sectionMatch[1]!;
      const id = sectionMatch[2] ?? (slugify(sectionTitle) || `section-${sections.length + 1}`);
      if (id.length > MAX_ID_LENGTH) fail(lineNo, `section id "${id}" is ${id.length} characters; ids are at most ${MAX_ID_LENGTH}`);
      if (sections.some((s) => s.id === id)) fail(lineNo, `duplicate section id "${id}"`);
      current = { id, number: sections.length + 1, title: sectionTitle, keywords: [], body: [], line: lineNo };
      return;
    }
    if (line.startsWith('## ') || line === '##') fail(lineNo, 'a section heading needs a title: "## Title {#id}"');
    const titleMatch = TITLE.exec(line);
    if (titleMatch) {
      if (title !== undefined) fail(lineNo, 'a second article title; sections start with "## "');
      title = titleMatch[1]!;
      titleLine = lineNo;
      return;
    }
    if (!line.trim()) {
      current?.body.push('');
      return;
    }
    if (title === undefined) fail(lineNo, 'the file must start with the article title ("# Title")');
    if (!current) fail(lineNo, 'text before the first section; start a section with "## Title {#id}"');
    const keywordsMatch = KEYWORDS.exec(line.trim());
    if (keywordsMatch && current!.body.every((l) => !l)) {
      const keywords = keywordsMatch[1]!
        .split(/[,，、]/)
        .map((k) => k.trim())
        .filter(Boolean);
      if (keywords.length === 0) fail(lineNo, 'a "Keywords:" line lists no keywords');
      current!.keywords.push(...keywords);
      return;
    }
    current!.body.push(line);
  });

  if (inComment) fail(lines.length, 'a comment ("<!--") is never closed');
  if (title === undefined) fail(1, 'the file is empty; it must start with the article title ("# Title")');
  finish();
  if (sections.length === 0) fail(titleLine, 'the article has no sections ("## Title {#id}")');
  return { title: title!, sections };
}

/** Reads and parses an article file, failing with the file name when it cannot be read. */
export function loadArticle(file: string): ArticleContent {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ContentError(file, undefined, `cannot read the article: ${(err as Error).message}`);
  }
  return parseArticle(source, file);
}

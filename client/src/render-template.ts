// Template messages as WeChat shows them: a card with the title, the date, the data as rows, and "Details".
import type { Outbound, TemplateData } from '../../server/contract.ts';
import { el } from './dom.ts';
import { safeHref } from './format.ts';

type Template = Extract<Outbound, { type: 'template' }>;

// Since May 2023 WeChat accepts these fields but no longer shows them.
const HIDDEN_FIELDS = new Set(['first', 'remark']);
const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\}/g;
const HEX_COLOR = /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/;

/** A field's value, in its colour when it has a valid one. */
function value(data: TemplateData, key: string): HTMLElement {
  const field = data[key];
  const span = el('span', 'template-value', field?.value ?? '');
  if (field?.color && HEX_COLOR.test(field.color)) span.style.color = field.color;
  return span;
}

/** A line of the template's content with its placeholders filled; undefined when it shows nothing. */
function contentLine(line: string, data: TemplateData): HTMLElement | undefined {
  const keys = [...line.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if (keys.length > 0 && keys.every((k) => HIDDEN_FIELDS.has(k))) return undefined;
  if (!line.trim()) return undefined;
  // "Amount: {{amount.DATA}}" is a row: the label on the left, the value on the right.
  const labelled = /^([^{}]*?)[:：]\s*(\{\{\s*([A-Za-z0-9_]+)\.DATA\s*\}\})\s*$/.exec(line);
  if (labelled) return row(labelled[1]!.trim(), value(data, labelled[3]!));
  const text = el('div', 'template-line');
  let at = 0;
  for (const match of line.matchAll(PLACEHOLDER)) {
    text.append(line.slice(at, match.index), value(data, match[1]!));
    at = match.index + match[0].length;
  }
  text.append(line.slice(at));
  return text;
}

function row(label: string, shown: HTMLElement): HTMLElement {
  const node = el('div', 'template-row');
  node.append(el('span', 'template-label', label), shown);
  return node;
}

/** The card for a template message sent at `createdAt`. */
export function renderTemplate(message: Template, createdAt: string): HTMLElement {
  const card = el('div', 'template');
  card.append(el('div', 'template-title', message.title ?? 'Template message'));
  const date = new Date(createdAt);
  card.append(el('div', 'template-date', date.toLocaleDateString(undefined, { month: 'long', day: 'numeric' })));
  const body = el('div', 'template-body');
  const lines = message.content
    ? message.content.split(/\r?\n/).map((line) => contentLine(line, message.data))
    : Object.keys(message.data)
        .filter((key) => !HIDDEN_FIELDS.has(key))
        .map((key) => row(key, value(message.data, key)));
  body.append(...lines.filter((l): l is HTMLElement => l !== undefined));
  card.append(body);
  const href = message.url ? safeHref(message.url) : undefined;
  if (href) {
    const link = el('a', 'template-details', 'Details');
    link.href = href;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    card.append(link);
  }
  return card;
}

// Writes a conversation as a Botium convo file that replays it: what the user sent, what the bot must answer.
import type { StoredMessage } from '../../server/contract.ts';

/** Keeps a line from being read as something else: a section header, a negation. */
function safeLine(line: string): string {
  // "#" starts a section; "*" (any text) matches the "#" itself just as well.
  return line.startsWith('#') ? `*${line.slice(1)}` : line;
}

function textBlock(text: string): string {
  const lines = text.split('\n').map(safeLine);
  if (lines[0]!.startsWith('!')) lines[0] = `!${lines[0]}`; // "!!" is a literal "!"
  return lines.join('\n');
}

/** One asserter argument: "|" separates arguments, so "*" (any text) stands in for it; one line. */
const arg = (text: string) => text.replace(/\|/g, '*').replace(/\s+/g, ' ').trim();

/** The #me section that sends `m` again, or undefined for what a flow cannot send. */
function meSection(m: StoredMessage): string | undefined {
  switch (m.type) {
    case 'text':
      // A tapped option replays as a BUTTON with its text, which the runner taps again.
      return 'optionId' in m && m.optionId && arg(m.text) === m.text ? `#me\nBUTTON ${m.text}` : `#me\n${textBlock(m.text)}`;
    case 'image':
      return `#me\nMEDIA ${m.url}`;
    case 'location':
      return `#me\nLOCATION ${m.latitude},${m.longitude}${m.label ? `,${m.label}` : ''}`;
    case 'link':
      return `#me\nLINK ${m.url} ${m.title}`;
    case 'event':
      if (m.event === 'scan') return `#me\nSCAN ${m.ticket}`;
      if (m.event === 'click') return `#me\nBUTTON ${m.key}`;
      if (m.event === 'view') return `#me\nEVENT view|${m.url}`;
      return `#me\nEVENT ${m.event}`;
    default:
      return undefined;
  }
}

/** The #bot section a message of the bot must match. */
function botSection(m: StoredMessage): string | undefined {
  switch (m.type) {
    case 'text':
      return `#bot\n${textBlock(m.text)}`;
    case 'news':
      return `#bot\nCARDS ${m.articles.map((a) => arg(a.title)).join('|')}\nCARDS_COUNT ${m.articles.length}`;
    case 'image':
    case 'voice':
    case 'video':
      return m.url ? `#bot\nMEDIA ${arg(m.url)}` : `#bot\nMEDIA_COUNT 0`;
    case 'template':
      return `#bot\nCARDS ${arg(m.title ?? m.templateId)}`;
    case 'options':
      return `#bot\nBUTTONS ${m.items.map((i) => arg(i.text)).join('|')}\nBUTTONS_COUNT ${m.items.length}`;
    default:
      return undefined;
  }
}

/** The convo text for `messages` (oldest first); `name` becomes its first line. */
export function toConvo(name: string, messages: StoredMessage[], description?: string): string {
  const parts = [name.replace(/\s+/g, ' ').trim() || 'Recorded conversation'];
  if (description) parts.push(description);
  for (const m of messages) {
    const section = m.from === 'user' ? meSection(m) : botSection(m);
    if (section) parts.push(section);
  }
  return `${parts.join('\n\n')}\n`;
}

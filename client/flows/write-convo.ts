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

/** The convo text for `messages` (oldest first); `name` becomes its first line. */
export function toConvo(name: string, messages: StoredMessage[], description?: string): string {
  const parts = [name.replace(/\s+/g, ' ').trim() || 'Recorded conversation'];
  if (description) parts.push(description);
  for (const m of messages) {
    if (m.from === 'user') {
      if (m.type === 'text') parts.push(`#me\n${textBlock(m.text)}`);
      else if (m.type === 'event') parts.push(`#me\n${m.event === 'click' ? `BUTTON ${m.key}` : `EVENT ${m.event}`}`);
    } else if (m.type === 'text') {
      parts.push(`#bot\n${textBlock(m.text)}`);
    } else if (m.type === 'news') {
      // "|" separates arguments; "*" stands in for it.
      const titles = m.articles.map((a) => a.title.replace(/\|/g, '*').replace(/\s+/g, ' ').trim());
      parts.push(`#bot\nCARDS ${titles.join('|')}\nCARDS_COUNT ${m.articles.length}`);
    }
  }
  return `${parts.join('\n\n')}\n`;
}

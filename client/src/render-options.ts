// WeChat's msgmenu: a bubble with a head text, tappable items in link blue, and a tail text.
import type { OptionItem, Outbound } from '../../server/contract.ts';
import { button, el } from './dom.ts';

type Options = Extract<Outbound, { type: 'options' }>;

/** The bubble for an `options` message; a tap on an item calls `tap` with it. */
export function renderOptions(message: Options, tap: (item: OptionItem) => void): HTMLElement {
  const bubble = el('div', 'bubble options');
  if (message.head) bubble.append(el('div', 'options-head', message.head));
  const list = el('div', 'options-items');
  for (const item of message.items) list.append(button('option', item.text, () => tap(item)));
  bubble.append(list);
  if (message.tail) bubble.append(el('div', 'options-tail', message.tail));
  return bubble;
}

// Pictures, voice and video in the chat: a thumbnail that opens the lightbox, players, or a placeholder.
import type { Outbound } from '../../server/contract.ts';
import { el } from './dom.ts';
import { safeHref } from './format.ts';

type Playable = Extract<Outbound, { type: 'voice' | 'video' }>;

/** A placeholder for media with nothing to show: what it was, and its title when there is one. */
function placeholder(kind: string, title?: string): HTMLElement {
  const box = el('div', 'bubble media-missing');
  box.append(el('span', 'media-kind', kind));
  if (title) box.append(el('span', 'media-title', title));
  return box;
}

/** A picture as WeChat shows one: a thumbnail without a bubble; a tap calls `open` with its address. */
export function renderImage(url: string, open: (src: string, from: HTMLElement) => void): HTMLElement {
  const src = safeHref(url);
  if (!src) return placeholder('[Picture]');
  const thumb = el('button', 'picture');
  thumb.type = 'button';
  thumb.setAttribute('aria-label', 'Picture; tap to enlarge');
  const img = el('img');
  img.src = src;
  img.alt = 'Picture';
  img.addEventListener('error', () => thumb.replaceWith(placeholder('[Picture unavailable]')));
  thumb.append(img);
  thumb.addEventListener('click', () => open(src, thumb));
  return thumb;
}

/** A voice or video message: a player for its `url`, its title and description, or a placeholder. */
export function renderPlayable(message: Playable): HTMLElement {
  const kind = message.type === 'voice' ? '[Voice]' : '[Video]';
  const src = message.url ? safeHref(message.url) : undefined;
  if (!src) return placeholder(kind, message.title);
  const box = el('div', `bubble ${message.type}`);
  const player = el(message.type === 'voice' ? 'audio' : 'video');
  player.controls = true;
  player.preload = 'metadata';
  player.src = src;
  player.setAttribute('aria-label', message.title ?? (message.type === 'voice' ? 'Voice message' : 'Video'));
  player.addEventListener('error', () => box.replaceWith(placeholder(`${kind} cannot be played`, message.title)));
  box.append(player);
  if (message.title) box.append(el('div', 'media-title', message.title));
  if (message.description) box.append(el('div', 'media-description', message.description));
  return box;
}

// What a user shares, drawn as WeChat draws it: a location as a white card with the place's name, its
// coordinates and a map tile; a link as a white card with its title, description and site (never a green bubble).
import type { Inbound } from '../../server/contract.ts';
import { el } from './dom.ts';
import { safeHref } from './format.ts';

type Location = Extract<Inbound, { type: 'location' }>;
type Link = Extract<Inbound, { type: 'link' }>;

/** The location card; the coordinates stand in for WeChat's street address, which needs a map service. */
export function renderLocation(message: Location): HTMLElement {
  const card = el('div', 'shared-card location-card');
  card.append(el('div', 'shared-title', message.label || 'Location'));
  card.append(el('div', 'shared-detail', `${message.latitude.toFixed(6)}, ${message.longitude.toFixed(6)}`));
  // A drawn tile with a pin: no map service is called, so the chat works offline and leaks nothing.
  const map = el('div', 'location-map');
  map.append(el('div', 'location-pin'));
  card.append(map);
  return card;
}

/** The link card; a tap opens the page in the in-app browser (links in the log are handled by the window). */
export function renderLink(message: Link): HTMLElement {
  const href = safeHref(message.url);
  const card = href ? Object.assign(el('a', 'shared-card link-card'), { href }) : el('div', 'shared-card link-card');
  card.append(el('div', 'shared-title', message.title));
  const site = href ? new URL(href, location.href).host : '';
  const row = el('div', 'link-row');
  // The page's picture would need fetching it; the site's initial stands in, as WeChat's placeholder does.
  row.append(el('div', 'shared-detail', message.description || message.url), el('div', 'link-thumb', (site.replace(/^www\./, '')[0] ?? '?').toUpperCase()));
  card.append(row);
  card.append(el('div', 'link-site', site));
  return card;
}

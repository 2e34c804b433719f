// The account's custom menu (menu/create, menu/get, menu/delete): checked as the platform checks it, kept in
// the store, and turned into the chat window's menu.
import type { MenuButton, MenuItem } from '../contract.ts';
import { PlatformError } from './errors.ts';

/** A button as the platform's JSON has it. */
export type PlatformButton = {
  type?: string;
  name: string;
  key?: string;
  url?: string;
  media_id?: string;
  article_id?: string;
  appid?: string;
  pagepath?: string;
  sub_button?: PlatformButton[];
};

/** Button types that send an event with their key; the chat window sends a CLICK with it for all of them. */
const KEY_TYPES = ['click', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin', 'location_select'];
/** Button types that open their url (a mini program's url is its fallback page). */
const URL_TYPES = ['view', 'miniprogram'];
/** Button types that show platform material the simulator does not have: drawn, but they do nothing. */
const MATERIAL_TYPES: Record<string, 'media_id' | 'article_id'> = { media_id: 'media_id', view_limited: 'media_id', article_id: 'article_id', article_view_limited: 'article_id' };

const LIMITS = { buttons: 3, subButtons: 5, nameBytes: 16, subNameBytes: 60, keyBytes: 128, urlBytes: 1024 };
const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

// The codes for the same mistake differ between top-level buttons and sub-buttons.
const CODES = {
  top: { count: 40016, type: 40017, name: 40018, key: 40019, url: 40020 },
  sub: { count: 40023, type: 40024, name: 40025, key: 40026, url: 40027 },
};

/** Checks a menu/create body and returns its buttons as they will be stored; throws the platform's code for the first mistake. */
export function parseMenu(body: unknown): PlatformButton[] {
  const buttons = (body as { button?: unknown } | null)?.button;
  if (!Array.isArray(buttons) || buttons.length === 0 || buttons.length > LIMITS.buttons) {
    throw new PlatformError(40016, `button must be a list of 1 to ${LIMITS.buttons} buttons`);
  }
  return buttons.map((raw, i) => {
    const button = parseButton(raw, 'top', `button[${i}]`);
    const subs = (raw as { sub_button?: unknown }).sub_button;
    if (subs === undefined || (Array.isArray(subs) && subs.length === 0 && button.type)) return button;
    if (!Array.isArray(subs) || subs.length === 0 || subs.length > LIMITS.subButtons) {
      throw new PlatformError(40023, `button[${i}].sub_button must be a list of 1 to ${LIMITS.subButtons} buttons`);
    }
    return { name: button.name, sub_button: subs.map((sub, j) => parseButton(sub, 'sub', `button[${i}].sub_button[${j}]`)) };
  });
}

function parseButton(raw: unknown, level: 'top' | 'sub', where: string): PlatformButton {
  const codes = CODES[level];
  if (typeof raw !== 'object' || raw === null) throw new PlatformError(codes.type, `${where} must be an object`);
  const b = raw as Record<string, unknown>;
  const maxName = level === 'top' ? LIMITS.nameBytes : LIMITS.subNameBytes;
  if (typeof b.name !== 'string' || b.name === '' || bytes(b.name) > maxName) {
    throw new PlatformError(codes.name, `${where}.name must be 1 to ${maxName} bytes`);
  }
  const hasSubs = level === 'top' && Array.isArray(b.sub_button) && b.sub_button.length > 0;
  if (hasSubs) return { name: b.name };
  const type = b.type;
  if (typeof type !== 'string' || !(KEY_TYPES.includes(type) || URL_TYPES.includes(type) || Object.hasOwn(MATERIAL_TYPES, type))) {
    throw new PlatformError(codes.type, `${where}.type must be one of ${[...KEY_TYPES, ...URL_TYPES, ...Object.keys(MATERIAL_TYPES)].join(', ')}`);
  }
  const button: PlatformButton = { type, name: b.name };
  if (KEY_TYPES.includes(type)) {
    if (typeof b.key !== 'string' || b.key === '' || bytes(b.key) > LIMITS.keyBytes) throw new PlatformError(codes.key, `${where}.key must be 1 to ${LIMITS.keyBytes} bytes`);
    button.key = b.key;
  } else if (URL_TYPES.includes(type)) {
    if (typeof b.url !== 'string' || !/^https?:\/\//i.test(b.url) || bytes(b.url) > LIMITS.urlBytes) {
      throw new PlatformError(codes.url, `${where}.url must be an http(s) URL of at most ${LIMITS.urlBytes} bytes`);
    }
    button.url = b.url;
    if (type === 'miniprogram') {
      if (typeof b.appid !== 'string' || typeof b.pagepath !== 'string') throw new PlatformError(codes.type, `${where}: a miniprogram button needs appid and pagepath`);
      Object.assign(button, { appid: b.appid, pagepath: b.pagepath });
    }
  } else {
    const field = MATERIAL_TYPES[type]!;
    if (typeof b[field] !== 'string' || b[field] === '') throw new PlatformError(codes.type, `${where}: a ${type} button needs ${field}`);
    button[field] = b[field] as string;
  }
  return button;
}

/** The chat window's menu for stored platform buttons: keys for event buttons, urls for links. */
export function chatMenu(buttons: PlatformButton[]): MenuButton[] {
  return buttons.map((button) => (button.sub_button ? { name: button.name, sub: button.sub_button.map(chatItem) } : chatItem(button)));
}

function chatItem(button: PlatformButton): MenuItem {
  if (button.type && KEY_TYPES.includes(button.type)) return { name: button.name, key: button.key };
  if (button.type && URL_TYPES.includes(button.type)) return { name: button.name, url: button.url };
  return { name: button.name };
}

// The `+` panel under the keyboard, as in WeChat: Album (a picture), Scan (the account's parametric QR codes),
// Location (latitude, longitude and a label) and Link (an address, a title and a description).
import type { Inbound, QrCodeInfo } from '../../server/contract.ts';
import { button, el } from './dom.ts';

type LocationBody = Omit<Extract<Inbound, { type: 'location' }>, 'type' | 'clientId'>;
type LinkBody = Omit<Extract<Inbound, { type: 'link' }>, 'type' | 'clientId'>;

export type PlusPanelActions = {
  choosePicture: () => void;
  scan: (ticket: string) => void;
  sendLocation: (location: LocationBody) => void;
  sendLink: (link: LinkBody) => void;
};

export class PlusPanel {
  readonly root = el('div', 'plus-panel');
  private readonly body = el('div', 'plus-body');

  constructor(private readonly actions: PlusPanelActions) {
    this.root.id = 'plus-panel';
    this.root.hidden = true;
    const tiles = el('div', 'plus-tiles');
    tiles.append(
      button('plus-tile', 'Album', () => this.actions.choosePicture()),
      button('plus-tile', 'Scan', () => void this.showCodes()),
      button('plus-tile', 'Location', () => this.showLocationForm()),
      button('plus-tile', 'Link', () => this.showLinkForm()),
    );
    this.root.append(tiles, this.body);
  }

  toggle(): void {
    this.root.hidden = !this.root.hidden;
    this.body.replaceChildren();
  }

  private close(): void {
    this.root.hidden = true;
    this.body.replaceChildren();
  }

  /** The account's live codes with their scenes; a tap scans one. */
  private async showCodes(): Promise<void> {
    this.body.replaceChildren(el('p', 'plus-note', 'Loading the account’s QR codes…'));
    const answer = await fetch('/api/qrcodes').then((r) => (r.ok ? (r.json() as Promise<{ codes: QrCodeInfo[] }>) : undefined)).catch(() => undefined);
    if (!answer) return void this.body.replaceChildren(el('p', 'plus-note', 'The QR codes could not be loaded.'));
    const list = el('ul', 'scan-list');
    list.setAttribute('aria-label', 'QR codes');
    for (const code of answer.codes) {
      const item = el('li');
      const kind = code.action.startsWith('QR_LIMIT') ? 'permanent' : `until ${new Date(code.expiresAt!).toLocaleTimeString()}`;
      item.append(
        button('scan-code', `Scene ${code.scene}`, () => {
          this.actions.scan(code.ticket);
          this.close();
        }),
        el('span', 'scan-kind', kind),
      );
      list.append(item);
    }
    this.body.replaceChildren(answer.codes.length ? list : el('p', 'plus-note', 'The account has no QR codes yet: its server creates them with qrcode/create.'));
  }

  private showLocationForm(): void {
    const form = this.form([
      ['latitude', 'Latitude', '23.099994'],
      ['longitude', 'Longitude', '113.324520'],
      ['label', 'Label', 'Canton Tower, Guangzhou'],
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
      const latitude = Number(value('latitude'));
      const longitude = Number(value('longitude'));
      if (!value('latitude') || !value('longitude') || !Number.isFinite(latitude) || !Number.isFinite(longitude)) return;
      this.actions.sendLocation({ latitude, longitude, ...(value('label') ? { label: value('label') } : {}) });
      this.close();
    });
  }

  private showLinkForm(): void {
    const form = this.form([
      ['url', 'Address', 'https://example.com/article'],
      ['title', 'Title', 'An article worth reading'],
      ['description', 'Description', ''],
    ]);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value.trim();
      if (!value('url') || !value('title')) return;
      this.actions.sendLink({ url: value('url'), title: value('title'), ...(value('description') ? { description: value('description') } : {}) });
      this.close();
    });
  }

  private form(fields: Array<[name: string, label: string, placeholder: string]>): HTMLFormElement {
    const form = el('form', 'plus-form');
    for (const [name, text, placeholder] of fields) {
      const label = el('label', undefined, text);
      const input = el('input');
      Object.assign(input, { name, placeholder });
      label.append(input);
      form.append(label);
    }
    const send = el('button', 'plus-send', 'Send');
    send.type = 'submit';
    form.append(send);
    this.body.replaceChildren(form);
    return form;
  }
}

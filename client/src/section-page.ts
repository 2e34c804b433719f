// The in-app page that a news card opens: the whole section, in the in-app browser's chrome (Back, Close,
// More). Its URL is #/sections/<id>; Back returns through the browser's history when the chat opened it.
import type { SectionPayload } from '../../server/contract.ts';
import type { InAppBrowser } from './in-app-browser.ts';

const ROUTE = /^#\/sections\/([A-Za-z0-9_-]{1,64})$/;

export class SectionPage {
  private readonly page = document.getElementById('section-page')!;
  private readonly title = document.getElementById('section-title')!;
  private readonly meta = document.getElementById('section-meta')!;
  private readonly text = document.getElementById('section-text')!;
  /** Whether the page was opened from the chat, so Back can return through the browser's history. */
  private openedFromChat = false;
  private opener: HTMLElement | null = null;
  private shown: string | undefined;

  constructor(
    private readonly accountName: () => string,
    private readonly browser: InAppBrowser,
  ) {
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('click', (event) => {
      const link = (event.target as HTMLElement).closest('a');
      if (link && ROUTE.test(link.getAttribute('href') ?? '')) {
        this.openedFromChat = true;
        this.opener = link;
      }
    });
  }

  /** Puts the account's name in the title bar once it is known (a page opened by its URL comes first). */
  refreshTitle(): void {
    if (this.shown) this.browser.retitleOwnPage(this.accountName());
  }

  /** Shows or hides the page for the current URL. */
  route(): void {
    const match = ROUTE.exec(location.hash);
    if (!match) {
      this.hide();
      return;
    }
    this.open(match[1]!);
  }

  private open(id: string): void {
    this.shown = id;
    this.browser.showOwnPage(
      {
        barTitle: this.accountName(),
        title: () => this.title.textContent ?? '',
        url: `${location.origin}${location.pathname}#/sections/${id}`,
        content: this.page,
        back: () => this.back(),
        refresh: () => void this.load(id),
      },
      this.opener,
    );
    void this.load(id);
  }

  private back(): void {
    if (this.openedFromChat) history.back();
    else location.hash = '';
  }

  private async load(id: string): Promise<void> {
    this.title.textContent = 'Loading…';
    this.meta.textContent = '';
    this.text.replaceChildren();
    try {
      const res = await fetch(`/api/article/sections/${encodeURIComponent(id)}`);
      if (!res.ok) throw new Error(res.status === 404 ? 'This section does not exist.' : `The server answered ${res.status}.`);
      const section = (await res.json()) as SectionPayload;
      if (this.shown !== id) return;
      this.title.textContent = section.title;
      this.meta.textContent = `Section ${section.number}`;
      const paragraphs = section.text.split(/\n\s*\n/).map((p) => {
        const para = document.createElement('p');
        para.textContent = p;
        return para;
      });
      this.text.replaceChildren(...paragraphs);
    } catch (err) {
      this.title.textContent = 'Cannot open this section';
      this.meta.textContent = (err as Error).message;
    }
  }

  private hide(): void {
    if (this.shown === undefined) return;
    this.shown = undefined;
    this.openedFromChat = false;
    this.opener = null;
    this.browser.closeOwnPage();
  }
}

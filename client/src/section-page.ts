// The in-app page that a news card opens: the whole section, a title bar and Back. Its URL is #/sections/<id>.
import type { SectionPayload } from '../../server/contract.ts';

const ROUTE = /^#\/sections\/([A-Za-z0-9_-]{1,64})$/;

export class SectionPage {
  private readonly page = document.getElementById('section-page')!;
  private readonly barTitle = document.getElementById('section-bar-title')!;
  private readonly title = document.getElementById('section-title')!;
  private readonly meta = document.getElementById('section-meta')!;
  private readonly text = document.getElementById('section-text')!;
  private readonly back = document.getElementById('back') as HTMLButtonElement;
  /** Whether the page was opened from the chat, so Back can return through the browser's history. */
  private openedFromChat = false;
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly accountName: () => string) {
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('click', (event) => {
      const link = (event.target as HTMLElement).closest('a');
      if (link && ROUTE.test(link.getAttribute('href') ?? '')) {
        this.openedFromChat = true;
        this.returnFocus = link;
      }
    });
    this.back.addEventListener('click', () => {
      if (this.openedFromChat) history.back();
      else location.hash = '';
    });
    this.page.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') this.back.click();
    });
  }

  /** Puts the account's name in the title bar once it is known (a page opened by its URL comes first). */
  refreshTitle(): void {
    this.barTitle.textContent = this.accountName();
  }

  /** Shows or hides the page for the current URL. */
  route(): void {
    const match = ROUTE.exec(location.hash);
    if (!match) {
      this.hide();
      return;
    }
    void this.show(match[1]!);
  }

  private async show(id: string): Promise<void> {
    this.page.hidden = false;
    this.barTitle.textContent = this.accountName();
    this.title.textContent = 'Loading…';
    this.meta.textContent = '';
    this.text.replaceChildren();
    this.back.focus();
    try {
      const res = await fetch(`/api/article/sections/${encodeURIComponent(id)}`);
      if (!res.ok) throw new Error(res.status === 404 ? 'This section does not exist.' : `The server answered ${res.status}.`);
      const section = (await res.json()) as SectionPayload;
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
    if (this.page.hidden) return;
    this.page.hidden = true;
    this.openedFromChat = false;
    this.returnFocus?.focus({ preventScroll: true });
    this.returnFocus = null;
  }
}

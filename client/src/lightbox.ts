// A picture enlarged over the chat, as WeChat opens one on a tap; a tap, Escape or the browser's Back closes it.
import { el } from './dom.ts';

export class Lightbox {
  private overlay: HTMLElement | undefined;
  private returnFocus: HTMLElement | null = null;

  constructor(private readonly host: HTMLElement) {
    window.addEventListener('popstate', () => this.remove());
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.overlay) this.close();
    });
  }

  /** Shows the picture at `src`; the history entry it adds lets Back close it. */
  open(src: string, from: HTMLElement): void {
    this.remove();
    this.returnFocus = from;
    const overlay = el('div', 'lightbox');
    overlay.setAttribute('role', 'dialog');
    overlay.setAttribute('aria-modal', 'true');
    overlay.setAttribute('aria-label', 'Picture');
    overlay.tabIndex = -1;
    const img = el('img');
    img.src = src;
    img.alt = 'Picture, enlarged';
    overlay.append(img);
    overlay.addEventListener('click', () => this.close());
    this.host.append(overlay);
    this.overlay = overlay;
    history.pushState({ lightbox: true }, '');
    overlay.focus();
  }

  /** Closes through the history, so the entry `open` added is gone too. */
  private close(): void {
    if (history.state?.lightbox) history.back();
    else this.remove();
  }

  private remove(): void {
    if (!this.overlay) return;
    this.overlay.remove();
    this.overlay = undefined;
    this.returnFocus?.focus({ preventScroll: true });
    this.returnFocus = null;
  }
}

// WeChat's consent sheet for snsapi_userinfo, over the in-app browser: the account asks for the user's nickname
// and avatar, and the user answers Allow or Deny. It is the chat window's, outside the page's frame, so the
// page can neither see it nor press its buttons.

export type ConsentRequest = { account: string; host: string; nickname: string; avatarUrl: string };
export type Consent = 'allow' | 'deny';

export class ConsentSheet {
  private readonly sheet = document.getElementById('consent-sheet')!;
  private readonly allow = document.getElementById('consent-allow') as HTMLButtonElement;
  private answer: ((consent: Consent | undefined) => void) | undefined;

  constructor() {
    this.allow.addEventListener('click', () => this.settle('allow'));
    document.getElementById('consent-deny')!.addEventListener('click', () => this.settle('deny'));
    this.sheet.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape') return;
      // Dismissing the sheet is a refusal, as in WeChat; the browser behind it stays open.
      event.stopPropagation();
      this.settle('deny');
    });
  }

  get isOpen(): boolean {
    return !this.sheet.hidden;
  }

  /** Shows the sheet and resolves with the user's answer, or undefined when the sheet is dismissed by closing the browser. */
  ask({ account, host, nickname, avatarUrl }: ConsentRequest): Promise<Consent | undefined> {
    this.settle(undefined);
    document.getElementById('consent-account')!.textContent = account;
    document.getElementById('consent-host')!.textContent = host;
    document.getElementById('consent-nickname')!.textContent = nickname;
    const avatar = document.getElementById('consent-avatar') as HTMLImageElement;
    avatar.src = /^https?:/.test(avatarUrl) ? avatarUrl : '';
    this.sheet.hidden = false;
    this.allow.focus();
    return new Promise((resolve) => (this.answer = resolve));
  }

  /** Hides the sheet, answering the pending question with `consent`. */
  settle(consent: Consent | undefined): void {
    this.sheet.hidden = true;
    const answer = this.answer;
    this.answer = undefined;
    answer?.(consent);
  }
}

// The official account's bottom bar: the menu (buttons with pop-up lists) or the keyboard with an attach
// button, and a toggle between them, whose choice is remembered per account.
import type { MenuButton, MenuItem } from '../../server/contract.ts';
import { PlusPanel, type PlusPanelActions } from './plus-panel.ts';

export type BottomBarActions = {
  sendText: (text: string) => void;
  click: (key: string) => void;
  /** A menu link the user opened (it opens in the in-app browser). */
  view: (url: string) => void;
  attach: (file: File) => void;
} & Omit<PlusPanelActions, 'choosePicture'>;

/** Where the keyboard-or-menu choice is kept, so a reload shows what the user chose for that account. */
const modeKey = (accountName: string) => `oa-sim.bottomBar.${accountName}`;

export class BottomBar {
  private readonly menu = document.getElementById('menu')!;
  private readonly composer = document.getElementById('composer') as HTMLFormElement;
  private readonly input = document.getElementById('input') as HTMLTextAreaElement;
  private readonly toggle = document.getElementById('mode-toggle') as HTMLButtonElement;
  private readonly picker = document.getElementById('picker') as HTMLInputElement;
  private openPopup: { button: HTMLButtonElement; list: HTMLElement } | undefined;
  private accountName = '';

  constructor(private readonly actions: BottomBarActions) {
    this.composer.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener('keydown', (event) => {
      // Enter sends; Shift+Enter (and Enter while composing Chinese with an IME) makes a new line.
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    this.input.addEventListener('input', () => this.fitInput());
    // `+` opens the panel of Album, Scan, Location and Link, under the composer as in WeChat.
    const plus = new PlusPanel({ ...this.actions, choosePicture: () => this.picker.click() });
    this.composer.closest('footer')!.after(plus.root);
    document.getElementById('attach')!.addEventListener('click', () => plus.toggle());
    this.picker.addEventListener('change', () => {
      const file = this.picker.files?.[0];
      this.picker.value = ''; // the same picture can be picked again
      if (file) this.actions.attach(file);
    });
    this.toggle.addEventListener('click', () => {
      const keyboard = this.composer.hasAttribute('hidden');
      this.showKeyboard(keyboard);
      localStorage.setItem(modeKey(this.accountName), keyboard ? 'keyboard' : 'menu');
    });
    document.addEventListener('click', (event) => {
      if (this.openPopup && !(event.target as HTMLElement).closest('.menu-group')) this.closePopup();
    });
    document.addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && this.openPopup) {
        const { button } = this.openPopup;
        this.closePopup();
        button.focus();
      }
    });
  }

  /**
   * Draws the account's menu, showing what the user last chose for that account (the menu at first, as in
   * WeChat); an account without a menu shows only the keyboard.
   */
  setMenu(buttons: MenuButton[], accountName: string): void {
    this.accountName = accountName;
    this.menu.replaceChildren(...buttons.map((b) => this.menuButton(b)));
    this.toggle.hidden = buttons.length === 0;
    const chosen = localStorage.getItem(modeKey(accountName));
    this.showKeyboard(buttons.length === 0 || (chosen ? chosen === 'keyboard' : !this.composer.hasAttribute('hidden')));
  }

  showKeyboard(keyboard: boolean): void {
    this.closePopup();
    this.composer.hidden = !keyboard;
    this.menu.hidden = keyboard;
    this.toggle.setAttribute('aria-label', keyboard ? 'Show menu' : 'Show keyboard');
    this.toggle.textContent = keyboard ? '☰' : '⌨';
    if (keyboard) this.input.focus();
  }

  private submit(): void {
    const text = this.input.value.trim();
    if (!text) return;
    this.actions.sendText(text);
    this.input.value = '';
    this.fitInput();
    this.input.focus();
  }

  private fitInput(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 120)}px`;
  }

  private menuButton(button: MenuButton): HTMLElement {
    const group = document.createElement('div');
    group.className = 'menu-group';
    const element = document.createElement('button');
    element.type = 'button';
    element.className = 'menu-button';
    element.textContent = button.name;
    group.append(element);
    if (!button.sub?.length) {
      element.addEventListener('click', () => this.activate(button));
      return group;
    }
    element.classList.add('has-sub');
    element.setAttribute('aria-haspopup', 'menu');
    element.setAttribute('aria-expanded', 'false');
    const list = document.createElement('div');
    list.className = 'menu-popup';
    list.setAttribute('role', 'menu');
    list.setAttribute('aria-label', button.name);
    list.hidden = true;
    for (const sub of button.sub) {
      const item = document.createElement('button');
      item.type = 'button';
      item.setAttribute('role', 'menuitem');
      item.textContent = sub.name;
      item.addEventListener('click', () => {
        this.closePopup();
        this.activate(sub);
      });
      list.append(item);
    }
    list.addEventListener('keydown', (event) => this.moveFocus(list, event));
    element.addEventListener('click', () => {
      const wasOpen = this.openPopup?.list === list;
      this.closePopup();
      if (!wasOpen) this.openMenu(element, list);
    });
    group.append(list);
    return group;
  }

  private openMenu(button: HTMLButtonElement, list: HTMLElement): void {
    list.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    this.openPopup = { button, list };
    list.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }

  private closePopup(): void {
    if (!this.openPopup) return;
    this.openPopup.list.hidden = true;
    this.openPopup.button.setAttribute('aria-expanded', 'false');
    this.openPopup = undefined;
  }

  private moveFocus(list: HTMLElement, event: KeyboardEvent): void {
    const items = [...list.querySelectorAll<HTMLElement>('[role="menuitem"]')];
    const at = items.indexOf(document.activeElement as HTMLElement);
    const step = event.key === 'ArrowDown' ? 1 : event.key === 'ArrowUp' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    items[(at + step + items.length) % items.length]?.focus();
  }

  private activate(item: MenuItem): void {
    if (item.key) this.actions.click(item.key);
    else if (item.url) {
      // WeChat opens the page and tells the account's server with a VIEW event.
      this.actions.view(item.url);
    }
  }
}

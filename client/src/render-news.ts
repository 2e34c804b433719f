// News (图文) messages: one article as a big card, several as a lead cover and rows, as in WeChat.
import type { Article } from '../../server/contract.ts';
import { el } from './dom.ts';
import { hueOf, initialOf, safeHref } from './format.ts';

/** The cards of a news message; a card links to its article (a section page opens in place). */
export function renderNews(articles: Article[]): HTMLElement {
  const news = el('div', articles.length > 1 ? 'news multi' : 'news');
  articles.forEach((article, i) => {
    // "/#/sections/x" would leave the page (and its ?user=); the hash alone opens it in place.
    const href = article.url.startsWith('/#/') ? article.url.slice(1) : safeHref(article.url);
    const link = el('a', i === 0 ? 'card lead' : 'card');
    if (href) link.href = href;
    if (href && /^https?:/.test(href)) {
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
    }
    const cover = el('div', 'cover');
    if (article.picUrl && safeHref(article.picUrl)) {
      const img = el('img');
      img.src = safeHref(article.picUrl)!;
      img.alt = '';
      cover.append(img);
    } else {
      // A generated cover: a colour of its own for each article, and its initial.
      const hue = hueOf(article.sectionId ?? article.title);
      cover.style.background = `linear-gradient(135deg, hsl(${hue} 60% 42%), hsl(${(hue + 40) % 360} 65% 58%))`;
      cover.append(el('span', 'cover-mark', initialOf(article.title)));
    }
    const title = el('div', 'card-title', article.title);
    link.append(cover, title);
    if (articles.length === 1 && article.description) link.append(el('div', 'card-description', article.description));
    if (articles.length === 1) link.append(el('div', 'card-footer', 'Read more'));
    news.append(link);
  });
  return news;
}

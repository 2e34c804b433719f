import { expect } from 'chai';
import { byteLength, splitIntoPages } from '../server/bot/paging.ts';

const words = (text: string) => text.split(/\s+/).filter(Boolean);

describe('paging: splitting text into message-sized pages', () => {
  it('leaves text that fits as one page', () => {
    expect(splitIntoPages('  Short text.  ', 2048)).to.deep.equal(['Short text.']);
  });

  it('cuts at paragraph breaks first, keeping every word in order', () => {
    const paragraph = 'Alpha beta gamma delta. '.repeat(30).trim();
    const text = [paragraph, paragraph, paragraph].join('\n\n');
    const pages = splitIntoPages(text, 1500);
    expect(pages.length).to.be.greaterThan(1);
    for (const page of pages) expect(byteLength(page)).to.be.at.most(1500);
    expect(pages[0]!.endsWith('delta.')).to.equal(true);
    expect(words(pages.join(' '))).to.deep.equal(words(text));
  });

  it('cuts at sentence ends when a paragraph is too long', () => {
    const text = 'This sentence has some words in it. '.repeat(100).trim();
    const pages = splitIntoPages(text, 500);
    for (const page of pages) {
      expect(byteLength(page)).to.be.at.most(500);
      expect(page.endsWith('.')).to.equal(true);
    }
    expect(words(pages.join(' '))).to.deep.equal(words(text));
  });

  it('counts bytes of UTF-8, so Chinese text (3 bytes a character) is cut at 。', () => {
    const text = '微信支付正在快速发展。'.repeat(200);
    const pages = splitIntoPages(text, 2048);
    expect(pages.length).to.be.greaterThan(2);
    for (const page of pages) {
      expect(byteLength(page)).to.be.at.most(2048);
      expect(page.endsWith('。')).to.equal(true);
    }
    expect(pages.join('')).to.equal(text);
  });

  it('splits text with no boundary at all without breaking a character', () => {
    const text = '😀'.repeat(1000); // 4 bytes each, two UTF-16 units each
    const pages = splitIntoPages(text, 2048);
    for (const page of pages) expect(byteLength(page)).to.be.at.most(2048);
    expect(pages.join('')).to.equal(text);
    expect(pages.every((p) => !/[\uD800-\uDBFF]$/.test(p))).to.equal(true);
  });
});

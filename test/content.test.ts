import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { checkMenuSections, loadAccount } from '../server/content/account.ts';
import { loadArticle, parseArticle } from '../server/content/article.ts';
import { ContentError } from '../server/content/content-error.ts';
import { dataDir, tempDir } from './helpers.ts';

describe('content: the article file', () => {
  const article = loadArticle(path.join(dataDir, 'article.md'));

  it('has the seed article\'s seven sections in order, numbered from 1', () => {
    expect(article.sections.map((s) => s.id)).to.deep.equal(['intro', 'payment', 'ecommerce', 'games', 'outlook', 'author', 'related']);
    expect(article.sections.map((s) => s.number)).to.deep.equal([1, 2, 3, 4, 5, 6, 7]);
    expect(article.sections[1]!.title).to.equal('Activate Mobile Payment');
    expect(article.sections[2]!.title).to.equal('Open up the closed loop of payment and e-commerce');
    expect(article.sections[3]!.title).to.equal('Promoting the development of mobile games');
  });

  it('keeps the seed text and splits it where the headings were', () => {
    expect(article.sections[0]!.text).to.match(/^On the afternoon of May 6, Tencent announced/);
    expect(article.sections[0]!.text).to.match(/"The commercialization of the entire WeChat has accelerated\."$/);
    expect(article.sections[1]!.text).to.match(/^As the number of mobile devices/);
    expect(article.sections[3]!.text).to.include('Shoot the Plane');
    expect(article.sections[6]!.text).to.include('Sohu wins 2014 World Cup video rights');
  });

  it('gives every section keywords in English and in Chinese', () => {
    for (const section of article.sections) {
      expect(section.keywords.some((k) => /[a-z]/i.test(k)), section.id).to.equal(true);
      expect(section.keywords.some((k) => /\p{Script=Han}/u.test(k)), section.id).to.equal(true);
    }
    expect(article.sections.find((s) => s.id === 'payment')!.keywords).to.include('支付');
    expect(article.sections.find((s) => s.id === 'games')!.keywords).to.include('游戏');
  });

  it('reads any article in the same format, deriving ids from titles when none is given', () => {
    const parsed = parseArticle('# T\n\n## First part\nKeywords: a1, 第一\n\nBody one.\n\n## 第二\nBody two.\n', 'x.md');
    expect(parsed.title).to.equal('T');
    expect(parsed.sections.map((s) => [s.id, s.keywords, s.text])).to.deep.equal([
      ['first-part', ['a1', '第一'], 'Body one.'],
      ['section-2', [], 'Body two.'],
    ]);
  });

  it('caps ids made from long titles at 64 characters, without a dash at the end', () => {
    const parsed = parseArticle(`# T\n\n## ${'abc '.repeat(20)}\nText.\n`, 'x.md');
    const id = parsed.sections[0]!.id;
    expect(id.length).to.be.within(1, 64);
    expect(id).to.match(/^abc(-abc)+$/);
  });

  const malformed: Array<[string, string, number, RegExp]> = [
    ['empty file', '', 1, /empty/],
    ['no title', 'Some text\n## S {#s}\nx', 1, /article title/],
    ['text before the first section', '# T\nloose text\n## S {#s}\nx', 2, /before the first section/],
    ['a section with no text', '# T\n## A {#a}\nKeywords: k\n\n## B {#b}\nx', 2, /no text/],
    ['a duplicate id', '# T\n## A {#a}\nx\n## B {#a}\ny', 4, /duplicate section id "a"/],
    ['a second title', '# T\n## A {#a}\nx\n# U\n', 4, /second article title/],
    ['no sections', '# T\n', 1, /no sections/],
    ['an unclosed comment', '# T\n<!-- open\n## A {#a}\nx', 4, /never closed/],
    ['a section id over 64 characters (URLs could not fetch it)', `# T\n## A {#a}\nx\n## B {#${'b'.repeat(65)}}\ny`, 4, /65 characters; ids are at most 64/],
  ];
  for (const [what, source, line, reason] of malformed) {
    it(`refuses ${what}, naming the file and line`, () => {
      try {
        parseArticle(source, 'broken.md');
        expect.fail('should have thrown');
      } catch (err) {
        expect(err).to.be.instanceOf(ContentError);
        expect((err as ContentError).line).to.equal(line);
        expect((err as Error).message).to.match(new RegExp(`^broken\\.md:${line}: `)).and.match(reason);
      }
    });
  }
});

describe('content: the account file', () => {
  it('loads the project\'s account with a WeChat-sized menu', () => {
    const account = loadAccount(path.join(dataDir, 'account.json'));
    expect(account.name).to.be.a('string').and.not.equal('');
    expect(account.menu.length).to.be.within(1, 3);
    for (const button of account.menu) expect(button.sub?.length ?? 0).to.be.at.most(5);
  });

  it('refuses a menu button bound to a section the article does not have', () => {
    const article = loadArticle(path.join(dataDir, 'article.md'));
    const account = { name: 'A', description: '', menu: [{ name: 'M', sub: [{ name: 'ok', key: 'section:games' }, { name: 'bad', key: 'section:nope' }] }] };
    expect(() => checkMenuSections(account, article, 'account.json')).to.throw(ContentError, /account\.json: menu\.0\.sub\.1\.key: the article has no section "nope"/);
    expect(() => checkMenuSections(loadAccount(path.join(dataDir, 'account.json')), article, 'account.json')).not.to.throw();
  });

  it('refuses a menu of four buttons, naming the file and the field', async () => {
    const tmp = await tempDir();
    const file = path.join(tmp.dir, 'account.json');
    const button = { name: 'b', key: 'help' };
    writeFileSync(file, JSON.stringify({ name: 'A', menu: [button, button, button, button] }));
    expect(() => loadAccount(file)).to.throw(ContentError, /account\.json: menu: at most 3 menu buttons/);
    writeFileSync(file, '{\n  "name": "A",\n  oops\n}');
    expect(() => loadAccount(file)).to.throw(ContentError, /account\.json(:3)?: not valid JSON/);
    await tmp.remove();
  });
});

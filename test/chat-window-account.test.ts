// The test account in the chat window (browser, Chromium): Scan in the + panel lists the account's codes and a tap
// scans one, a location and a link drawn as WeChat draws them, the developer panel's followers with remark and tags
// and switching to one, and a code's URL opening a chat by that scan. Screenshots land in docs/ for a person to look at.
import { expect } from 'chai';
import API from 'co-wechat-api';
import type { Browser, Page } from 'playwright-core';
import { openApp } from '../server/app/start.ts';
import type { App } from '../server/app/app.ts';
import { clientDir } from '../server/config.ts';
import { silentLogger } from '../server/logger.ts';
import { memoryStore } from '../server/store/low-store.ts';
import { openIdOf, remoteResponder } from '../server/wechat/remote-bot.ts';
import { guideScreenshot, launchBrowser } from './browser.ts';
import { connectUser, seedContent } from './helpers.ts';
import { accountServer, APPID, SECRET, TOKEN } from './platform-helpers.ts';

describe('chat window: the test account (browser)', function () {
  this.timeout(60_000);
  let browser: Browser | undefined;
  let app: App;
  let url: string;
  let account: Awaited<ReturnType<typeof accountServer>>;
  const errors: string[] = [];

  before(async function () {
    browser = await launchBrowser(this);
    account = await accountServer((message, res) => {
      if (message.Event === 'subscribe') return res.reply(message.EventKey ? `Welcome! You came by ${message.EventKey.replace('qrscene_', 'scene ')}.` : 'Welcome to the test account.');
      if (message.Event === 'SCAN') return res.reply(`Thanks for scanning the ${message.EventKey} poster.`);
      if (message.MsgType === 'location') return res.reply(`The nearest store to ${message.Label} is 300 m away.`);
      if (message.MsgType === 'link') return res.reply(`Saved “${message.Title}” for later.`);
      res.reply('');
    });
    const target = { url: account.url, token: TOKEN, retries: 0 };
    app = await openApp({ store: memoryStore(), content: seedContent(), logger: silentLogger, clientDir, responder: remoteResponder(target), platform: { appId: APPID, secret: SECRET, target } });
    url = await app.listen(0, '127.0.0.1');
  });
  after(async () => {
    await browser?.close();
    await app?.close();
    await account?.close();
    if (errors.length) throw new Error(`errors in the page: ${errors.join('; ')}`);
  });

  async function open(path: string, width = 1000): Promise<Page> {
    const context = await browser!.newContext({ viewport: { width, height: 760 } });
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${url}${path}`);
    return page;
  }

  it('scans a code from the + panel, sends a location and a link, lists followers with remark and tags, switches to one, and opens a chat from a code’s URL', async () => {
    const api = new API(APPID, SECRET);
    api.prefix = `${url}/cgi-bin/`;
    await api.createLimitQRCode('spring-poster');
    const temporary = await api.createTmpQRCode(2025, 3600);

    const page = await open('/?user=alice', 420);
    await page.getByRole('log').getByText('Welcome to the test account.').waitFor();
    const keyboard = page.getByRole('button', { name: 'Show keyboard' });
    if (await keyboard.isVisible()) await keyboard.click();
    await page.getByRole('button', { name: /^More/ }).click();
    await page.getByRole('button', { name: 'Scan', exact: true }).click();
    const codes = page.getByRole('list', { name: 'QR codes' });
    await codes.getByRole('button', { name: 'Scene spring-poster' }).waitFor();
    expect(await codes.getByRole('button').allTextContents()).to.deep.equal(['Scene 2025', 'Scene spring-poster']);
    await guideScreenshot(page, 'scan-list.png');
    await codes.getByRole('button', { name: 'Scene spring-poster' }).click();
    await page.getByRole('log').getByText('Thanks for scanning the spring-poster poster.').waitFor();
    await page.getByRole('log').getByText('You scanned a QR code of the account').waitFor();

    await page.getByRole('button', { name: /^More/ }).click();
    await page.getByRole('button', { name: 'Location', exact: true }).click();
    await page.getByLabel('Latitude').first().fill('23.129163');
    await page.getByLabel('Longitude').first().fill('113.264435');
    await page.getByLabel('Label').fill('Tianhe Sports Center, Guangzhou');
    await page.locator('.plus-form').getByRole('button', { name: 'Send' }).click();
    const card = page.locator('#log .location-card');
    await card.getByText('Tianhe Sports Center, Guangzhou').waitFor();
    expect(await card.locator('.shared-detail').textContent()).to.equal('23.129163, 113.264435');
    await page.getByRole('log').getByText('The nearest store to Tianhe Sports Center, Guangzhou is 300 m away.').waitFor();

    await page.getByRole('button', { name: /^More/ }).click();
    await page.getByRole('button', { name: 'Link', exact: true }).click();
    await page.getByLabel('Address').fill('https://example.com/spring-sale');
    await page.getByLabel('Title').fill('Spring sale: everything half price');
    await page.getByLabel('Description').fill('Only this weekend');
    await page.locator('.plus-form').getByRole('button', { name: 'Send' }).click();
    await page.getByRole('log').getByText('Saved “Spring sale: everything half price” for later.').waitFor();
    expect(await page.locator('#log .link-card .link-site').textContent()).to.equal('example.com');
    await guideScreenshot(page, 'location-link.png');

    // The developer panel lists the followers with the remark and tags the server gave them.
    const bob = await connectUser(url, 'bob');
    bob.socket.close();
    const vip = (await api.createTags('VIP')).tag.id;
    const city = (await api.createTags('广州')).tag.id;
    await api.batchTagging([openIdOf('alice'), openIdOf('bob')], vip);
    await api.batchTagging([openIdOf('alice')], city);
    await api.updateRemark(openIdOf('bob'), 'Bob from sales');
    const wide = await open('/?user=alice');
    await wide.getByRole('log').getByText('Welcome to the test account.').waitFor();
    await wide.getByRole('button', { name: 'Developer panel' }).click();
    const followers = wide.getByRole('list', { name: 'Followers' });
    await followers.getByText('Bob from sales (bob)').waitFor();
    expect(await followers.locator('.follower-tags').allTextContents()).to.deep.equal(['VIP, 广州', 'VIP']);
    await guideScreenshot(wide, 'followers-panel.png');
    // The panel's QR codes: a scan as this user, and a fresh user arriving by one.
    await wide.getByRole('button', { name: 'QR codes' }).click();
    const spring = wide.locator('.dev-code', { hasText: 'Scene spring-poster' });
    await spring.getByRole('button', { name: 'Scan', exact: true }).click();
    // alice's second scan of that poster (the first was from the + panel).
    await wide.getByRole('log').getByText('Thanks for scanning the spring-poster poster.').nth(1).waitFor();
    await wide.locator('.dev-code', { hasText: 'Scene 2025' }).getByRole('button', { name: 'Arrive by it' }).click();
    await wide.getByRole('log').getByText('Welcome! You came by scene 2025.').waitFor();
    const arrived = await wide.locator('#dev-user').textContent();
    expect(arrived).to.match(/^u_/);
    expect(await api.getUser(openIdOf(arrived!))).to.include({ subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 2025 });
    await wide.getByRole('button', { name: 'Refresh' }).click();
    await followers.locator('li', { hasText: 'Bob from sales' }).getByRole('button', { name: 'Switch' }).waitFor();
    await followers.locator('li', { hasText: 'Bob from sales' }).getByRole('button', { name: 'Switch' }).click();
    await wide.locator('#dev-user', { hasText: 'bob' }).waitFor();
    await wide.getByRole('log').getByText('Welcome to the test account.').waitFor();

    // A code's URL, as a phone camera reads it from the PNG, opens a chat by that scan for a new user.
    const arriving = await open(new URL(temporary.url).pathname, 420);
    await arriving.getByRole('log').getByText('Welcome! You came by scene 2025.').waitFor();
    expect(new URL(arriving.url()).search).to.equal('');
    const userId = await arriving.evaluate(() => localStorage.getItem('oa-sim.userId'));
    expect(await api.getUser(openIdOf(userId!))).to.include({ subscribe_scene: 'ADD_SCENE_QR_CODE', qr_scene: 2025 });
  });
});

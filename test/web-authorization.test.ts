// Web authorization (网页授权) against code no one here wrote: an account server whose pages log in with
// `wechat-oauth` (its authorize URL as it builds it, its calls sent to the simulator), the SDK's authorize()
// helper, the consent sheet and error pages, and each bad input getting WeChat's answer with nothing stored.
import { expect } from 'chai';
import { authorize, AuthorizeRefused } from '../client/sdk/bot-client.ts';
import { simulatorAuthorizeUrl } from '../server/platform/authorize-request.ts';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { http, rejection } from './helpers.ts';
import { memoryStore } from '../server/store/low-store.ts';
import type { ChatStore } from '../server/store/chat-store.ts';
import { APPID, SECRET, platformSimulatorOn, type Simulator } from './platform-helpers.ts';
import { hop, pagesServer, type PagesServer } from './pages-helpers.ts';

const MINUTE = 60_000;

describe('web authorization: an account server with wechat-oauth', () => {
  let now = Date.now();
  let sim: Simulator;
  let pages: PagesServer;
  let store: ChatStore;
  beforeEach(async () => {
    now = Date.now();
    pages = await pagesServer(() => sim.url);
    store = memoryStore();
    sim = await platformSimulatorOn(store, pages.wechatUrl, { now: () => now });
  });
  afterEach(async () => {
    await sim.close();
    await pages.close();
  });

  /** The callback URL the authorize page sends alice's browser to, from the account's /login. */
  const authorizedCallback = async (userId: string, consent = 'allow') => {
    const login = await hop(`${pages.origin}/login`);
    expect(login.location).to.match(/^https:\/\/open\.weixin\.qq\.com\/connect\/oauth2\/authorize\?appid=/);
    const page = await hop(`${simulatorAuthorizeUrl(login.location!, sim.url, userId)}&consent=${consent}`);
    expect(page.status).to.equal(302);
    return page.location!;
  };
  const sns = (path: string) => http(`${sim.url}/sns/${path}`, 'GET');

  it('logs alice in: authorize URL → consent → code → getAccessToken → getUser; the same code again is 40163', async () => {
    const callback = await authorizedCallback('alice');
    expect(callback).to.match(new RegExp(`^${pages.origin}/callback\\?code=[^&]+&state=xyz$`));
    const first = await http(callback, 'GET');
    expect(first.status).to.equal(200);
    expect(first.body).to.deep.include({ state: 'xyz', scope: 'snsapi_userinfo', openid: openIdOf('alice'), nickname: 'Alice', sex: 0, province: '', city: '', country: '' });
    expect(first.body.privilege).to.deep.equal([]);
    expect(first.body.headimgurl).to.equal(`${sim.url}/avatars/alice/132`);
    // Back onto the ?code= URL: the library gets WeChat's 40163.
    const again = await http(callback, 'GET');
    expect(again.body).to.deep.include({ errcode: 40163 });
    // Every /sns/ call is in the developer panel's list, without the secret or the token.
    const paths = (await sim.app.service.recentApiCalls()).map((call) => `${call.path.split('?')[0]} ${call.errcode}`);
    expect(paths).to.include.members(['/connect/oauth2/authorize 0', '/sns/oauth2/access_token 0', '/sns/userinfo 0', '/sns/oauth2/access_token 40163']);
    const calls = JSON.stringify(await sim.app.service.recentApiCalls());
    expect(calls).to.not.include(SECRET);
    expect(calls).to.include('secret=***');
  });

  it('refreshes and checks tokens with wechat-oauth, and refuses a refresh token past 30 days (42002)', async () => {
    const code = new URL(await authorizedCallback('bob')).searchParams.get('code')!;
    const { data } = await new Promise<any>((resolve, reject) => pages.oauth.getAccessToken(code, (err, result) => (err ? reject(err) : resolve(result))));
    const verified = await new Promise<any>((resolve, reject) => pages.oauth.verifyToken(data.openid, data.access_token, (err, result) => (err ? reject(err) : resolve(result))));
    expect(verified).to.deep.include({ errcode: 0, errmsg: 'ok' });
    now += 2 * 3600_000 + 1000;
    expect((await sns(`userinfo?access_token=${data.access_token}&openid=${data.openid}`)).body.errcode).to.equal(42001);
    const refreshed = await new Promise<any>((resolve, reject) => pages.oauth.refreshAccessToken(data.refresh_token, (err, result) => (err ? reject(err) : resolve(result))));
    expect(refreshed.data.openid).to.equal(openIdOf('bob'));
    expect((await sns(`userinfo?access_token=${refreshed.data.access_token}&openid=${data.openid}`)).body.nickname).to.equal('Bob');
    now += 30 * 86_400_000;
    const expired = await rejection(new Promise((resolve, reject) => pages.oauth.refreshAccessToken(data.refresh_token, (err, result) => (err ? reject(err) : resolve(result)))));
    expect(expired.code).to.equal(42002);
  });

  it('answers each bad exchange as WeChat does and stores nothing for it', async () => {
    const code = new URL(await authorizedCallback('carol')).searchParams.get('code')!;
    const exchange = (query: string) => sns(`oauth2/access_token?grant_type=authorization_code&${query}`);
    expect((await exchange(`appid=wx_other&secret=${SECRET}&code=${code}`)).body.errcode).to.equal(40013);
    expect((await exchange(`appid=${APPID}&secret=wrong&code=${code}`)).body.errcode).to.equal(40125);
    expect((await exchange(`appid=${APPID}&secret=${SECRET}`)).body.errcode).to.equal(41008);
    expect((await exchange(`appid=${APPID}&secret=${SECRET}&code=${code.slice(0, -2)}xx`)).body.errcode).to.equal(40029);
    expect((await exchange(`appid=${APPID}&secret=${SECRET}&code=CODE`)).body.errcode).to.equal(40029);
    expect((await sns(`oauth2/refresh_token?appid=${APPID}&grant_type=refresh_token&refresh_token=${code}`)).body.errcode).to.equal(40030);
    // None of them used the code, nor stored anything: the code still works, once.
    expect(await store.records('oauth-codes-used').list()).to.deep.equal([]);
    expect((await exchange(`appid=${APPID}&secret=${SECRET}&code=${code}`)).body.openid).to.equal(openIdOf('carol'));
    expect(await store.records('oauth-codes-used').list()).to.have.length(1);

    const late = new URL(await authorizedCallback('carol')).searchParams.get('code')!;
    now += 5 * MINUTE + 1;
    const body = (await exchange(`appid=${APPID}&secret=${SECRET}&code=${late}`)).body;
    expect(body.errcode).to.equal(42003);
    expect(body.errmsg).to.match(/^oauth_code timeout/);
  });

  it('lets one of concurrent exchanges of a code succeed, over HTTP and within one tick', async () => {
    const callback = await authorizedCallback('dave');
    const answers = await Promise.all([http(callback, 'GET'), http(callback, 'GET'), http(callback, 'GET')]);
    expect(answers.map((a) => a.body.errcode ?? 0).sort()).to.deep.equal([0, 40163, 40163]);
    // Started in the same tick, the reads of "used?" would all run before any write without the code's lock.
    const code = new URL(await authorizedCallback('dave')).searchParams.get('code')!;
    const exchange = () => sim.app.platform.web().sns.accessToken({ appid: APPID, secret: SECRET, grant_type: 'authorization_code', code }).then(() => 0, (err: { errcode: number }) => err.errcode);
    expect((await Promise.all([exchange(), exchange(), exchange()])).sort()).to.deep.equal([0, 40163, 40163]);
  });

  it('authorizes scripts with the SDK: snsapi_base has no userinfo (48001), Deny gives no code, sns/auth checks the openid', async () => {
    const redirectUri = `${pages.origin}/callback`;
    const base = await authorize({ url: sim.url, userId: 'erin', appid: APPID, redirectUri, state: 's1' });
    expect(base.state).to.equal('s1');
    const token = (await sns(`oauth2/access_token?appid=${APPID}&secret=${SECRET}&code=${encodeURIComponent(base.code!)}&grant_type=authorization_code`)).body;
    expect(token).to.include({ openid: openIdOf('erin'), scope: 'snsapi_base', expires_in: 7200 });
    expect((await sns(`userinfo?access_token=${token.access_token}&openid=${token.openid}`)).body.errcode).to.equal(48001);
    expect((await sns(`auth?access_token=${token.access_token}&openid=${openIdOf('someone')}`)).body.errcode).to.equal(40003);
    expect((await sns(`auth?access_token=${token.access_token}&openid=${token.openid}`)).body).to.deep.equal({ errcode: 0, errmsg: 'ok' });
    // A /cgi-bin/ token is not a web token.
    const cgiToken = (await http(`${sim.url}/cgi-bin/token?grant_type=client_credential&appid=${APPID}&secret=${SECRET}`, 'GET')).body.access_token;
    expect((await sns(`auth?access_token=${cgiToken}&openid=${token.openid}`)).body.errcode).to.equal(40001);

    const denied = await authorize({ url: sim.url, userId: 'erin', appid: APPID, redirectUri, scope: 'snsapi_userinfo', state: 's2', consent: 'deny' });
    expect(denied).to.deep.equal({ location: `${redirectUri}?state=s2`, state: 's2' });

    const elsewhere = await rejection(authorize({ url: sim.url, userId: 'erin', appid: APPID, redirectUri: 'http://127.0.0.1:1/callback' }));
    expect(elsewhere).to.be.instanceOf(AuthorizeRefused);
    expect(elsewhere.errcode).to.equal(10003);
    expect(elsewhere.message).to.include('127.0.0.1:1');
    const scope = await rejection(authorize({ url: sim.url, userId: 'erin', appid: APPID, redirectUri, scope: 'snsapi_login' as 'snsapi_base' }));
    expect(scope.errcode).to.equal(10005);
    const appid = await rejection(authorize({ url: sim.url, userId: 'erin', appid: 'wx_other', redirectUri }));
    expect(appid.errcode).to.equal(40013);
  });

  it('shows who signs in and the consent sheet without script, and takes the sheet’s answer from its own form only', async () => {
    const login = (await hop(`${pages.origin}/login`)).location!;
    const chooser = await hop(simulatorAuthorizeUrl(login, sim.url));
    expect(chooser.status).to.equal(200);
    expect(chooser.body).to.include('name="user"').and.not.include('<script');
    const sheet = await hop(simulatorAuthorizeUrl(login, sim.url, 'frank'));
    expect(sheet.body).to.include('Frank').and.include('>Allow</button>').and.include('>Deny</button>');
    const policy = sheet.headers.get('content-security-policy')!;
    expect(policy).to.include("default-src 'none'").and.include(`form-action 'self' ${pages.origin}`).and.not.include('unsafe-inline');
    expect(sheet.headers.get('cache-control')).to.equal('no-store');

    // What the sheet's Allow button posts: the request's fields and consent=allow.
    const action = new URL(/<form method="post" action="([^"]+)"/.exec(sheet.body)![1]!.replace(/&#38;/g, '&'), sim.url);
    const fields = new URLSearchParams([...sheet.body.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!.replace(/&#38;/g, '&').replace(/&#47;/g, '/')]));
    fields.set('consent', 'allow');
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fields.toString() };
    const fromAnotherSite = await hop(action.href, { ...form, headers: { ...form.headers, 'sec-fetch-site': 'cross-site' } });
    expect(fromAnotherSite.status).to.equal(403);
    const allowed = await hop(action.href, form);
    expect(allowed.status).to.equal(302);
    expect((await http(allowed.location!, 'GET')).body).to.include({ openid: openIdOf('frank'), nickname: 'Frank' });

    const refused = await hop(`${sim.url}/connect/oauth2/authorize?appid=${APPID}&redirect_uri=${encodeURIComponent('http://evil.example/cb')}&response_type=code&scope=snsapi_base&state=x&user=frank`);
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include('<span id="errcode">10003</span>').and.not.include('<script');
    const badState = await hop(`${sim.url}/connect/oauth2/authorize?appid=${APPID}&redirect_uri=${encodeURIComponent(`${pages.origin}/cb`)}&response_type=code&scope=snsapi_base&state=${'x'.repeat(129)}&user=frank`);
    expect(badState.body).to.include('<span id="errcode">10008</span>');
  });

  it('returns the nickname and avatar set with PUT /api/users/:userId/profile, and refuses bad ones naming the field', async () => {
    const profile = `${sim.url}/api/users/grace/profile`;
    expect((await http(profile, 'PUT', { nickname: '格蕾丝', avatarUrl: 'https://example.com/grace/132' })).body).to.deep.equal({ nickname: '格蕾丝', avatarUrl: 'https://example.com/grace/132' });
    for (const [body, field] of [[{ avatarUrl: 'javascript:alert(1)' }, 'avatarUrl'], [{ nickname: '' }, 'nickname'], [{ nickname: 'x'.repeat(33) }, 'nickname'], [{ nick: 'x' }, 'nick']] as const) {
      const refused = await http(profile, 'PUT', body);
      expect(refused.status, JSON.stringify(body)).to.equal(400);
      expect(refused.body.error.message).to.include(field);
    }
    expect((await http(profile, 'GET')).body.nickname).to.equal('格蕾丝');
    const callback = await authorizedCallback('grace');
    expect((await http(callback, 'GET')).body).to.include({ nickname: '格蕾丝', headimgurl: 'https://example.com/grace/132' });
    const avatar = await fetch(`${sim.url}/avatars/henry/132`);
    expect(avatar.headers.get('content-type')).to.match(/^image\/svg\+xml/);
    expect(await avatar.text()).to.include('>H</text>');
  });
});

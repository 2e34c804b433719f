// An official account with pages, as people write them: node-webot's `wechat` for the pushes, `wechat-oauth`
// for web authorization (网页授权), `co-wechat-api` for the menu and the JS-SDK signature, and the official
// `weixin-js-sdk` in the page. Only the libraries' base URLs point at the simulator. See docs/testing-your-pages.md.
//   npm install express wechat wechat-oauth co-wechat-api weixin-js-sdk
//   npx wechat-oa-simulator --target http://localhost:8080/wechat --token T --appid wx0123456789abcdef --secret my-secret
//   node examples/pages-server.mjs          (listens on http://localhost:8080; creates the menu at start)
// Then, in the chat window, tap "Shop" in the menu: the consent sheet, then the page with your openid,
// your nickname and wx.ready.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import express from 'express';
import wechat from 'wechat';
import OAuth from 'wechat-oauth';
import API from 'co-wechat-api';

const APPID = process.env.APPID ?? 'wx0123456789abcdef';
const SECRET = process.env.APPSECRET ?? 'my-secret';
const SIMULATOR = process.env.SIMULATOR ?? 'http://localhost:3000';
const PORT = Number(process.env.PORT ?? 8080);

const api = new API(APPID, SECRET);
api.prefix = `${SIMULATOR}/cgi-bin/`; // the one change from production for the platform API
const oauth = new OAuth(APPID, SECRET);
// wechat-oauth has its URLs as literals and makes every call through `request`: send them to the simulator.
const request = oauth.request.bind(oauth);
oauth.request = (url, options, callback) => request(url.replace('https://api.weixin.qq.com', SIMULATOR), options, callback);
const getAccessToken = promisify(oauth.getAccessToken.bind(oauth));
const getUser = promisify(oauth.getUser.bind(oauth));
const jweixin = readFileSync(createRequire(import.meta.url).resolve('weixin-js-sdk'), 'utf8');

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const app = express();

app.use('/wechat', wechat(process.env.WECHAT_TOKEN ?? 'T', (req, res) => {
  const message = req.weixin;
  if (message.MsgType === 'event' && message.Event === 'subscribe') return res.reply('Welcome! Tap "Shop" in the menu.');
  res.reply('');
}));

app.get('/jweixin.js', (_req, res) => res.type('text/javascript').send(jweixin));

// Each page view asks for the user: WeChat sends the browser back with a code (snsapi_userinfo: after consent).
app.get('/shop', (req, res) => res.redirect(oauth.getAuthorizeURL(`http://${req.get('host')}/shop/callback`, 'shop', 'snsapi_userinfo')));

app.get('/shop/callback', async (req, res) => {
  res.set('Cache-Control', 'no-store'); // a ?code= page is never kept: Back onto it asks again, and meets a used code
  let user;
  try {
    const token = await getAccessToken(String(req.query.code ?? ''));
    user = await getUser(token.data.openid);
  } catch (err) {
    return res.status(400).type('html').send(`<!doctype html><title>Login failed</title><p>Login failed: errcode ${escape(err.code)} ${escape(err.message)}</p>`);
  }
  // The JS-SDK signs the page's URL as the browser shows it, without #…
  const config = await api.getJsConfig({ debug: false, jsApiList: ['updateAppMessageShareData', 'getLocation'], url: `http://${req.get('host')}${req.originalUrl}` });
  res.type('html').send(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Shop</title>
<script>var module = { exports: {} };</script><script src="/jweixin.js"></script><script>window.wx = module.exports;</script></head>
<body>
<h1>Hello, ${escape(user.nickname)}</h1>
<p>Your openid: <code>${escape(user.openid)}</code></p>
<p>JS-SDK: <span id="sdk">checking…</span></p>
<button id="where">Where am I?</button> <span id="location"></span>
<script>
wx.config(${JSON.stringify(config)});
wx.ready(function () {
  document.getElementById('sdk').textContent = 'wx.ready';
  wx.updateAppMessageShareData({ title: 'Spring sale', desc: 'Everything half price', link: location.href.split('#')[0], imgUrl: '' });
});
wx.error(function (res) { document.getElementById('sdk').textContent = res.errMsg; });
document.getElementById('where').onclick = function () {
  wx.getLocation({ success: function (at) { document.getElementById('location').textContent = at.latitude + ', ' + at.longitude; } });
};
</script>
</body></html>`);
});

app.listen(PORT, () => {
  console.log(`pages server on http://localhost:${PORT} (pushes at /wechat, the shop at /shop)`);
  api
    .createMenu({ button: [{ type: 'view', name: 'Shop', url: `http://localhost:${PORT}/shop` }] })
    .then(() => console.log('menu created'), (err) => console.error(`could not create the menu (is the simulator running?): ${err.message}`));
});

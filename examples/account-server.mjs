// A small official-account server, as people write them with node-webot's `wechat` and `co-wechat-api`,
// pointed at the simulator's platform API. See docs/testing-your-server.md.
//   npm install express wechat co-wechat-api
//   node examples/account-server.mjs        (listens on http://localhost:8080/wechat)
import express from 'express';
import wechat from 'wechat';
import API from 'co-wechat-api';

const TOKEN = process.env.WECHAT_TOKEN ?? 'T';
const api = new API(process.env.APPID ?? 'wx0123456789abcdef', process.env.APPSECRET ?? 'my-secret');
// The one change from production: the API's base URL is the simulator's.
api.prefix = process.env.API_PREFIX ?? 'http://localhost:3000/cgi-bin/';

const app = express();
app.use(
  '/wechat',
  wechat(TOKEN, async (req, res) => {
    const message = req.weixin;
    const openid = message.FromUserName;
    if (message.MsgType === 'event' && message.Event === 'subscribe') return res.reply('Welcome! Try "slow", "card", "me" or the menu.');
    if (message.MsgType === 'event' && message.Event === 'CLICK') return res.reply(`You tapped ${message.EventKey}`);
    if (message.MsgType === 'event') return res.reply(''); // VIEW, TEMPLATESENDJOBFINISH…
    if (message.Content === 'slow') {
      res.reply(''); // nothing now, a customer-service message in a moment
      setTimeout(() => api.sendText(openid, 'Sorry for the wait: here is the answer.').catch(console.error), 1000);
      return;
    }
    if (message.Content === 'card') {
      res.reply('');
      const data = { order: { value: 'A-1001', color: '#173177' }, eta: { value: 'tomorrow' } };
      api.sendTemplate(openid, 'ORDER_SHIPPED', 'https://example.com/orders/A-1001', '#000000', data).catch(console.error);
      return;
    }
    if (message.Content === 'me') {
      const user = await api.getUser({ openid, lang: 'zh_CN' });
      return res.reply(`You followed at ${new Date(user.subscribe_time * 1000).toISOString()}`);
    }
    res.reply(`You said: ${message.Content}`);
  }),
);

const port = Number(process.env.PORT ?? 8080);
app.listen(port, () => {
  console.log(`account server on http://localhost:${port}/wechat`);
  api
    .createMenu({
      button: [
        { type: 'click', name: 'Today', key: 'TODAY' },
        { name: 'More', sub_button: [{ type: 'view', name: 'Website', url: 'https://example.com/' }, { type: 'click', name: 'Like us', key: 'LIKE' }] },
      ],
    })
    .then(() => console.log('menu created'), (err) => console.error(`could not create the menu (is the simulator running?): ${err.message}`));
});

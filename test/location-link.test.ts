// Location and link messages, and the report-location setting, against a server built with node-webot's `wechat`
// middleware: what the chat sends reaches it as the platform's XML, parsed by code no one here wrote.
import { expect } from 'chai';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, http, send, startServer, until } from './helpers.ts';
import { accountServer, platformSimulator } from './platform-helpers.ts';

const texts = (messages: readonly object[]) => messages.map((m) => (m as { text?: string }).text);

describe('location and link messages', () => {
  it('sends a location and a link as the platform’s XML over the socket and HTTP, and LOCATION on entering the chat with report location on', async () => {
    const account = await accountServer((message, res) => {
      if (message.MsgType === 'location') return res.reply(`at ${message.Location_X},${message.Location_Y} scale ${message.Scale} ${message.Label}`);
      if (message.MsgType === 'link') return res.reply(`link ${message.Title} | ${message.Description} | ${message.Url}`);
      res.reply('');
    });
    const sim = await platformSimulator(account.url, { reportLocation: true });
    try {
      const set = await http(`${sim.url}/api/users/alice/location`, 'PUT', { latitude: 31.2304, longitude: 121.4737, precision: 30 });
      expect(set.body).to.deep.equal({ latitude: 31.2304, longitude: 121.4737, precision: 30, reported: true });
      const alice = await connectUser(sim.url, 'alice');
      await until(() => account.received.some((m) => m.Event === 'LOCATION'));
      expect(account.received.find((m) => m.Event === 'LOCATION')).to.include({ FromUserName: openIdOf('alice'), MsgType: 'event', Latitude: '31.230400', Longitude: '121.473700', Precision: '30.000000' });

      const located = await send(alice.socket, { type: 'location', latitude: 23.134521, longitude: 113.358803, scale: 16, label: '广州市天河区' });
      expect(located.ok).to.equal(true);
      if (!located.ok) return;
      expect(located.message).to.include({ type: 'location', latitude: 23.134521, longitude: 113.358803, scale: 16, label: '广州市天河区' });
      expect(texts(located.replies)).to.deep.equal(['at 23.134521,113.358803 scale 16 广州市天河区']);
      const pushed = account.received.find((m) => m.MsgType === 'location')!;
      expect(pushed.MsgId).to.match(/^\d+$/);

      const linked = await http(`${sim.url}/api/messages`, 'POST', { userId: 'alice', type: 'link', title: 'A good read', description: 'on tags', url: 'https://example.com/a?b=1' });
      expect(linked.status).to.equal(200);
      expect(texts(linked.body.replies)).to.deep.equal(['link A good read | on tags | https://example.com/a?b=1']);
      // The other tab (this socket) sees the link the HTTP call sent.
      await until(() => alice.received.some((m) => m.type === 'link'));

      // Bad input changes nothing and reaches no one.
      const before = account.received.length;
      const bad = [
        { type: 'location', latitude: 91, longitude: 0 },
        { type: 'location', latitude: 10, longitude: '20' },
        { type: 'location', latitude: 10, longitude: 20, scale: 0 },
        { type: 'link', title: '', url: 'https://example.com/' },
        { type: 'link', title: 'x', url: 'javascript:alert(1)' },
        { type: 'link', title: 'x', url: '/relative' },
        { type: 'postcard', text: 'hi' },
      ];
      for (const inbound of bad) {
        const ack = await send(alice.socket, inbound);
        expect(ack.ok, JSON.stringify(inbound)).to.equal(false);
        expect(!ack.ok && ack.error.code).to.equal('bad_request');
      }
      expect((await http(`${sim.url}/api/users/alice/location`, 'PUT', { latitude: 100, longitude: 0 })).status).to.equal(400);
      expect((await http(`${sim.url}/api/users/alice/location`, 'GET')).body).to.include({ latitude: 31.2304 });
      await new Promise((r) => setTimeout(r, 50));
      expect(account.received.length).to.equal(before);
      alice.socket.close();
    } finally {
      await sim.close();
      await account.close();
    }
  });

  it('pushes no LOCATION with the setting off, and the article bot answers a location or link with what it can read', async () => {
    const account = await accountServer((_message, res) => res.reply(''));
    const sim = await platformSimulator(account.url);
    const local = await startServer();
    try {
      const bob = await connectUser(sim.url, 'bob');
      await new Promise((r) => setTimeout(r, 100));
      expect(account.received.map((m) => m.Event)).to.deep.equal(['subscribe']);
      bob.socket.close();
      const carol = await connectUser(local.url, 'carol');
      const ack = await send(carol.socket, { type: 'location', latitude: 1, longitude: 2 });
      expect(ack.ok && texts(ack.replies)[0]).to.match(/Thanks for the location/);
      const link = await send(carol.socket, { type: 'link', title: 'T', url: 'http://example.com/' });
      expect(link.ok && texts(link.replies)[0]).to.match(/Thanks for the link/);
      carol.socket.close();
    } finally {
      await local.close();
      await sim.close();
      await account.close();
    }
  });
});

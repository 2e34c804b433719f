// Followers and tags against code no one here wrote: co-wechat-api and wechat-api page user/get, read users in
// batches, set remarks and manage tags, for users who followed through real sockets; the platform's limits refuse
// with its codes and change nothing.
import { promisify } from 'node:util';
import { expect } from 'chai';
import API from 'co-wechat-api';
import WechatAPI from 'wechat-api';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, http, rejection, send } from './helpers.ts';
import { accessToken, accountServer, APPID, cgi, platformSimulator, SECRET } from './platform-helpers.ts';

describe('followers and tags', () => {
  it('pages user/get, reads users in batches, keeps remarks and tags, and drops an unfollower from both', async () => {
    const account = await accountServer((_message, res) => res.reply(''));
    const sim = await platformSimulator(account.url, { followersPageSize: 2 });
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    const legacy = new WechatAPI(APPID, SECRET);
    legacy.endpoint = sim.url;
    const call = <T>(method: string, ...args: unknown[]) => promisify<T>((legacy as any)[method].bind(legacy, ...args))();
    try {
      const names = ['ann', 'ben', 'cat', 'dan', 'eve'];
      const users: Array<Awaited<ReturnType<typeof connectUser>>> = [];
      for (const name of names) users.push(await connectUser(sim.url, name));
      const ids = names.map(openIdOf);
      const sorted = [...ids].sort();

      // Two at a time, following next_openid to the empty page at the end.
      const seen: string[] = [];
      let next = '';
      for (let pages = 0; pages < 5; pages++) {
        const page = await api.getFollowers(next);
        expect(page.total).to.equal(5);
        if (page.count === 0) break;
        expect(page.count).to.be.at.most(2);
        seen.push(...page.data.openid);
        next = page.next_openid;
      }
      expect(seen).to.deep.equal(sorted);
      const legacyPage = await call<any>('getFollowers', sorted[1]);
      expect(legacyPage.data.openid).to.deep.equal(sorted.slice(2, 4));

      const batch = await api.batchGetUsers([ids[0], ids[1]]);
      expect(batch.user_info_list.map((u: { openid: string; subscribe: number }) => [u.openid, u.subscribe])).to.deep.equal([[ids[0], 1], [ids[1], 1]]);
      await api.updateRemark(ids[0], 'VIP 客户');
      expect(await api.getUser(ids[0])).to.include({ remark: 'VIP 客户' });

      const customers = await api.createTags('customers');
      expect(customers.tag).to.deep.equal({ id: 100, name: 'customers' });
      const beijing = await call<any>('createTag', '北京');
      expect(beijing.tag.id).to.equal(101);
      await api.batchTagging([ids[0], ids[1], ids[2]], 100);
      await call('membersBatchtagging', 101, [ids[0]]);
      expect((await api.getTags()).tags).to.deep.equal([{ id: 100, name: 'customers', count: 3 }, { id: 101, name: '北京', count: 1 }]);
      expect((await api.getIdList(ids[0])).tagid_list).to.deep.equal([100, 101]);
      expect((await call<any>('getUserTags', ids[0])).tagid_list).to.deep.equal([100, 101]);
      expect((await api.getUser(ids[0])).tagid_list).to.deep.equal([100, 101]);
      const members = [ids[0], ids[1], ids[2]].sort();
      const first = await api.getUsersFromTag(100, '');
      expect(first).to.deep.include({ count: 2, data: { openid: members.slice(0, 2) } });
      const second = await call<any>('getTagUsers', 100, first.next_openid);
      expect(second.data.openid).to.deep.equal(members.slice(2));
      await api.batchUnTagging([ids[2]], 100);
      await api.updateTag(100, 'buyers');
      await call('editTag', 101, '上海');
      expect((await api.getTags()).tags).to.deep.equal([{ id: 100, name: 'buyers', count: 2 }, { id: 101, name: '上海', count: 1 }]);

      // The developer panel's list has the remark and tags.
      const { body: panel } = await http(`${sim.url}/api/followers`, 'GET');
      expect(panel.followers.find((f: { userId: string }) => f.userId === 'ann')).to.deep.include({ openId: ids[0], remark: 'VIP 客户', tags: [{ id: 100, name: 'buyers' }, { id: 101, name: '上海' }] });

      // Unfollowing takes the follower out of user/get, the tags and the panel.
      const left = await send(users[0]!.socket, { type: 'event', event: 'unsubscribe' });
      expect(left.ok).to.equal(true);
      const after = await api.getFollowers('');
      expect(after.total).to.equal(4);
      expect((await api.getTags()).tags.map((t: { count: number }) => t.count)).to.deep.equal([1, 0]);
      expect(await api.getUser(ids[0])).to.deep.equal({ subscribe: 0, openid: ids[0] });
      expect((await http(`${sim.url}/api/followers`, 'GET')).body.followers.map((f: { userId: string }) => f.userId)).to.not.include('ann');
      // Following again starts without the old remark and tags.
      await send(users[0]!.socket, { type: 'event', event: 'subscribe' });
      expect(await api.getUser(ids[0])).to.include({ subscribe: 1, remark: '' });
      expect((await api.getUser(ids[0])).tagid_list).to.deep.equal([]);

      await api.deleteTag(101);
      expect((await api.getTags()).tags.map((t: { id: number }) => t.id)).to.deep.equal([100]);
      for (const user of users) user.socket.close();
    } finally {
      await sim.close();
      await account.close();
    }
  });

  it('refuses past the platform’s limits with its codes, changing nothing', async () => {
    const account = await accountServer((_message, res) => res.reply(''));
    const sim = await platformSimulator(account.url);
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    try {
      const ann = await connectUser(sim.url, 'ann');
      const ids = [openIdOf('ann')];
      const token = await accessToken(sim.url);
      const post = async (path: string, body: unknown) => (await cgi(sim.url, path, token, body)).body;
      const code = async (promise: Promise<unknown>) => (await rejection(promise)).code;

      expect(await code(api.createTags('一'.repeat(11)))).to.equal(45158); // 33 bytes
      expect(await post('tags/create', { tag: { name: '' } })).to.include({ errcode: 47001 });
      await api.createTags('first');
      expect(await code(api.createTags('first'))).to.equal(45157);
      for (let n = 2; n <= 100; n++) expect(await post('tags/create', { tag: { name: `tag ${n}` } })).to.have.property('tag');
      expect(await code(api.createTags('one too many'))).to.equal(45056);
      const tags = (await api.getTags()).tags;
      expect(tags).to.have.length(100);

      for (const tag of tags.slice(0, 20)) await api.batchTagging(ids, tag.id);
      expect(await code(api.batchTagging(ids, tags[20].id))).to.equal(45059);
      const fiftyOne = Array.from({ length: 51 }, (_, i) => `o${i}`);
      expect(await code(api.batchTagging(fiftyOne, tags[20].id))).to.equal(40032);
      expect(await code(api.batchTagging(ids, 9999))).to.equal(45159);
      // One unknown OpenID refuses the whole call: ann does not get the tag either.
      await api.batchUnTagging(ids, tags[0].id);
      expect(await code(api.batchTagging([ids[0], 'o-nobody'], tags[0].id))).to.equal(40003);
      expect((await api.getIdList(ids[0])).tagid_list).to.have.length(19).and.not.include(tags[0].id);
      expect(await code(api.updateTag(9999, 'x'))).to.equal(45159);
      expect(await code(api.updateTag(tags[1].id, 'first'))).to.equal(45157);
      expect(await code(api.deleteTag(9999))).to.equal(45159);
      expect(await code(api.getUsersFromTag(9999))).to.equal(45159);
      expect(await code(api.batchGetUsers(Array.from({ length: 101 }, () => ids[0])))).to.equal(40032);
      expect(await code(api.batchGetUsers(['o-nobody']))).to.equal(40003);
      expect(await code(api.updateRemark(ids[0], 'x'.repeat(31)))).to.equal(40097);
      expect(await code(api.updateRemark('o-nobody', 'x'))).to.equal(40003);
      expect((await api.getTags()).tags.map((t: { name: string }) => t.name)).to.deep.equal(tags.map((t: { name: string }) => t.name));
      expect(await api.getUser(ids[0])).to.include({ remark: '' });
      ann.socket.close();
    } finally {
      await sim.close();
      await account.close();
    }
  });
});

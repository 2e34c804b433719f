// The rest of the account's calls against co-wechat-api and wechat-api: getcallbackip, get_api_domain_ip, and the
// account's templates (get_all_private_template, del_private_template), which template/send then refuses.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import API from 'co-wechat-api';
import WechatAPI from 'wechat-api';
import { openIdOf } from '../server/wechat/remote-bot.ts';
import { connectUser, rejection, tempDir } from './helpers.ts';
import { accessToken, accountServer, APPID, cgi, platformSimulator, SECRET } from './platform-helpers.ts';

describe('platform API: IP lists and the account’s templates', () => {
  it('lists the callback and API addresses, lists the account’s templates and deletes one', async () => {
    const tmp = await tempDir();
    const templatesFile = path.join(tmp.dir, 'templates.json');
    const listed = [
      { template_id: 'ORDER_SHIPPED', title: 'Order shipped', primary_industry: 'IT科技', deputy_industry: '互联网|电子商务', content: 'Order {{order.DATA}} is on its way.', example: 'Order 42 is on its way.' },
      { template_id: 'PAID', title: 'Payment received', content: '{{amount.DATA}} received.' },
    ];
    writeFileSync(templatesFile, JSON.stringify({ template_list: listed }));
    const account = await accountServer((_message, res) => res.reply(''));
    const sim = await platformSimulator(account.url, { templatesFile });
    const api = new API(APPID, SECRET);
    api.prefix = `${sim.url}/cgi-bin/`;
    const legacy = new WechatAPI(APPID, SECRET);
    legacy.endpoint = sim.url;
    const call = <T>(method: string, ...args: unknown[]) => promisify<T>((legacy as any)[method].bind(legacy, ...args))();
    try {
      const ips = await api.getIp();
      expect(ips.ip_list[0]).to.equal('127.0.0.1');
      expect(ips.ip_list.every((ip: string) => /^\d+\.\d+\.\d+\.\d+$/.test(ip))).to.equal(true);
      expect((await call<any>('getIp')).ip_list).to.deep.equal(ips.ip_list);
      const token = await accessToken(sim.url);
      expect((await cgi(sim.url, 'get_api_domain_ip', token)).body.ip_list).to.deep.equal(ips.ip_list);

      const all = await api.getAllPrivateTemplate();
      expect(all.template_list).to.deep.equal([listed[0], { ...listed[1], primary_industry: '', deputy_industry: '', example: '' }]);
      expect((await call<any>('getAllPrivateTemplate')).template_list).to.have.length(2);
      await api.delPrivateTemplate('PAID');
      expect((await api.getAllPrivateTemplate()).template_list.map((t: { template_id: string }) => t.template_id)).to.deep.equal(['ORDER_SHIPPED']);
      expect((await rejection(call('delPrivateTemplate', 'PAID'))).code).to.equal(40037);
      expect((await rejection(api.delPrivateTemplate('NO_SUCH'))).code).to.equal(40037);
      // A deleted template can no longer be sent.
      const ann = await connectUser(sim.url, 'ann');
      expect((await rejection(api.sendTemplate(openIdOf('ann'), 'PAID', '', '', { amount: { value: '1' } }))).code).to.equal(40037);
      expect(await api.sendTemplate(openIdOf('ann'), 'ORDER_SHIPPED', '', '', { order: { value: '42' } })).to.include({ errcode: 0 });
      ann.socket.close();
    } finally {
      await sim.close();
      await account.close();
      await tmp.remove();
    }
  });
});

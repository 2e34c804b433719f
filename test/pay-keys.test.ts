// WeChat Pay's keys through real HTTP: the platform's key pair kept across restarts, its certificate at
// /v3/certificates as wechatpay-axios-plugin downloads and decrypts it, and requests refused with 401 SIGN_ERROR.
import { X509Certificate } from 'node:crypto';
import { expect } from 'chai';
import { readConfig } from '../server/config.ts';
import { LowStore } from '../server/store/low-store.ts';
import { fileLocation } from '../server/store/low-location.ts';
import { eachTestTempDir, http } from './helpers.ts';
import { Aes, APIV3_KEY, MCH_PUBLIC_PEM, MCH_SERIAL, MCHID, payClient, paySimulator, platformSigned, signedRequest } from './pay-helpers.ts';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';

describe('WeChat Pay: keys and request signatures', function () {
  this.timeout(20_000);
  const temp = eachTestTempDir();

  it('keeps one platform key pair across restarts, serves its public key and its certificate, encrypted, signed', async () => {
    const first = await paySimulator({ store: new LowStore(fileLocation(temp.dbFile)) });
    let keyId: string;
    let pem: string;
    try {
      ({ keyId, pem } = (await http(`${first.url}/api/pay/public-key`, 'GET')).body);
      expect(keyId).to.match(/^PUB_KEY_ID_\d{34}$/);
      const { wxpay } = await payClient(first.url);
      // The plugin checks the answer's signature with the public key before handing it over.
      const { data } = await wxpay.v3.certificates.get();
      const [entry] = data.data;
      expect(entry.encrypt_certificate).to.include({ algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate' });
      const { ciphertext, nonce, associated_data } = entry.encrypt_certificate;
      const certificate = new X509Certificate(Aes.AesGcm.decrypt(ciphertext, APIV3_KEY, nonce, associated_data));
      expect(certificate.serialNumber).to.equal(entry.serial_no);
      expect(certificate.publicKey.export({ type: 'spki', format: 'pem' })).to.equal(pem);
      expect(Date.parse(entry.expire_time)).to.be.greaterThan(Date.now());
    } finally {
      await first.close();
    }
    const again = await paySimulator({ store: new LowStore(fileLocation(temp.dbFile)) });
    try {
      expect((await http(`${again.url}/api/pay/public-key`, 'GET')).body).to.deep.equal({ keyId, pem });
    } finally {
      await again.close();
    }
  });

  it('refuses a wrong signature, serial, mchid or a stale timestamp with 401 SIGN_ERROR, itself signed', async () => {
    const sim = await paySimulator();
    try {
      const { pem } = (await http(`${sim.url}/api/pay/public-key`, 'GET')).body;
      const good = await signedRequest(sim.url, 'GET', '/v3/certificates');
      expect(good.status).to.equal(200);
      const cases = {
        'a wrong signature': { signature: Buffer.alloc(256, 7).toString('base64') },
        'a wrong serial': { serial: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' },
        'another mchid': { mchid: '1900000999' },
        'a timestamp 6 minutes old': { timestamp: Math.floor(Date.now() / 1000) - 360 },
      };
      for (const [what, signing] of Object.entries(cases)) {
        const answer = await signedRequest(sim.url, 'GET', '/v3/certificates', undefined, signing);
        expect(answer.status, what).to.equal(401);
        expect(answer.body.code, what).to.equal('SIGN_ERROR');
        expect(platformSigned(answer.headers, answer.raw, pem), what).to.equal(true);
      }
      expect((await signedRequest(sim.url, 'GET', '/v3/certificates', undefined, { serial: 'ABCDEF0123456789ABCDEF0123456789ABCDEF01' })).body.message).to.equal('商户证书序列号有误');
      const unsigned = await fetch(`${sim.url}/v3/certificates`);
      expect(unsigned.status).to.equal(401);
      // A request signed for one path does not pass for another.
      const moved = await signedRequest(sim.url, 'GET', '/v3/certificates?offset=1', undefined, { signature: (await import('./pay-helpers.ts')).merchantSign('GET', '/v3/certificates', String(Math.floor(Date.now() / 1000)), 'n', '') });
      expect(moved.status).to.equal(401);
    } finally {
      await sim.close();
    }
  });

  it('reads the settings from options and environment, all four or none', async () => {
    const keyFile = path.join(temp.dir, 'apiclient_pub.pem');
    await writeFile(keyFile, MCH_PUBLIC_PEM);
    const config = readConfig({ PAY_APIV3_KEY: APIV3_KEY, PAY_NOTIFY_SPEEDUP: '100' }, ['--mchid', MCHID, '--mch-serial', MCH_SERIAL.toLowerCase(), '--mch-public-key', keyFile]);
    expect(config.pay).to.deep.include({ mchId: MCHID, mchSerial: MCH_SERIAL, apiV3Key: APIV3_KEY, notifySpeedup: 100, signWith: 'public-key' });
    expect(readConfig({}).pay).to.equal(undefined);
    expect(config.pay).to.not.have.property('merchantName');
    expect(readConfig({ PAY_APIV3_KEY: APIV3_KEY, PAY_MERCHANT_NAME: ' Tea shop ' }, ['--mchid', MCHID, '--mch-serial', MCH_SERIAL, '--mch-public-key', keyFile]).pay).to.deep.include({ merchantName: 'Tea shop' });
    expect(() => readConfig({ PAY_MERCHANT_NAME: 'Tea shop' })).to.throw(/PAY_MERCHANT_NAME names the WeChat Pay merchant: it needs --mchid/);
    expect(() => readConfig({ PAY_APIV3_KEY: APIV3_KEY, PAY_MERCHANT_NAME: 'x'.repeat(65) }, ['--mchid', MCHID, '--mch-serial', MCH_SERIAL, '--mch-public-key', keyFile])).to.throw(/PAY_MERCHANT_NAME must be a name of 1 to 64 characters/);
    expect(() => readConfig({ PAY_MCHID: MCHID })).to.throw(/all four/);
    expect(() => readConfig({ PAY_MCHID: MCHID, PAY_MCH_SERIAL: MCH_SERIAL, PAY_MCH_PUBLIC_KEY: path.join(temp.dir, 'none.pem'), PAY_APIV3_KEY: APIV3_KEY })).to.throw(/PAY_MCH_PUBLIC_KEY must be a readable PEM/);
    expect(() => readConfig({ PAY_APIV3_KEY: 'short' })).to.throw(/32-character/);
  });
});

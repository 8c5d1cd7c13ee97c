// NCA's test person key (GOST 34.10-2015-512 in a GOST512_*.p12 file)
// through ncalayer-js-client: every method a page uses, every signature
// checked by gost-verify (Streebog and the GOST signature over what
// OpenSSL and libxml2 parse back, and the NCA test CA's signature on the
// certificate).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';

import {
  signingDaemon, gostDir, ncaDir, GOST_PERSON, PASSWORD, b64, gostVerifyCms, gostVerifyXml,
  opensslPrintCms, rejects, streebog512,
} from './signing.mjs';

let d;
let NCALayerClient;

before(async () => {
  d = await signingDaemon([join(gostDir, GOST_PERSON)], {
    // The NCA test chain, as a user of the test PKI configures it.
    keys: { 'ca-certs': join(ncaDir, 'nca_gost2022_test.cer') },
    // NCA's test certificates were valid from 2025-10-17 to 2026-10-17.
    testing: { 'validity-time': '2026-06-01T00:00:00Z' },
  });
});
after(async () => { await d.stop(); });

async function client() {
  const c = await d.client();
  NCALayerClient = c.constructor;
  return c;
}

test('getKeyInfo: the NCA person key', async () => {
  d.setScript([`pin ${PASSWORD}`]);
  const info = await (await client()).getKeyInfo('PKCS12');
  assert.equal(info.algorithm, 'GOST512');
  assert.equal(info.alias, 'd6d1e53515d516a7d95d399b668cf09011bf118d');
  assert.equal(info.keyId, 'd6d1e53515d516a7d95d399b668cf09011bf118d');
  assert.match(info.subjectDn, /SERIALNUMBER=IIN\d{12}/);
  assert.match(info.issuerDn, /CN=ҰЛТТЫҚ КУӘЛАНДЫРУШЫ ОРТАЛЫҚ/);
});

test('createCAdESFromBase64 attached and detached, and over a hash', async () => {
  const doc = 'ГОСТ бойынша қол қою';
  const c = await client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  assert.equal(streebog512('').toString('hex').slice(0, 16), '8e945da209aa869f',
    'the digest helper is Streebog-512 (GOST R 34.11-2012 test vector)');
  const attached = await c.createCAdESFromBase64('PKCS12', b64(doc), 'SIGNATURE', true);
  assert.match(gostVerifyCms(attached), /^OK /);
  assert.match(opensslPrintCms(attached), /1\.2\.398\.3\.10\.1\.1\.2\.3\.2/);
  const detached = await c.createCAdESFromBase64('PKCS12', b64(doc), 'SIGNATURE', false);
  gostVerifyCms(detached, doc);
  assert.throws(() => gostVerifyCms(detached, `${doc}.`));

  // A Streebog-512 digest made outside the daemon.
  const hashed = await c.createCAdESFromBase64Hash('PKCS12', streebog512(doc).toString('base64'));
  gostVerifyCms(hashed, doc);
  // A SHA-256 digest does not fit a GOST key: a clear error.
  d.setScript([`pin ${PASSWORD}`]);
  await rejects(c.createCAdESFromBase64Hash('PKCS12', Buffer.alloc(32).toString('base64')),
    /^500: data\.invalid: the hash has 32 bytes; the key's algorithm \(GOST 34\.10-2015 with Streebog-512\) needs 64$/);
});

test('signXml and signXmls with the KZ GOST URIs', async () => {
  const c = await client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  const xml = await c.signXml('PKCS12', '<request><iin>123456789011</iin></request>');
  assert.match(xml, /Algorithm="urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512"/);
  assert.match(xml, /Algorithm="urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"/);
  assert.match(gostVerifyXml(xml), /^OK /);
  assert.throws(() => gostVerifyXml(xml.replace('123456789011', '123456789012')));
  const many = await c.signXmls('PKCS12', ['<a>бір</a>', '<b>екі</b>']);
  assert.equal(many.length, 2);
  many.forEach(gostVerifyXml);
});

test('basics sign: CMS for one and many documents, XML', async () => {
  const c = await client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  const signer = { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4'] };
  const one = await c.basicsSignCMS(NCALayerClient.basicsStorageAll, b64('бір құжат'),
    NCALayerClient.basicsCMSParamsDetachedNoTSP, signer, 'kk');
  assert.match(one, /^-----BEGIN CMS-----\n/);
  gostVerifyCms(one, 'бір құжат');

  const texts = ['1', '22', '333', '4444'];
  const many = await c.basicsSignCMS(NCALayerClient.basicsStoragePKCS12, texts.map(b64),
    { decode: true, encapsulate: true }, signer);
  assert.equal(many.length, 4);
  many.forEach((s) => gostVerifyCms(s));

  const xml = await c.basicsSignXML(null, '<basics>GOST</basics>', {}, signer);
  assert.equal(xml.length, 1);
  gostVerifyXml(xml[0]);
});

test('over wss://, as egov.kz pages connect: CMS and XML with the person key', async () => {
  const c = await d.client(undefined, { wss: true });
  NCALayerClient = c.constructor;
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  const cms = await c.basicsSignCMS(NCALayerClient.basicsStorageAll, b64('wss'),
    NCALayerClient.basicsCMSParamsDetachedNoTSP, NCALayerClient.basicsSignerSignAny);
  gostVerifyCms(cms, 'wss');
  const xml = await c.signXml('PKCS12', '<wss>GOST</wss>');
  gostVerifyXml(xml);
  c.wsConnection.close();
});

test('the person key is refused where a page wants another chain or an organisation', async () => {
  const c = await client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  await rejects(c.basicsSignCMS(null, b64('x'), {}, { extKeyUsageOids: [], bin: '123456789021' }),
    /^KEY_MISMATCH: .*\(the certificate belongs to another organisation \(BIN\)\)$/);
  const rsaCa = `${process.env.QOL_KEYS}/ca.pem`;
  const { readFileSync } = await import('node:fs');
  await rejects(c.basicsSignCMS(null, b64('x'), {},
    { extKeyUsageOids: [], chain: [readFileSync(rsaCa, 'utf8')] }),
  /^KEY_MISMATCH: .*not issued by a certification authority the page trusts/);
});

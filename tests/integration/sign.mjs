// Signing with RSA and ECDSA key files through ncalayer-js-client, every
// signature checked by openssl or xmlsec1; the prompts the user sees; a
// closed page ends its prompt; the loop keeps serving while a prompt is
// open.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

import { greeted } from './harness.mjs';
import {
  signingDaemon, keysDir, PASSWORD, ORIGIN, b64, opensslVerifyCms, opensslPrintCms, xmlsecVerify,
  sha256, rejects,
} from './signing.mjs';

const rsa = join(keysDir, 'rsa.p12');
let d;

before(async () => { d = await signingDaemon([rsa]); });
after(async () => { await d.stop(); });

test('getKeyInfo describes the chosen key as NCALayer does', async () => {
  d.setScript([`pin ${PASSWORD}`]);
  const c = await d.client();
  const info = await c.getKeyInfo('PKCS12');
  assert.deepEqual(Object.keys(info).sort(), ['algorithm', 'alias', 'authorityKeyIdentifier',
    'certNotAfter', 'certNotBefore', 'issuerCn', 'issuerDn', 'keyId', 'pem', 'serialNumber',
    'subjectCn', 'subjectDn']);
  assert.equal(info.algorithm, 'RSA');
  assert.equal(info.subjectCn, 'ТЕСТОВ ТЕСТ');
  assert.match(info.subjectDn, /^CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN123456789011,C=KZ,G=ТЕСТОВИЧ,E=test@example.kz$/);
  assert.equal(info.issuerCn, 'Qoltanba test CA');
  assert.equal(info.serialNumber, '1001');
  assert.equal(info.alias, info.keyId);
  assert.match(info.keyId, /^[0-9a-f]{40}$/);
  assert.match(info.certNotBefore, /^\d{13}$/);
  assert.ok(Number(info.certNotAfter) > Date.now());
  assert.equal(info.pem, readFileSync(join(keysDir, 'rsa.pem'), 'utf8'));
  // The prompt names the page and the key file.
  const log = d.pinentryLog();
  assert.match(log, new RegExp(`SETTITLE Qoltanba — ${ORIGIN}\n`));
  assert.match(log, /Кілт файлы: rsa\.p12/, "Kazakh, NCALayer's default language");
  assert.match(log, /\nGETPIN\n/);
});

test('createCAdESFromBase64, attached and detached, verify with openssl', async () => {
  const doc = 'Өтініш: тест құжаты\n';
  const c = await d.client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  const attached = await c.createCAdESFromBase64('PKCS12', b64(doc), 'SIGNATURE', true);
  assert.match(attached, /^[A-Za-z0-9+/]+=*$/, 'commonUtils answers one line of base64');
  assert.equal(opensslVerifyCms(attached).toString('utf8'), doc);
  const detached = await c.createCAdESFromBase64('PKCS12', b64(doc), 'SIGNATURE', false);
  opensslVerifyCms(detached, { content: doc });
  assert.throws(() => opensslVerifyCms(detached, { content: `${doc}!` }));
  // What is signed is in the prompt: size and digest.
  const log = d.pinentryLog();
  assert.match(log, new RegExp(`${Buffer.byteLength(doc)} B, SHA-256 ${sha256(doc).toString('hex').slice(0, 16)}`));
  const printed = opensslPrintCms(detached);
  assert.match(printed, /signingTime/);
  assert.match(printed, /id-smime-aa-signingCertificateV2/);
});

test('createCAdESFromBase64Hash signs a SHA-256 digest', async () => {
  const doc = 'the document itself stays with the page';
  d.setScript([`pin ${PASSWORD}`]);
  const c = await d.client();
  const cms = await c.createCAdESFromBase64Hash('PKCS12', sha256(doc).toString('base64'));
  opensslVerifyCms(cms, { content: doc });
});

test('createCMSSignatureFromBase64 without a timestamp service signs CAdES-BES', async () => {
  d.setScript([`pin ${PASSWORD}`]);
  const c = await d.client();
  const cms = await c.createCMSSignatureFromBase64('PKCS12', b64('x'), 'SIGNATURE', true);
  assert.equal(opensslVerifyCms(cms).toString(), 'x');
});

test('signXml and signXmls verify with xmlsec1', async () => {
  const c = await d.client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  const xml = await c.signXml('PKCS12', '<application><name>Тест</name></application>');
  assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8" standalone="no"\?><application>/);
  assert.match(xml, /<ds:SignatureMethod Algorithm="http:\/\/www.w3.org\/2001\/04\/xmldsig-more#rsa-sha256"\/>/);
  xmlsecVerify(xml);
  assert.match(d.pinentryLog(), /<application>/, 'the prompt names the first element');

  const byId = await c.signXml('PKCS12', '<root><data Id="d1">signed</data><sigs/></root>',
    'SIGNATURE', '//data', '//sigs');
  assert.match(byId, /<ds:Reference URI="#d1">/);
  assert.match(byId, /<sigs><ds:Signature/);
  xmlsecVerify(byId, { idAttr: 'data' });

  const many = await c.signXmls('PKCS12', ['<a>1</a>', '<b>2</b>']);
  assert.equal(many.length, 2);
  for (const x of many) xmlsecVerify(x);
  assert.match(many[1], /<b>2<ds:Signature/);
});

test('basics sign: CMS for one and for many documents, XML', async () => {
  const c = await d.client();
  const NCALayerClient = c.constructor;
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  const one = await c.basicsSignCMS(NCALayerClient.basicsStorageAll, b64('one'),
    NCALayerClient.basicsCMSParams, NCALayerClient.basicsSignerTestAny);
  assert.match(one, /^-----BEGIN CMS-----\n/);
  // basicsCMSParams is {}: data signed as sent (not decoded), encapsulated.
  assert.equal(opensslVerifyCms(one).toString(), b64('one'));

  const docs = ['первый', 'second', 'үшінші'].map(b64);
  const many = await c.basicsSignCMS(NCALayerClient.basicsStorageAll, docs,
    NCALayerClient.basicsCMSParamsDetachedNoTSP, NCALayerClient.basicsSignerTestAny);
  assert.equal(many.length, 3);
  many.forEach((s, i) => opensslVerifyCms(s, { content: Buffer.from(docs[i], 'base64') }));
  assert.match(d.pinentryLog(), /подписать документы \(3\):\n• 12 B/, 'the prompt counts the documents');

  const xml = await c.basicsSignXML(NCALayerClient.basicsStoragePKCS12, '<doc>basics</doc>',
    NCALayerClient.basicsXMLParams, NCALayerClient.basicsSignerTestAny);
  assert.equal(xml.length, 1, 'basics answers an array for XML too');
  assert.doesNotMatch(xml[0], /\r/, 'basics separates lines with LF');
  xmlsecVerify(xml[0]);

  const raw = await c.basicsSign(null, 'raw', b64('raw data'),
    { decode: true, outputCert: true }, { extKeyUsageOids: [], chain: [] }, 'en');
  assert.equal(raw.signatures.length, 1);
  assert.equal(raw.certificate, readFileSync(join(keysDir, 'rsa.pem'), 'utf8')
    .replace(/-----[A-Z ]+-----|\n/g, ''));
});

test('a wrong password is asked again with the tries left; cancel is action.canceled', async () => {
  const c = await d.client();
  d.setScript(['pin wrong', `pin ${PASSWORD}`]);
  const cms = await c.createCAdESFromBase64('PKCS12', b64('retry'), 'SIGNATURE', true);
  opensslVerifyCms(cms);
  const log = d.pinentryLog();
  assert.equal(log.match(/\nGETPIN\n/g).length, 2);
  assert.match(log, /SETERROR (Wrong password|Құпиясөз қате)[^\n]*2/);

  d.setScript(['cancel']);
  await rejects(c.createCAdESFromBase64('PKCS12', b64('no'), 'SIGNATURE', true), /^500: action\.canceled$/);
  d.setScript(['cancel']);
  await assert.rejects(c.basicsSignCMS(['PKCS12'], b64('no'), {}, { extKeyUsageOids: [] }),
    (e) => e.canceledByUser === true);

  d.setScript(['pin a', 'pin b', 'pin c']);
  await rejects(c.createCAdESFromBase64('PKCS12', b64('no'), 'SIGNATURE', true),
    /^500: password\.wrong: rsa\.p12$/);
});

test('prompts speak the page language', async () => {
  const c = await d.client();
  await c.changeLocale('ru');
  d.setScript([`pin ${PASSWORD}`]);
  await c.createCAdESFromBase64('PKCS12', b64('ru'), 'SIGNATURE', true);
  assert.match(d.pinentryLog(), /SETPROMPT Пароль:/);
  d.setScript([`pin ${PASSWORD}`]);
  await c.basicsSignCMS(['PKCS12'], b64('en'), {}, { extKeyUsageOids: [] }, 'en');
  assert.match(d.pinentryLog(), /SETPROMPT Password:/);
});

test('while a prompt is open, heartbeats and other pages are served; closing the page ends the prompt', async () => {
  d.setScript(['hang']);
  const page = await greeted(d.url, { origin: ORIGIN });
  page.send(JSON.stringify({ module: 'kz.gov.pki.knca.commonUtils', method: 'getKeyInfo', args: ['PKCS12'] }));
  // Wait for the prompt to be on screen.
  for (let i = 0; i < 100 && !/GETPIN/.test(d.pinentryLog()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(d.pinentryLog(), /GETPIN/);
  page.send('--heartbeat--');
  assert.equal(await page.next(), '--heartbeat--');
  const other = await greeted(d.url, { origin: ORIGIN });
  other.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}');
  assert.equal(await other.next(), '{"responseObject":[],"code":"200"}');
  other.close();

  const pid = Number(d.pinentryLog().match(/^PID (\d+)/)[1]);
  assert.doesNotThrow(() => process.kill(pid, 0), 'pinentry is running');
  page.close();
  let gone = false;
  for (let i = 0; i < 100 && !gone; i++) {
    await new Promise((r) => setTimeout(r, 50));
    try { process.kill(pid, 0); } catch { gone = true; }
  }
  assert.ok(gone, 'the pinentry of a closed page is ended');

  // And the daemon goes on serving.
  d.setScript([`pin ${PASSWORD}`]);
  const c = await d.client();
  opensslVerifyCms(await c.createCAdESFromBase64('PKCS12', b64('after'), 'SIGNATURE', true));
});

test('several key files: the user picks one by number', async () => {
  const d2 = await signingDaemon([join(keysDir, 'rsa.p12'), join(keysDir, 'ec.p12')]);
  try {
    d2.setScript(['pin 9', 'pin 1', `pin ${PASSWORD}`]);
    const c = await d2.client();
    const cms = await c.createCAdESFromBase64('PKCS12', b64('ec'), 'SIGNATURE', true);
    assert.equal(opensslVerifyCms(cms).toString(), 'ec');
    assert.match(opensslPrintCms(cms), /ecdsa-with-SHA256/);
    const log = d2.pinentryLog();
    assert.match(log, /1\. ec\.p12\n2\. rsa\.p12\n/);
    assert.match(log, /SETERROR [^\n]*2/, 'a number out of range is asked again');

    d2.setScript(['pin 1', `pin ${PASSWORD}`]);
    const xml = await c.signXml('PKCS12', '<ecdsa/>');
    assert.match(xml, /xmldsig-more#ecdsa-sha256/);
    xmlsecVerify(xml);
  } finally {
    await d2.stop();
  }
});

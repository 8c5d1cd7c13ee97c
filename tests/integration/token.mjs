// Signing with keys on a PKCS#11 token through the same methods as key
// files: a SoftHSM2 token in a temporary folder ([tokens]
// AKKaztokenStore=libsofthsm2.so) holding the tests' RSA-2048 and P-256
// keys and certificates, driven through ncalayer-js-client, every
// signature checked by openssl or xmlsec1. Then what a real token does
// and SoftHSM2 will not, with tests/helpers/p11-failing.so: a PIN that
// blocks, a token pulled out while signing, a module that does not
// start; and a module file that is not there. After each failure the
// daemon still answers a heartbeat and signs with a key file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { greeted, tempDir } from './harness.mjs';
import { SOFTHSM, TOKEN_LABEL, PIN, makeToken, whyNoToken } from './softhsm.mjs';
import {
  signingDaemon, keysDir, PASSWORD, ORIGIN, b64, opensslVerifyCms, opensslPrintCms, xmlsecVerify, rejects,
} from './signing.mjs';

const FAILING = join(process.env.QOL_HELPERS, 'p11-failing.so');
const FAILING_PIN = '4321'; // tests/helpers/p11-failing.c
const openssl = process.env.OPENSSL || 'openssl';

// The p11-failing module's control file: mode and the certificate it
// shows next to its key (the tests' RSA person).
function failingControl(dir, mode) {
  const der = join(dir, 'failing.der');
  execFileSync(openssl, ['x509', '-in', join(keysDir, 'rsa.pem'), '-outform', 'DER', '-out', der]);
  const control = join(dir, 'p11-failing.conf');
  writeFileSync(control, `mode=${mode}\ncert=${der}\n`);
  return { QOL_P11_CONTROL: control };
}

const skip = whyNoToken() ?? false;
if (skip) console.log(`# SKIP token tests: ${skip}`);

const rsaFile = join(keysDir, 'rsa.p12');
let d;

// The daemon still serves: a heartbeat, and a signature with a key file.
async function stillServes(daemon) {
  const raw = await greeted(daemon.url);
  raw.send('--heartbeat--');
  assert.equal(await raw.next(), '--heartbeat--');
  raw.close();
  daemon.setScript([`pin ${PASSWORD}`]);
  const c = await daemon.client();
  const cms = await c.createCAdESFromBase64('PKCS12', b64('file key'), 'SIGNATURE', true);
  assert.equal(opensslVerifyCms(cms).toString(), 'file key');
}

// The certificate a CMS signature names as its signer's: "rsa" or "ec".
function signerOf(cms) {
  const printed = opensslPrintCms(cms);
  if (/IIN123456789012/.test(printed)) return 'ec';
  if (/IIN123456789011/.test(printed)) return 'rsa';
  return '?';
}

before(async () => {
  if (skip) return;
  const home = tempDir();
  const env = makeToken(home);
  d = await signingDaemon([rsaFile], { tokens: { AKKaztokenStore: SOFTHSM } }, env, home);
});
after(async () => { if (d) await d.stop(); });

test('getActiveTokens lists the configured token, never PKCS12', { skip }, async () => {
  const c = await d.client();
  assert.deepEqual(await c.getActiveTokens(), ['AKKaztokenStore']);
  // Again, answered the same way (the module stays loaded).
  assert.deepEqual(await c.getActiveTokens(), ['AKKaztokenStore']);
});

test('getKeyInfo on the token answers the fields a key file gives', { skip }, async () => {
  d.setScript([`pin ${PIN}`]);
  const c = await d.client();
  const info = await c.getKeyInfo('AKKaztokenStore');
  assert.deepEqual(Object.keys(info).sort(), ['algorithm', 'alias', 'authorityKeyIdentifier',
    'certNotAfter', 'certNotBefore', 'issuerCn', 'issuerDn', 'keyId', 'pem', 'serialNumber',
    'subjectCn', 'subjectDn']);
  assert.match(info.alias, /^(rsa|ec) key$/, 'the alias is the key\'s CKA_LABEL');
  assert.equal(info.subjectCn, 'ТЕСТОВ ТЕСТ');
  assert.equal(info.issuerCn, 'Qoltanba test CA');
  assert.match(info.keyId, /^[0-9a-f]{40}$/);
  const log = d.pinentryLog();
  assert.match(log, new RegExp(`Токен: ${TOKEN_LABEL} \\(AKKaztokenStore\\)`), 'the prompt names the token');
  assert.match(log, /Токеннің PIN-кодын енгізіңіз\./);
  assert.match(log, /\nGETPIN\n/);
});

test('createCAdESFromBase64 and signXml with the token verify with openssl and xmlsec1', { skip }, async () => {
  const doc = 'Өтініш: токенмен қол қою\n';
  const c = await d.client();
  d.setScript([`pin ${PIN}`, `pin ${PIN}`, `pin ${PIN}`]);
  const attached = await c.createCAdESFromBase64('AKKaztokenStore', b64(doc), 'SIGNATURE', true);
  assert.match(attached, /^[A-Za-z0-9+/]+=*$/);
  assert.equal(opensslVerifyCms(attached).toString('utf8'), doc);
  const detached = await c.createCAdESFromBase64('AKKaztokenStore', b64(doc), 'SIGNATURE', false);
  opensslVerifyCms(detached, { content: doc });
  assert.throws(() => opensslVerifyCms(detached, { content: `${doc}!` }));
  const xml = await c.signXml('AKKaztokenStore', '<application><name>Токен</name></application>');
  xmlsecVerify(xml);
  assert.equal((d.pinentryLog().match(/\nGETPIN\n/g) ?? []).length, 3, 'one PIN per request');
});

test('basics sign with allowedStorages [AKKaztokenStore]: the first key that meets the filters', { skip }, async () => {
  const c = await d.client();
  d.setScript([`pin ${PIN}`, `pin ${PIN}`]);
  const ec = await c.basicsSignCMS(['AKKaztokenStore'], b64('ec'), {},
    { extKeyUsageOids: [], iin: '123456789012' });
  assert.equal(opensslVerifyCms(ec).toString(), b64('ec'));
  assert.equal(signerOf(ec), 'ec');
  assert.match(opensslPrintCms(ec), /ecdsa-with-SHA256/);
  const rsa = await c.basicsSignCMS(['AKKaztokenStore'], b64('rsa'), {},
    { extKeyUsageOids: [], iin: '123456789011' });
  assert.equal(opensslVerifyCms(rsa).toString(), b64('rsa'));
  assert.equal(signerOf(rsa), 'rsa');
  // No key on the token meets the filter: refused before the PIN.
  d.setScript([]);
  await rejects(c.basicsSignCMS(['AKKaztokenStore'], b64('x'), {},
    { extKeyUsageOids: [], iin: '000000000000' }),
  /^KEY_MISMATCH: .*\(the certificate belongs to another person \(IIN\)\)$/);
  assert.doesNotMatch(d.pinentryLog(), /GETPIN/);
  // A token type without a source is still refused.
  await rejects(c.basicsSignCMS(['AKJaCartaStore'], b64('x'), {}, { extKeyUsageOids: [] }),
    /^STORAGE_EMPTY: .*no token of the allowed types is connected/);
  await rejects(c.getKeyInfo('AKJaCartaStore'), /^500: storage\.empty: no token of this type is connected$/);
});

test('a wrong PIN is asked again with the token\'s warning; three are password.wrong', { skip }, async () => {
  const c = await d.client();
  await c.changeLocale('en');
  d.setScript(['pin 0000', `pin ${PIN}`]);
  const cms = await c.createCAdESFromBase64('AKKaztokenStore', b64('again'), 'SIGNATURE', true);
  assert.equal(opensslVerifyCms(cms).toString(), 'again');
  const log = d.pinentryLog();
  assert.match(log, /\nSETERROR Wrong PIN\.( Few tries are left\.)?\n/);
  assert.match(log, /Enter the token's PIN\./);
  assert.equal((log.match(/\nGETPIN\n/g) ?? []).length, 2);

  d.setScript(['pin 0000', 'pin 0001', 'pin 0002']);
  await rejects(c.createCAdESFromBase64('AKKaztokenStore', b64('x'), 'SIGNATURE', true),
    new RegExp(`^500: password\\.wrong: ${TOKEN_LABEL} \\(AKKaztokenStore\\)$`));
  // The token still works with its PIN.
  d.setScript([`pin ${PIN}`]);
  await c.createCAdESFromBase64('AKKaztokenStore', b64('y'), 'SIGNATURE', true);
});

test('cancel at the PIN prompt is action.canceled; the session is closed', { skip }, async () => {
  const c = await d.client();
  d.setScript(['cancel']);
  await rejects(c.createCAdESFromBase64('AKKaztokenStore', b64('x'), 'SIGNATURE', true),
    /^500: action\.canceled$/);
  d.setScript(['cancel']);
  await assert.rejects(c.basicsSignCMS(['AKKaztokenStore'], b64('x'), {}, { extKeyUsageOids: [] }),
    (e) => e.canceledByUser === true);
  // The token is free again: the next request opens its session.
  d.setScript([`pin ${PIN}`]);
  const cms = await c.createCAdESFromBase64('AKKaztokenStore', b64('free'), 'SIGNATURE', true);
  assert.equal(opensslVerifyCms(cms).toString(), 'free');
  await stillServes(d);
});

test('while one page waits for the PIN, another is told the token is busy; getActiveTokens is answered', { skip }, async () => {
  d.setScript(['hang']);
  const page = await greeted(d.url, { origin: ORIGIN });
  page.send(JSON.stringify({ module: 'kz.gov.pki.knca.commonUtils', method: 'createCAdESFromBase64',
    args: ['AKKaztokenStore', 'SIGNATURE', b64('first'), true] }));
  for (let i = 0; i < 100 && !/GETPIN/.test(d.pinentryLog()); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(d.pinentryLog(), /GETPIN/);
  const c = await d.client();
  await rejects(c.createCAdESFromBase64('AKKaztokenStore', b64('second'), 'SIGNATURE', true),
    /^500: token\.busy: the token is in use by another request$/);
  assert.deepEqual(await c.getActiveTokens(), ['AKKaztokenStore']);
  // The page goes: its prompt ends and its session is closed.
  page.close();
  d.setScript([`pin ${PIN}`]);
  let cms;
  for (let i = 0; i < 100 && !cms; i++) {
    cms = await c.createCAdESFromBase64('AKKaztokenStore', b64('after'), 'SIGNATURE', true)
      .catch((e) => { if (!/token\.busy/.test(e.message)) throw e; });
    if (!cms) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(opensslVerifyCms(cms).toString(), 'after');
});

// A daemon whose AKJaCartaStore is the failing module in mode.
async function failingDaemon(mode, extraTokens = {}) {
  const home = tempDir();
  const env = failingControl(home, mode);
  return signingDaemon([rsaFile],
    { tokens: { AKJaCartaStore: FAILING, ...extraTokens } }, env, home);
}

test('a blocked PIN is TOKEN_LOCKED, at once on the next request', { skip }, async () => {
  const f = await failingDaemon('rsa');
  try {
    const c = await f.client();
    await c.changeLocale('en');
    assert.deepEqual(await c.getActiveTokens(), ['AKJaCartaStore']);
    f.setScript(['pin 0000', 'pin 0001', 'pin 0002']);
    await rejects(c.createCAdESFromBase64('AKJaCartaStore', b64('x'), 'SIGNATURE', true),
      /^500: token\.locked: p11-failing \(AKJaCartaStore\)$/);
    const log = f.pinentryLog();
    assert.match(log, /\nSETERROR Wrong PIN\. Few tries are left\.\n/);
    assert.match(log, /\nSETERROR Wrong PIN\. One try is left: another wrong PIN blocks the token\.\n/);
    // Blocked now: no PIN is asked.
    f.setScript([`pin ${FAILING_PIN}`]);
    await rejects(c.basicsSignCMS(['AKJaCartaStore'], b64('x'), {}, { extKeyUsageOids: [] }),
      /^TOKEN_LOCKED: The token's PIN is blocked: .*\(p11-failing \(AKJaCartaStore\)\)$/);
    assert.doesNotMatch(f.pinentryLog(), /GETPIN/);
    await stillServes(f);
  } finally {
    await f.stop();
  }
});

test('a token pulled out while signing is TOKEN_REMOVED', { skip }, async () => {
  const f = await failingDaemon('removed');
  try {
    const c = await f.client();
    f.setScript([`pin ${FAILING_PIN}`]);
    await rejects(c.createCAdESFromBase64('AKJaCartaStore', b64('x'), 'SIGNATURE', true),
      /^500: token\.removed: p11-failing \(AKJaCartaStore\)$/);
    assert.deepEqual(await c.getActiveTokens(), [], 'gone from the list');
    await stillServes(f);
  } finally {
    await f.stop();
  }
});

test('a module that does not start, or is not there, is STORAGE_EMPTY with the reason', { skip }, async () => {
  const f = await failingDaemon('initialize', { AKAKEYStore: '/nonexistent/libnotoken.so' });
  try {
    const c = await f.client();
    assert.deepEqual(await c.getActiveTokens(), []);
    f.setScript([]);
    await rejects(c.createCAdESFromBase64('AKJaCartaStore', b64('x'), 'SIGNATURE', true),
      /^500: storage\.empty: .*p11-failing\.so .*C_Initialize returned CKR_GENERAL_ERROR/);
    await rejects(c.basicsSignCMS(['AKAKEYStore'], b64('x'), {}, { extKeyUsageOids: [] }),
      /^STORAGE_EMPTY: .*\/nonexistent\/libnotoken\.so/);
    await rejects(c.getKeyInfo('AKAKEYStore'), /^500: storage\.empty: .*\/nonexistent\/libnotoken\.so/);
    assert.doesNotMatch(f.pinentryLog(), /GETPIN/);
    // Logged once, however often it is tried.
    const logged = f.stderr.match(/libnotoken\.so.*trying again at the next request/g) ?? [];
    assert.equal(logged.length, 1, f.stderr);
    await stillServes(f);
  } finally {
    await f.stop();
  }
});

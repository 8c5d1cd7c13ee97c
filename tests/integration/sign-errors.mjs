// What a page or a key can get wrong, and each answer: filters
// (keyType, extKeyUsageOids, IIN, BIN, serial, chain, expiry, CRL, with
// allowExpired/allowRevoked), bad input (base64, XML, XPath, XXE,
// billion laughs), key files (corrupt, missing), storages, and the
// timestamp service (working, unreachable). The daemon stays up
// throughout and no key file changes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';

import { tempDir } from './harness.mjs';
import {
  signingDaemon, keysDir, PASSWORD, b64, opensslVerifyCms, opensslPrintCms, rejects,
} from './signing.mjs';

const key = (name) => join(keysDir, name);
const pem = (name) => readFileSync(key(name), 'utf8');
const daemons = [];
after(async () => { for (const d of daemons) await d.stop(); });

async function daemonWith(files, config) {
  const d = await signingDaemon(files.map(key), config);
  daemons.push(d);
  return d;
}

// basics sign of one CMS with signerParams and signingParams.
function basicsCms(c, signerParams, signingParams = {}) {
  return c.basicsSignCMS(null, b64('filtered'), { decode: true, ...signingParams },
    { extKeyUsageOids: [], ...signerParams }, 'en');
}

test('signerParams filters: each requirement is named when missed, met when right', async () => {
  const d = await daemonWith(['rsa.p12']);
  const c = await d.client();
  const cases = [
    [{ iin: '123456789011' }, null],
    [{ iin: '000000000000' }, /\(the certificate belongs to another person \(IIN\)\)$/],
    [{ bin: '123456789021' }, /another organisation \(BIN\)/],
    [{ serialNumber: '1001' }, null],
    [{ serialNumber: '1002' }, /\(serial number\)/],
    [{ extKeyUsageOids: ['1.3.6.1.5.5.7.3.4', '1.2.398.3.3.4.1.1'] }, null],
    [{ extKeyUsageOids: ['1.2.398.3.3.4.1.2'] }, /extended key usage/],
    [{ chain: [pem('ca.pem')] }, null],
    [{ chain: [pem('other-ca.pem')] }, /not issued by a certification authority the page trusts/],
    [{ chain: [] }, null],
  ];
  for (const [params, miss] of cases) {
    d.setScript([`pin ${PASSWORD}`]);
    const p = basicsCms(c, params);
    if (miss) {
      await rejects(p, /^KEY_MISMATCH: The chosen key does not meet the page's requirements\. \(/);
      d.setScript([`pin ${PASSWORD}`]);
      await rejects(basicsCms(c, params), miss);
    }
    else opensslVerifyCms(await p, { content: 'filtered' });
  }
  d.setScript([`pin ${PASSWORD}`]);
  await rejects(basicsCms(c, { chain: ['not a certificate'] }),
    /^INVALID_SIGNING_PARAMS: .*\(signerParams\.chain\[0\] is not a PEM certificate\)$/);
});

test('keyType: an authentication-only key cannot sign as SIGNATURE', async () => {
  const d = await daemonWith(['auth.p12']);
  const c = await d.client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  await rejects(c.createCAdESFromBase64('PKCS12', b64('a'), 'SIGNATURE', true),
    /^500: key\.mismatch: the certificate is not for this purpose/);
  opensslVerifyCms(await c.createCAdESFromBase64('PKCS12', b64('a'), 'AUTHENTICATION', true));
  // Any other keyType means every key, as in NCALayer.
  opensslVerifyCms(await c.createCAdESFromBase64('PKCS12', b64('a'), '123', true));
});

test('expired and revoked keys: refused unless the page allows them', async () => {
  const d = await daemonWith(['expired.p12']);
  const c = await d.client();
  d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  await rejects(basicsCms(c, {}), /\(the certificate has expired\)$/);
  await rejects(c.signXml('PKCS12', '<x/>'), /^500: key\.mismatch: the certificate has expired$/);
  opensslVerifyCms(await basicsCms(c, {}, { allowExpired: true }),
    { content: 'filtered', noCheckTime: true });

  const r = await daemonWith(['revoked.p12']);
  const rc = await r.client();
  r.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`]);
  await rejects(basicsCms(rc, {}), /\(the certificate has been revoked\)$/);
  opensslVerifyCms(await basicsCms(rc, {}, { allowRevoked: true }), { content: 'filtered' });

  // Without the CRL in the configuration, nothing says it is revoked.
  const n = await daemonWith(['revoked.p12'], { keys: { crl: '' } });
  n.setScript([`pin ${PASSWORD}`]);
  opensslVerifyCms(await basicsCms(await n.client(), {}), { content: 'filtered' });
});

test('bad input is refused before any prompt, with the documented texts', async () => {
  const d = await daemonWith(['rsa.p12']);
  const c = await d.client();
  d.setScript([]);
  await rejects(c.createCAdESFromBase64('PKCS12', 'not base64!', 'SIGNATURE', true),
    /^500: data\.invalid: base64Data is not valid base64$/);
  await rejects(c.createCAdESFromBase64Hash('PKCS12', 'QQ'),
    /^500: data\.invalid: base64Hash is not valid base64$/);
  // NCALayer's bare answer to an empty hash.
  await rejects(c.createCAdESFromBase64Hash('PKCS12', ''), /^500: undefined$/);
  // NCALayer's own words for malformed XML (recorded exchange).
  await rejects(c.signXml('PKCS12', '<this>is not a valid XML'),
    /^500: org\.xml\.sax\.SAXParseException; lineNumber: 1; columnNumber: 25; XML document structures must start and end within the same entity\.$/);
  const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
  await rejects(c.signXml('PKCS12', xxe), /^500: data\.invalid: the XML document declares entities/);
  const laughs = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]><l>&c;</l>';
  await rejects(c.signXml('PKCS12', laughs), /^500: data\.invalid: the XML document declares entities/);
  await rejects(c.basicsSignCMS(null, 'QQ=', { decode: true }, { extKeyUsageOids: [] }),
    /^INVALID_SIGNING_PARAMS: .*\(data\[0\] is not valid base64 \(decode is true\)\)$/);
  await rejects(c.basicsSignXML(null, '<a>', {}, { extKeyUsageOids: [] }),
    /^SIGNING_FAILURE: The XML document cannot be signed\. \(org\.xml\.sax\.SAXParseException; lineNumber: 1;/);
  await rejects(c.basicsSign(null, 'xml', '<a/>', { digested: true }, { extKeyUsageOids: [] }),
    /digested applies to the cms and raw formats/);
  // Storages.
  await rejects(c.getKeyInfo(''), /^500: storageName\.param\.empty$/);
  await rejects(c.getKeyInfo('NoSuchStore'), /^500: storage\.unknown: NoSuchStore$/);
  await rejects(c.getKeyInfo('AKKaztokenStore'), /^500: storage\.empty: no token of this type is connected$/);
  await rejects(c.getKeyInfo('JKS'), /^500: storage\.empty: JKS/);
  await rejects(c.basicsSignCMS(['AKKaztokenStore'], b64('x'), {}, { extKeyUsageOids: [] }),
    /^STORAGE_EMPTY: .*PKCS12 is not allowed and no token of the allowed types is connected/);
  assert.doesNotMatch(d.pinentryLog(), /GETPIN/, 'the user was not asked');

  // An XPath that selects nothing: after the key is chosen, as NCALayer.
  d.setScript([`pin ${PASSWORD}`]);
  await rejects(c.signXml('PKCS12', '<r><a Id="x"/></r>', 'SIGNATURE', '//nothing', ''),
    /^500: .*nothing/i);
  // A wrong-sized hash for the key's digest.
  d.setScript([`pin ${PASSWORD}`]);
  await rejects(c.createCAdESFromBase64Hash('PKCS12', Buffer.alloc(20).toString('base64')),
    /^500: data\.invalid: the hash has 20 bytes; the key's algorithm \(RSA with SHA-256\) needs 32$/);
});

test('damaged, missing and unreadable key files', async () => {
  const d = await daemonWith(['corrupt.p12']);
  const before = readFileSync(join(d.folder, 'corrupt.p12'));
  const c = await d.client();
  d.setScript([`pin ${PASSWORD}`]);
  await rejects(c.getKeyInfo('PKCS12'), /^500: keystore\.corrupt: .*corrupt\.p12$/);
  assert.doesNotMatch(d.pinentryLog(), /GETPIN/, 'no password asked for a damaged file');
  assert.deepEqual(readFileSync(join(d.folder, 'corrupt.p12')), before, 'the file is untouched');

  const empty = await daemonWith([]);
  await rejects((await empty.client()).getKeyInfo('PKCS12'), /^500: file\.not_found: no p12 files in /);
  const missing = await daemonWith([], { ui: { 'key-folder': '/nonexistent/keys' } });
  await rejects((await missing.client()).getKeyInfo('PKCS12'),
    /^500: file\.not_found: cannot open the folder \/nonexistent\/keys/);

  const nopin = await daemonWith(['rsa.p12'], { ui: { pinentry: '/nonexistent/pinentry' } });
  await rejects((await nopin.client()).getKeyInfo('PKCS12'),
    /^500: ui\.unavailable: cannot start \/nonexistent\/pinentry/);
  assert.ok(d.alive() && empty.alive() && missing.alive() && nopin.alive());
});

// A time-stamp service on loopback: openssl ts -reply with the test TSA.
function startTsa() {
  const dir = process.env.QOL_TSP;
  const work = tempDir('qoltanba-tsa-');
  let serial = 1;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const q = join(work, 'q.tsq');
      const r = join(work, 'r.tsr');
      writeFileSync(q, Buffer.concat(chunks));
      const out = spawnSync(process.env.OPENSSL || 'openssl', ['ts', '-reply', '-queryfile', q,
        '-config', join(dir, 'tsa.cnf'), '-out', r],
      { env: { ...process.env, TSA_SERIAL: join(work, `serial${serial++}`) } });
      if (out.status !== 0) {
        res.writeHead(500).end(String(out.stderr));
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/timestamp-reply' }).end(readFileSync(r));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      server.unref();
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => { server.close(); rmSync(work, { recursive: true, force: true }); },
      });
    });
  });
}

test('timestamps: createCMSSignatureFromBase64 and tsaProfile, a service that is down', async () => {
  const tsa = await startTsa();
  try {
    const d = await daemonWith(['rsa.p12'], { tsa: { url: tsa.url } });
    const c = await d.client();
    d.setScript([`pin ${PASSWORD}`, `pin ${PASSWORD}`]);
    const cms = await c.createCMSSignatureFromBase64('PKCS12', b64('stamped'), 'SIGNATURE', true);
    assert.equal(opensslVerifyCms(cms).toString(), 'stamped');
    assert.match(opensslPrintCms(cms), /id-smime-aa-timeStampToken/);
    const basics = await c.basicsSignCMS(null, b64('stamped'),
      c.constructor.basicsCMSParamsDetached, { extKeyUsageOids: [] });
    opensslVerifyCms(basics, { content: 'stamped' });
    assert.match(opensslPrintCms(basics), /id-smime-aa-timeStampToken/);
  } finally {
    tsa.close();
  }

  // Nothing listens on port 9 of loopback: a clear error, no signature.
  const down = await daemonWith(['rsa.p12'], { tsa: { url: 'http://127.0.0.1:9/', timeout: '5' } });
  const c = await down.client();
  down.setScript([`pin ${PASSWORD}`]);
  await rejects(c.createCMSSignatureFromBase64('PKCS12', b64('x'), 'SIGNATURE', true),
    /^500: tsp\.failed: .*http:\/\/127\.0\.0\.1:9\//);
  // No service configured: tsaProfile cannot be honoured; without it, fine.
  const none = await daemonWith(['rsa.p12']);
  const nc = await none.client();
  await rejects(nc.basicsSignCMS(null, b64('x'), { tsaProfile: {} }, { extKeyUsageOids: [] }),
    /^TSP_FAILURE: .*no timestamp service is configured/);
  none.setScript([`pin ${PASSWORD}`]);
  opensslVerifyCms(await nc.createCMSSignatureFromBase64('PKCS12', b64('x'), 'SIGNATURE', true));
});

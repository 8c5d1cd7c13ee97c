// What the signing tests share: a daemon with a key folder and the
// scripted pinentry, and the second implementations that check every
// signature (openssl cms, xmlsec1, gost-verify).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';

import { startDaemon, ncalayerClient, tempDir } from './harness.mjs';

export const keysDir = process.env.QOL_KEYS;
export const gostDir = join(process.env.QOL_TEST_DATA, 'gost');
export const ncaDir = join(process.env.QOL_TEST_DATA, 'nca');
export const PASSWORD = 'Qwerty12';
export const ORIGIN = 'https://egov.kz';
export const GOST_PERSON = 'person-valid-GOST512_d6d1e53515d516a7d95d399b668cf09011bf118d.p12';
export const GOST_PERSON_REVOKED = 'person-revoked-GOST512_36ab73273b4922617b0c4c781f3e02db2e017cc6.p12';
export const NCA_CA = join(ncaDir, 'nca_gost2022_test.cer');
const openssl = process.env.OPENSSL || 'openssl';
const pinentryScript = join(process.env.QOL_SRC_HELPERS, 'pinentry-script');
const gostVerify = join(process.env.QOL_HELPERS, 'gost-verify');

// A daemon whose key folder holds copies of keyFiles (paths). The
// scripted pinentry answers from the lines set with setScript(). home:
// the folder of an earlier daemon (its keys, state and pinentry script),
// to start it again as after a crash.
export async function signingDaemon(keyFiles, config = {}, env = {}, home = tempDir()) {
  const folder = join(home, 'keys');
  mkdirSync(folder, { recursive: true });
  for (const f of keyFiles) copyFileSync(f, join(folder, f.split('/').pop()));
  const script = join(home, 'pinentry.script');
  const log = join(home, 'pinentry.log');
  if (!existsSync(script)) writeFileSync(script, '');
  const daemon = await startDaemon({
    home,
    config: {
      ui: { pinentry: pinentryScript, 'key-folder': folder, 'file-chooser': 'folder', ...(config.ui ?? {}) },
      keys: { crl: join(keysDir, 'crl.pem'), ...(config.keys ?? {}) },
      tsa: { url: '', ...(config.tsa ?? {}) },
      ...Object.fromEntries(Object.entries(config).filter(([k]) => !['ui', 'keys', 'tsa'].includes(k))),
    },
    env: { PINENTRY_SCRIPT: script, PINENTRY_LOG: log, ...env },
  });
  return {
    ...daemon,
    stop: () => daemon.stop(),
    // The spread above copied the getters' values once: read them live.
    get stderr() { return daemon.stderr; },
    get stdout() { return daemon.stdout; },
    home,
    alive: () => daemon.alive(),
    folder,
    // The user's next answers: 'pin TEXT', 'ok', 'cancel', 'hang'.
    setScript(lines) {
      writeFileSync(script, lines.map((l) => `${l}\n`).join(''));
      rmSync(`${script}.pos`, { force: true });
      writeFileSync(log, '');
    },
    // What the daemon said to pinentry (percent-escapes decoded).
    pinentryLog() {
      if (!existsSync(log)) return '';
      return readFileSync(log, 'utf8').replace(/%([0-9A-F]{2})/g,
        (_, h) => String.fromCharCode(parseInt(h, 16)));
    },
    // ncalayer-js-client as a page uses it; wss: over TLS, trusting the
    // daemon's local CA as a browser does after --install-ca.
    async client(origin = ORIGIN, { wss = false } = {}) {
      const c = wss ? ncalayerClient(daemon.wssUrl, { origin, ca: daemon.caPath })
        : ncalayerClient(daemon.url, { origin });
      await c.connect();
      return c;
    },
  };
}

export function b64(text) {
  return Buffer.from(text, 'utf8').toString('base64');
}

function tmpFile(dir, name, data) {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

function pemBody(pem) {
  const m = pem.match(/^-----BEGIN CMS-----\n([A-Za-z0-9+/=\n]+)-----END CMS-----\n$/);
  assert.ok(m, `not a CMS PEM: ${pem.slice(0, 80)}`);
  for (const line of m[1].trimEnd().split('\n')) assert.ok(line.length <= 64);
  return Buffer.from(m[1].replace(/\n/g, ''), 'base64');
}

export function cmsDer(signature) {
  return signature.startsWith('-----BEGIN CMS-----') ? pemBody(signature)
    : Buffer.from(signature, 'base64');
}

// openssl cms -verify: the signature, the content (for a detached one),
// the CA. Returns the content openssl vouches for.
export function opensslVerifyCms(signature, { content, ca = join(keysDir, 'ca.pem'), noCheckTime } = {}) {
  const dir = tempDir('qoltanba-verify-');
  try {
    const sig = tmpFile(dir, 'sig.der', cmsDer(signature));
    const out = join(dir, 'out');
    const args = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', sig, '-CAfile', ca,
      '-purpose', 'any', '-out', out];
    if (content !== undefined) args.push('-content', tmpFile(dir, 'content', content));
    if (noCheckTime) args.push('-no_check_time');
    const r = spawnSync(openssl, args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `openssl cms -verify failed:\n${r.stderr}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// openssl's view of the CMS structure.
export function opensslPrintCms(signature) {
  const dir = tempDir('qoltanba-verify-');
  try {
    const sig = tmpFile(dir, 'sig.der', cmsDer(signature));
    return execFileSync(openssl, ['cms', '-cmsout', '-print', '-inform', 'DER', '-in', sig],
      { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function xmlsecVerify(xml, { crt = join(keysDir, 'ca.pem'), idAttr } = {}) {
  const dir = tempDir('qoltanba-verify-');
  try {
    const file = tmpFile(dir, 'doc.xml', xml);
    const args = ['--verify', '--trusted-pem', crt];
    if (idAttr) args.push('--id-attr:Id', idAttr);
    args.push(file);
    const r = spawnSync('xmlsec1', args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `xmlsec1 --verify failed:\n${r.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function gostVerifyCms(signature, content, ca = NCA_CA) {
  const dir = tempDir('qoltanba-verify-');
  try {
    const sig = tmpFile(dir, 'sig.der', cmsDer(signature));
    const c = content === undefined ? '-' : tmpFile(dir, 'content', content);
    const r = spawnSync(gostVerify, ['cms', sig, c, ca], { encoding: 'utf8' });
    assert.equal(r.status, 0, `gost-verify cms failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function gostVerifyXml(xml) {
  const dir = tempDir('qoltanba-verify-');
  try {
    const file = tmpFile(dir, 'doc.xml', xml);
    const r = spawnSync(gostVerify, ['xml', file, NCA_CA], { encoding: 'utf8' });
    assert.equal(r.status, 0, `gost-verify xml failed: ${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function streebog512(data) {
  const dir = tempDir('qoltanba-verify-');
  try {
    const r = spawnSync(gostVerify, ['digest', tmpFile(dir, 'data', data)], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return Buffer.from(r.stdout.trim(), 'hex');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function sha256(data) {
  return createHash('sha256').update(data).digest();
}

// Expect an NCALayerError whose message matches re.
export async function rejects(promise, re) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, 'NCALayerError', String(e));
    assert.match(e.message, re);
    return true;
  });
}

// Remote key issuance with the key on a token: SoftHSM2 as
// [tokens] AKKaztokenStore. generateCsr makes the key pair on the token
// (no key file, no private key in the pending record) → the test CA
// issues → importCertificate stores the certificate next to the key →
// createCAdESFromBase64 signs with it and openssl verifies against the
// test CA. Then what must not leave traces: GOST512 (SoftHSM2 cannot),
// cancel at the PIN, a certificate of another key, kill -9 between the
// steps, cancelRequest, and the token gone at import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

import { basicsPage, ok, failed, issueWith, testca } from './enrollment.mjs';
import { assertCleanOutput, tempDir, greeted } from './harness.mjs';
import { SOFTHSM, TOKEN_LABEL, PIN, makeToken, whyNoToken } from './softhsm.mjs';
import { signingDaemon, b64, opensslVerifyCms, ORIGIN } from './signing.mjs';

const openssl = process.env.OPENSSL || 'openssl';
const FAILING = join(process.env.QOL_HELPERS, 'p11-failing.so');
const STORAGE = 'AKKaztokenStore';
const TOKEN = `${TOKEN_LABEL} (${STORAGE})`;

const PERSON = {
  CN: 'ТЕСТОВ ТЕСТ', SURNAME: 'ТЕСТОВ', SERIALNUMBER: 'IIN123456789011', GIVENNAME: 'ТЕСТОВИЧ',
  E: 'test@example.kz',
};

const skip = whyNoToken() ?? false;
if (skip) console.log(`# SKIP token enrollment tests: ${skip}`);

let caDir;
let home;
let tokenEnv;
let d;
let c;
const started = [];

async function daemon(config = { tokens: { [STORAGE]: SOFTHSM } }, env = tokenEnv) {
  const x = await signingDaemon([], config, env, home);
  started.push(x);
  return x;
}

const connect = (x, origin = ORIGIN) => basicsPage(x.url, origin);

const issue = (csr, purpose = 'sign') => issueWith(caDir, csr, purpose);

function pendingDir() {
  return join(home, 'state', 'qoltanba', 'pending');
}

function pendingIds() {
  if (!existsSync(pendingDir())) return [];
  return readdirSync(pendingDir()).map((f) => f.replace(/\.json$/, '')).sort();
}

// The token's objects as pkcs11-tool lists them after login:
// [{ type: 'Private Key' | 'Public Key' | 'Certificate', id, label }].
function objects() {
  const out = execFileSync('pkcs11-tool', ['--module', SOFTHSM, '--token-label', TOKEN_LABEL,
    '--login', '--pin', PIN, '--list-objects'], { env: { ...process.env, ...tokenEnv }, encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'] });
  const list = [];
  for (const block of out.split(/\n(?=\S)/)) {
    const type = block.match(/^(Private Key|Public Key|Certificate) Object/)?.[1];
    if (!type) continue;
    list.push({
      type,
      id: block.match(/\bID:\s+([0-9a-f]+)/)?.[1],
      label: block.match(/label:\s+(.*)/)?.[1].trim(),
    });
  }
  return list;
}

function objectsOf(keyId) {
  return objects().filter((o) => o.id === keyId).map((o) => o.type).sort();
}

// Every file under dir but those in skipDirs, recursively.
function filesUnder(dir, skipDirs) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (skipDirs.includes(p)) continue;
    if (e.isDirectory()) out.push(...filesUnder(p, skipDirs));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

function rootRsa() {
  const p = join(caDir, 'root-rsa.pem');
  writeFileSync(p, execFileSync(testca, ['root', caDir, 'rsa']));
  return p;
}

async function generate(args = {}, script = [`pin ${PIN}`]) {
  d.setScript(script);
  return c.call('generateCsr', {
    storage: STORAGE, algorithm: 'RSA2048', purpose: 'sign', subject: PERSON, ...args,
  });
}

before(async () => {
  if (skip) return;
  caDir = join(tempDir('qoltanba-ca-'), 'ca');
  const r = spawnSync(testca, ['init', caDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  home = tempDir();
  tokenEnv = makeToken(home, []);
  d = await daemon();
  c = await connect(d);
});

after(async () => {
  for (const x of started) if (x.alive()) await x.stop();
  if (caDir) rmSync(join(caDir, '..'), { recursive: true, force: true });
});

test('RSA2048 on the token: CSR, issue, importCertificate, then the new key signs', { skip }, async () => {
  // A folder is ignored for a token: nothing is written there.
  const req = ok(await generate({ folder: '/nonexistent/keys' }));
  assert.match(req.requestId, /^[0-9a-f]{32}$/);
  assert.match(req.keyId, /^[0-9a-f]{40}$/);
  assert.equal(req.storage, STORAGE);
  assert.equal(req.folder, null);
  assert.equal(req.fileName, null);
  assert.equal(req.token, TOKEN_LABEL);
  assert.equal(req.keyLabel, `qoltanba ${req.requestId}`);
  const log = d.pinentryLog();
  assert.match(log, /make a new key on your token for a certificate request/);
  assert.match(log, new RegExp(`Token: ${TOKEN_LABEL} \\(${STORAGE}\\)`));
  assert.doesNotMatch(log, /CONFIRM/, 'no folder prompt for a token');

  // The request verifies and carries no key-store extension.
  const csrFile = join(home, 'req.pem');
  writeFileSync(csrFile, req.csr);
  const v = spawnSync(openssl, ['req', '-in', csrFile, '-verify', '-noout', '-text', '-nameopt', 'utf8'],
    { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stdout + v.stderr, /verify OK|Certificate request self-signature verify OK/);
  assert.match(v.stdout, /CN ?= ?ТЕСТОВ ТЕСТ/);
  assert.match(v.stdout, /email:test@example\.kz/);
  assert.doesNotMatch(v.stdout, /1\.2\.398\.3\.3\.5/);

  // The pair is on the token under the answer's keyId; no private key
  // anywhere else: the pending record names the token only.
  assert.deepEqual(objectsOf(req.keyId), ['Private Key', 'Public Key']);
  assert.ok(objects().some((o) => o.id === req.keyId && o.label === `qoltanba ${req.requestId}`));
  const record = JSON.parse(readFileSync(join(pendingDir(), `${req.requestId}.json`), 'utf8'));
  assert.equal('key' in record, false);
  assert.equal(record.token.storage, STORAGE);
  assert.equal(record.token.module, SOFTHSM);
  assert.equal(record.token.label, TOKEN_LABEL);
  assert.equal(record.token.keyId, req.keyId);
  assert.match(record.token.serial, /^[0-9a-f]+$/);
  // (But the token's own store and the daemon's TLS key.)
  for (const f of filesUnder(home, [join(home, 'softhsm-tokens'), join(home, 'state', 'qoltanba', 'tls')])) {
    const text = readFileSync(f, 'latin1');
    assert.doesNotMatch(text, /PRIVATE KEY/, f);
    assert.ok(!f.endsWith('.p12'), f);
  }
  const listed = ok(await c.call('listRequests', {}));
  assert.deepEqual(listed.map((x) => [x.requestId, x.storage, x.token]),
    [[req.requestId, STORAGE, TOKEN_LABEL]]);

  const cert = issue(req.csr, 'sign');
  d.setScript([`pin ${PIN}`]);
  const done = ok(await c.call('importCertificate', { requestId: req.requestId, certificate: cert }));
  assert.equal(done.file, `${TOKEN_LABEL} (${STORAGE})`);
  assert.equal(done.fileName, `qoltanba ${req.requestId}`);
  assert.equal(done.keyId, req.keyId);
  assert.equal(done.storage, STORAGE);
  assert.doesNotMatch(d.pinentryLog(), /create a password/, 'no new password for a token');
  assert.match(d.pinentryLog(), /store your new certificate on your token/);
  assert.deepEqual(objectsOf(req.keyId), ['Certificate', 'Private Key', 'Public Key']);
  assert.deepEqual(pendingIds(), [], 'the pending record goes once the certificate is stored');

  // A second import of the same certificate finds the request gone.
  failed(await c.call('importCertificate', { requestId: req.requestId, certificate: cert }),
    'REQUEST_UNKNOWN');

  // The new key signs through the signing methods, and the signature
  // chains to the test CA.
  d.setScript([`pin ${PIN}`]);
  const page = await d.client();
  const doc = 'Токендегі жаңа кілтпен қол қою';
  const cms = await page.createCAdESFromBase64(STORAGE, b64(doc), 'SIGNATURE', true);
  assert.equal(opensslVerifyCms(cms, { ca: rootRsa() }).toString(), doc);
});

test('GOST512 on SoftHSM2: a clear error, nothing on the token, nothing pending', { skip }, async () => {
  const before = objects().length;
  failed(await generate({ algorithm: 'GOST512', purpose: 'both' }), 'KEY_UNSUPPORTED',
    /this token cannot make GOST 34\.10-2015 512 keys/);
  assert.equal(objects().length, before);
  assert.deepEqual(pendingIds(), []);
});

test('a request that cannot be kept: the new key pair is deleted from the token again', { skip }, async () => {
  const before = objects();
  const dir = pendingDir();
  if (existsSync(dir)) renameSync(dir, `${dir}.away`);
  writeFileSync(dir, 'not a folder');
  try {
    failed(await generate(), 'CSR_GENERATING_FAILURE', /the pending request cannot be kept/);
  } finally {
    rmSync(dir);
    if (existsSync(`${dir}.away`)) renameSync(`${dir}.away`, dir);
  }
  assert.deepEqual(objects(), before, 'nothing left on the token');
  assert.match(d.stderr, /was deleted from the token .* again/);
});

test('a wrong PIN is asked again; cancel at the PIN makes nothing', { skip }, async () => {
  const before = objects().length;
  d.setScript(['cancel']);
  assert.deepEqual(await generate({}, ['cancel']), { body: {}, status: true });
  assert.equal(objects().length, before);
  assert.deepEqual(pendingIds(), []);

  const req = ok(await generate({}, ['pin 0000', `pin ${PIN}`]));
  assert.match(d.pinentryLog(), /\nSETERROR Wrong PIN\.( Few tries are left\.)?\n/);
  assert.deepEqual(objectsOf(req.keyId), ['Private Key', 'Public Key']);

  // cancelRequest asks the PIN: cancel there cancels nothing.
  d.setScript(['cancel']);
  assert.deepEqual(await c.call('cancelRequest', { requestId: req.requestId }), { body: {}, status: true });
  assert.deepEqual(pendingIds(), [req.requestId]);
  assert.deepEqual(objectsOf(req.keyId), ['Private Key', 'Public Key']);
  // With the PIN the key pair goes from the token, and the record.
  d.setScript([`pin ${PIN}`]);
  const gone = ok(await c.call('cancelRequest', { requestId: req.requestId }));
  assert.equal(gone.cancelled, true);
  assert.equal(gone.tokenKey, 'deleted');
  assert.deepEqual(objectsOf(req.keyId), []);
  assert.deepEqual(pendingIds(), []);
});

test('a certificate of another key is CERT_KEY_MISMATCH; the request stays', { skip }, async () => {
  const a = ok(await generate());
  const b = ok(await generate());
  d.setScript([`pin ${PIN}`]);
  failed(await c.call('importCertificate', { requestId: a.requestId, certificate: issue(b.csr) }),
    'CERTIFICATE_KEY_MISMATCH', new RegExp(a.keyId));
  assert.doesNotMatch(d.pinentryLog(), /GETPIN/, 'refused before the PIN');
  assert.deepEqual(pendingIds(), [a.requestId, b.requestId].sort());
  assert.deepEqual(objectsOf(a.keyId), ['Private Key', 'Public Key']);
  for (const x of [a, b]) {
    d.setScript([`pin ${PIN}`]);
    assert.equal(ok(await c.call('cancelRequest', { requestId: x.requestId })).tokenKey, 'deleted');
  }
});

test('kill -9 between generateCsr and importCertificate: the import works after a restart', { skip }, async () => {
  const req = ok(await generate());
  c.close();
  d.child.kill('SIGKILL');
  await d.exited;
  d = await daemon();
  c = await connect(d);
  assert.deepEqual(ok(await c.call('listRequests', {})).map((x) => x.requestId), [req.requestId]);
  d.setScript([`pin ${PIN}`]);
  const done = ok(await c.call('importCertificate', { requestId: req.requestId, certificate: issue(req.csr) }));
  assert.equal(done.keyId, req.keyId);
  assert.deepEqual(objectsOf(req.keyId), ['Certificate', 'Private Key', 'Public Key']);
  assert.deepEqual(pendingIds(), []);
});

test('the token gone at import: TOKEN_REMOVED, the request kept; cancel keeps the key on the token', { skip }, async () => {
  const req = ok(await generate());
  c.close();
  d.child.kill('SIGTERM'); // (stop() would remove the home folder)
  await d.exited;
  assertCleanOutput(d.stderr);
  // AKKaztokenStore is now a module whose token is another one (and
  // fails): the request's token is not connected.
  const control = join(home, 'p11-failing.conf');
  writeFileSync(control, 'mode=removed\n');
  d = await daemon({ tokens: { [STORAGE]: FAILING } }, { ...tokenEnv, QOL_P11_CONTROL: control });
  c = await connect(d);
  d.setScript([`pin ${PIN}`]);
  failed(await c.call('importCertificate', { requestId: req.requestId, certificate: issue(req.csr) }),
    'TOKEN_REMOVED', /the token holding this request's key is not connected/);
  assert.doesNotMatch(d.pinentryLog(), /GETPIN/);
  assert.deepEqual(pendingIds(), [req.requestId]);

  // Cancelled without the token: the record goes, the key stays.
  const gone = ok(await c.call('cancelRequest', { requestId: req.requestId }));
  assert.equal(gone.tokenKey, 'kept');
  assert.equal(gone.keyLabel, `qoltanba ${req.requestId}`);
  assert.deepEqual(pendingIds(), []);
  assert.deepEqual(objectsOf(req.keyId), ['Private Key', 'Public Key']);
  assert.match(d.stderr, /the key stays on the token/);
});

test('the daemon is still up after all of it', { skip }, async () => {
  const raw = await greeted(d.url);
  raw.send('--heartbeat--');
  assert.equal(await raw.next(), '--heartbeat--');
  raw.close();
  assert.ok(d.alive());
});

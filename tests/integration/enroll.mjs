// Remote key issuance through the WebSocket API, the whole loop:
// generateCsr → the test CA (web/testca) issues → importCertificate → the
// new GOST512_/RSA256_/AUTH_RSA256_ file lies in the folder with NCA's
// name, mode and layout → the same key signs through basics sign → the
// signature verifies and chains to the test CA. Then durability (kill -9
// between the steps and in the middle of writing the file) and every
// refusal, each with nothing written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, execFileSync } from 'node:child_process';
import {
  existsSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync, mkdirSync,
} from 'node:fs';
import { join } from 'node:path';

import { basicsPage, ok, failed, issueWith, testca } from './enrollment.mjs';
import { tempDir } from './harness.mjs';
import {
  signingDaemon, b64, gostVerifyCms, opensslVerifyCms, ORIGIN,
} from './signing.mjs';

const openssl = process.env.OPENSSL || 'openssl';
const NEW_PASSWORD = 'Kilt2026pass';

const PERSON = {
  CN: 'ТЕСТОВ ТЕСТ', SURNAME: 'ТЕСТОВ', SERIALNUMBER: 'IIN123456789011', GIVENNAME: 'ТЕСТОВИЧ',
  E: 'test@example.kz',
};

let caDir;
const started = [];

before(() => {
  caDir = join(tempDir('qoltanba-ca-'), 'ca');
  const r = spawnSync(testca, ['init', caDir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

after(async () => {
  for (const d of started) if (d.alive()) await d.stop();
  rmSync(join(caDir, '..'), { recursive: true, force: true });
});

async function daemon(config = {}, env = {}, home = undefined) {
  const d = await signingDaemon([], config, env, home);
  started.push(d);
  return d;
}

const connect = (d, origin = ORIGIN) => basicsPage(d.url, origin);

const issue = (csr, purpose = 'both') => issueWith(caDir, csr, purpose);

function root(alg) {
  const p = join(caDir, `root-${alg}.pem`);
  writeFileSync(p, execFileSync(testca, ['root', caDir, alg]));
  return p;
}

function pendingDir(d) {
  return join(d.home, 'state', 'qoltanba', 'pending');
}

// Does process pid have a file in folder open?
function openFilesIn(pid, folder) {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith(`${folder}/`);
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

function mode(path) {
  return statSync(path).mode & 0o777;
}

function pkcs12Info(file, password) {
  const r = spawnSync(openssl, ['pkcs12', '-legacy', '-info', '-noout', '-in', file,
    '-passin', `pass:${password}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr + r.stdout;
}

// NCA's layout, as `openssl pkcs12 -info` shows NCA's own GOST512 files.
function assertNcaLayout(file, password) {
  const info = pkcs12Info(file, password);
  assert.match(info, /MAC: sha1, Iteration 1024/);
  assert.match(info, /salt length: 20/);
  assert.match(info, /Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 1024/);
  assert.match(info, /PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 1024/);
}

function aliases(file, password) {
  const r = spawnSync(openssl, ['pkcs12', '-legacy', '-nokeys', '-in', file,
    '-passin', `pass:${password}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return {
    friendlyName: r.stdout.match(/friendlyName: (\S+)/)?.[1],
    localKeyID: r.stdout.match(/localKeyID: ([0-9A-F ]+)/)?.[1].replace(/ /g, '').toLowerCase(),
    cert: r.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)?.[0],
  };
}

async function generate(d, c, args) {
  d.setScript(['ok']);
  return ok(await c.call('generateCsr', { storage: 'PKCS12', subject: PERSON, ...args }));
}

async function importCert(d, c, requestId, certificate, script = [`pin ${NEW_PASSWORD}`, `pin ${NEW_PASSWORD}`]) {
  d.setScript(script);
  return c.call('importCertificate', { requestId, certificate });
}

// The loop for one kind of key, then a signature with the new file.
async function loop({ algorithm, purpose, prefix, caAlg }) {
  const d = await daemon();
  const c = await connect(d);
  const args = { ...(algorithm ? { algorithm } : {}), ...(purpose ? { purpose } : {}) };

  const req = await generate(d, c, args);
  assert.match(req.requestId, /^[0-9a-f]{32}$/);
  assert.match(req.keyId, /^[0-9a-f]{40}$/);
  assert.equal(req.folder, d.folder, 'no folder given: the key folder, confirmed by the user');
  assert.equal(req.fileName, `${prefix}_${req.keyId}.p12`);
  assert.match(d.pinentryLog(), /CONFIRM/);
  assert.match(d.pinentryLog(), /SETTITLE Qoltanba — https:\/\/egov\.kz/);

  // The request: its subject, its signature, NCA's extension request.
  const csrFile = join(d.home, 'req.pem');
  writeFileSync(csrFile, req.csr);
  const text = execFileSync(openssl, ['req', '-in', csrFile, '-noout', '-text', '-nameopt', 'utf8'],
    { encoding: 'utf8' });
  assert.match(text, /CN ?= ?ТЕСТОВ ТЕСТ/);
  assert.match(text, /serialNumber ?= ?IIN123456789011/);
  assert.match(text, /email:test@example\.kz/);
  assert.match(text, /1\.2\.398\.3\.3\.5/);

  // The pending key lies in the state folder, private.
  const pending = join(pendingDir(d), `${req.requestId}.json`);
  assert.equal(mode(pendingDir(d)), 0o700);
  assert.equal(mode(pending), 0o600);
  const listed = ok(await c.call('listRequests', {}));
  assert.deepEqual(listed.map((r) => r.requestId), [req.requestId]);
  assert.equal(listed[0].expired, false);
  assert.equal(listed[0].subject.includes('SERIALNUMBER=IIN123456789011'), true);

  const cert = issue(req.csr, purpose ?? 'both');
  const done = ok(await importCert(d, c, req.requestId, cert));
  const file = join(d.folder, `${prefix}_${req.keyId}.p12`);
  assert.equal(done.file, file);
  assert.equal(done.keyId, req.keyId);
  assert.deepEqual(readdirSync(d.folder), [`${prefix}_${req.keyId}.p12`]);
  assert.equal(mode(file), 0o600);
  assertNcaLayout(file, NEW_PASSWORD);
  const a = aliases(file, NEW_PASSWORD);
  assert.equal(a.friendlyName, req.keyId);
  assert.equal(a.localKeyID, req.keyId);
  assert.equal(a.cert.replace(/\s/g, ''), cert.replace(/\s/g, ''));
  assert.ok(!existsSync(pending), 'the pending key is destroyed once the file is written');
  assert.deepEqual(ok(await c.call('listRequests', {})), []);
  // The prompt named the rule and the file.
  assert.match(d.pinentryLog(), /6 to 32 characters/);
  assert.match(d.pinentryLog(), new RegExp(`Key file: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));

  // The same key signs through basics sign, and the signature chains to
  // the test CA.
  d.setScript([`pin ${NEW_PASSWORD}`]);
  const doc = 'Қолтаңба: жаңа кілтпен қол қою';
  const signed = ok(await c.call('sign', {
    format: 'cms', data: b64(doc), signingParams: { decode: true, encapsulate: true },
    signerParams: { extKeyUsageOids: [] }, locale: 'en',
  }));
  const pem = Array.isArray(signed) ? signed[0] : signed;
  if (caAlg === 'gost') assert.match(gostVerifyCms(pem, undefined, root('gost')), /^OK /);
  else assert.equal(opensslVerifyCms(pem, { ca: root('rsa') }).toString(), doc);
  c.close();
  return { d, file };
}

test('GOST512: generateCsr, issue, importCertificate, sign with the new key', async () => {
  await loop({ prefix: 'GOST512', caAlg: 'gost' });
});

test('RSA2048 signing key: RSA256_<ski>.p12, readable by openssl pkcs12', async () => {
  const { file } = await loop({ algorithm: 'RSA2048', purpose: 'sign', prefix: 'RSA256', caAlg: 'rsa' });
  const r = spawnSync(openssl, ['pkcs12', '-legacy', '-in', file, '-nodes', '-passin',
    `pass:${NEW_PASSWORD}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /-----BEGIN PRIVATE KEY-----/);
});

test('RSA2048 authentication key: AUTH_RSA256_<ski>.p12', async () => {
  await loop({ algorithm: 'RSA2048', purpose: 'auth', prefix: 'AUTH_RSA256', caAlg: 'rsa' });
});

test('a pending key survives kill -9 between generateCsr and importCertificate', async () => {
  const d1 = await daemon();
  const c1 = await connect(d1);
  const req = await generate(d1, c1, {});
  d1.child.kill('SIGKILL');
  await d1.exited;

  const d2 = await daemon({}, {}, d1.home);
  const c2 = await connect(d2);
  assert.deepEqual(ok(await c2.call('listRequests', {})).map((r) => r.requestId), [req.requestId]);
  const done = ok(await importCert(d2, c2, req.requestId, issue(req.csr)));
  assert.ok(existsSync(done.file));
  c2.close();
});

test('kill -9 while the key file is written: nothing partial, the pending key stays, a retry works', async () => {
  // The daemon pauses between writing the data and giving the file its name.
  const d1 = await daemon({}, { QOLTANBA_TEST_WRITE_DELAY_MS: '4000' });
  const c1 = await connect(d1);
  const req = await generate(d1, c1, {});
  const cert = issue(req.csr);
  const pending = join(pendingDir(d1), `${req.requestId}.json`);
  const answer = importCert(d1, c1, req.requestId, cert);
  answer.catch(() => {});
  // The daemon's test hook says when the data is written and the name is
  // not given yet; as root, we also see the file held open in the folder
  // (an unnamed O_TMPFILE, or a temporary name).
  let writing = false;
  for (let i = 0; i < 400 && !writing; i++) {
    await new Promise((res) => setTimeout(res, 25));
    writing = d1.stderr.includes(`test hook: GOST512_${req.keyId}.p12 is written`);
  }
  assert.ok(writing, `the daemon was caught writing the key file:\n${d1.stderr}`);
  if (process.getuid() === 0) assert.ok(openFilesIn(d1.child.pid, d1.folder));
  d1.child.kill('SIGKILL');
  await d1.exited;
  assert.deepEqual(readdirSync(d1.folder), [], 'no file, partial or temporary, in the key folder');
  assert.ok(existsSync(pending), 'the pending key is still there');

  const d2 = await daemon({}, {}, d1.home);
  const c2 = await connect(d2);
  const done = ok(await importCert(d2, c2, req.requestId, cert));
  assert.deepEqual(readdirSync(d2.folder), [done.fileName]);
  assert.ok(!existsSync(pending));
  c2.close();
});

// --- refusals: each one leaves the folder and the pending key as they were.

let r;
before(async () => {
  r = { d: await daemon() };
  r.c = await connect(r.d);
});

function assertUntouched(req) {
  assert.deepEqual(readdirSync(r.d.folder).filter((f) => !f.startsWith('keep')), []);
  assert.ok(existsSync(join(pendingDir(r.d), `${req.requestId}.json`)), 'the pending key stays');
}

test('a certificate for another key is refused before any prompt', async () => {
  const a = await generate(r.d, r.c, {});
  const b = await generate(r.d, r.c, {});
  r.d.setScript([]);
  failed(await r.c.call('importCertificate', { requestId: a.requestId, certificate: issue(b.csr) }),
    'CERTIFICATE_KEY_MISMATCH', new RegExp(`${b.keyId}.*${a.keyId}`));
  assert.doesNotMatch(r.d.pinentryLog(), /GETPIN/);
  assertUntouched(a);
});

test('malformed certificates are refused', async () => {
  const a = await generate(r.d, r.c, {});
  for (const certificate of ['-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
    'not base64 at all', '', b64('hello')]) {
    failed(await r.c.call('importCertificate', { requestId: a.requestId, certificate }),
      'INVALID_IMPORTING_CERTIFICATE', /certificate/);
  }
  failed(await r.c.call('importCertificate', { requestId: a.requestId }), 'INVOCATION_ERROR',
    /certificate/);
  assertUntouched(a);
});

test('unknown, malformed and other pages\' request ids are unknown', async () => {
  const a = await generate(r.d, r.c, {});
  const cert = issue(a.csr);
  for (const requestId of ['0'.repeat(32), '../../etc/passwd', 'ABCDEF', a.requestId.toUpperCase()]) {
    failed(await r.c.call('importCertificate', { requestId, certificate: cert }), 'REQUEST_UNKNOWN');
  }
  const other = await connect(r.d, 'https://other.egov.kz');
  assert.deepEqual(ok(await other.call('listRequests', {})), []);
  failed(await other.call('importCertificate', { requestId: a.requestId, certificate: cert }),
    'REQUEST_UNKNOWN');
  failed(await other.call('cancelRequest', { requestId: a.requestId }), 'REQUEST_UNKNOWN');
  other.close();
  assertUntouched(a);
});

test('a weak new password is refused with the reason, three times, then the import fails', async () => {
  const a = await generate(r.d, r.c, {});
  const reply = await importCert(r.d, r.c, a.requestId, issue(a.csr),
    ['pin abc', 'pin abcdefgh1', 'pin ABCDEFGH1']);
  failed(reply, 'PASSWORD_WEAK', /no lower case letter/);
  const log = r.d.pinentryLog();
  assert.match(log, /shorter than 6 characters/);
  assert.match(log, /no upper case letter/);
  assertUntouched(a);
});

test('the two entries must match; then the import goes on', async () => {
  const a = await generate(r.d, r.c, {});
  const done = ok(await importCert(r.d, r.c, a.requestId, issue(a.csr),
    ['pin Abcdef12', 'pin Abcdef13', `pin ${NEW_PASSWORD}`, `pin ${NEW_PASSWORD}`]));
  assert.match(r.d.pinentryLog(), /The two entries differ/);
  assertNcaLayout(done.file, NEW_PASSWORD);
  rmSync(done.file);
});

test('an existing file is never overwritten', async () => {
  const a = await generate(r.d, r.c, {});
  const target = join(r.d.folder, `GOST512_${a.keyId}.p12`);
  writeFileSync(target, 'keep me');
  r.d.setScript([]);
  failed(await r.c.call('importCertificate', { requestId: a.requestId, certificate: issue(a.csr) }),
    'FILE_EXISTS', /GOST512_/);
  assert.equal(readFileSync(target, 'utf8'), 'keep me');
  assert.doesNotMatch(r.d.pinentryLog(), /GETPIN/);
  rmSync(target);
  assertUntouched(a);
});

test('a folder that is gone or cannot be written is refused', async () => {
  const gone = join(r.d.home, 'gone');
  mkdirSync(gone);
  r.d.setScript([]);
  const a = ok(await r.c.call('generateCsr', { storage: 'PKCS12', subject: PERSON, folder: gone }));
  assert.equal(a.folder, gone);
  assert.doesNotMatch(r.d.pinentryLog(), /CONFIRM/, 'a folder given by the page is not asked');
  rmSync(gone, { recursive: true });
  writeFileSync(gone, 'a file where the folder was');
  failed(await r.c.call('importCertificate', { requestId: a.requestId, certificate: issue(a.csr) }),
    'FOLDER_UNWRITABLE', /no such folder/);
  assertUntouched(a);
  failed(await r.c.call('generateCsr', { storage: 'PKCS12', subject: PERSON, folder: 'relative/keys' }),
    'FOLDER_UNWRITABLE', /not an absolute path/);
  failed(await r.c.call('generateCsr', { storage: 'PKCS12', subject: PERSON, folder: join(gone, 'x') }),
    'FOLDER_UNWRITABLE');
  if (process.getuid() !== 0) {
    const ro = join(r.d.home, 'ro');
    mkdirSync(ro, { mode: 0o500 });
    failed(await r.c.call('generateCsr', { storage: 'PKCS12', subject: PERSON, folder: ro }),
      'FOLDER_UNWRITABLE', /Permission denied/);
  }
});

test('cancelled prompts: nothing made, nothing written', async () => {
  const before = readdirSync(pendingDir(r.d)).length;
  r.d.setScript(['cancel']);
  assert.deepEqual(await r.c.call('generateCsr', { storage: 'PKCS12', subject: PERSON }),
    { body: {}, status: true });
  assert.equal(readdirSync(pendingDir(r.d)).length, before, 'no pending key after a cancelled folder prompt');

  const a = await generate(r.d, r.c, {});
  const reply = await importCert(r.d, r.c, a.requestId, issue(a.csr), ['cancel']);
  assert.deepEqual(reply, { body: {}, status: true });
  assertUntouched(a);
});

test('cancelRequest destroys the pending key', async () => {
  const a = await generate(r.d, r.c, {});
  const pending = join(pendingDir(r.d), `${a.requestId}.json`);
  assert.ok(existsSync(pending));
  assert.deepEqual(ok(await r.c.call('cancelRequest', { requestId: a.requestId })),
    { requestId: a.requestId, cancelled: true });
  assert.ok(!existsSync(pending));
  assert.ok(!ok(await r.c.call('listRequests', {})).some((x) => x.requestId === a.requestId));
  failed(await r.c.call('cancelRequest', { requestId: a.requestId }), 'REQUEST_UNKNOWN');
  failed(await r.c.call('importCertificate', { requestId: a.requestId, certificate: issue(a.csr) }),
    'REQUEST_UNKNOWN');
});

test('bad generateCsr arguments get clear errors and make nothing', async () => {
  const before = readdirSync(pendingDir(r.d)).length;
  const bad = [
    [{ storage: 'PKCS12', subject: { ...PERSON, SERIALNUMBER: 'IIN123' } }, 'INVALID_ENROLLMENT_PARAMS', /SERIALNUMBER/],
    [{ storage: 'PKCS12', subject: { ...PERSON, OU: 'BIN1' , O: 'АО "ТЕСТ"' } }, 'INVALID_ENROLLMENT_PARAMS', /OU/],
    [{ storage: 'PKCS12', subject: { ...PERSON, E: 'no-at-sign' } }, 'INVALID_ENROLLMENT_PARAMS', /mail/i],
    [{ storage: 'PKCS12', subject: { SURNAME: 'X' } }, 'INVALID_ENROLLMENT_PARAMS', /CN/],
    [{ storage: 'PKCS12', subject: { ...PERSON, STREET: 'x' } }, 'INVOCATION_ERROR', /STREET/],
    [{ storage: 'PKCS12', algorithm: 'RSA2048', purpose: 'both', subject: PERSON }, 'INVALID_ENROLLMENT_PARAMS', /RSA/],
    [{ storage: 'PKCS12', algorithm: 'DSA', subject: PERSON }, 'INVOCATION_ERROR', /GOST512 or RSA2048/],
    [{ storage: 'PKCS12', purpose: 'everything', subject: PERSON }, 'INVOCATION_ERROR', /sign, auth or both/],
    [{ subject: PERSON }, 'INVOCATION_ERROR', /storage/],
    [{ storage: 'PKCS12' }, 'INVOCATION_ERROR', /subject/],
    [{ storage: 'AKKaztokenStore', subject: PERSON }, 'STORAGE_EMPTY', /token/],
    [{ storage: 'NOSUCH', subject: PERSON }, 'STORAGE_UNKNOWN', /NOSUCH/],
  ];
  for (const [args, code, re] of bad) {
    r.d.setScript(['ok']);
    failed(await r.c.call('generateCsr', args), code, re);
  }
  assert.equal(readdirSync(pendingDir(r.d)).length, before);
});

test('an expired request is refused and kept until cancelled', async () => {
  const d1 = await daemon({ enroll: { 'pending-days': 1 }, testing: { 'validity-time': '2026-11-24T00:00:00Z' } });
  const c1 = await connect(d1);
  const a = await generate(d1, c1, {});
  assert.equal(a.expires, String(Date.parse('2026-11-25T00:00:00Z')));
  const cert = issue(a.csr);
  d1.child.kill('SIGTERM');
  await d1.exited;

  const d2 = await daemon({ enroll: { 'pending-days': 1 }, testing: { 'validity-time': '2026-11-26T00:00:00Z' } },
    {}, d1.home);
  const c2 = await connect(d2);
  assert.equal(ok(await c2.call('listRequests', {}))[0].expired, true);
  d2.setScript([]);
  failed(await c2.call('importCertificate', { requestId: a.requestId, certificate: cert }),
    'REQUEST_EXPIRED', /expired/);
  assert.deepEqual(readdirSync(d2.folder), []);
  ok(await c2.call('cancelRequest', { requestId: a.requestId }));
  c2.close();
});

test('the daemon is still up after all of it', async () => {
  assert.ok(r.d.alive());
  assert.ok(Array.isArray(ok(await r.c.call('listRequests', {}))));
});

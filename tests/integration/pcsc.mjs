// Token presence over PC/SC, seen through getActiveTokens (ncalayer-js-client):
// a private pcscd (socket activation on a socket in a temporary folder, given
// to the daemon as PCSCLITE_CSOCK_NAME) with the vpcd virtual reader, and
// vicc's virtual card (type iso7816) standing in for a token, mapped to a
// storage type by the test's [token-atr] / [token-reader]. Cards come and go
// without restarting the daemon or pcscd; the median time from insertion to
// getActiveTokens listing it is printed as a diagnostic. Without pcscd the
// daemon answers [] at once, says so once, and finds pcscd when it comes.
// With a card of a type that has no [tokens] module, the daemon signs with
// a token of p11-kit's registered modules (SoftHSM2), and only while the
// card is in.
//
// Isolation: pcscd runs in a mount namespace of its own with an empty /run
// (unshare), so it neither sees nor disturbs the machine's pcscd
// (/run/pcscd); vpcd listens on a free TCP port chosen here (not its usual
// 35963), so two runs of this file do not collide. The tests in this file
// run one after the other.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

import { startDaemon, ncalayerClient, tempDir } from './harness.mjs';
import { b64, keysDir, opensslVerifyCms, rejects, signingDaemon } from './signing.mjs';
import { PIN, TOKEN_LABEL, makeToken, whyNoToken } from './softhsm.mjs';

// The ATR of vicc's iso7816 card (virtualsmartcard 0.8, Iso7816OS.makeATR;
// pcsc-tools' smartcard_list.txt: "vsmartcard - iso7816"). No token has it,
// so the test maps it itself ([token-atr]).
const VICC_ATR = '3B:95:13:81:01:80:73:FF:01:00:0B';
const VICC_READER = 'Virtual PCD';
const SHIPPED_MAP = resolve(process.env.QOL_TEST_DATA, '..', '..', 'daemon', 'keystore', 'tokens.map');
const INSERTIONS = 5;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

function which(prog) {
  const r = spawnSync('sh', ['-c', `command -v ${prog}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

// vpcd's driver, where pcscd's serial drivers are.
function vpcdDriver() {
  for (const dir of ['/usr/lib/pcsc/drivers/serial', '/usr/local/lib/pcsc/drivers/serial',
    '/usr/lib64/pcsc/drivers/serial']) {
    const p = join(dir, 'libifdvpcd.so');
    if (existsSync(p)) return p;
  }
  return null;
}

// vicc runs on its own interpreter (its #! line). Debian 12's
// python3-virtualsmartcard installs its package under
// /usr/lib/python3/site-packages/virtualsmartcard/, which is not on that
// interpreter's path, and the card code imports "Crypto" (PyCrypto), which
// python3-pycryptodome provides as "Cryptodome": a temporary folder on
// PYTHONPATH gets a "Crypto" link to it.
function viccSetup() {
  const vicc = which('vicc');
  if (!vicc) return { missing: 'vicc is not installed (Debian: vsmartcard-vpicc)' };
  const shebang = readFileSync(vicc, 'utf8').split('\n')[0];
  const python = shebang.startsWith('#!') ? shebang.slice(2).trim().split(/\s+/)[0] : 'python3';
  const dir = tempDir('qoltanba-vicc-py-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const crypto = spawnSync(python, ['-c', 'import os, Cryptodome; print(os.path.dirname(Cryptodome.__file__))'],
    { encoding: 'utf8' });
  if (crypto.status !== 0) return { missing: `${python} cannot import Cryptodome (Debian: python3-pycryptodome)` };
  symlinkSync(crypto.stdout.trim(), join(dir, 'Crypto'));
  const candidates = ['/usr/lib/python3/site-packages/virtualsmartcard',
    '/usr/local/lib/python3/site-packages/virtualsmartcard'].filter((d) => existsSync(d));
  const path = [dir, ...candidates, process.env.PYTHONPATH].filter(Boolean).join(':');
  const check = spawnSync(python, ['-c', 'import virtualsmartcard.VirtualSmartcard'],
    { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path } });
  if (check.status !== 0) {
    return { missing: `vicc's Python cannot import virtualsmartcard (Debian: python3-virtualsmartcard): ${check.stderr.trim().split('\n').pop()}` };
  }
  return { vicc, python, pythonPath: path };
}

// unshare with a private, empty /run: as root a mount namespace is
// enough; otherwise a user namespace maps us to root in it.
function unshareArgs() {
  if (!which('unshare')) return null;
  const forms = process.getuid() === 0
    ? [['--mount', '--propagation', 'private'], ['--user', '--map-root-user', '--mount', '--propagation', 'private']]
    : [['--user', '--map-root-user', '--mount', '--propagation', 'private']];
  for (const f of forms) {
    const r = spawnSync('unshare', [...f, '--', 'sh', '-c', 'mount -t tmpfs -o mode=0755 tmpfs /run'], { encoding: 'utf8' });
    if (r.status === 0) return f;
  }
  return null;
}

const setup = (() => {
  // Not on an ordinary user's PATH on Debian.
  const pcscd = which('pcscd') ?? ['/usr/sbin/pcscd', '/usr/local/sbin/pcscd'].find((p) => existsSync(p));
  if (!pcscd) return { missing: 'pcscd is not installed (Debian: pcscd)' };
  const driver = vpcdDriver();
  if (!driver) return { missing: 'the vpcd reader driver is not installed (Debian: vsmartcard-vpcd)' };
  const v = viccSetup();
  if (v.missing) return v;
  const unshare = unshareArgs();
  if (!unshare) return { missing: 'cannot give pcscd a private /run (unshare --mount failed): it would touch the machine\'s /run/pcscd' };
  return { ...v, pcscd, driver, unshare };
})();
const SKIP = setup.missing ?? false;

// Two free consecutive TCP ports: vpcd opens a slot on each.
async function freePorts() {
  const listen = (port) => new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(null));
    s.listen(port, '127.0.0.1', () => res(s));
  });
  for (let i = 0; i < 50; i++) {
    const a = await listen(0);
    const port = a.address().port;
    const b = port < 65535 ? await listen(port + 1) : null;
    a.close();
    if (b) {
      b.close();
      return port;
    }
  }
  throw new Error('no two free consecutive ports');
}

// Python: listen on the socket argv[1], then become argv[2:] with it as fd
// 3 (LISTEN_FDS), as systemd's pcscd.socket does. pcscd then uses that
// socket and leaves the machine's /run/pcscd/pcscd.comm alone.
const SOCKET_ACTIVATE = `
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
s.listen(64)
if s.fileno() != 3:
    os.dup2(s.fileno(), 3)
os.set_inheritable(3, True)
os.environ["LISTEN_FDS"] = "1"
os.environ["LISTEN_PID"] = str(os.getpid())
os.execvp(sys.argv[2], sys.argv[2:])
`;

// A private pcscd on sock with one vpcd reader on a free port. Resolves
// once it is ready, to { port, stop(), log }.
async function startPcscd(sock) {
  const dir = tempDir('qoltanba-pcscd-');
  const port = await freePorts();
  mkdirSync(join(dir, 'reader.conf.d'));
  const hex = `0x${port.toString(16).toUpperCase()}`;
  writeFileSync(join(dir, 'reader.conf.d', 'vpcd'), `FRIENDLYNAME "${VICC_READER}"
DEVICENAME   /dev/null:${hex}
LIBPATH      ${setup.driver}
CHANNELID    ${hex}
`);
  const child = spawn('unshare', [...setup.unshare, '--', 'sh', '-c',
    'mount -t tmpfs -o mode=0755 tmpfs /run && exec "$@"', 'sh',
    setup.python, '-c', SOCKET_ACTIVATE, sock,
    setup.pcscd, '--foreground', '--info', '--config', join(dir, 'reader.conf.d')],
  { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const exited = new Promise((res) => child.on('exit', res));
  const pcscd = {
    port,
    get log() { return log; },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      rmSync(sock, { force: true });
    },
  };
  cleanups.push(() => pcscd.stop());
  for (const until = Date.now() + 15000; !/daemon ready/.test(log); await sleep(20)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`pcscd did not start:\n${log}`);
  }
  return pcscd;
}

// vicc's card in pcscd's reader: resolves once vicc says it is connected,
// to { insertedAt (ms, performance.now()), remove() }.
async function insertCard(pcscd) {
  const child = spawn(setup.vicc, ['-t', 'iso7816', '-H', '127.0.0.1', '-P', String(pcscd.port), '-vvv'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONPATH: setup.pythonPath },
  });
  let err = '';
  let insertedAt = null;
  child.stderr.on('data', (d) => {
    err += d;
    if (insertedAt === null && /Connected to virtual PCD/.test(err)) insertedAt = performance.now();
  });
  const exited = new Promise((res) => child.on('exit', res));
  const card = {
    get insertedAt() { return insertedAt; },
    async remove() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  cleanups.push(() => card.remove());
  for (const until = Date.now() + 15000; insertedAt === null; await sleep(5)) {
    if (child.exitCode !== null || Date.now() > until) throw new Error(`vicc did not connect to vpcd:\n${err}\npcscd:\n${pcscd.log}`);
  }
  return card;
}

async function client(d) {
  const c = ncalayerClient(d.url);
  await c.connect();
  cleanups.push(() => c.wsConnection.close());
  return c;
}

// Ask getActiveTokens until it answers want; resolves to when it first did
// (performance.now()).
async function until(c, want, d, ms = 15000) {
  let last;
  for (const end = Date.now() + ms; Date.now() < end; await sleep(10)) {
    last = await c.getActiveTokens();
    if (JSON.stringify(last) === JSON.stringify(want)) return performance.now();
  }
  throw new Error(`getActiveTokens stayed ${JSON.stringify(last)}, not ${JSON.stringify(want)}, for ${ms} ms\ndaemon:\n${d.stderr}`);
}

function median(v) {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function pcscLines(d, re) {
  return d.stderr.split('\n').filter((l) => re.test(l));
}

test('a card comes and goes: getActiveTokens follows it, without restarting the daemon or pcscd', { skip: SKIP }, async (t) => {
  const dir = tempDir('qoltanba-pcsc-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'pcscd.comm');
  const pcscd = await startPcscd(sock);
  const d = await startDaemon({
    config: { 'token-atr': { AKKaztokenStore: VICC_ATR }, testing: { 'tokens-map': SHIPPED_MAP } },
    env: { PCSCLITE_CSOCK_NAME: sock },
  });
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  const c = await client(d);

  // The map installed with the daemon is read without complaint.
  assert.doesNotMatch(d.stderr, /cannot use the token map/);
  // The reader is there, no card: nothing listed, and NCALayer's answer
  // form on the wire (no PKCS12).
  await until(c, [], d);
  assert.deepEqual(await c.getActiveTokens(), []);

  const delays = [];
  for (let i = 0; i < INSERTIONS; i++) {
    const card = await insertCard(pcscd);
    const seen = await until(c, ['AKKaztokenStore'], d);
    delays.push(seen - card.insertedAt);
    await card.remove();
    await until(c, [], d);
  }
  t.diagnostic(`insertion → getActiveTokens: ${delays.map((x) => x.toFixed(0)).join(', ')} ms; median ${median(delays).toFixed(0)} ms over ${INSERTIONS} insertions`);
  // pcscd polls vpcd's slot every 400 ms: a card is seen well within 2 s.
  assert.ok(median(delays) < 2000, `median ${median(delays)} ms`);

  // Each insertion and removal was logged once, with the ATR.
  assert.equal(pcscLines(d, /PC\/SC: AKKaztokenStore in "Virtual PCD/).length, INSERTIONS);
  assert.equal(pcscLines(d, /PC\/SC: AKKaztokenStore taken out of "Virtual PCD/).length, INSERTIONS);
  assert.match(d.stderr, new RegExp(`\\(ATR ${VICC_ATR}\\)`));
  assert.ok(d.alive());
  await d.stop();
  await pcscd.stop();
});

test('[token-reader]: a card is matched by its reader\'s name; the user\'s ATR wins over it', { skip: SKIP }, async () => {
  const dir = tempDir('qoltanba-pcsc-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'pcscd.comm');
  const pcscd = await startPcscd(sock);
  const byName = await startDaemon({
    config: { 'token-reader': { AKAKEYStore: 'virtual pcd' } },
    env: { PCSCLITE_CSOCK_NAME: sock },
  });
  const both = await startDaemon({
    config: { 'token-reader': { AKAKEYStore: VICC_READER }, 'token-atr': { AKJaCartaStore: '3B:95:XX:81:01:80:73:FF:01:00:0B' } },
    env: { PCSCLITE_CSOCK_NAME: sock },
  });
  cleanups.push(() => (byName.alive() ? byName.stop() : undefined));
  cleanups.push(() => (both.alive() ? both.stop() : undefined));
  const c1 = await client(byName);
  const c2 = await client(both);
  const card = await insertCard(pcscd);
  await until(c1, ['AKAKEYStore'], byName);
  await until(c2, ['AKJaCartaStore'], both);
  await card.remove();
  await until(c1, [], byName);
  await until(c2, [], both);
  await byName.stop();
  await both.stop();
  await pcscd.stop();
});

test('no pcscd: [] at once, one log line, the daemon stays up; pcscd started later is found, and its going away is noticed', { skip: SKIP }, async (t) => {
  const dir = tempDir('qoltanba-pcsc-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'pcscd.comm'); // nothing there yet
  const d = await startDaemon({
    config: { 'token-atr': { AKKaztokenStore: VICC_ATR } },
    env: { PCSCLITE_CSOCK_NAME: sock },
  });
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  const c = await client(d);
  const asked = performance.now();
  assert.deepEqual(await c.getActiveTokens(), []);
  const answered = performance.now() - asked;
  t.diagnostic(`getActiveTokens without pcscd answered in ${answered.toFixed(1)} ms`);
  assert.ok(answered < 1000, `${answered} ms`);

  // Past one retry (every 5 s): still one line, not one per retry.
  await sleep(6500);
  assert.ok(d.alive());
  assert.equal(pcscLines(d, /PC\/SC: no pcscd/).length, 1, d.stderr);
  assert.match(d.stderr, /PC\/SC: no pcscd \(Service not available\.\)/);

  const started = performance.now();
  const pcscd = await startPcscd(sock);
  const card = await insertCard(pcscd);
  const seen = await until(c, ['AKKaztokenStore'], d, 20000);
  t.diagnostic(`pcscd started later: a card listed ${(seen - started).toFixed(0)} ms after pcscd was started`);
  assert.equal(pcscLines(d, /PC\/SC: pcscd is there now/).length, 1, d.stderr);

  // pcscd stops: its cards are gone at once, and said so once.
  await pcscd.stop();
  await until(c, [], d, 10000);
  await card.remove();
  await sleep(1500);
  assert.equal(pcscLines(d, /PC\/SC: no pcscd/).length, 2, d.stderr);
  assert.ok(d.alive());
  await d.stop();
});

// p11-kit's registry must list SoftHSM2 (Debian's softhsm2 package does).
const SOFTHSM_REGISTERED = '/usr/share/p11-kit/modules/softhsm2.module';
const SKIP_REGISTERED = SKIP || whyNoToken()
  || (!existsSync(SOFTHSM_REGISTERED) && `SoftHSM2 is not in p11-kit's registry (${SOFTHSM_REGISTERED})`) || false;

test('a card of a type without [tokens]: p11-kit\'s registered modules sign, only while the card is in', { skip: SKIP_REGISTERED }, async () => {
  const dir = tempDir('qoltanba-pcsc-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const sock = join(dir, 'pcscd.comm');
  const pcscd = await startPcscd(sock);
  const home = tempDir();
  const env = makeToken(home, ['rsa']);
  const d = await signingDaemon([join(keysDir, 'rsa.p12')],
    { 'token-atr': { AKKZIDCardStore: VICC_ATR } }, { ...env, PCSCLITE_CSOCK_NAME: sock }, home);
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  const c = await d.client();
  await until(c, [], d);
  // No card of that type: no source, nothing is asked.
  d.setScript([]);
  await rejects(c.getKeyInfo('AKKZIDCardStore'), /^500: storage\.empty: no token of this type is connected$/);

  const card = await insertCard(pcscd);
  await until(c, ['AKKZIDCardStore'], d);
  d.setScript([`pin ${PIN}`]);
  const cms = await c.createCAdESFromBase64('AKKZIDCardStore', b64('registered'), 'SIGNATURE', true);
  assert.equal(opensslVerifyCms(cms).toString(), 'registered');
  assert.match(d.pinentryLog(), new RegExp(`${TOKEN_LABEL} \\(AKKZIDCardStore\\)`));

  await card.remove();
  await until(c, [], d);
  await rejects(c.getKeyInfo('AKKZIDCardStore'), /^500: storage\.empty: no token of this type is connected$/);
  await d.stop();
  await pcscd.stop();
});

// Needs no pcscd.
test('a daemon whose map file is missing or bad says so and still serves the user\'s entries', async () => {
  const dir = tempDir('qoltanba-pcsc-');
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const bad = join(dir, 'bad.map');
  writeFileSync(bad, 'atr AKKaztokenStore 3B:D5\natr AKNoSuchStore 3B:D6\n');
  const d = await startDaemon({
    config: { testing: { 'tokens-map': bad }, 'token-atr': { AKKaztokenStore: VICC_ATR } },
    env: { PCSCLITE_CSOCK_NAME: join(dir, 'none') },
  });
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  const c = await client(d);
  assert.deepEqual(await c.getActiveTokens(), []);
  assert.match(d.stderr, new RegExp(`PC/SC: cannot use the token map \\(${bad.replace(/[.]/g, '\\.')}:2: unknown storage type "AKNoSuchStore"`));
  await d.stop();
});

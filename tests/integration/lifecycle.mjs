// Start, stop, systemd, TLS and the command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  startDaemon, greeted, ncalayerClient, tempDir, daemonPath, assertCleanOutput,
} from './harness.mjs';

const helpers = join(process.env.QOLTANBAD, '..', '..', 'tests', 'helpers');
const tokens = '{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}';

function run(args, env = {}) {
  const home = env.HOME ?? tempDir();
  return spawnSync(daemonPath, args, {
    env: { ...process.env, HOME: home, XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'config'), ...env },
    encoding: 'utf8',
    timeout: 30000,
  });
}

test('SIGTERM and SIGINT stop the daemon cleanly, also with clients connected', async () => {
  for (const sig of ['SIGTERM', 'SIGINT']) {
    const d = await startDaemon();
    const c = await greeted(d.url);
    c.send(tokens);
    assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
    d.child.kill(sig);
    const { code, signal } = await d.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, d.stderr);
    assertCleanOutput(d.stderr);
  }
});

test('stopping while an answer is still being prepared is clean', async () => {
  const d = await startDaemon({ config: { testing: { 'response-delay-ms': 5000 } } });
  const c = await greeted(d.url);
  c.send(tokens);
  c.send(tokens);
  await new Promise((r) => setTimeout(r, 100));
  await d.stop();
});

test('plain ws and TLS wss on the same port; ncalayer-js-client over wss', async () => {
  const d = await startDaemon();
  const plain = ncalayerClient(d.url);
  assert.equal(await plain.connect(), '1.4');
  plain.wsConnection.close();
  const tls = ncalayerClient(d.wssUrl, { ca: d.caPath, origin: 'https://egov.kz' });
  assert.equal(await tls.connect(), '1.4');
  assert.deepEqual(await tls.getActiveTokens(), []);
  tls.wsConnection.close();
  // Also by the name localhost, which the certificate carries too.
  const byName = ncalayerClient(`wss://localhost:${d.port}`, { ca: d.caPath });
  assert.equal(await byName.connect(), '1.4');
  byName.wsConnection.close();
  await d.stop();
});

test('the TLS key is private and the certificate survives a restart', async () => {
  const home = tempDir();
  const d1 = await startDaemon({ home });
  const tls = join(home, 'state', 'qoltanba', 'tls');
  const ca1 = readFileSync(join(tls, 'ca.pem'), 'utf8');
  assert.equal(statSync(join(tls, 'server.key')).mode & 0o777, 0o600);
  assert.equal(statSync(tls).mode & 0o777, 0o700);
  assert.doesNotMatch(ca1, /PRIVATE KEY/);
  d1.child.kill('SIGTERM');
  await d1.exited;
  const d2 = await startDaemon({ home });
  assert.equal(readFileSync(join(tls, 'ca.pem'), 'utf8'), ca1);
  await d2.stop();
});

test('READY=1 goes to NOTIFY_SOCKET once it listens; STOPPING=1 on SIGTERM', async () => {
  const dir = tempDir();
  const sock = join(dir, 'notify');
  const recv = spawn(join(helpers, 'notify-recv'), [sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  let notes = '';
  recv.stdout.on('data', (x) => { notes += x; });
  await new Promise((resolve) => { const t = setInterval(() => { if (notes.includes('bound')) { clearInterval(t); resolve(); } }, 20); });
  const d = await startDaemon({ env: { NOTIFY_SOCKET: sock } });
  for (let i = 0; i < 100 && !notes.includes('READY=1'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(notes, /READY=1/);
  await d.stop();
  for (let i = 0; i < 100 && !notes.includes('STOPPING=1'); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(notes, /STOPPING=1/);
  recv.kill();
});

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

test('socket activation: the first connection starts the daemon and is answered', { skip: !existsSync('/usr/bin/systemd-socket-activate') && 'systemd-socket-activate is not installed' }, async () => {
  const port = await freePort();
  const home = tempDir();
  const conf = join(home, 'qoltanba.conf');
  // The configured address must not be used when systemd passes sockets.
  writeFileSync(conf, '[server]\nlisten=127.0.0.1:1\n');
  const act = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`,
    '-E', `HOME=${home}`, '-E', `XDG_STATE_HOME=${join(home, 'state')}`,
    daemonPath, '--config', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  act.stderr.on('data', (x) => { err += x; });
  for (let i = 0; i < 100 && !err.includes('Listening on'); i++) await new Promise((r) => setTimeout(r, 50));
  assert.match(err, /Listening on 127\.0\.0\.1:/);
  const c = await greeted(`ws://127.0.0.1:${port}`);
  c.send(tokens);
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
  const tls = ncalayerClient(`wss://127.0.0.1:${port}`, { ca: join(home, 'state', 'qoltanba', 'tls', 'ca.pem') });
  assert.equal(await tls.connect(), '1.4');
  tls.wsConnection.close();
  act.kill('SIGTERM');
  await new Promise((r) => act.on('exit', r));
  assertCleanOutput(err);
  assert.match(err, /using 1 socket\(s\) from systemd/);
});

test('--install-ca and --uninstall-ca manage the CA in the user\'s NSS databases', { skip: !existsSync('/usr/bin/certutil') && 'certutil (libnss3-tools) is not installed' }, () => {
  const home = tempDir();
  const env = { HOME: home };
  const inst = run(['--install-ca'], env);
  assert.equal(inst.status, 0, inst.stderr);
  assert.match(inst.stdout, /\.pki\/nssdb/);
  const list = spawnSync('certutil', ['-L', '-d', `sql:${join(home, '.pki', 'nssdb')}`], { encoding: 'utf8' });
  assert.match(list.stdout, /Qoltanba local CA [0-9A-Fa-f]{16}\s+C,,/);
  const uninst = run(['--uninstall-ca'], env);
  assert.equal(uninst.status, 0, uninst.stderr);
  const after = spawnSync('certutil', ['-L', '-d', `sql:${join(home, '.pki', 'nssdb')}`], { encoding: 'utf8' });
  assert.doesNotMatch(after.stdout, /Qoltanba/);
});

test('command line: --version, --help, wrong options and configurations', () => {
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^qoltanbad \d+\.\d+\.\d+\n$/);
  const h = run(['--help']);
  assert.equal(h.status, 0);
  for (const opt of ['--config', '--listen', '--install-ca', '--uninstall-ca', '--version']) assert.ok(h.stdout.includes(opt), opt);
  const bad = run(['--no-such-option']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /Unknown option --no-such-option/);
  const extra = run(['surplus']);
  assert.equal(extra.status, 2);
  const missing = run(['--config', '/nonexistent/qoltanba.conf']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /\/nonexistent\/qoltanba\.conf/);
  const home = tempDir();
  writeFileSync(join(home, 'bad.conf'), '[server]\nmax-connections=none\n');
  const badConf = run(['--config', join(home, 'bad.conf')], { HOME: home });
  assert.equal(badConf.status, 2);
  assert.match(badConf.stderr, /\[server\] max-connections=none: expected 1\.\.100000/);
  const wide = run(['--listen', '0.0.0.0:0']);
  assert.equal(wide.status, 1);
  assert.match(wide.stderr, /refusing to listen on "0\.0\.0\.0:0": only loopback/);
  const typo = run(['--listen', '127.0.0.1']);
  assert.equal(typo.status, 1);
  assert.match(typo.stderr, /expected ADDR:PORT/);
});

test('a port in use is a clear error', async () => {
  const d = await startDaemon();
  const r = run(['--listen', `127.0.0.1:${d.port}`]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${d.port}: Address already in use`));
  await d.stop();
});

test('--listen is repeatable and takes IPv6', async () => {
  const d = await startDaemon({ args: ['--listen', '127.0.0.1:0', '--listen', '[::1]:0'] });
  const m = d.stdout.match(/Listening on wss:\/\/\[::1\]:(\d+)/);
  assert.ok(m, d.stdout);
  const c = await greeted(`ws://[::1]:${m[1]}`);
  c.close();
  await d.stop();
});

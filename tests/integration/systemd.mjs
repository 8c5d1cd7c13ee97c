// systemd: the user units as make installs them (systemd-analyze verify,
// and the sandbox's exposure against the limit in systemd/exposure-max),
// socket activation as systemd does it (systemd-socket-activate starts the
// daemon on the first connection), idle exit, the watchdog, and the daemon
// under the system call rules of MemoryDenyWriteExecute=yes.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import {
  copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

import {
  startDaemon, greeted, rawClient, ncalayerClient, tempDir, daemonPath, helpersDir,
  assertCleanOutput,
} from './harness.mjs';
import {
  signingDaemon, keysDir, PASSWORD, ORIGIN, b64, opensslVerifyCms,
} from './signing.mjs';

const builddir = join(daemonPath, '..', '..');
const srcdir = dirname(process.env.QOL_WEB);
const tokens = '{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}';
const noTokens = '{"responseObject":[],"code":"200"}';

function program(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}
const analyze = program('systemd-analyze');
const activate = program('systemd-socket-activate');
const noAnalyze = !analyze && 'systemd-analyze is not installed (Debian package systemd)';
const noActivate = !activate && 'systemd-socket-activate is not installed (Debian package systemd)';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Folders this file makes, removed at the end; processes it starts,
// stopped at the end should a test fail before it stops them.
const made = [];
const children = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
function scratch(prefix) {
  const d = tempDir(prefix);
  made.push(d);
  return d;
}

async function until(cond, ms = 10000) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (await cond()) return true;
  return false;
}

// --- the units ------------------------------------------------------------

// The units as make generated them, in a folder of their own, with
// ExecStart= pointed at the built programs: verify wants an executable there.
const trayPath = join(builddir, 'tray', 'qoltanba-tray');
function unitsForTest() {
  const dir = scratch('qoltanba-units-');
  for (const [unit, program, built] of [
    ['qoltanba.service', 'qoltanbad', daemonPath],
    ['qoltanba-tray.service', 'qoltanba-tray', trayPath],
  ]) {
    const text = readFileSync(join(builddir, 'systemd', unit), 'utf8');
    const exec = text.match(new RegExp(`^ExecStart=(/\\S*/${program})$`, 'm'));
    assert.ok(exec, `${unit}: ExecStart= names ${program} by an absolute path:\n${text}`);
    assert.doesNotMatch(text, /@[a-z_]+@/, `${unit}: every @variable@ was filled in`);
    writeFileSync(join(dir, unit), text.replace(exec[0], `ExecStart=${built}`));
  }
  copyFileSync(join(srcdir, 'systemd', 'qoltanba.socket'), join(dir, 'qoltanba.socket'));
  // Documentation=man:qoltanbad(8) is looked up with man(1): the page
  // from this tree, where man finds it.
  mkdirSync(join(dir, 'man', 'man8'), { recursive: true });
  copyFileSync(join(srcdir, 'doc', 'qoltanbad.8'), join(dir, 'man', 'man8', 'qoltanbad.8'));
  return dir;
}

// systemd-analyze --user wants a runtime folder of the user's.
function analyzeUser(verb, args, dir) {
  const runtime = scratch('qoltanba-runtime-');
  return spawnSync(analyze, [verb, '--user', ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: runtime, MANPATH: join(dir, 'man') },
  });
}

test('systemd-analyze verify: the socket, the service and the tray\'s service as installed are valid', { skip: noAnalyze }, () => {
  const dir = unitsForTest();
  const man = program('man') ? [] : ['--man=no'];
  const units = [join(dir, 'qoltanba.socket'), join(dir, 'qoltanba.service'), join(dir, 'qoltanba-tray.service')];
  const r = analyzeUser('verify', [...man, ...units], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no warning either');
  // verify does see mistakes: a misspelt setting is reported.
  const service = readFileSync(units[1], 'utf8');
  writeFileSync(units[1], service.replace('ProtectSystem=', 'ProtectSytem='));
  const bad = analyzeUser('verify', [...man, ...units], dir);
  assert.match(bad.stderr, /Unknown key( name)? 'ProtectSytem'/);

  // The tray lives and dies with the graphical session.
  const tray = readFileSync(units[2], 'utf8');
  for (const line of ['PartOf=graphical-session.target', 'After=graphical-session.target', 'WantedBy=graphical-session.target'])
    assert.match(tray, new RegExp(`^${line}$`, 'm'));
});

test('the sandbox: systemd-analyze security rates the service at most systemd/exposure-max', { skip: noAnalyze }, (t) => {
  const dir = unitsForTest();
  const limit = readFileSync(join(srcdir, 'systemd', 'exposure-max'), 'utf8').trim();
  const max = Number(limit);
  assert.ok(max > 0 && max < 10, 'systemd/exposure-max holds a number such as 2.5');
  const r = analyzeUser('security', ['--offline=true', join(dir, 'qoltanba.service')], dir);
  assert.equal(r.status, 0, r.stderr);
  const m = r.stdout.match(/Overall exposure level for qoltanba\.service: (\d+\.\d+)/);
  assert.ok(m, r.stdout);
  t.diagnostic(`exposure ${m[1]} (at most ${limit}, systemd/exposure-max)`);
  assert.ok(Number(m[1]) <= max, `exposure ${m[1]} is over ${limit}:\n${r.stdout}`);
  // What the daemon needs is still there.
  const service = readFileSync(join(dir, 'qoltanba.service'), 'utf8');
  assert.match(service, /^RestrictAddressFamilies=.*\bAF_NETLINK\b/m, 'the same-user check (NETLINK_SOCK_DIAG)');
  assert.match(service, /^RestrictAddressFamilies=.*\bAF_INET6?\b/m, 'the time-stamp service');
  assert.match(service, /^DeviceAllow=char-video4linux rw$/m, 'the webcam');
  assert.doesNotMatch(service, /^PrivateNetwork=yes/m);
});

// --- socket activation ------------------------------------------------------

async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// What systemd-socket-activate passes on besides -E: the tests' locale and
// sanitizer settings.
function passedOn() {
  const names = ['LC_ALL', 'ASAN_OPTIONS', 'LSAN_OPTIONS', 'UBSAN_OPTIONS'];
  return Object.fromEntries(names.filter((n) => n in process.env).map((n) => [n, process.env[n]]));
}

// systemd-socket-activate listens on a free port and, at the first
// connection, execs wrap + the daemon in its own place, with LISTEN_FDS
// and LISTEN_PID as systemd sets them: its pid becomes the daemon's.
// Once that daemon has exited, the next one needs a new activation, where
// systemd keeps its socket open.
async function activation({ home, conf, env = {}, wrap = [] }) {
  const port = await freePort();
  const args = ['-l', `127.0.0.1:${port}`];
  const vars = {
    ...passedOn(),
    HOME: home,
    XDG_STATE_HOME: join(home, 'state'),
    XDG_CONFIG_HOME: join(home, 'config'),
    ...env,
  };
  for (const [k, v] of Object.entries(vars)) args.push('-E', `${k}=${v}`);
  const child = spawn(activate, [...args, ...wrap, daemonPath, '--config', conf],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr.on('data', (x) => { stderr += x; });
  child.stdout.resume();
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() }));
  });
  assert.ok(await until(() => stderr.includes('Listening on')), `no socket:\n${stderr}`);
  return { port, child, exited, url: `ws://127.0.0.1:${port}`, get stderr() { return stderr; } };
}

function command(pid) {
  return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
}

// Receive sd_notify messages (tests/helpers/notify-recv), each with the
// time it came.
async function notifyReceiver() {
  const sock = join(scratch('qoltanba-notify-'), 'notify');
  const recv = spawn(join(helpersDir, 'notify-recv'), [sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(recv);
  const lines = [];
  let rest = '';
  recv.stdout.on('data', (x) => {
    rest += x;
    for (let i; (i = rest.indexOf('\n')) >= 0; rest = rest.slice(i + 1)) {
      lines.push({ text: rest.slice(0, i), at: Date.now() });
    }
  });
  assert.ok(await until(() => lines.some((l) => l.text === 'bound')), 'notify-recv is listening');
  return { sock, lines, stop: () => recv.kill() };
}

test('socket activation: the first connection starts the daemon, idle it exits cleanly, the next connection starts it again', { skip: noActivate }, async () => {
  const home = scratch();
  const conf = join(home, 'qoltanba.conf');
  writeFileSync(conf, '[server]\nlisten=127.0.0.1:1\nidle-exit=2\n');
  const notes = await notifyReceiver();
  // The watchdog as systemd asks for it: WATCHDOG_PID is the service's
  // pid, which the shell's $$ is, as it execs the daemon in its place.
  const env = { NOTIFY_SOCKET: notes.sock, WATCHDOG_USEC: '200000' };
  const wrap = ['sh', '-c', 'WATCHDOG_PID=$$ exec "$0" "$@"'];
  const pids = [];
  for (let round = 0; round < 2; round++) {
    const a = await activation({ home, conf, env, wrap });
    assert.equal(command(a.child.pid), 'systemd-socket-', 'nothing started before a connection');
    const c = await greeted(a.url);
    assert.equal(command(a.child.pid), 'qoltanbad');
    c.send(tokens);
    assert.equal(await c.next(), noTokens);
    c.close();
    const closedAt = Date.now();
    const { code, signal, at } = await a.exited;
    assert.equal(signal, null, a.stderr);
    assert.equal(code, 0, a.stderr);
    assert.ok(at - closedAt >= 1900 && at - closedAt < 6000,
      `exited ${at - closedAt} ms after the connection closed, want about 2000:\n${a.stderr}`);
    assertCleanOutput(a.stderr);
    assert.match(a.stderr, /using 1 socket\(s\) from systemd/);
    assert.match(a.stderr, /no connection and nothing to do for 2 s: exiting/);
    pids.push(a.child.pid);
  }
  assert.notEqual(pids[0], pids[1]);
  // What systemd heard from each: READY=1, keep-alives, STOPPING=1.
  const said = notes.lines.map((l) => l.text).filter((t) => t !== 'bound');
  notes.stop();
  const runs = said.join('\n').split(/^STOPPING=1$/m).slice(0, 2);
  assert.equal(runs.length, 2, said.join('\n'));
  for (const run of runs) {
    assert.match(run, /^READY=1 STATUS=/m);
    const pings = run.match(/^WATCHDOG=1$/mg) ?? [];
    assert.ok(pings.length >= 8, `${pings.length} WATCHDOG=1 in about 2 s at a 100 ms period`);
  }
});

test('idle exit waits for an answer being prepared, and for a key file still being written after its page left', async () => {
  // An answer held back 3 s on an open connection (a long dialog).
  const d = await startDaemon({ config: { server: { 'idle-exit': 2 }, testing: { 'response-delay-ms': 3000 } } });
  made.push(d.dir);
  children.push(d.child);
  const c = await greeted(d.url);
  const sent = Date.now();
  c.send(tokens);
  assert.equal(await c.next(), noTokens);
  assert.ok(Date.now() - sent >= 2900);
  assert.ok(d.alive());
  c.close();
  const closedAt = Date.now();
  const { code } = await d.exited;
  assert.equal(code, 0, d.stderr);
  assert.ok(Date.now() - closedAt >= 1900, 'two idle seconds after the answer');

  // The page asks for a key and leaves while the pending key is written.
  const s = await signingDaemon([], { server: { 'idle-exit': 2 } }, { QOLTANBA_TEST_WRITE_DELAY_MS: '3000' },
    scratch());
  children.push(s.child);
  const p = rawClient(s.url, { origin: ORIGIN });
  await p.opened;
  await p.next();
  s.setScript(['ok']);
  p.send(JSON.stringify({
    module: 'kz.gov.pki.knca.basics',
    method: 'generateCsr',
    args: { storage: 'PKCS12', locale: 'en', subject: { CN: 'ТЕСТОВ ТЕСТ', SERIALNUMBER: 'IIN123456789011' } },
  }));
  assert.ok(await until(() => /test hook: [0-9a-f]{32}\.json is written/.test(s.stderr), 20000), s.stderr);
  const writing = Date.now();
  p.close();
  const { code: sCode, signal } = await s.exited;
  const after = Date.now() - writing;
  assert.equal(signal, null, s.stderr);
  assert.equal(sCode, 0, s.stderr);
  assertCleanOutput(s.stderr);
  assert.ok(after >= 4500, `exited ${after} ms after the write began: want its 3 s and then 2 idle s`);
  const pending = join(s.home, 'state', 'qoltanba', 'pending');
  assert.equal(readdirSync(pending).filter((f) => f.endsWith('.json')).length, 1, 'the key was kept');
});

test('idle-exit=0 or unset keeps a daemon that bound its own sockets running', async () => {
  for (const config of [{}, { server: { 'idle-exit': 0 } }]) {
    const d = await startDaemon({ config });
    const c = await greeted(d.url);
    c.close();
    await sleep(1500);
    assert.ok(d.alive(), JSON.stringify(config));
    assert.doesNotMatch(d.stderr, /idle-exit/);
    await d.stop();
  }
});

// --- the watchdog -------------------------------------------------------------

test('watchdog: WATCHDOG=1 every half WATCHDOG_USEC from the main loop, and only for the pid systemd names', async () => {
  const notes = await notifyReceiver();
  const watched = await startDaemon({ env: { NOTIFY_SOCKET: notes.sock, WATCHDOG_USEC: '300000' } });
  assert.ok(await until(() => notes.lines.some((l) => /READY=1/.test(l.text))));
  await sleep(1500);
  const pings = notes.lines.filter((l) => l.text === 'WATCHDOG=1');
  assert.ok(pings.length >= 6, `${pings.length} WATCHDOG=1 in 1.5 s at a 150 ms period`);
  const period = (pings.at(-1).at - pings[0].at) / (pings.length - 1);
  assert.ok(period > 100 && period < 250, `one every ${period} ms`);
  await watched.stop();
  notes.stop();

  // WATCHDOG_PID names another process; and no WATCHDOG_USEC at all.
  for (const env of [{ WATCHDOG_USEC: '300000', WATCHDOG_PID: String(process.pid) }, {}]) {
    const other = await notifyReceiver();
    const d = await startDaemon({ env: { NOTIFY_SOCKET: other.sock, ...env } });
    assert.ok(await until(() => other.lines.some((l) => /READY=1/.test(l.text))));
    await sleep(1000);
    assert.deepEqual(other.lines.filter((l) => l.text === 'WATCHDOG=1'), [], JSON.stringify(env));
    await d.stop();
    other.stop();
  }
});

// --- MemoryDenyWriteExecute ---------------------------------------------------

const mdweArch = ['x64', 'arm64'].includes(process.arch);

test('under MemoryDenyWriteExecute=yes (systemd\'s seccomp rules) the camera and signing work', {
  skip: noActivate || (!mdweArch && `tests/helpers/mdwe-exec has no rules for ${process.arch}`),
}, async () => {
  const home = scratch();
  const folder = join(home, 'keys');
  mkdirSync(folder);
  copyFileSync(join(keysDir, 'rsa.p12'), join(folder, 'rsa.p12'));
  const script = join(home, 'pinentry.script');
  // The camera's consent, then the key's password.
  writeFileSync(script, `ok\npin ${PASSWORD}\n`);
  const conf = join(home, 'qoltanba.conf');
  writeFileSync(conf, [
    '[ui]', `pinentry=${join(process.env.QOL_SRC_HELPERS, 'pinentry-script')}`,
    `key-folder=${folder}`, 'file-chooser=folder',
    '[keys]', `crl=${join(keysDir, 'crl.pem')}`,
    '[tsa]', 'url=',
    '[camera]', 'source=test', '',
  ].join('\n'));
  const a = await activation({
    home,
    conf,
    env: { PINENTRY_SCRIPT: script, PINENTRY_LOG: join(home, 'pinentry.log') },
    wrap: [join(helpersDir, 'mdwe-exec')],
  });
  const c = rawClient(a.url, { origin: ORIGIN });
  await c.opened;
  await c.next();
  assert.match(readFileSync(`/proc/${a.child.pid}/status`, 'utf8'), /^Seccomp:\s+2$/m,
    'the daemon runs under the seccomp rules');
  const call = async (method, args) => {
    c.send(JSON.stringify({ module: 'kz.qoltanba.camera', method, args }));
    const reply = JSON.parse(await c.next(60000));
    assert.equal(reply.status, true, JSON.stringify(reply).slice(0, 400));
    return reply.body.result;
  };
  const still = Buffer.from((await call('capture', { purpose: 'selfie' })).image, 'base64');
  assert.equal(still.readUInt16BE(0), 0xffd8, 'a JPEG');
  const clip = await call('record', { seconds: 1, width: 320, height: 240, fps: 15 });
  assert.equal(clip.frames, 15);
  assert.equal(Buffer.from(clip.video, 'base64').readUInt32BE(0), 0x1a45dfa3, 'a WebM (EBML)');
  c.close();

  const page = ncalayerClient(a.url, { origin: ORIGIN });
  await page.connect();
  const doc = b64('signed under MemoryDenyWriteExecute');
  const cms = await page.basicsSignCMS(null, doc, { decode: true, encapsulate: true }, { extKeyUsageOids: [] });
  assert.ok(opensslVerifyCms(cms).equals(Buffer.from(doc, 'base64')));
  page.wsConnection.close();

  a.child.kill('SIGTERM');
  const { code, signal } = await a.exited;
  assert.equal(signal, null, a.stderr);
  assert.equal(code, 0, a.stderr);
  assertCleanOutput(a.stderr);
  assert.ok(existsSync(join(home, 'state', 'qoltanba', 'consent')));
});

// Shared helpers for the integration tests: start the real qoltanbad on
// an ephemeral loopback port with its own config and state folders, talk
// to it with raw WebSocket frames (ws) or with ncalayer-js-client, and
// stop it, checking that it exits cleanly (and, in sanitizer builds, that
// nothing was reported).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
export const WS = require('ws');

export const daemonPath = process.env.QOLTANBAD;
export const helpersDir = process.env.QOL_HELPERS;
if (!daemonPath) throw new Error('QOLTANBAD is not set: run the tests with make check');

export function tempDir(prefix = 'qoltanba-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

// Render a key file from { server: { listen: '…' }, origins: {…} }.
function keyFile(sections) {
  let text = '';
  for (const [group, keys] of Object.entries(sections)) {
    text += `[${group}]\n`;
    for (const [k, v] of Object.entries(keys)) text += `${k}=${v}\n`;
  }
  return text;
}

// Start the daemon. Resolves once it prints where it listens.
export async function startDaemon({ config = {}, args = [], env = {}, home } = {}) {
  const dir = home ?? tempDir();
  const conf = {
    ...config,
    server: { listen: '127.0.0.1:0', ...(config.server ?? {}) },
  };
  const confPath = join(dir, 'qoltanba.conf');
  writeFileSync(confPath, keyFile(conf));
  const child = spawn(daemonPath, ['--config', confPath, ...args], {
    env: {
      ...process.env,
      HOME: dir,
      XDG_STATE_HOME: join(dir, 'state'),
      XDG_CONFIG_HOME: join(dir, 'config'),
      // No session bus unless a test brings its own (privateBus()): the
      // desktop's would get the test daemons' status names and dialogs.
      DBUS_SESSION_BUS_ADDRESS: `unix:path=${join(dir, 'no-session-bus')}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/Listening on wss:\/\/127\.0\.0\.1:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code }) => reject(new Error(`qoltanbad exited (${code}) before listening:\n${stderr}`)));
    // unref(): a pending start timer must not keep the test process alive.
    setTimeout(() => reject(new Error(`qoltanbad did not start in 20 s:\n${stderr}`)), 20000).unref();
  });
  const daemon = {
    port,
    dir,
    child,
    exited,
    url: `ws://127.0.0.1:${port}`,
    wssUrl: `wss://127.0.0.1:${port}`,
    caPath: join(dir, 'state', 'qoltanba', 'tls', 'ca.pem'),
    get stderr() { return stderr; },
    get stdout() { return stdout; },
    alive() { return child.exitCode === null && child.signalCode === null; },
    // SIGTERM, then the exit must be clean: status 0, no sanitizer report.
    async stop() {
      if (this.alive()) child.kill('SIGTERM');
      const { code, signal } = await exited;
      assertCleanOutput(stderr);
      assert.equal(signal, null, `qoltanbad died of ${signal}:\n${stderr}`);
      assert.equal(code, 0, `qoltanbad exited with ${code}:\n${stderr}`);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return daemon;
}

// A private session bus: dbus-daemon with a configuration of its own in
// a temporary folder. serviceDir: where it finds the services it may
// start, which get env. Resolves to { address, stderr, stop() }.
export async function privateBus({ serviceDir, env } = {}) {
  const dir = tempDir('qoltanba-bus-');
  const conf = join(dir, 'bus.conf');
  writeFileSync(conf, `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${dir}/bus</listen>${serviceDir ? `
  <servicedir>${serviceDir}</servicedir>` : ''}
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`);
  const bus = spawn('dbus-daemon', ['--nofork', '--print-address=1', `--config-file=${conf}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  bus.stderr.on('data', (d) => { stderr += d; });
  const address = await new Promise((resolve, reject) => {
    let out = '';
    bus.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    bus.on('exit', (code) => reject(new Error(`dbus-daemon exited with ${code}`)));
    setTimeout(() => reject(new Error('dbus-daemon printed no address in 10 s')), 10000).unref();
  });
  return {
    address,
    get stderr() { return stderr; },
    stop() {
      bus.kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function assertCleanOutput(stderr) {
  assert.doesNotMatch(stderr, /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/,
    `sanitizer report:\n${stderr}`);
}

// A raw client: every text frame lands in a queue; next() takes the next one.
export function rawClient(url, options = {}) {
  const ws = new WS(url, { ...options });
  const frames = [];
  const waiters = [];
  let closeInfo = null;
  const closeWaiters = [];
  ws.on('message', (data, isBinary) => {
    const frame = isBinary ? data : data.toString('utf8');
    const w = waiters.shift();
    if (w) w.resolve(frame); else frames.push(frame);
  });
  ws.on('close', (code, reason) => {
    closeInfo = { code, reason: reason.toString() };
    for (const w of waiters.splice(0)) w.reject(new Error(`closed ${code} ${closeInfo.reason}`));
    for (const w of closeWaiters.splice(0)) w(closeInfo);
  });
  const opened = new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  return {
    ws,
    opened,
    send(text) { ws.send(text); },
    next(timeoutMs = 10000) {
      if (frames.length) return Promise.resolve(frames.shift());
      if (closeInfo) return Promise.reject(new Error(`closed ${closeInfo.code}`));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no frame within timeout')), timeoutMs);
        waiters.push({
          resolve: (f) => { clearTimeout(t); resolve(f); },
          reject: (e) => { clearTimeout(t); reject(e); },
        });
      });
    },
    closed(timeoutMs = 10000) {
      if (closeInfo) return Promise.resolve(closeInfo);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('not closed within timeout')), timeoutMs);
        closeWaiters.push((i) => { clearTimeout(t); resolve(i); });
      });
    },
    close() { ws.close(); },
  };
}

// Open a raw client and consume the greeting.
export async function greeted(url, options) {
  const c = rawClient(url, options);
  await c.opened;
  assert.equal(await c.next(), '{"result":{"version":"1.4"}}');
  return c;
}

// A page at origin, greeted: call() sends a request and parses its answer.
export async function pageClient(url, origin, callTimeoutMs = 30000) {
  const c = await greeted(url, { origin });
  return {
    async call(module, method, args, timeoutMs = callTimeoutMs) {
      c.send(JSON.stringify({ module, method, args }));
      return JSON.parse(await c.next(timeoutMs));
    },
    send: (module, method, args) => c.send(JSON.stringify({ module, method, args })),
    close: () => c.close(),
    closed: () => c.closed(),
  };
}

// Keep trying for a while: after a close, lws lets go of a socket a
// moment later, so a freed connection place is not free at once.
export async function greetedEventually(url, attempts = 50) {
  for (let i = 0; i < attempts; i++) {
    try {
      return await greeted(url);
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no connection to ${url} accepted after ${attempts} attempts`);
}

// ncalayer-js-client, the client Kazakh sites use, with a WebSocket that
// sends the given Origin and trusts the given CA (for wss).
export function ncalayerClient(url, { origin, ca } = {}) {
  class PageWebSocket extends WS {
    constructor(u) {
      super(u, { origin, ca: ca ? readFileSync(ca) : undefined });
    }
  }
  const saved = globalThis.WebSocket;
  globalThis.WebSocket = PageWebSocket;
  const path = require.resolve('ncalayer-js-client');
  delete require.cache[path];
  const { NCALayerClient } = require(path);
  globalThis.WebSocket = saved;
  return new NCALayerClient(url, false);
}

export function recordedExchanges() {
  return JSON.parse(readFileSync(join(process.env.QOL_TEST_DATA, 'recorded-exchanges.json'), 'utf8'));
}

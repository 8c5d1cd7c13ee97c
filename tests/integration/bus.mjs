// The D-Bus status interface on a private session bus (dbus-daemon), seen
// through tests/helpers/bus-client: the name is owned, the properties
// follow connections, signings (busy, prompting while pinentry asks),
// errors, the camera and pending key requests, and every change arrives
// as PropertiesChanged; the remembered camera consents are listed and
// revoked; Quit() stops the daemon cleanly. Without a session bus the
// daemon serves as before.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import {
  pageClient, privateBus, daemonPath, helpersDir, tempDir, assertCleanOutput, WS,
} from './harness.mjs';
import { signingDaemon, keysDir, PASSWORD, ORIGIN, b64 } from './signing.mjs';

const busClient = join(helpersDir, 'bus-client');
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function envFor(address) {
  return { ...process.env, DBUS_SESSION_BUS_ADDRESS: address };
}

// One bus-client command; its JSON answer, or an Error with its stderr.
function busCall(address, ...args) {
  const r = spawnSync(busClient, args, { env: envFor(address), encoding: 'utf8', timeout: 10000 });
  if (r.status !== 0) throw new Error(`bus-client ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function eventually(fn, what, ms = 10000) {
  let last;
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
  }
  throw new Error(`${what} within ${ms} ms${last ? `: ${last.message}` : ''}`);
}

// PropertiesChanged signals as they come: signals[] holds each one's
// changed properties; next(pred) waits for the first one from the mark on
// that pred accepts and moves the mark past it.
async function watcher(address) {
  const child = spawn(busClient, ['watch'], { env: envFor(address), stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill());
  const signals = [];
  let ready;
  const isReady = new Promise((resolve) => { ready = resolve; });
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    for (let nl; (nl = buf.indexOf('\n')) >= 0;) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line === 'ready') ready();
      else signals.push(JSON.parse(line));
    }
  });
  await isReady;
  let mark = 0;
  return {
    signals,
    mark() { mark = signals.length; return mark; },
    async next(pred, what) {
      const found = await eventually(() => {
        const i = signals.slice(mark).findIndex(pred);
        return i >= 0 ? mark + i + 1 : 0;
      }, `no PropertiesChanged with ${what}`);
      mark = found;
      return signals[found - 1];
    },
    // The State values signalled since index from.
    states(from) {
      return signals.slice(from).filter((s) => 'State' in s).map((s) => s.State);
    },
  };
}

const INITIAL = {
  State: 'idle', Connections: 0, ActiveOrigin: '', LastError: '', PendingRequests: 0,
};

// A bus, a watcher on it, and a daemon (signingDaemon) on it that owns
// the name.
async function setup({ keys = [], config = {}, home } = {}) {
  const bus = await privateBus();
  cleanups.push(() => bus.stop());
  const w = await watcher(bus.address);
  const d = await signingDaemon(keys, config, { DBUS_SESSION_BUS_ADDRESS: bus.address }, home);
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  await eventually(() => busCall(bus.address, 'owner'), `${d.url}: the name is not owned`);
  const get = () => busCall(bus.address, 'get');
  // Every change came as a signal: the signals, applied to the first
  // values in order, give what GetAll says.
  const assertSignalled = async (first = INITIAL) => {
    await eventually(() => {
      const folded = Object.assign({}, first, ...w.signals);
      const { Version, ...now } = get();
      assert.deepEqual(folded, now);
      return true;
    }, 'the signals do not add up to GetAll');
  };
  // Wait until every signal so far has come, and mark the watcher there.
  const settle = async () => {
    await assertSignalled();
    return w.mark();
  };
  return {
    bus, w, d, get, call: (...a) => busCall(bus.address, 'call', ...a), assertSignalled, settle,
  };
}

const connect = (d, origin = ORIGIN) => pageClient(d.url, origin);

const CU = 'kz.gov.pki.knca.commonUtils';
const BASICS = 'kz.gov.pki.knca.basics';
const CAMERA = 'kz.qoltanba.camera';

test('the name is owned; Version and the first values; Connections follows the pages', async () => {
  const { w, d, get, assertSignalled } = await setup();
  const version = spawnSync(daemonPath, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const props = get();
  assert.equal(`qoltanbad ${props.Version}`, version);
  assert.deepEqual({ ...props, Version: undefined }, { ...INITIAL, Version: undefined });

  const a = await connect(d);
  assert.equal((await w.next((s) => 'Connections' in s, 'Connections')).Connections, 1);
  const b = await connect(d, 'https://other.egov.kz');
  assert.equal((await w.next((s) => 'Connections' in s, 'Connections')).Connections, 2);
  assert.equal(get().Connections, 2);
  a.close();
  assert.equal((await w.next((s) => 'Connections' in s, 'Connections')).Connections, 1);
  b.close();
  assert.equal((await w.next((s) => 'Connections' in s, 'Connections')).Connections, 0);
  await assertSignalled();
});

test('a signing: busy, prompting while pinentry asks for the password, busy, idle', async () => {
  const { w, d, get, assertSignalled, settle } = await setup({ keys: [join(keysDir, 'rsa.p12')] });
  d.setScript([`pin ${PASSWORD}`]);
  // ncalayer-js-client, as pages use it: its probe for KAZTOKEN on an
  // unknown module is no error.
  const page = await d.client();
  await page.createCAdESFromBase64('PKCS12', b64('page'), 'SIGNATURE', true);
  await assertSignalled();
  assert.equal(get().LastError, '');

  d.setScript([`pin ${PASSWORD}`]);
  const c = await connect(d);
  const from = await settle();
  assert.equal(get().State, 'idle');
  const signed = await c.call(CU, 'createCAdESFromBase64', ['PKCS12', 'SIGNATURE', b64('status'), true]);
  assert.equal(signed.code, '200');
  await w.next((s) => s.State === 'idle', 'State idle');
  assert.deepEqual(w.states(from), ['busy', 'prompting', 'busy', 'idle']);
  const busy = w.signals.slice(from).find((s) => s.State === 'busy');
  assert.equal(busy.ActiveOrigin, ORIGIN);
  assert.equal(get().ActiveOrigin, '');
  await assertSignalled();
});

test('prompting while the pinentry waits; the page leaves and it is idle again', async () => {
  const { w, d, get, assertSignalled } = await setup({ keys: [join(keysDir, 'rsa.p12')] });
  d.setScript(['hang']);
  const c = await connect(d);
  c.send(CU, 'getKeyInfo', ['PKCS12']);
  await w.next((s) => s.State === 'prompting', 'State prompting');
  const now = get();
  assert.equal(now.State, 'prompting');
  assert.equal(now.ActiveOrigin, ORIGIN);
  c.close();
  await w.next((s) => s.State === 'idle', 'State idle');
  assert.deepEqual({ ...get(), Version: undefined }, { ...INITIAL, Version: undefined });
  await assertSignalled();
});

test('an error answer: State error and LastError, until the next request', async () => {
  const { w, d, get, assertSignalled, settle } = await setup({ keys: [join(keysDir, 'rsa.p12')] });
  const c = await connect(d);
  const failed = await c.call(CU, 'createCAdESFromBase64', ['PKCS12', 'SIGNATURE', 'not base64!', true]);
  assert.equal(failed.code, '500');
  await w.next((s) => s.State === 'error', 'State error');
  assert.equal(get().State, 'error');
  assert.equal(get().LastError, failed.message);
  assert.match(failed.message, /^data\.invalid: /);

  // A cancel by the user is no error.
  d.setScript(['cancel']);
  const from = await settle();
  const cancelled = await c.call(CU, 'getKeyInfo', ['PKCS12']);
  assert.equal(cancelled.message, 'action.canceled');
  await w.next((s) => s.State === 'idle', 'State idle');
  assert.deepEqual(w.states(from), ['busy', 'prompting', 'busy', 'idle']);
  assert.equal(get().LastError, failed.message, 'the last error stays');

  // basics: "code: details".
  const unknown = await c.call(BASICS, 'cancelRequest', { requestId: '0'.repeat(32) });
  assert.equal(unknown.status, false);
  await w.next((s) => s.State === 'error', 'State error');
  assert.equal(get().LastError, `${unknown.code}: ${unknown.details}`);
  const ok = await c.call(CU, 'getActiveTokens', []);
  assert.equal(ok.code, '200');
  await w.next((s) => s.State === 'idle', 'State idle');
  c.close();
  await assertSignalled();
});

test('the camera: State camera during a capture and a preview; consents listed and revoked', async () => {
  const { w, d, get, call, assertSignalled, settle } = await setup({ config: { camera: { source: 'test' } } });
  const c = await connect(d);
  assert.deepEqual(call('ListAllowedOrigins'), []);
  d.setScript(['ok']);
  let from = await settle();
  assert.equal((await c.call(CAMERA, 'listDevices', {})).status, true);
  await w.next((s) => s.State === 'idle', 'State idle');
  assert.deepEqual(w.states(from), ['busy', 'prompting', 'busy', 'idle'], 'the consent was asked');
  assert.deepEqual(call('ListAllowedOrigins'), [ORIGIN]);

  from = await settle();
  const still = await c.call(CAMERA, 'capture', { purpose: 'selfie' });
  assert.equal(still.status, true);
  await w.next((s) => s.State === 'idle', 'State idle');
  const states = w.states(from);
  assert.equal(states[0], 'busy');
  assert.ok(states.includes('camera'), `states ${states}`);
  assert.equal(states.at(-1), 'idle');

  const p = new WS(`${d.url}/camera/preview?fps=5`, { origin: ORIGIN });
  p.on('error', () => {});
  await w.next((s) => s.State === 'camera', 'State camera');
  assert.equal(get().State, 'camera');
  // No request is in flight: the preview's page is the active origin.
  assert.equal(get().ActiveOrigin, ORIGIN);
  p.close();
  await w.next((s) => s.State === 'idle', 'State idle');
  assert.equal(get().ActiveOrigin, '');

  // Revoked over D-Bus: the page is asked again.
  assert.equal(call('RevokeOrigin', ORIGIN), true);
  assert.equal(call('RevokeOrigin', ORIGIN), false);
  assert.deepEqual(call('ListAllowedOrigins'), []);
  d.setScript(['cancel']);
  const denied = await c.call(CAMERA, 'listDevices', {});
  assert.equal(denied.code, 'CAMERA_DENIED');
  assert.match(d.pinentryLog(), /CONFIRM/);
  assert.equal(get().LastError, `CAMERA_DENIED: ${denied.details}`);
  c.close();
  await assertSignalled();
});

test('PendingRequests: generateCsr adds, cancelRequest removes, a restart counts them', async () => {
  const { w, d, get, assertSignalled } = await setup();
  const c = await connect(d);
  const generate = async () => {
    d.setScript(['ok']);
    const r = await c.call(BASICS, 'generateCsr', { storage: 'PKCS12', subject: { CN: 'ТЕСТОВ ТЕСТ' }, locale: 'en' }, 60000);
    assert.equal(r.status, true, JSON.stringify(r));
    return r.body.result;
  };
  const first = await generate();
  assert.equal((await w.next((s) => 'PendingRequests' in s, 'PendingRequests')).PendingRequests, 1);
  await generate();
  assert.equal((await w.next((s) => 'PendingRequests' in s, 'PendingRequests')).PendingRequests, 2);
  const cancelled = await c.call(BASICS, 'cancelRequest', { requestId: first.requestId });
  assert.equal(cancelled.status, true);
  assert.equal((await w.next((s) => 'PendingRequests' in s, 'PendingRequests')).PendingRequests, 1);
  assert.equal(get().PendingRequests, 1);
  c.close();
  await assertSignalled();

  // Kept across a restart, counted at start.
  d.child.kill('SIGTERM');
  await d.exited;
  const again = await setup({ home: d.home });
  assert.equal(again.get().PendingRequests, 1);
});

test('Quit() stops the daemon: exit 0, the name is released', async () => {
  const { bus, d } = await setup();
  const c = await connect(d);
  assert.equal(busCall(bus.address, 'call', 'Quit'), null);
  await d.exited;
  assert.match(d.stderr, /asked to quit over D-Bus/);
  await c.closed();
  assert.throws(() => busCall(bus.address, 'owner'), /GetNameOwner/);
  await d.stop(); // exit status 0, no signal, no sanitizer report
});

test('a second daemon on the same bus serves; the name stays with the first', async () => {
  const first = await setup();
  const owner = busCall(first.bus.address, 'owner');
  const second = await signingDaemon([], {}, { DBUS_SESSION_BUS_ADDRESS: first.bus.address });
  cleanups.push(() => (second.alive() ? second.stop() : undefined));
  await eventually(() => /another program owns kz\.qoltanba\.Daemon/.test(second.stderr),
    'the second daemon does not say the name is taken');
  assert.equal(busCall(first.bus.address, 'owner'), owner);
  // It serves, and signals nothing: only the owner's status is on the bus.
  const from = await first.settle();
  const c = await connect(second);
  assert.equal((await c.call(CU, 'getActiveTokens', [])).code, '200');
  c.close();
  await c.closed();
  const mine = await connect(first.d);
  await first.w.next((s) => s.Connections === 1, 'the first daemon\'s Connections');
  assert.deepEqual(first.w.signals.slice(from), [{ Connections: 1 }]);
  mine.close();
  await second.stop();
});

// The service file make installs, with Exec= pointing at this build.
test('the D-Bus service file: asking for the name starts the daemon', async () => {
  const built = readFileSync(join(dirname(daemonPath), '..', 'systemd', 'kz.qoltanba.Daemon.service'), 'utf8');
  assert.match(built, /^\[D-BUS Service\]$/m);
  assert.match(built, /^Name=kz\.qoltanba\.Daemon$/m);
  assert.match(built, /^Exec=\/\S+\/qoltanbad$/m, 'the configured bindir');
  assert.match(built, /^SystemdService=qoltanba\.service$/m);
  const home = tempDir();
  const services = join(home, 'services');
  mkdirSync(services);
  writeFileSync(join(home, 'qoltanba.conf'), '[server]\nlisten=127.0.0.1:0\n');
  writeFileSync(join(services, 'kz.qoltanba.Daemon.service'),
    built.replace(/^Exec=.*$/m, `Exec=${daemonPath} --config ${join(home, 'qoltanba.conf')}`));
  const bus = await privateBus({
    serviceDir: services,
    env: { HOME: home, XDG_STATE_HOME: join(home, 'state'), XDG_CONFIG_HOME: join(home, 'config') },
  });
  cleanups.push(() => { bus.stop(); rmSync(home, { recursive: true, force: true }); });
  assert.throws(() => busCall(bus.address, 'owner'), /GetNameOwner/, 'not running before');
  assert.equal(busCall(bus.address, 'get').State, 'idle');
  // The bus started it: it outlives the bus unless stopped.
  const pid = busCall(bus.address, 'pid');
  const alive = () => spawnSync('kill', ['-0', String(pid)]).status === 0;
  cleanups.push(() => { if (alive()) process.kill(pid, 'SIGTERM'); });
  await eventually(() => /Successfully activated service 'kz\.qoltanba\.Daemon'/.test(bus.stderr),
    'dbus-daemon does not say it started the service');
  assert.equal(busCall(bus.address, 'call', 'Quit'), null);
  await eventually(() => !alive(), 'the daemon does not exit');
  assert.match(bus.stderr, /qoltanbad: stopping/);
  assert.throws(() => busCall(bus.address, 'owner'), /GetNameOwner/, 'the name is released');
  assertCleanOutput(bus.stderr);
});

test('without a session bus the daemon starts and serves, and says so once', async () => {
  const d = await signingDaemon([], {}, { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/qoltanba-bus' });
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  const c = await connect(d);
  assert.equal((await c.call(CU, 'getActiveTokens', [])).code, '200');
  c.close();
  assert.equal(d.stderr.match(/no session bus/g)?.length, 1, d.stderr);
  await d.stop();
});

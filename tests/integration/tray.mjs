// qoltanba-tray on a private session bus, seen from the desktop's side:
// tests/helpers/sni-watcher owns org.kde.StatusNotifierWatcher, reads the
// item on each registration and NewIcon/NewToolTip/NewStatus, and drives
// its dbusmenu as a tray host does. The daemon is the real qoltanbad with
// videotestsrc for a camera. Checked: the icon registers, in the session's
// language; it follows the daemon's state (camera, password prompt,
// error), a watcher that restarts, and a daemon that goes and comes back;
// the menu lists the sites allowed the camera, a click takes one back,
// "Start Qoltanba" has the session bus start the daemon, "Open log" starts a terminal (or only warns without one), "Quit" stops
// the daemon and the tray; a second tray in the session steps aside.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';

import {
  privateBus, tempDir, helpersDir, daemonPath, assertCleanOutput, pageClient, WS,
} from './harness.mjs';
import { signingDaemon, keysDir, ORIGIN } from './signing.mjs';

const trayPath = join(dirname(dirname(daemonPath)), 'tray', 'qoltanba-tray');
const watcherPath = join(helpersDir, 'sni-watcher');
const OTHER = 'https://other_site.kz';
const HINT = 'Click a site to take its permission back';

const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

// A hang is a failure, not a stalled make check.
const LIMIT = { timeout: 90000 };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function eventually(fn, what, ms = 15000) {
  for (const until = Date.now() + ms; Date.now() < until; await sleep(50)) {
    const v = await fn();
    if (v) return v;
  }
  throw new Error(`${what} within ${ms} ms`);
}

function busEnv(address, env = {}) {
  // LANGUAGE outranks LC_ALL: empty, so that each test's locale counts.
  return { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, LANGUAGE: '', ...env };
}

async function newBus() {
  const bus = await privateBus();
  cleanups.push(() => bus.stop());
  return bus;
}

// The desktop's side. events[] holds every line; next(pred) waits for
// the first event from the mark on that pred accepts and moves the mark
// past it.
async function startWatcher(address) {
  const child = spawn(watcherPath, [], {
    env: busEnv(address, { SNI_WATCHER_TIMEOUT: '300' }),
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  cleanups.push(() => { if (child.exitCode === null) child.kill(); });
  const events = [];
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    for (let nl; (nl = buf.indexOf('\n')) >= 0;) {
      events.push(JSON.parse(buf.slice(0, nl)));
      buf = buf.slice(nl + 1);
    }
  });
  let mark = 0;
  const w = {
    events,
    async next(pred, what) {
      const found = await eventually(() => {
        const i = events.slice(mark).findIndex(pred);
        return i >= 0 ? mark + i + 1 : 0;
      }, `the watcher saw no ${what}`);
      mark = found;
      return events[found - 1];
    },
    send(line) { child.stdin.write(`${line}\n`); },
    // The menu as a tree: { id, props, children }.
    async layout() {
      w.send('layout');
      const e = await w.next((x) => x.event === 'layout' || x.what === 'layout', 'layout');
      assert.equal(e.event, 'layout', e.message);
      const tree = ([id, props, children]) => ({ id, props, children: children.map(tree) });
      return { revision: e.reply[0], root: tree(e.reply[1]) };
    },
    async click(id) {
      w.send(`click ${id}`);
      const e = await w.next((x) => (x.event === 'clicked' && x.id === id) || x.what === 'clicked', `click ${id}`);
      assert.equal(e.event, 'clicked', e.message);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
  await w.next((e) => e.event === 'ready', 'ready');
  return w;
}

function startTray(address, env = {}) {
  const child = spawn(trayPath, [], { env: busEnv(address, env), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  cleanups.push(() => { if (child.exitCode === null && child.signalCode === null) child.kill(); });
  return {
    child,
    exited,
    get stderr() { return stderr; },
    alive: () => child.exitCode === null && child.signalCode === null,
    // Exit status 0, no signal, no sanitizer report.
    async clean() {
      const { code, signal } = await exited;
      assertCleanOutput(stderr);
      assert.equal(signal, null, `qoltanba-tray died of ${signal}:\n${stderr}`);
      assert.equal(code, 0, `qoltanba-tray exited with ${code}:\n${stderr}`);
    },
    async stop() {
      if (this.alive()) child.kill('SIGTERM');
      await this.clean();
    },
  };
}

const tooltipText = (props) => props.ToolTip[3];

// The next time the watcher reads the item showing what `want` says:
// { icon, status, text } (text: a string or a RegExp for the tooltip).
function shown(w, want, what = JSON.stringify(want)) {
  return w.next((e) => {
    const p = e.props;
    if (!p) return false;
    if (want.icon && p.IconName !== want.icon) return false;
    if (want.status && p.Status !== want.status) return false;
    const text = tooltipText(p);
    if (typeof want.text === 'string' && text !== want.text) return false;
    if (want.text instanceof RegExp && !want.text.test(text)) return false;
    return true;
  }, `item showing ${what}`);
}

const labels = (node) => node.children.map((c) => c.props.label ?? `(${c.props.type})`);
const byLabel = (node, label) => {
  const found = node.children.find((c) => c.props.label === label);
  assert.ok(found, `no item "${label}" in ${JSON.stringify(labels(node))}`);
  return found;
};
// The menu once its "Allowed sites…" submenu lists `want` (labels): the
// sites come in an answer of their own, after the daemon's status.
async function sitesShown(w, want) {
  let got;
  return eventually(async () => {
    const { root } = await w.layout();
    got = labels(byLabel(root, 'Allowed sites…'));
    return JSON.stringify(got) === JSON.stringify(want) ? root : null;
  }, `the sites ${JSON.stringify(want)} (last: ${JSON.stringify(got)})`);
}

// dbusmenu labels double an underscore ('_' marks a mnemonic).
const menuLabel = (origin) => origin.replaceAll('_', '__');

// A daemon on the bus whose state folder remembers `allowed` camera
// consents, with videotestsrc for a camera.
async function daemonOn(bus, { allowed = [], home = tempDir() } = {}) {
  if (allowed.length) {
    mkdirSync(join(home, 'state', 'qoltanba'), { recursive: true });
    writeFileSync(join(home, 'state', 'qoltanba', 'consent'), `[camera]\nallow=${allowed.join(';')};\n`);
  }
  const d = await signingDaemon([join(keysDir, 'rsa.p12')], { camera: { source: 'test' } },
    { DBUS_SESSION_BUS_ADDRESS: bus.address }, home);
  cleanups.push(() => (d.alive() ? d.stop() : undefined));
  return d;
}

const connect = (d, origin = ORIGIN) => pageClient(d.url, origin, 60000);

const CU = 'kz.gov.pki.knca.commonUtils';
const CAMERA = 'kz.qoltanba.camera';

test('the icon registers and says the daemon is not running; a second tray steps aside; no terminal, no harm; Quit', LIMIT, async () => {
  const bus = await newBus();
  const w = await startWatcher(bus.address);
  const noTerminal = tempDir('qoltanba-path-');
  const tray = startTray(bus.address, { PATH: noTerminal });
  const reg = await w.next((e) => e.event === 'registered', 'registration');
  assert.equal(reg.service, `org.kde.StatusNotifierItem-${tray.child.pid}-1`);
  const p = reg.props;
  assert.deepEqual(
    { Category: p.Category, Id: p.Id, Title: p.Title, Status: p.Status, IconName: p.IconName, ItemIsMenu: p.ItemIsMenu, Menu: p.Menu },
    { Category: 'ApplicationStatus', Id: 'qoltanba', Title: 'Qoltanba', Status: 'Passive', IconName: 'document-sign', ItemIsMenu: true, Menu: '/MenuBar' },
  );
  assert.deepEqual(p.ToolTip.slice(2), ['Qoltanba', 'Not running']);

  const { root } = await w.layout();
  assert.deepEqual(labels(root), ['Not running', '(separator)', 'Start Qoltanba', 'Allowed sites…', 'Open log', '(separator)', 'Quit']);
  assert.equal(root.children[0].props.enabled, false, 'the status line is no button');
  const sites = byLabel(root, 'Allowed sites…');
  assert.equal(sites.props['children-display'], 'submenu');
  assert.deepEqual(labels(sites), ['Qoltanba is not running']);
  assert.equal(sites.children[0].props.enabled, false);

  // One tray per session.
  const second = startTray(bus.address);
  await second.clean();
  assert.match(second.stderr, /another qoltanba-tray runs in this session/);
  assert.equal(w.events.filter((e) => e.event === 'registered').length, 1);

  // Open log without any terminal program: a warning, and the tray goes on.
  await w.click(byLabel(root, 'Open log').id);
  await eventually(() => /no terminal program found/.test(tray.stderr), 'the warning about the terminal');
  assert.equal((await w.layout()).root.children.length, 7);
  assert.ok(tray.alive());

  // Quit without a daemon: the tray goes, and the desktop sees it go.
  await w.click(byLabel(root, 'Quit').id);
  await tray.clean();
  await w.next((e) => e.event === 'unregistered', 'the item going away');
});

test('in Kazakh and Russian, by the locale', LIMIT, async () => {
  for (const [locale, notRunning, start, sitesLabel, log, quit] of [
    ['kk_KZ.UTF-8', 'Іске қосылмаған', 'Qoltanba-ны іске қосу', 'Рұқсат етілген сайттар…', 'Журналды ашу', 'Шығу'],
    ['ru_RU.UTF-8', 'Не запущен', 'Запустить Qoltanba', 'Разрешённые сайты…', 'Открыть журнал', 'Выход'],
  ]) {
    const bus = await newBus();
    const w = await startWatcher(bus.address);
    const tray = startTray(bus.address, { LC_ALL: locale });
    const reg = await w.next((e) => e.event === 'registered', 'registration');
    assert.equal(tooltipText(reg.props), notRunning);
    const { root } = await w.layout();
    assert.deepEqual(labels(root), [notRunning, '(separator)', start, sitesLabel, log, '(separator)', quit]);
    await tray.stop();
  }
});

test('the icon follows the daemon: camera on for a page, a password prompt, an error; a restarted watcher gets it again', LIMIT, async () => {
  const bus = await newBus();
  let w = await startWatcher(bus.address);
  const tray = startTray(bus.address);
  await w.next((e) => e.event === 'registered', 'registration');
  const d = await daemonOn(bus, { allowed: [ORIGIN] });
  await shown(w, { icon: 'document-sign', status: 'Passive', text: 'Idle\nConnections: 0' });

  // A recording: the camera runs for the page.
  const c = await connect(d);
  const recording = c.call(CAMERA, 'record', { seconds: 12, width: 320, height: 240, fps: 5 });
  const camera = { icon: 'camera-web', status: 'NeedsAttention', text: `Camera on for ${ORIGIN}\nConnections: 1` };
  const on = await shown(w, camera);
  assert.equal(on.props.AttentionIconName, 'camera-web', 'hosts that show the attention icon show the camera too');
  assert.equal(on.props.ToolTip[0], 'camera-web');
  await eventually(() => ['NewIcon', 'NewToolTip', 'NewStatus'].every((signal) =>
    w.events.some((e) => e.event === signal && e.props?.IconName === 'camera-web')), 'NewIcon, NewToolTip and NewStatus');

  // The desktop's tray restarts while the camera is on: the icon comes
  // back to the new one as it is.
  await w.stop();
  w = await startWatcher(bus.address);
  const again = await w.next((e) => e.event === 'registered', 'registration with the new watcher');
  assert.equal(again.props.IconName, 'camera-web', JSON.stringify(again.props));
  assert.equal(tooltipText(again.props), camera.text);
  assert.equal(again.props.Status, 'NeedsAttention');

  const clip = await recording;
  assert.equal(clip.status, true, JSON.stringify(clip).slice(0, 300));
  await shown(w, { icon: 'document-sign', status: 'Passive', text: 'Idle\nConnections: 1' });

  // A live preview, with no request in flight: the page is named too.
  const preview = new WS(`${d.url}/camera/preview?fps=5`, { origin: ORIGIN });
  preview.on('error', () => {});
  await shown(w, { ...camera, text: `Camera on for ${ORIGIN}\nConnections: 2` });
  preview.close();
  await shown(w, { icon: 'document-sign', status: 'Passive', text: 'Idle\nConnections: 1' });

  // The password prompt: pinentry waits, the tray says for whom.
  d.setScript(['hang']);
  c.send(CU, 'getKeyInfo', ['PKCS12']);
  await shown(w, { icon: 'dialog-password', status: 'Active', text: `Waiting for your answer to ${ORIGIN}\nConnections: 1` });
  c.close();
  await shown(w, { icon: 'document-sign', status: 'Passive', text: 'Idle\nConnections: 0' });

  // An error answer, until the next request.
  const c2 = await connect(d);
  const failed = await c2.call(CU, 'createCAdESFromBase64', ['PKCS12', 'SIGNATURE', 'not base64!', true]);
  assert.equal(failed.code, '500');
  await shown(w, { icon: 'dialog-error', status: 'NeedsAttention', text: `Error: ${failed.message}\nConnections: 1` });
  const { root } = await w.layout();
  assert.equal(root.children[0].props.label, `Error: ${failed.message}`, 'the menu says it too');
  c2.close();
  await d.stop();
  await tray.stop();
});

test('the daemon going away and coming back is followed', LIMIT, async () => {
  const bus = await newBus();
  const w = await startWatcher(bus.address);
  const tray = startTray(bus.address);
  const d = await daemonOn(bus, { allowed: [ORIGIN] });
  await shown(w, { status: 'Passive', text: 'Idle\nConnections: 0' });
  await sitesShown(w, [HINT, ORIGIN]);

  await d.stop();
  await shown(w, { icon: 'document-sign', status: 'Passive', text: 'Not running' });
  const root = await sitesShown(w, ['Qoltanba is not running']);
  assert.equal(root.children[0].props.label, 'Not running');

  // Back, started anew: its properties and sites are read, its changes
  // followed.
  const d2 = await daemonOn(bus, { allowed: [ORIGIN, OTHER] });
  await shown(w, { status: 'Passive', text: 'Idle\nConnections: 0' });
  await sitesShown(w, [HINT, ORIGIN, menuLabel(OTHER)]);
  const c = await connect(d2);
  await shown(w, { text: 'Idle\nConnections: 1' });
  const failed = await c.call(CU, 'createCAdESFromBase64', ['PKCS12', 'SIGNATURE', 'not base64!', true]);
  await shown(w, { icon: 'dialog-error', text: `Error: ${failed.message}\nConnections: 1` });
  c.close();
  await d2.stop();
  await tray.stop();
});

test('Start Qoltanba: the session bus starts the daemon from its service file, and the item goes', LIMIT, async () => {
  const built = readFileSync(join(dirname(daemonPath), '..', 'systemd', 'kz.qoltanba.Daemon.service'), 'utf8');
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
  cleanups.push(() => bus.stop());
  // Whatever happens, no daemon the bus started outlives the test.
  cleanups.push(() => { spawnSync('pkill', ['-f', join(home, 'qoltanba.conf')]); });
  const w = await startWatcher(bus.address);
  const tray = startTray(bus.address);
  await w.next((e) => e.event === 'registered', 'registration');
  let { root } = await w.layout();
  // Watching the daemon does not start it.
  await sleep(300);
  assert.doesNotMatch(bus.stderr, /Activating service/);

  await w.click(byLabel(root, 'Start Qoltanba').id);
  await shown(w, { status: 'Passive', text: 'Idle\nConnections: 0' });
  assert.match(bus.stderr, /Successfully activated service 'kz\.qoltanba\.Daemon'/);
  assert.match(tray.stderr, /starting qoltanbad/);
  ({ root } = await w.layout());
  assert.deepEqual(labels(root), ['Idle', '(separator)', 'Allowed sites…', 'Open log', '(separator)', 'Quit']);

  // Quit stops the daemon the bus started, and the tray.
  await w.click(byLabel(root, 'Quit').id);
  await tray.clean();
  await eventually(() => /qoltanbad: stopping/.test(bus.stderr), 'the daemon stopping');
  assertCleanOutput(bus.stderr);
});

test('the menu: the allowed sites, taking one back, the log in a terminal, and Quit', LIMIT, async () => {
  const bus = await newBus();
  const w = await startWatcher(bus.address);
  // A terminal that writes down what it was asked to run.
  const bin = tempDir('qoltanba-path-');
  const terminalLog = join(bin, 'terminal.log');
  writeFileSync(join(bin, 'x-terminal-emulator'), `#!/bin/sh\nprintf '%s\\n' "$@" > '${terminalLog}'\n`);
  chmodSync(join(bin, 'x-terminal-emulator'), 0o755);
  const tray = startTray(bus.address, { PATH: bin });
  const d = await daemonOn(bus, { allowed: [ORIGIN, OTHER] });
  await shown(w, { text: 'Idle\nConnections: 0' });

  let root = await sitesShown(w, [HINT, ORIGIN, menuLabel(OTHER)]);
  let sites = byLabel(root, 'Allowed sites…');
  assert.equal(sites.children[0].props.enabled, false, 'the hint is no button');
  const other = byLabel(sites, menuLabel(OTHER)).id;

  // A click on a site takes its permission back, and the menu shows it.
  const mark = w.events.length;
  await w.click(byLabel(sites, ORIGIN).id);
  await eventually(() => w.events.slice(mark).some((e) => e.event === 'LayoutUpdated'), 'LayoutUpdated after the click');
  root = await sitesShown(w, [HINT, menuLabel(OTHER)]);
  sites = byLabel(root, 'Allowed sites…');
  assert.equal(byLabel(sites, menuLabel(OTHER)).id, other, 'a site that stays keeps its id');
  assert.match(d.stderr, /camera consent revoked for https:\/\/egov\.kz over D-Bus/);
  const consent = readFileSync(join(d.home, 'state', 'qoltanba', 'consent'), 'utf8');
  assert.doesNotMatch(consent, /egov\.kz/);
  assert.match(consent, /other_site\.kz/);

  // Open log: the journal of the daemon's unit, followed, in a terminal.
  await w.click(byLabel(root, 'Open log').id);
  await eventually(() => existsSync(terminalLog) && readFileSync(terminalLog, 'utf8').endsWith('\n'), 'the terminal');
  assert.deepEqual(readFileSync(terminalLog, 'utf8').trim().split('\n'),
    ['-e', 'journalctl', '--user', '-u', 'qoltanba.service', '-f']);

  // Quit: the daemon quits cleanly, and so does the tray.
  await w.click(byLabel(root, 'Quit').id);
  await eventually(() => !d.alive(), 'the daemon quitting');
  assert.match(d.stderr, /asked to quit over D-Bus/);
  await d.stop();
  await tray.clean();
  await w.next((e) => e.event === 'unregistered', 'the item going away');
});

// tools/demo (`make demo`, the README's first command): it starts the
// daemon and the demo portal, prints the portal's URL, the portal's pages
// find the daemon and the daemon serves the portal's origin; Ctrl-C
// (SIGINT) stops both, and a daemon that cannot start stops the portal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { once } from 'node:events';

import { tempDir, greeted } from './harness.mjs';

const top = join(process.env.QOL_WEB, '..');
const build = join(process.env.QOLTANBAD, '..', '..');

function freePort() {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Start tools/demo in its own process group, as a terminal would run it.
function startDemo(env) {
  const home = tempDir();
  const child = spawn('bash', [join(top, 'tools', 'demo'), build], {
    env: { ...process.env, HOME: home, XDG_STATE_HOME: join(home, 'state'),
      XDG_CONFIG_HOME: join(home, 'config'), QOLTANBA_DEMO_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'], detached: true,
  });
  const out = { text: '', err: '' };
  child.stdout.on('data', (d) => { out.text += d; });
  child.stderr.on('data', (d) => { out.err += d; });
  const exited = once(child, 'exit');
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL in 20 s:\n${out.text}\n${out.err}`)), 20000);
    child.stdout.on('data', () => {
      const m = out.text.match(/Qoltanba demo portal:\s+(http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    exited.then(() => { clearTimeout(timer); reject(new Error(`tools/demo exited:\n${out.text}\n${out.err}`)); });
  });
  return { child, home, out, url, exited };
}

// The pids of the daemon and the portal tools/demo started.
function children(pid) {
  const list = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).map(Number);
  const byName = {};
  for (const p of list) {
    const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
    byName[name] = p;
  }
  return byName;
}

// Whatever happens in a test, nothing it started is left running.
function stopGroup(demo) {
  try {
    process.kill(-demo.child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

test('tools/demo starts both, the pages find the daemon, Ctrl-C stops both', { timeout: 60000 }, async (t) => {
  const daemonPort = await freePort();
  const demo = startDemo({ QOLTANBA_DEMO_DAEMON_PORT: String(daemonPort), QOLTANBA_DEMO_CAMERA: 'test' });
  t.after(() => stopGroup(demo));
  const url = await demo.url;
  const origin = new URL(url).origin;
  assert.match(demo.out.text, /New keys go to:\s+\S+qoltanba-demo-keys/);
  assert.match(demo.out.text, /Camera:\s+GStreamer's test picture/);

  const page = await fetch(url);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  const config = await (await fetch(new URL('/api/config', url))).json();
  assert.deepEqual(config.daemon, [`wss://127.0.0.1:${daemonPort}`, `ws://127.0.0.1:${daemonPort}`]);
  // The daemon serves the portal's pages and, as always, egov.kz; not others.
  for (const o of [origin, origin.replace('127.0.0.1', 'localhost'), 'https://egov.kz', 'https://evil.example']) {
    const c = await greeted(`ws://127.0.0.1:${daemonPort}`, { origin: o });
    c.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}');
    const answer = await c.next();
    c.close();
    if (o === 'https://evil.example')
      assert.equal(answer, '{"code":"500","message":"origin.refused: https://evil.example"}');
    else
      assert.equal(answer, '{"responseObject":[],"code":"200"}', `for ${o}`);
  }
  const conf = readFileSync(join(demo.home, 'state', 'qoltanba-demo', 'qoltanbad.conf'), 'utf8');
  assert.match(conf, /^source=test$/m);

  const pids = children(demo.child.pid);
  assert.ok(pids.qoltanbad && pids['qoltanba-portal'], `children: ${JSON.stringify(pids)}`);
  process.kill(-demo.child.pid, 'SIGINT');
  const [code] = await demo.exited;
  assert.equal(code, 0, demo.out.err);
  assert.match(demo.out.text, /Stopped\./);
  assert.ok(!alive(pids.qoltanbad), 'the daemon still runs');
  assert.ok(!alive(pids['qoltanba-portal']), 'the portal still runs');
});

test('when the daemon cannot start (its port is taken) the portal stops too and the log is shown', { timeout: 60000 }, async (t) => {
  const taken = createServer().listen(0, '127.0.0.1');
  await once(taken, 'listening');
  try {
    const demo = startDemo({ QOLTANBA_DEMO_DAEMON_PORT: String(taken.address().port), QOLTANBA_DEMO_CAMERA: 'test' });
    t.after(() => stopGroup(demo));
    demo.url.catch(() => {});
    const [code] = await demo.exited;
    assert.notEqual(code, 0);
    assert.match(demo.out.err, /qoltanbad did not start/);
    assert.match(demo.out.err, /in use|Address already/i);
    // Nothing is left listening on the portal's port: the portal was stopped.
    const m = readFileSync(join(demo.home, 'state', 'qoltanba-demo', 'portal.out'), 'utf8').match(/http:\/\/127\.0\.0\.1:(\d+)\//);
    assert.ok(m, 'the portal had started');
    await assert.rejects(fetch(`http://127.0.0.1:${m[1]}/`));
  } finally {
    taken.close();
  }
});

// make bench: how long a page waits when the daemon is not running yet.
// systemd-socket-activate holds the port as qoltanba.socket does and starts
// the daemon on the first connection; the time runs from the page opening
// its WebSocket (ws://) to the greeting. Each round is a fresh activation
// (a new process); the local CA exists already, as after the first start.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

import { greeted, tempDir, daemonPath } from '../tests/integration/harness.mjs';
import { median } from './bench-util.mjs';

const ROUNDS = Number(process.env.BENCH_ACTIVATIONS || 20);

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// One activation: the socket first, then the page; milliseconds to the
// greeting. The daemon is stopped afterwards.
async function activation(home, conf) {
  const port = await freePort();
  const child = spawn('systemd-socket-activate', ['-l', `127.0.0.1:${port}`,
    '-E', `HOME=${home}`, '-E', `XDG_STATE_HOME=${join(home, 'state')}`,
    '-E', `XDG_CONFIG_HOME=${join(home, 'config')}`, daemonPath, '--config', conf],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (x) => { err += x; });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  for (let i = 0; i < 500 && !err.includes('Listening on'); i++) await new Promise((r) => setTimeout(r, 10));
  if (!err.includes('Listening on')) throw new Error(`systemd-socket-activate did not listen:\n${err}`);
  const t0 = process.hrtime.bigint();
  const c = await greeted(`ws://127.0.0.1:${port}`);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  c.close();
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) throw new Error(`qoltanbad exited with ${code}:\n${err}`);
  return ms;
}

if (spawnSync('sh', ['-c', 'command -v systemd-socket-activate']).status !== 0) {
  console.log('activation: skipped, systemd-socket-activate is not installed (Debian package systemd)');
} else {
  const home = tempDir('qoltanba-bench-');
  const conf = join(home, 'qoltanba.conf');
  writeFileSync(conf, '[server]\nidle-exit=0\n');
  await activation(home, conf); // makes the local CA
  const times = [];
  for (let i = 0; i < ROUNDS; i++) times.push(await activation(home, conf));
  console.log(`qoltanbad socket activation: first connection to greeting, median ${median(times).toFixed(1)} ms `
    + `of ${ROUNDS} activations (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
  rmSync(home, { recursive: true, force: true });
}

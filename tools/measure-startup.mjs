// Startup figures of qoltanbad, 20 starts on this machine:
//   node tools/measure-startup.mjs _build/daemon/qoltanbad
// - exec until a TCP connect to the port succeeds (the socket listens);
// - exec until the greeting arrives over ws (the loop serves), measured by
//   a client that keeps trying, so it includes the client's attempts;
// - VmRSS of the idle daemon 300 ms after it listens.
// Needs the npm package ws (npm ci). Uses ports 30000-30119 on 127.0.0.1.
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
const require = createRequire(import.meta.url);
const WS = require('ws');
const daemon = process.argv[2];
const home = mkdtempSync('/tmp/qm-');
const env = { ...process.env, HOME: home, XDG_STATE_HOME: home + '/s', XDG_CONFIG_HOME: home + '/c' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
function tryGreet(port) {
  return new Promise((resolve) => {
    const ws = new WS(`ws://127.0.0.1:${port}`);
    ws.on('message', (d) => { ws.terminate(); resolve(String(d)); });
    ws.on('error', () => resolve(null));
  });
}
function tryConnect(port) {
  return new Promise((resolve) => { const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); }); s.on('error', () => resolve(false)); });
}
// first start makes the certificate
{ const p = spawn(daemon, ['--listen', '127.0.0.1:29999'], { env }); await sleep(500); p.kill(); await sleep(200); }
const acc = [], greet = [], rss = [];
for (let i = 0; i < 20; i++) {
  const port = 30000 + i;
  const t0 = process.hrtime.bigint();
  const p = spawn(daemon, ['--listen', `127.0.0.1:${port}`], { env, stdio: 'ignore' });
  while (!(await tryConnect(port)));
  const t1 = process.hrtime.bigint();
  acc.push(Number(t1 - t0) / 1e6);
  const p2 = spawn(daemon, ['--listen', `127.0.0.1:${port + 100}`], { env, stdio: 'ignore' });
  const t2 = process.hrtime.bigint();
  let g; while (!(g = await tryGreet(port + 100)));
  greet.push(Number(process.hrtime.bigint() - t2) / 1e6);
  await sleep(300);
  rss.push(Number(readFileSync(`/proc/${p.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]));
  p.kill(); p2.kill(); await sleep(100);
}
const med = (a) => { const s = [...a].sort((x, y) => x - y); return `min ${s[0].toFixed(1)} median ${s[10].toFixed(1)} max ${s[s.length - 1].toFixed(1)}`; };
console.log('exec -> TCP connect accepted (ms):', med(acc));
console.log('exec -> greeting received over ws (ms):', med(greet));
console.log('idle VmRSS after start (kB):', med(rss));

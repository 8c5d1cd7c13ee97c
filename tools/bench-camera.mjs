// make bench: the camera, with videotestsrc standing in ([camera]
// source=test). Prints the daemon's resident memory before and after the
// first camera use (GStreamer starts lazily), the capture latency from the
// request to the JPEG in the answer (median of 20, 640×480), and the
// daemon's CPU use while it streams a 640×480 15 fps preview for 10 s
// (user + system time from /proc/<pid>/stat, as a share of one core).
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

import { rawClient, WS } from '../tests/integration/harness.mjs';
import { signingDaemon, ORIGIN } from '../tests/integration/signing.mjs';
import { median } from './bench-util.mjs';

const N = Number(process.env.BENCH_CAPTURES || 20);
const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function rssKiB(pid) {
  return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]);
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime
}

const d = await signingDaemon([], { camera: { source: 'test' } });
try {
  const pid = d.child.pid;
  const c = rawClient(d.url, { origin: ORIGIN });
  await c.opened;
  await c.next();
  const call = async (method, args) => {
    c.send(JSON.stringify({ module: 'kz.qoltanba.camera', method, args }));
    const reply = JSON.parse(await c.next(60000));
    if (reply.status !== true) throw new Error(JSON.stringify(reply).slice(0, 300));
    return reply.body.result;
  };
  await new Promise((r) => setTimeout(r, 500));
  const idle = rssKiB(pid);
  d.setScript(['ok']);
  await call('capture', { purpose: 'selfie', width: 640, height: 480 });
  await new Promise((r) => setTimeout(r, 500));
  const after = rssKiB(pid);
  console.log(`qoltanbad RSS: ${(idle / 1024).toFixed(1)} MiB idle after start, ` +
    `${(after / 1024).toFixed(1)} MiB after the first capture (GStreamer loaded)`);

  const times = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    const r = await call('capture', { purpose: 'selfie', width: 640, height: 480 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r.image) throw new Error('no image');
  }
  console.log(`capture 640x480 (request to JPEG): median ${median(times).toFixed(1)} ms of ${N}` +
    ` (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);

  const ws = new WS(`${d.url}/camera/preview?width=640&height=480&fps=15`, { origin: ORIGIN });
  let frames = 0;
  ws.on('message', (data, binary) => { if (binary) frames++; });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  await new Promise((r) => setTimeout(r, 1000));
  const f0 = frames;
  const c0 = cpuTicks(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 10000));
  const secs = (Date.now() - t0) / 1000;
  const cpu = (cpuTicks(pid) - c0) / ticks / secs;
  console.log(`preview 640x480 15 fps: ${((frames - f0) / secs).toFixed(1)} frames/s received, ` +
    `daemon CPU ${(cpu * 100).toFixed(1)} % of one core over ${secs.toFixed(1)} s`);
  ws.close();
  c.close();
} finally {
  await d.stop();
}

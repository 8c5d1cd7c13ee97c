// kz.qoltanba.camera through the WebSocket API with videotestsrc standing
// in for the webcam ([camera] source=test): consent asked once and
// remembered, devices, stills (the JPEG decodes and has the asked size),
// clips (gst-discoverer-1.0 reads the WebM and its duration is the asked
// one ± one frame), the live preview on /camera/preview (frames at ≥ 90 %
// of the asked rate), busy, close, cancel and oversized requests, a device
// that vanishes mid-stream, and a machine without a camera.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { rawClient, tempDir, WS } from './harness.mjs';
import { signingDaemon, ORIGIN } from './signing.mjs';

const started = [];
after(async () => { for (const d of started) if (d.alive()) await d.stop(); });

async function daemon(config = {}, home = undefined) {
  const d = await signingDaemon([], { camera: { source: 'test' }, ...config }, {}, home);
  started.push(d);
  return d;
}

async function connect(d, origin = ORIGIN) {
  const c = rawClient(d.url, { origin });
  await c.opened;
  JSON.parse(await c.next());
  return {
    async call(method, args = {}, timeoutMs = 60000) {
      c.send(JSON.stringify({ module: 'kz.qoltanba.camera', method, args }));
      return JSON.parse(await c.next(timeoutMs));
    },
    send: (o) => c.send(JSON.stringify(o)),
    close: () => c.close(),
  };
}

function ok(reply) {
  assert.equal(reply.status, true, JSON.stringify(reply).slice(0, 400));
  return reply.body.result;
}

function failed(reply, code, re) {
  assert.equal(reply.status, false, JSON.stringify(reply).slice(0, 400));
  assert.equal(reply.code, code, JSON.stringify(reply));
  if (re) assert.match(`${reply.message} ${reply.details ?? ''}`, re);
}

// Width and height from a JPEG's start-of-frame marker.
function jpegSize(buf) {
  assert.equal(buf.readUInt16BE(0), 0xffd8, 'a JPEG starts with SOI');
  let i = 2;
  while (i + 9 < buf.length) {
    assert.equal(buf[i], 0xff, `marker at ${i}`);
    const marker = buf[i + 1];
    const len = buf.readUInt16BE(i + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      return { height: buf.readUInt16BE(i + 5), width: buf.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  throw new Error('no SOF marker');
}

// Decode the JPEG with GStreamer: it must be a whole, valid image.
function jpegDecodes(buf) {
  const dir = tempDir('qoltanba-jpeg-');
  try {
    const f = join(dir, 'still.jpg');
    writeFileSync(f, buf);
    const r = spawnSync('gst-launch-1.0', ['-q', 'filesrc', `location=${f}`, '!', 'jpegdec', '!',
      'fakesink'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function discover(webm) {
  const dir = tempDir('qoltanba-webm-');
  try {
    const f = join(dir, 'clip.webm');
    writeFileSync(f, webm);
    const r = spawnSync('gst-discoverer-1.0', [f], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr + r.stdout);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function seconds(hms) {
  const [h, m, s] = hms.split(':');
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

// A preview client: counts binary frames; resolves its close.
function preview(d, query, origin = ORIGIN) {
  const ws = new WS(`${d.url}/camera/preview${query ? `?${query}` : ''}`, { origin });
  const frames = [];
  ws.on('message', (data, binary) => { if (binary) frames.push({ t: Date.now(), data }); });
  const closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.on('error', () => {});
  return { ws, frames, closed, opened };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(cond, ms = 5000) {
  for (let t = 0; t < ms; t += 50) {
    if (await cond()) return true;
    await sleep(50);
  }
  return false;
}

test('consent: asked once, by name, remembered across a restart; denied and revoked', async () => {
  const d1 = await daemon();
  const c = await connect(d1);
  d1.setScript(['cancel']);
  failed(await c.call('listDevices'), 'CAMERA_DENIED', /egov\.kz/);
  assert.match(d1.pinentryLog(), /CONFIRM/);
  // In Kazakh, NCALayer's default language, naming the page.
  assert.match(d1.pinentryLog(), /SETDESC https:\/\/egov\.kz .*камера/);
  d1.setScript(['ok']);
  const devices = ok(await c.call('listDevices'));
  assert.equal(devices.length, 1);
  assert.equal(devices[0].id, 'test');
  assert.ok(devices[0].modes.some((m) => m.width === 640 && m.height === 480 && m.fps === 15));
  d1.setScript([]);
  ok(await c.call('listDevices'));
  assert.doesNotMatch(d1.pinentryLog(), /CONFIRM/, 'asked once');
  c.close();
  d1.child.kill('SIGTERM');
  await d1.exited;

  const d2 = await daemon({}, d1.home);
  const c2 = await connect(d2);
  d2.setScript([]);
  ok(await c2.call('listDevices'));
  assert.doesNotMatch(d2.pinentryLog(), /CONFIRM/, 'remembered across a restart');
  // Another page is asked for itself.
  const other = await connect(d2, 'https://other.egov.kz');
  d2.setScript(['cancel']);
  failed(await other.call('capture', { purpose: 'selfie' }), 'CAMERA_DENIED');
  other.close();
  // Revoked: asked again.
  assert.deepEqual(ok(await c2.call('revokeConsent')), { revoked: true });
  d2.setScript(['cancel']);
  failed(await c2.call('listDevices'), 'CAMERA_DENIED');
  assert.match(d2.pinentryLog(), /CONFIRM/);
  c2.close();
});

let d;
let c;
async function allowed() {
  if (d) return;
  d = await daemon();
  c = await connect(d);
  d.setScript(['ok']);
  ok(await c.call('listDevices'));
}

test('capture: a JPEG of the asked size, for each purpose', async () => {
  await allowed();
  for (const [purpose, width, height] of [['selfie', 320, 240], ['document-front', 640, 480],
    ['document-back', 1280, 720]]) {
    const t0 = Date.now();
    const r = ok(await c.call('capture', { purpose, width, height }));
    const jpeg = Buffer.from(r.image, 'base64');
    assert.equal(r.mimeType, 'image/jpeg');
    assert.equal(r.purpose, purpose);
    assert.equal(r.size, jpeg.length);
    assert.deepEqual(jpegSize(jpeg), { width, height });
    assert.deepEqual([r.width, r.height], [width, height]);
    assert.ok(Number(r.time) >= t0 - 1000 && Number(r.time) <= Date.now(), r.time);
    jpegDecodes(jpeg);
  }
  const dflt = ok(await c.call('capture', { purpose: 'selfie' }));
  assert.deepEqual(jpegSize(Buffer.from(dflt.image, 'base64')), { width: 640, height: 480 });
});

test('record: a VP8 WebM that lasts as asked, ± one frame', async () => {
  await allowed();
  const r = ok(await c.call('record', { seconds: 2, width: 320, height: 240, fps: 15 }));
  assert.equal(r.mimeType, 'video/webm');
  assert.equal(r.frames, 30);
  const info = discover(Buffer.from(r.video, 'base64'));
  assert.match(info, /container.*WebM/i);
  assert.match(info, /VP8/);
  assert.match(info, /Width: 320/);
  assert.match(info, /Height: 240/);
  const duration = seconds(info.match(/Duration: ([\d:.]+)/)[1]);
  assert.ok(Math.abs(duration - 2) <= 1 / 15 + 1e-6, `duration ${duration}`);
});

test('preview: JPEG frames at ≥ 90 % of the asked rate for 5 s; status says the camera is on', async () => {
  await allowed();
  const p = preview(d, 'width=640&height=480&fps=15');
  await p.opened;
  assert.ok(await until(() => p.frames.length > 0), 'the first frame comes');
  const from = p.frames.length;
  const t0 = Date.now();
  await sleep(5000);
  const got = p.frames.length - from;
  const expected = 15 * (Date.now() - t0) / 1000;
  assert.ok(got >= 0.9 * expected, `${got} frames in 5 s, want ≥ ${0.9 * expected}`);
  for (const f of p.frames.slice(-3)) assert.deepEqual(jpegSize(f.data), { width: 640, height: 480 });
  assert.equal(ok(await c.call('status')).cameraOn, true);

  // Sharing: a still of the preview's size is the preview's frame; a
  // clip, another size or a second preview find the camera busy.
  const still = ok(await c.call('capture', { purpose: 'selfie', width: 640, height: 480 }));
  assert.deepEqual(jpegSize(Buffer.from(still.image, 'base64')), { width: 640, height: 480 });
  failed(await c.call('capture', { purpose: 'selfie', width: 320, height: 240 }), 'CAMERA_BUSY');
  failed(await c.call('record', { seconds: 1 }), 'CAMERA_BUSY');
  const second = preview(d, 'fps=5');
  const end = await second.closed;
  assert.equal(end.code, 4002);
  assert.match(end.reason, /^camera\.busy/);

  p.ws.close();
  await p.closed;
  assert.ok(await until(async () => !ok(await c.call('status')).cameraOn), 'the pipeline is torn down');
  ok(await c.call('capture', { purpose: 'selfie' }));
});

test('a page that closes its connection mid-record frees the camera', async () => {
  await allowed();
  const c2 = await connect(d);
  c2.send({ module: 'kz.qoltanba.camera', method: 'record', args: { seconds: 20 } });
  assert.ok(await until(async () => ok(await c.call('status')).cameraOn), 'recording');
  c2.close();
  assert.ok(await until(async () => !ok(await c.call('status')).cameraOn, 3000), 'record cancelled');
  ok(await c.call('capture', { purpose: 'selfie' }));
});

test('oversized and malformed requests are refused before the camera starts', async () => {
  await allowed();
  const bad = [
    ['capture', { purpose: 'selfie', width: 4000, height: 3000 }, /width must be from 16 to 1920/],
    ['capture', { purpose: 'selfie', width: 640 }, /width and height go together/],
    ['capture', { purpose: 'passport' }, /purpose must be selfie, document-front or document-back/],
    ['capture', {}, /purpose/],
    ['capture', { purpose: 'selfie', width: '640', height: 480 }, /not an int/],
    ['record', { seconds: 31 }, /seconds must be from 1 to 30/],
    ['record', {}, /seconds/],
    ['record', { seconds: 1, fps: 120 }, /fps must be from 1 to 30/],
  ];
  for (const [method, args, re] of bad) failed(await c.call(method, args), 'INVOCATION_ERROR', re);
  for (const q of ['width=4000&height=3000', 'fps=60', 'width=640', 'colour=red', 'fps=abc']) {
    const p = preview(d, q);
    const end = await p.closed;
    assert.equal(end.code, 4006, q);
    assert.match(end.reason, /^camera\.invalid/, q);
  }
  assert.equal(ok(await c.call('status')).cameraOn, false);
});

test('the preview gate: a page that is not allowed is refused', async () => {
  await allowed();
  const p = preview(d, 'fps=5', 'https://evil.example');
  const end = await p.closed;
  assert.equal(end.code, 1008);
  assert.equal(p.frames.length, 0);
});

test('a device that vanishes mid-stream ends the preview with camera.lost', async () => {
  const dl = await daemon({ testing: { 'camera-fail-after-frames': 20 } });
  const cl = await connect(dl);
  dl.setScript(['ok']);
  const p = preview(dl, 'width=320&height=240&fps=15');
  const end = await p.closed;
  assert.equal(end.code, 4004, end.reason);
  assert.match(end.reason, /^camera\.lost/);
  assert.ok(p.frames.length > 0 && p.frames.length <= 20, `${p.frames.length} frames`);
  assert.ok(await until(async () => !ok(await cl.call('status')).cameraOn), 'torn down');
  failed(await cl.call('record', { seconds: 3 }), 'CAMERA_LOST');
  cl.close();
});

test('no camera: listDevices is empty, capture and preview say so', async () => {
  const dn = await daemon({ camera: { source: 'auto' } });
  const cn = await connect(dn);
  dn.setScript(['ok']);
  assert.deepEqual(ok(await cn.call('listDevices')), []);
  failed(await cn.call('capture', { purpose: 'selfie' }), 'NO_CAMERA');
  const p = preview(dn, '');
  const end = await p.closed;
  assert.equal(end.code, 4001);
  assert.match(end.reason, /^camera\.none/);
  cn.close();
});

test('no image is written to disk by the daemon', async () => {
  await allowed();
  const files = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p); else files.push(p);
    }
  };
  walk(d.home);
  const images = files.filter((f) => /\.(jpe?g|webm|png|mkv)$/i.test(f)
    || (statSync(f).size > 0 && readFileSync(f).subarray(0, 2).equals(Buffer.from([0xff, 0xd8]))));
  assert.deepEqual(images, []);
  assert.ok(existsSync(join(d.home, 'state', 'qoltanba', 'consent')), 'consent is kept');
  c.close();
});

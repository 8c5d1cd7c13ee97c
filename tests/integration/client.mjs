// web/client/qoltanba.js, the browser module, run in Node against the
// real daemon: globalThis.WebSocket is, per test, the ws package's
// WebSocket sending a page's Origin (and trusting the local CA for wss).
// Connection and fallback, heartbeats that are not taken for answers,
// calls answered in order with one on the wire at a time, signing,
// cancel and refusals as typed errors, the camera and its preview,
// a daemon that is not running or dies mid-call, and remote issuance.
import { test, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { WS } from './harness.mjs';
import { signingDaemon, keysDir, opensslVerifyCms, b64, ORIGIN, PASSWORD } from './signing.mjs';
import { Qoltanba, QoltanbaError } from '../../web/client/qoltanba.js';

const started = [];
after(async () => { for (const d of started) if (d.alive()) await d.stop(); });

// Clients are closed after each test, passed or failed: an open one
// keeps its heartbeat timer, and so the test process, alive.
const clients = [];
afterEach(() => { for (const q of clients.splice(0)) q.close(); });
function qoltanba(options) {
  const q = new Qoltanba(options);
  clients.push(q);
  return q;
}

// A test that hangs (an answer given to the wrong call never comes)
// fails instead.
const LIMIT = { timeout: 20000 };

async function daemon(keyFiles = [], config = {}) {
  const d = await signingDaemon(keyFiles, config);
  started.push(d);
  return d;
}

// What the page's WebSocket is: ws with an Origin header. spy, if given,
// counts requests on the wire (sent and not yet answered) and heartbeats.
function useWebSocket({ origin = ORIGIN, ca, spy } = {}) {
  class PageWebSocket extends WS {
    constructor(url) {
      super(url, { origin, ca: ca ? readFileSync(ca) : undefined });
      if (!spy) return;
      this.addEventListener('message', (ev) => {
        if (typeof ev.data !== 'string') return;
        if (ev.data === '--heartbeat--') spy.echoes++;
        else if (!ev.data.startsWith('{"result":{"version"')) spy.onWire--;
      });
    }

    send(data, ...rest) {
      if (spy && data === '--heartbeat--') spy.heartbeats++;
      else if (spy) spy.maxOnWire = Math.max(spy.maxOnWire, ++spy.onWire);
      return super.send(data, ...rest);
    }
  }
  globalThis.WebSocket = PageWebSocket;
}

async function rejectsWith(promise, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof QoltanbaError, String(e));
    assert.equal(e.code, code, `${e.code}: ${e.message}`);
    return true;
  });
}

async function freePort() {
  const srv = createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let shared;
async function sharedDaemon() {
  shared ??= await daemon([join(keysDir, 'rsa.p12')], { camera: { source: 'test' } });
  return shared;
}

test('connect: wss with the local CA, ws as the fallback; version from the greeting', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket({ ca: d.caPath });
  const q = qoltanba({ url: d.wssUrl, fallbackUrls: [d.url] });
  assert.equal(q.version, null);
  await q.connect();
  assert.equal(q.version, '1.4');
  assert.equal(q.url, d.wssUrl);
  q.close();
  assert.equal(q.connected, false);

  // Without the CA (the browser does not trust the daemon yet): ws.
  useWebSocket();
  const plain = await qoltanba({ url: d.wssUrl, fallbackUrls: [d.url] }).connect();
  assert.equal(plain.url, d.url);
  assert.equal(plain.version, '1.4');
  plain.close();
});

test('getActiveTokens; the first call connects by itself', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket();
  const q = qoltanba({ url: d.url, fallbackUrls: [] });
  assert.deepEqual(await q.getActiveTokens(), []);
  assert.equal(q.version, '1.4');
  await q.changeLocale('en');
  q.close();
});

test('heartbeats every 50 ms are echoed and never taken for an answer', LIMIT, async () => {
  const d = await daemon([], { testing: { 'response-delay-ms': 500 } });
  const spy = { heartbeats: 0, echoes: 0, onWire: 0, maxOnWire: 0 };
  useWebSocket({ spy });
  const q = await qoltanba({ url: d.url, fallbackUrls: [], heartbeatMs: 50 }).connect();
  assert.deepEqual(await q.getActiveTokens(), []);
  assert.ok(spy.heartbeats >= 5, `${spy.heartbeats} heartbeats sent during a 500 ms call`);
  assert.ok(spy.echoes >= 4, `${spy.echoes} echoes`);

  // Several calls at once: answered in the order made, one on the wire
  // at a time; results and refusals each land on their own call.
  const calls = [
    q.getActiveTokens(),
    q.sign({ format: 'pdf', data: 'x' }),
    q.listRequests(),
    q.getKeyInfo('JKS'),
    q.changeLocale('ru'),
    q.getKeyInfo('Frobnicate'),
  ];
  const settled = await Promise.allSettled(calls);
  assert.deepEqual(settled.map((s) => s.status),
    ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected']);
  assert.deepEqual(settled[0].value, []);
  assert.equal(settled[1].reason.code, 'invalidArguments');
  assert.match(settled[1].reason.wire.details, /format must be xml, cms or raw/);
  assert.deepEqual(settled[2].value, []);
  assert.equal(settled[3].reason.code, 'storageEmpty');
  assert.match(settled[3].reason.message, /JKS/);
  assert.equal(settled[4].value, undefined);
  assert.equal(settled[5].reason.code, 'storageUnknown');
  assert.equal(settled[5].reason.detail, 'Frobnicate');
  assert.equal(spy.maxOnWire, 1, 'one request on the wire at a time');
  q.close();
});

test('basics sign: a CMS that openssl verifies; cancel is canceledByUser', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket();
  const q = await qoltanba({ url: d.url, fallbackUrls: [] }).connect();
  d.setScript([`pin ${PASSWORD}`]);
  const [cms] = await q.sign({ format: 'cms', data: b64('client module'), signingParams: { decode: true } });
  assert.equal(opensslVerifyCms(cms).toString(), 'client module');

  d.setScript(['cancel']);
  await rejectsWith(q.sign({ format: 'cms', data: b64('no') }), 'canceledByUser');
  d.setScript(['cancel']);
  await rejectsWith(q.createCAdESFromBase64('PKCS12', 'SIGNATURE', b64('no'), true), 'canceledByUser');
  d.setScript(['pin wrong', 'pin wrong', 'pin wrong']);
  await rejectsWith(q.getKeyInfo('PKCS12'), 'wrongPassword');
  // After refusals the session goes on.
  d.setScript([`pin ${PASSWORD}`]);
  const info = await q.getKeyInfo('PKCS12');
  assert.equal(info.algorithm, 'RSA');
  q.close();
});

test('bad arguments are invalidArguments, in both families', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket();
  const q = await qoltanba({ url: d.url, fallbackUrls: [] }).connect();
  await rejectsWith(q.sign({ format: 'cms', data: [] }), 'invalidArguments');
  await rejectsWith(q.getKeyInfo(null), 'invalidArguments');
  await rejectsWith(q.invoke('kz.gov.pki.knca.basics', 'frobnicate', {}), 'invalidArguments');
  await rejectsWith(q.invoke('kz.example.none', 'x', {}), 'moduleNotFound');
  await rejectsWith(q.commonUtils('applyCAdEST', ['PKCS12', 'SIGNATURE', 'MTEK']), 'unavailable');
  q.close();
});

test('a refused origin is originRefused', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket({ origin: 'https://evil.example' });
  const q = await qoltanba({ url: d.url, fallbackUrls: [] }).connect();
  await assert.rejects(q.getActiveTokens(), (e) => {
    assert.equal(e.code, 'originRefused');
    assert.equal(e.detail, 'https://evil.example');
    return true;
  });
  await rejectsWith(q.sign({ format: 'cms', data: 'x' }), 'originRefused');
  q.close();
  let ended;
  const p = q.openPreview({ onFrame: () => {}, onEnd: (e) => { ended = e; } });
  assert.ok(await until(() => ended !== undefined), 'the preview ends');
  assert.equal(ended?.code, 'originRefused');
  p.close();
});

async function until(cond, ms = 10000) {
  for (let t = 0; t < ms; t += 20) {
    if (await cond()) return true;
    await sleep(20);
  }
  return false;
}

test('camera: denied, then allowed: devices, a JPEG still, a preview of ≥ 5 frames', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket();
  const q = await qoltanba({ url: d.url, fallbackUrls: [] }).connect();
  d.setScript(['cancel']);
  await rejectsWith(q.listDevices(), 'cameraDenied');
  d.setScript(['cancel']);
  let denied;
  q.openPreview({ onFrame: () => {}, onEnd: (e) => { denied = e; } });
  assert.ok(await until(() => denied !== undefined));
  assert.equal(denied?.code, 'cameraDenied');
  assert.equal(denied.wire.closeCode, 4003);

  d.setScript(['ok']);
  const devices = await q.listDevices();
  assert.equal(devices[0].id, 'test');
  const still = await q.capture({ purpose: 'selfie', width: 320, height: 240 });
  const jpeg = Buffer.from(still.image, 'base64');
  assert.deepEqual([...jpeg.subarray(0, 2)], [0xff, 0xd8]);
  assert.equal(still.size, jpeg.length);

  const frames = [];
  let ended;
  const p = q.openPreview({ width: 320, height: 240, fps: 30,
    onFrame: (f) => frames.push(f), onEnd: (e) => { ended = e; } });
  assert.ok(await until(() => frames.length >= 5 || ended !== undefined), 'frames come');
  assert.equal(ended, undefined, `preview ended: ${ended?.message}`);
  p.close();
  assert.equal(ended, null, 'closed by the page: onEnd(null)');
  const n = frames.length;
  assert.ok(n >= 5);
  for (const f of frames) {
    assert.ok(f instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(f, 0, 2)], [0xff, 0xd8]);
  }
  await sleep(200);
  assert.equal(frames.length, n, 'no frame after close()');
  assert.ok(await until(async () => !(await q.cameraStatus()).cameraOn), 'the camera is off');

  let bad;
  q.openPreview({ width: 5, height: 5, onFrame: () => {}, onEnd: (e) => { bad = e; } });
  assert.ok(await until(() => bad !== undefined));
  assert.equal(bad?.code, 'invalidArguments');
  assert.equal(bad.wire.closeCode, 4006);
  q.close();
});

test('remote issuance: generateCsr, listRequests, cancelRequest', LIMIT, async () => {
  const d = await sharedDaemon();
  useWebSocket();
  const q = await qoltanba({ url: d.url, fallbackUrls: [] }).connect();
  const req = await q.generateCsr({ folder: d.folder, subject: { CN: 'A' } });
  assert.match(req.requestId, /^[0-9a-f]{32}$/);
  assert.match(req.csr, /^-----BEGIN CERTIFICATE REQUEST-----\n/);
  const list = await q.listRequests();
  assert.deepEqual(list.map((r) => r.requestId), [req.requestId]);
  assert.deepEqual(await q.cancelRequest(req.requestId), { cancelled: true, requestId: req.requestId });
  assert.deepEqual(await q.listRequests(), []);
  await rejectsWith(q.cancelRequest(req.requestId), 'requestUnknown');
  await rejectsWith(q.importCertificate({ requestId: req.requestId, certificate: 'x' }), 'requestUnknown');
  q.close();
});

test('nothing listening: notRunning', LIMIT, async () => {
  const port = await freePort();
  useWebSocket();
  const q = qoltanba({ url: `wss://127.0.0.1:${port}`, fallbackUrls: [`ws://127.0.0.1:${port}`],
    backoffMs: 10 });
  await rejectsWith(q.connect(), 'notRunning');
  await rejectsWith(q.getActiveTokens(), 'notRunning');
  assert.equal(q.version, null);
});

test('the daemon dies mid-call: connectionLost, then the next call reconnects', LIMIT, async () => {
  const port = await freePort();
  const config = { server: { listen: `127.0.0.1:${port}` }, testing: { 'response-delay-ms': 3000 } };
  const d1 = await signingDaemon([], config);
  useWebSocket();
  const q = await qoltanba({ url: `ws://127.0.0.1:${port}`, fallbackUrls: [], backoffMs: 50 }).connect();
  const pending = q.getActiveTokens();
  const queued = q.listRequests();
  await sleep(200);
  d1.child.kill('SIGKILL');
  await rejectsWith(pending, 'connectionLost');
  await rejectsWith(queued, 'connectionLost');
  await d1.exited;
  rmSync(d1.home, { recursive: true, force: true });
  assert.equal(q.connected, false);
  await rejectsWith(q.getActiveTokens(), 'notRunning');

  const d2 = await daemon([], { server: { listen: `127.0.0.1:${port}` } });
  assert.equal(d2.port, port);
  assert.deepEqual(await q.getActiveTokens(), []);
  assert.equal(q.connected, true);
  q.close();
});

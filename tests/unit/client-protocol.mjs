// web/client/qoltanba.js against a scripted WebSocket, no daemon: the
// greeting and the fallback addresses, retries with backoff, one request
// on the wire at a time with answers matched in order, heartbeats, answers
// of every family turned into typed errors, the defaults put on the wire,
// a dropped or closed connection, and the camera preview's socket.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';

// The scripted socket. Each new socket looks up what its address does:
//   'greet'   opens and sends the greeting (the default)
//   'refuse'  fails to connect: error, then close 1006
//   'silent'  opens and says nothing
//   'wrong'   opens and sends something that is not a greeting
//   'throw'   the constructor throws, as for a malformed address
//   'open'    opens and says nothing (the default for /camera/preview)
// or a function (socket, n) => behaviour, n counting sockets to that address.
class ScriptedWebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;

  /** @type {ScriptedWebSocket[]} */
  static sockets = [];
  /** @type {Map<string, string | Function>} */
  static script = new Map();
  static greeting = '{"result":{"version":"1.4"}}';
  // Whether heartbeats are echoed.
  static echo = false;
  /** @type {Map<string, number>} */
  static count = new Map();

  static reset() {
    ScriptedWebSocket.sockets = [];
    ScriptedWebSocket.script = new Map();
    ScriptedWebSocket.count = new Map();
    ScriptedWebSocket.echo = false;
  }

  constructor(url) {
    const n = (ScriptedWebSocket.count.get(url) ?? 0) + 1;
    ScriptedWebSocket.count.set(url, n);
    let behaviour = ScriptedWebSocket.script.get(url)
      ?? (new URL(url).pathname === '/camera/preview' ? 'open' : 'greet');
    if (typeof behaviour === 'function') behaviour = behaviour(this, n);
    if (behaviour === 'throw')
      throw new SyntaxError(`bad address ${url}`);
    this.url = url;
    this.createdAt = performance.now();
    this.readyState = ScriptedWebSocket.CONNECTING;
    this.binaryType = 'blob';
    /** @type {unknown[]} */ this.sent = [];
    /** @type {number | undefined | null} */ this.closedWith = null;
    this.onopen = this.onmessage = this.onclose = this.onerror = null;
    ScriptedWebSocket.sockets.push(this);
    setTimeout(() => {
      if (this.readyState !== ScriptedWebSocket.CONNECTING) return;
      if (behaviour === 'refuse') {
        this.readyState = ScriptedWebSocket.CLOSED;
        this.onerror?.({ type: 'error' });
        this.onclose?.({ code: 1006, reason: '', wasClean: false });
        return;
      }
      this.readyState = ScriptedWebSocket.OPEN;
      this.onopen?.({ type: 'open' });
      if (behaviour === 'greet') this.deliver(ScriptedWebSocket.greeting);
      else if (behaviour === 'wrong') this.deliver('{"code":"200","responseObject":"hello"}');
    }, 0);
  }

  send(data) {
    if (this.readyState !== ScriptedWebSocket.OPEN)
      throw new Error('InvalidStateError: not open');
    this.sent.push(data);
    if (data === '--heartbeat--' && ScriptedWebSocket.echo)
      setTimeout(() => this.deliver('--heartbeat--'), 0);
  }

  // The page closes: the close event follows, as in a browser.
  close(code) {
    if (this.closedWith !== null) return;
    this.closedWith = code;
    if (this.readyState === ScriptedWebSocket.CLOSED) return;
    this.readyState = ScriptedWebSocket.CLOSING;
    setTimeout(() => {
      this.readyState = ScriptedWebSocket.CLOSED;
      this.onclose?.({ code: code ?? 1005, reason: '', wasClean: true });
    }, 0);
  }

  // The daemon's side.
  deliver(data) {
    this.onmessage?.({ data });
  }

  drop(code = 1006, reason = '') {
    this.readyState = ScriptedWebSocket.CLOSED;
    this.onclose?.({ code, reason, wasClean: false });
  }

  // What the page sent, heartbeats aside, parsed.
  get requests() {
    return this.sent.filter((d) => d !== '--heartbeat--').map((d) => JSON.parse(d));
  }

  get heartbeats() {
    return this.sent.filter((d) => d === '--heartbeat--').length;
  }
}

globalThis.WebSocket = ScriptedWebSocket;
const { Qoltanba, QoltanbaError } = await import('../../web/client/qoltanba.js');

const WSS = 'wss://127.0.0.1:13579';
const WS = 'ws://127.0.0.1:13579';
const LIMIT = { timeout: 1000 };

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what, ms = 500) {
  const end = performance.now() + ms;
  while (!what()) {
    if (performance.now() > end) throw new Error('condition not met in time');
    await sleep(1);
  }
}

// Whether a promise is still pending after the timers due now have run.
async function pending(promise) {
  const mark = Symbol('pending');
  const r = await Promise.race([promise.then(() => 'resolved', () => 'rejected'), sleep(2).then(() => mark)]);
  return r === mark;
}

function rejectsWith(promise, code, check = () => {}) {
  return assert.rejects(promise, (e) => {
    assert.ok(e instanceof QoltanbaError, `a QoltanbaError, not ${e}`);
    assert.equal(e.code, code, e.message);
    check(e);
    return true;
  });
}

const clients = [];
afterEach(() => {
  for (const q of clients.splice(0)) q.close();
  ScriptedWebSocket.reset();
});
function qoltanba(options = {}) {
  const q = new Qoltanba({ heartbeatMs: 0, timeoutMs: 50, backoffMs: 1, ...options });
  clients.push(q);
  return q;
}

// The socket of the session: the last open one that is not a preview.
function sessionOrNull() {
  const s = ScriptedWebSocket.sockets.filter((w) => !w.url.includes('/camera/preview') && w.readyState === 1);
  return s.length > 0 ? s[s.length - 1] : null;
}
function session() {
  const ws = sessionOrNull();
  assert.ok(ws, 'no open session socket');
  return ws;
}

// Answer a call once its request is on the wire (requests answered
// through here are counted per socket).
async function answered(call, answer) {
  await until(() => {
    const ws = sessionOrNull();
    return ws !== null && ws.requests.length > (ws.answered ?? 0);
  });
  const ws = session();
  ws.answered = (ws.answered ?? 0) + 1;
  ws.deliver(typeof answer === 'string' ? answer : JSON.stringify(answer));
  return call;
}

// --- connecting ---

test('the greeting gives the version, url and connected', LIMIT, async () => {
  ScriptedWebSocket.greeting = '{"result":{"version":"1.4"}}';
  const q = qoltanba();
  assert.equal(q.version, null);
  assert.equal(q.connected, false);
  assert.equal(await q.connect(), q);
  assert.equal(q.version, '1.4');
  assert.equal(q.url, WSS);
  assert.equal(q.connected, true);
  assert.equal(ScriptedWebSocket.sockets.length, 1);

  ScriptedWebSocket.greeting = '{"result":{"version":"9.9-test"}}';
  try {
    const r = qoltanba();
    await r.connect();
    assert.equal(r.version, '9.9-test');
  } finally {
    ScriptedWebSocket.greeting = '{"result":{"version":"1.4"}}';
  }
});

test('a first message that is not a greeting: the next address is tried', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'wrong');
  const q = qoltanba();
  await q.connect();
  assert.equal(q.url, WS);
  assert.deepEqual(ScriptedWebSocket.sockets.map((s) => s.url), [WSS, WS]);
  assert.notEqual(ScriptedWebSocket.sockets[0].closedWith, null, 'the wrong socket is closed');
  assert.equal(ScriptedWebSocket.sockets[1].closedWith, null);
});

test('greetings without a string version are refused too', LIMIT, async () => {
  for (const greeting of ['{"result":{}}', '{"result":{"version":14}}', 'not json', '--heartbeat--']) {
    ScriptedWebSocket.reset();
    ScriptedWebSocket.script.set(WS, 'refuse');
    ScriptedWebSocket.greeting = greeting;
    try {
      await rejectsWith(qoltanba().connect(), 'notRunning',
        (e) => assert.match(e.message, /not a Qoltanba or NCALayer greeting/));
    } finally {
      ScriptedWebSocket.greeting = '{"result":{"version":"1.4"}}';
    }
  }
});

test('no greeting within timeoutMs: the next address is tried', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'silent');
  const q = qoltanba({ timeoutMs: 20 });
  const t0 = performance.now();
  await q.connect();
  assert.ok(performance.now() - t0 >= 15, 'waited for the timeout');
  assert.equal(q.url, WS);
  assert.notEqual(ScriptedWebSocket.sockets[0].closedWith, null, 'the silent socket is closed');
});

test('no greeting at all: notRunning after timeoutMs per address', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'silent');
  ScriptedWebSocket.script.set(WS, 'silent');
  const q = qoltanba({ timeoutMs: 15 });
  await rejectsWith(q.connect(), 'notRunning',
    (e) => assert.match(e.message, /no greeting in time/));
  assert.equal(q.connected, false);
});

test('notRunning when every address fails; the message names each', LIMIT, async () => {
  const other = 'ws://127.0.0.1:13580';
  ScriptedWebSocket.script.set(WSS, 'refuse');
  ScriptedWebSocket.script.set(WS, 'throw');
  ScriptedWebSocket.script.set(other, 'refuse');
  const q = qoltanba({ fallbackUrls: [WS, other] });
  await rejectsWith(q.connect(), 'notRunning', (e) => {
    assert.ok(e.message.includes(`${WSS}: closed (1006)`), e.message);
    assert.ok(e.message.includes(`${WS}: bad address`), e.message);
    assert.ok(e.message.includes(`${other}: closed (1006)`), e.message);
  });
  assert.equal(q.connected, false);
  assert.equal(q.url, null);
  assert.equal(q.version, null);
});

test('connect() makes one pass; a call retries with backoff', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'refuse');
  ScriptedWebSocket.script.set(WS, 'refuse');
  const q = qoltanba({ retries: 2, backoffMs: 20 });
  await rejectsWith(q.connect(), 'notRunning');
  assert.equal(ScriptedWebSocket.count.get(WSS), 1);
  assert.equal(ScriptedWebSocket.count.get(WS), 1);

  ScriptedWebSocket.reset();
  ScriptedWebSocket.script.set(WSS, 'refuse');
  ScriptedWebSocket.script.set(WS, 'refuse');
  await rejectsWith(q.getActiveTokens(), 'notRunning', (e) => {
    // Each address named once per pass.
    assert.equal(e.message.split(`${WSS}:`).length - 1, 3, e.message);
  });
  assert.equal(ScriptedWebSocket.count.get(WSS), 3, 'three passes');
  assert.equal(ScriptedWebSocket.count.get(WS), 3);
  const starts = ScriptedWebSocket.sockets.filter((s) => s.url === WSS).map((s) => s.createdAt);
  // 20 ms, then 40 ms between passes (a timer may fire up to 1 ms early on this clock).
  assert.ok(starts[1] - starts[0] >= 19, `first backoff ${starts[1] - starts[0]} ms`);
  assert.ok(starts[2] - starts[1] >= 39, `second backoff ${starts[2] - starts[1]} ms`);
  assert.ok(starts[2] - starts[1] > starts[1] - starts[0], 'the backoff doubles');
});

test('a retry that finds the daemon: the call goes through', LIMIT, async () => {
  const upOnSecond = (_s, n) => (n >= 2 ? 'greet' : 'refuse');
  ScriptedWebSocket.script.set(WSS, 'refuse');
  ScriptedWebSocket.script.set(WS, upOnSecond);
  const q = qoltanba({ retries: 3 });
  const tokens = q.getActiveTokens();
  assert.deepEqual(await answered(tokens, { code: '200', responseObject: ['PKCS12'] }), ['PKCS12']);
  assert.equal(ScriptedWebSocket.count.get(WS), 2);
  assert.equal(q.url, WS);
});

test('retries: 0 makes a single pass for calls', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'refuse');
  ScriptedWebSocket.script.set(WS, 'refuse');
  const q = qoltanba({ retries: 0 });
  await rejectsWith(q.getActiveTokens(), 'notRunning');
  assert.equal(ScriptedWebSocket.count.get(WSS), 1);
});

test('connect() options override the constructor', LIMIT, async () => {
  const mine = 'ws://127.0.0.1:14000';
  const q = qoltanba();
  await q.connect({ url: mine, fallbackUrls: [] });
  assert.equal(q.url, mine);
  assert.deepEqual(ScriptedWebSocket.sockets.map((s) => s.url), [mine]);
});

// --- requests and answers ---

test('one request on the wire at a time; answers go to their calls in order', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ws = session();
  const a = q.request({ module: 'm', method: 'a' });
  const b = q.commonUtils('getKeyInfo', ['PKCS12']);
  const c = q.sign({ format: 'cms', data: 'AA==' });
  await sleep(2);
  assert.deepEqual(ws.requests.map((r) => r.method), ['a'], 'only the first is sent');

  ws.deliver('{"answer":"A"}');
  assert.deepEqual(await a, { answer: 'A' });
  await until(() => ws.requests.length === 2);
  assert.deepEqual(ws.requests[1], { module: 'kz.gov.pki.knca.commonUtils', method: 'getKeyInfo', args: ['PKCS12'] });
  assert.equal(await pending(c), true);

  ws.deliver('{"code":"200","responseObject":{"alias":"B"}}');
  assert.deepEqual(await b, { alias: 'B' });
  await until(() => ws.requests.length === 3);
  assert.equal(ws.requests[2].method, 'sign');

  ws.deliver('{"body":{"result":["C"]},"status":true}');
  assert.deepEqual(await c, ['C']);
  assert.equal(ws.requests.length, 3);
});

test('calls made before connecting queue up and go out one by one', LIMIT, async () => {
  const q = qoltanba();
  const calls = [1, 2, 3].map((i) => q.commonUtils('changeLocale', [`l${i}`]));
  await until(() => q.connected && session().requests.length === 1);
  const ws = session();
  for (let i = 1; i <= 3; i++) {
    await until(() => ws.requests.length === i);
    assert.deepEqual(ws.requests[i - 1].args, [`l${i}`]);
    ws.deliver(JSON.stringify({ code: '200', responseObject: `r${i}` }));
  }
  assert.deepEqual(await Promise.all(calls), ['r1', 'r2', 'r3']);
  assert.equal(ScriptedWebSocket.sockets.length, 1, 'one connection for all');
});

test('heartbeats are sent; their echoes are not answers and keep the socket', LIMIT, async () => {
  ScriptedWebSocket.echo = true;
  const q = qoltanba({ heartbeatMs: 5 });
  await q.connect();
  const ws = session();
  const call = q.getActiveTokens();
  await until(() => ws.heartbeats >= 6);  // twice as many as may be missed
  await sleep(2);
  assert.equal(q.connected, true);
  assert.equal(await pending(call), true, 'an echo did not answer the call');
  ws.deliver('{"code":"200","responseObject":["AKKaztokenStore"]}');
  assert.deepEqual(await call, ['AKKaztokenStore']);
});

test('an echo between answers does not shift them', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ws = session();
  const a = q.request({ n: 1 });
  const b = q.request({ n: 2 });
  await until(() => ws.requests.length === 1);
  ws.deliver('--heartbeat--');
  ws.deliver('{"n":1}');
  ws.deliver('--heartbeat--');
  await until(() => ws.requests.length === 2);
  ws.deliver('--heartbeat--');
  ws.deliver('{"n":2}');
  assert.deepEqual(await a, { n: 1 });
  assert.deepEqual(await b, { n: 2 });
});

test('three missed heartbeats: connectionLost, and the next call reconnects', LIMIT, async () => {
  const q = qoltanba({ heartbeatMs: 5 });
  await q.connect();
  const ws = session();
  const call = q.getActiveTokens();
  await rejectsWith(call, 'connectionLost', (e) => assert.match(e.message, /heartbeat/));
  assert.equal(ws.heartbeats, 3, 'lost after the third unanswered heartbeat');
  assert.notEqual(ws.closedWith, null, 'the dead socket is closed');
  assert.equal(q.connected, false);
  await sleep(20);
  assert.equal(ws.heartbeats, 3, 'no heartbeats on a dead socket');

  const next = q.getActiveTokens();
  await until(() => ScriptedWebSocket.sockets.length === 2);
  assert.deepEqual(await answered(next, { code: '200', responseObject: [] }), []);
  assert.notEqual(session(), ws);
});

test('an echo resets the missed count', LIMIT, async () => {
  const q = qoltanba({ heartbeatMs: 5 });
  await q.connect();
  const ws = session();
  // Echo every second heartbeat only: never three missed in a row.
  const send = ws.send.bind(ws);
  ws.send = (d) => {
    send(d);
    if (d === '--heartbeat--' && ws.heartbeats % 2 === 0) ws.deliver('--heartbeat--');
  };
  await until(() => ws.heartbeats >= 8);
  assert.equal(q.connected, true);
});

test('heartbeatMs: 0 sends none', LIMIT, async () => {
  const q = qoltanba({ heartbeatMs: 0 });
  await q.connect();
  await sleep(20);
  assert.equal(session().heartbeats, 0);
  assert.equal(q.connected, true);
});

test('a message nobody asked for is ignored', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ws = session();
  ws.deliver('{"code":"200","responseObject":"stray"}');
  ws.deliver(new ArrayBuffer(4));
  const call = q.commonUtils('getActiveTokens');
  await until(() => ws.requests.length === 1);
  ws.deliver(new ArrayBuffer(4));  // binary is never an answer
  assert.equal(await pending(call), true);
  ws.deliver('{"code":"200","responseObject":"mine"}');
  assert.equal(await call, 'mine');
  assert.equal(q.connected, true);
});

test('an answer that is not JSON: failed with the text in .wire; the next call goes on', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ws = session();
  const bad = q.request({ n: 1 });
  const good = q.request({ n: 2 });
  await until(() => ws.requests.length === 1);
  ws.deliver('<html>oops</html>');
  await rejectsWith(bad, 'failed', (e) => assert.equal(e.wire, '<html>oops</html>'));
  await until(() => ws.requests.length === 2);
  ws.deliver('{"ok":true}');
  assert.deepEqual(await good, { ok: true });
});

// --- the common family (commonUtils) ---

test('commonUtils: code 200 resolves with responseObject', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const info = q.getKeyInfo('PKCS12');
  assert.deepEqual(await answered(info, { code: '200', responseObject: { alias: 'k', algorithm: 'RSA' } }),
    { alias: 'k', algorithm: 'RSA' });
  assert.deepEqual(session().requests[0],
    { module: 'kz.gov.pki.knca.commonUtils', method: 'getKeyInfo', args: ['PKCS12'] });
  // {"code":"200"} alone: nothing to give back.
  assert.equal(await answered(q.changeLocale('kk'), { code: '200' }), undefined);
  // Arguments each helper puts on the wire.
  await answered(q.createCAdESFromBase64('PKCS12', 'SIGNATURE', 'AA=='), { code: '200', responseObject: 'x' });
  assert.deepEqual(session().requests.at(-1).args, ['PKCS12', 'SIGNATURE', 'AA==', false]);
  await answered(q.signXml('PKCS12', 'SIGNATURE', '<a/>'), { code: '200', responseObject: 'x' });
  assert.deepEqual(session().requests.at(-1).args, ['PKCS12', 'SIGNATURE', '<a/>', '', '']);
  await answered(q.showFileChooser(), { code: '200', responseObject: '/x' });
  assert.deepEqual(session().requests.at(-1).args, ['ALL', '']);
  await answered(q.getActiveTokens(), { code: '200', responseObject: [] });
  assert.equal('args' in session().requests.at(-1), false, 'no args when none are given');
});

test('commonUtils: error answers mapped to codes', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const cases = [
    [{ code: '500', message: 'action.canceled' }, 'canceledByUser', undefined],
    [{ code: '500', message: 'origin.refused: https://evil.example' }, 'originRefused', 'https://evil.example'],
    [{ code: '500', message: 'method.unavailable: not in this release' }, 'unavailable', 'not in this release'],
    [{ code: '500', message: 'internal.error' }, 'internal', undefined],
    [{ code: '500', message: 'json.invalid' }, 'invalidArguments', undefined],
    [{ code: '500', message: 'storageName.param.empty' }, 'storageUnknown', undefined],
    [{ code: '500', message: 'password.wrong' }, 'wrongPassword', undefined],
    [{ code: '500', message: 'file.not_found: /tmp/k.p12' }, 'fileNotFound', '/tmp/k.p12'],
    [{ code: '500', message: 'tsp.failed: timeout' }, 'tspFailed', 'timeout'],
    [{ code: '500', message: 'certificate.key_mismatch' }, 'certificateKeyMismatch', undefined],
    [{ code: '500', message: 'camera.busy' }, 'cameraBusy', undefined],
    [{ code: '500', message: 'camera.invalid: width' }, 'invalidArguments', 'width'],
    [{ code: '500', message: 'JSONObject["x"] not found.' }, 'invalidArguments', undefined],
    [{ code: '500', message: 'java.lang.IllegalArgumentException' }, 'invalidArguments', undefined],
    [{ code: '500', message: 'org.xml.sax.SAXParseException; bad' }, 'signingFailed', undefined],
    [{ code: '500' }, 'invalidData', undefined],
    [{ code: '500', message: 'no.such.key: x' }, 'failed', 'x'],
    [{ code: '404', message: 'whatever' }, 'failed', undefined],
    [{ code: '500', message: 'toString' }, 'failed', undefined],
  ];
  for (const [answer, code, detail] of cases) {
    await rejectsWith(answered(q.createCMSSignatureFromBase64('PKCS12', 'SIGNATURE', 'AA=='), answer), code, (e) => {
      assert.deepEqual(e.wire, answer);
      assert.equal(e.detail, detail, JSON.stringify(answer));
      if (code === 'failed') assert.ok(e.message.includes(answer.code), e.message);
    });
  }
  // A commonUtils answer of another family.
  await rejectsWith(answered(q.getActiveTokens(), { success: false, errorCode: 'MODULE_NOT_FOUND' }), 'moduleNotFound');
  await rejectsWith(answered(q.getActiveTokens(), '42'), 'failed');
  await rejectsWith(answered(q.getActiveTokens(), 'null'), 'failed');
});

// --- the invoker family (basics, camera) ---

test('basics and camera: {status:true, body:{result}} resolves with result', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  assert.deepEqual(await answered(q.listRequests(), { body: { result: [] }, status: true }), []);
  assert.deepEqual(session().requests.at(-1), { module: 'kz.gov.pki.knca.basics', method: 'listRequests', args: {} });
  const status = { cameraOn: false, testSource: true };
  assert.deepEqual(await answered(q.cameraStatus(), { body: { result: status }, status: true }), status);
  assert.deepEqual(session().requests.at(-1), { module: 'kz.qoltanba.camera', method: 'status', args: {} });
  assert.equal(await answered(q.invoke('kz.gov.pki.knca.basics', 'x'), { body: { result: null }, status: true }), null);
  await answered(q.cancelRequest('r1'), { body: { result: { cancelled: true } }, status: true });
  assert.deepEqual(session().requests.at(-1).args, { requestId: 'r1' });
  await answered(q.capture({ purpose: 'selfie' }), { body: { result: {} }, status: true });
  assert.deepEqual(session().requests.at(-1), { module: 'kz.qoltanba.camera', method: 'capture', args: { purpose: 'selfie' } });
});

test('basics and camera: failures mapped to codes', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const fail = (code, details) => ({ code, ...(details === undefined ? {} : { details }), message: `m ${code}`, status: false });
  const cases = [
    [() => q.sign({ format: 'cms', data: 'AA==' }), { body: {}, status: true }, 'canceledByUser', undefined],
    [() => q.sign({ format: 'cms', data: 'AA==' }), fail('ORIGIN_REFUSED', 'https://evil.example'), 'originRefused', 'https://evil.example'],
    [() => q.sign({ format: 'cms', data: 'AA==' }), fail('INVOCATION_ERROR', 'org.json.JSONException'), 'invalidArguments', 'org.json.JSONException'],
    [() => q.sign({ format: 'cms', data: 'AA==' }), fail('GENERAL_ERROR', 'x'), 'invalidArguments', 'x'],
    [() => q.sign({ format: 'cms', data: 'AA==' }), fail('INVALID_SIGNING_PARAMS', 'decode'), 'invalidData', 'decode'],
    [() => q.sign({ format: 'cms', data: 'AA==' }), fail('KEY_MISMATCH', 'iin'), 'keyMismatch', 'iin'],
    [() => q.generateCsr({ subject: { CN: 'x' } }), fail('PASSWORD_WEAK', undefined), 'passwordWeak', undefined],
    [() => q.importCertificate({ requestId: 'r', certificate: 'c' }), fail('REQUEST_EXPIRED', 'r'), 'requestExpired', 'r'],
    [() => q.capture({ purpose: 'selfie' }), fail('NO_CAMERA', ''), 'noCamera', ''],
    [() => q.capture({ purpose: 'selfie' }), fail('CAMERA_DENIED', 'https://a.example'), 'cameraDenied', 'https://a.example'],
    [() => q.record({ seconds: 1 }), fail('CAMERA_UNSUPPORTED', '9999x9999'), 'cameraUnsupported', '9999x9999'],
    [() => q.listDevices(), fail('METHOD_UNAVAILABLE', 'no'), 'unavailable', 'no'],
    [() => q.listDevices(), fail('INTERNAL_ERROR', 'oops'), 'internal', 'oops'],
    [() => q.listDevices(), fail('SOMETHING_NEW', 'x'), 'failed', 'x'],
    [() => q.listDevices(), { status: false, message: 'no code' }, 'failed', undefined],
    [() => q.invoke('kz.example.none', 'x'), { success: false, errorCode: 'MODULE_NOT_FOUND' }, 'moduleNotFound', undefined],
    [() => q.invoke('kz.example.none', 'x'), { success: false, errorCode: 'WHAT' }, 'failed', undefined],
    [() => q.invoke('kz.gov.pki.knca.applet.Applet', 'x'), { errorCode: 'COMMON', message: 'no' }, 'failed', undefined],
    [() => q.listRequests(), { code: '500', message: 'action.canceled' }, 'canceledByUser', undefined],
    [() => q.listRequests(), { status: true, body: { other: 1 } }, 'canceledByUser', undefined],
    [() => q.listRequests(), [], 'failed', undefined],
    [() => q.listRequests(), 'true', 'failed', undefined],
  ];
  for (const [call, answer, code, detail] of cases) {
    await rejectsWith(answered(call(), answer), code, (e) => {
      assert.deepEqual(e.wire, typeof answer === 'string' ? JSON.parse(answer) : answer);
      assert.equal(e.detail, detail, JSON.stringify(answer));
      if (code === 'failed' && answer.code) assert.ok(e.message.includes(answer.code), e.message);
    });
  }
});

test('sign(): signingParams {} and signerParams.extKeyUsageOids [] by default', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ok = { body: { result: ['sig'] }, status: true };
  assert.deepEqual(await answered(q.sign({ format: 'cms', data: 'AA==' }), ok), ['sig']);
  assert.deepEqual(session().requests.at(-1), {
    module: 'kz.gov.pki.knca.basics', method: 'sign',
    args: { format: 'cms', data: 'AA==', signingParams: {}, signerParams: { extKeyUsageOids: [] } },
  });

  await answered(q.sign({ format: 'xml', data: ['<a/>'], signingParams: { decode: true },
    signerParams: { iin: 'IIN123' }, allowedStorages: ['PKCS12'], locale: 'kk' }), ok);
  assert.deepEqual(session().requests.at(-1).args, {
    format: 'xml', data: ['<a/>'], allowedStorages: ['PKCS12'], locale: 'kk',
    signingParams: { decode: true }, signerParams: { extKeyUsageOids: [], iin: 'IIN123' },
  });

  await answered(q.sign({ format: 'raw', data: 'AA==', signerParams: { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4'] } }), ok);
  assert.deepEqual(session().requests.at(-1).args.signerParams, { extKeyUsageOids: ['1.3.6.1.5.5.7.3.4'] });
});

test('generateCsr(): storage PKCS12 by default', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ok = { body: { result: { requestId: 'r' } }, status: true };
  assert.deepEqual(await answered(q.generateCsr({ subject: { CN: 'A' } }), ok), { requestId: 'r' });
  assert.deepEqual(session().requests.at(-1), {
    module: 'kz.gov.pki.knca.basics', method: 'generateCsr',
    args: { storage: 'PKCS12', subject: { CN: 'A' } },
  });
  await answered(q.generateCsr({ subject: { CN: 'A' }, storage: 'AKKaztokenStore', algorithm: 'RSA2048' }), ok);
  assert.deepEqual(session().requests.at(-1).args,
    { storage: 'AKKaztokenStore', subject: { CN: 'A' }, algorithm: 'RSA2048' });
});

// --- losing and closing the connection ---

test('the socket closes mid-call: connectionLost with the close code; the next call reconnects', LIMIT, async () => {
  const q = qoltanba({ heartbeatMs: 1000 });
  await q.connect();
  const ws = session();
  const first = q.getActiveTokens();
  const queued = q.getKeyInfo('PKCS12');
  const lost = [
    rejectsWith(first, 'connectionLost', (e) => {
      assert.equal(e.wire.closeCode, 1011);
      assert.equal(e.wire.reason, 'daemon stopped');
      assert.match(e.message, /1011/);
    }),
    rejectsWith(queued, 'connectionLost', (e) => assert.equal(e.wire.closeCode, 1011)),
  ];
  await until(() => ws.requests.length === 1);
  ws.drop(1011, 'daemon stopped');
  await Promise.all(lost);
  assert.equal(ws.requests.length, 1, 'the queued call was never sent');
  assert.equal(q.connected, false);
  assert.equal(q.url, null);

  const again = q.getActiveTokens();
  await until(() => ScriptedWebSocket.sockets.length === 2);
  assert.deepEqual(await answered(again, { code: '200', responseObject: ['PKCS12'] }), ['PKCS12']);
  assert.equal(q.connected, true);
});

test('a send that throws: connectionLost', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const ws = session();
  ws.send = () => { throw new Error('InvalidStateError'); };
  await rejectsWith(q.getActiveTokens(), 'connectionLost', (e) => assert.match(e.message, /cannot send/));
  assert.equal(q.connected, false);
});

test('close() rejects the calls not answered yet and closes the socket', LIMIT, async () => {
  const q = qoltanba({ heartbeatMs: 5 });
  await q.connect();
  const ws = session();
  const a = q.getActiveTokens();
  const b = q.sign({ format: 'cms', data: 'AA==' });
  const lost = [rejectsWith(a, 'connectionLost'), rejectsWith(b, 'connectionLost')];
  await until(() => ws.requests.length === 1);
  q.close();
  await Promise.all(lost);
  assert.equal(ws.closedWith, 1000);
  assert.equal(q.connected, false);
  const beats = ws.heartbeats;
  await sleep(20);
  assert.equal(ws.heartbeats, beats, 'heartbeats stop');
  // A late answer on the closed socket changes nothing.
  ws.deliver('{"code":"200","responseObject":[]}');

  const c = q.getActiveTokens();
  await until(() => ScriptedWebSocket.sockets.length === 2);
  assert.deepEqual(await answered(c, { code: '200', responseObject: [] }), []);
});

test('close() while connecting: connect() rejects and the greeted socket is closed', LIMIT, async () => {
  const q = qoltanba();
  const connecting = q.connect();
  q.close();
  await rejectsWith(connecting, 'connectionLost');
  await sleep(5);
  assert.equal(q.connected, false);
  assert.equal(ScriptedWebSocket.sockets.length, 1);
  assert.equal(ScriptedWebSocket.sockets[0].closedWith, 1000);
});

test('a call right after close() while connecting connects again', LIMIT, async () => {
  const q = qoltanba();
  const connecting = q.connect();
  const early = q.getActiveTokens();
  const lost = [rejectsWith(connecting, 'connectionLost'), rejectsWith(early, 'connectionLost')];
  q.close();
  const call = q.getActiveTokens();
  await Promise.all(lost);
  assert.deepEqual(await answered(call, { code: '200', responseObject: ['PKCS12'] }), ['PKCS12']);
  assert.equal(ScriptedWebSocket.sockets.length, 2);
  assert.equal(ScriptedWebSocket.sockets[0].closedWith, 1000, 'the attempt close() ended is closed');
  assert.equal(q.url, WSS);
  assert.equal(session(), ScriptedWebSocket.sockets[1]);
});

// --- the camera preview ---

test('openPreview: the address comes from the connected URL', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'refuse');
  const q = qoltanba();
  await q.connect();
  const p = q.openPreview({ width: 640, height: 480, fps: 15, onFrame() {} });
  await until(() => ScriptedWebSocket.sockets.length === 3);
  const ws = ScriptedWebSocket.sockets[2];
  assert.equal(ws.url, 'ws://127.0.0.1:13579/camera/preview?width=640&height=480&fps=15');
  assert.equal(ws.binaryType, 'arraybuffer');
  p.close();

  const r = qoltanba({ url: 'wss://127.0.0.1:13579/some/path?x=1', fallbackUrls: [] });
  await r.connect();
  const p2 = r.openPreview({ device: '/dev/video0', onFrame() {} });
  await until(() => ScriptedWebSocket.sockets.length === 5);
  const u = new URL(ScriptedWebSocket.sockets[4].url);
  assert.equal(u.origin, 'wss://127.0.0.1:13579');
  assert.equal(u.pathname, '/camera/preview');
  assert.deepEqual([...u.searchParams], [['device', '/dev/video0']]);
  p2.close();
});

test('openPreview before connecting connects first', LIMIT, async () => {
  const q = qoltanba();
  const p = q.openPreview({ width: 320, height: 240, onFrame() {} });
  await until(() => ScriptedWebSocket.sockets.length === 2);
  assert.equal(ScriptedWebSocket.sockets[0].url, WSS);
  assert.equal(ScriptedWebSocket.sockets[1].url, `${WSS}/camera/preview?width=320&height=240`);
  p.close();
});

test('openPreview when nothing answers: onEnd(notRunning)', LIMIT, async () => {
  ScriptedWebSocket.script.set(WSS, 'refuse');
  ScriptedWebSocket.script.set(WS, 'refuse');
  const q = qoltanba();
  const ends = [];
  q.openPreview({ onFrame() {}, onEnd: (e) => ends.push(e) });
  await until(() => ends.length === 1);
  assert.equal(ends[0].code, 'notRunning');
  assert.equal(ScriptedWebSocket.sockets.length, 2, 'no preview socket');
});

test('preview frames go to onFrame; text is not a frame', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const frames = [];
  const ends = [];
  const p = q.openPreview({ width: 640, height: 480, fps: 5,
    onFrame: (f) => frames.push(f), onEnd: (e) => ends.push(e) });
  await until(() => ScriptedWebSocket.sockets.length === 2 && ScriptedWebSocket.sockets[1].readyState === 1);
  const ws = ScriptedWebSocket.sockets[1];
  const f1 = new Uint8Array([0xff, 0xd8, 1]).buffer;
  const f2 = new Uint8Array([0xff, 0xd8, 2]).buffer;
  ws.deliver(f1);
  ws.deliver('not a frame');
  ws.deliver(f2);
  assert.equal(frames.length, 2);
  assert.equal(frames[0], f1);
  assert.equal(frames[1], f2);
  assert.deepEqual(ends, []);

  p.close();
  assert.deepEqual(ends, [null]);
  assert.equal(ws.closedWith, 1000);
  ws.deliver(f1);
  await sleep(5);  // the close event comes and goes
  assert.deepEqual(ends, [null], 'onEnd once');
  assert.equal(frames.length, 2, 'no frames after close()');
});

test('p.close() before the address is known: onEnd(null), no socket', LIMIT, async () => {
  const q = qoltanba();
  const ends = [];
  const p = q.openPreview({ onFrame() {}, onEnd: (e) => ends.push(e) });
  p.close();
  assert.deepEqual(ends, [null]);
  await until(() => q.connected);
  await sleep(5);
  assert.equal(ScriptedWebSocket.sockets.filter((s) => s.url.includes('/camera/preview')).length, 0);
  assert.deepEqual(ends, [null]);
});

test('preview close codes become typed errors in onEnd', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  const cases = [
    [4001, 'camera.none', 'noCamera', undefined],
    [4002, 'camera.busy: another page', 'cameraBusy', 'another page'],
    [4003, 'camera.denied', 'cameraDenied', undefined],
    [4004, 'camera.lost', 'cameraLost', undefined],
    [4005, 'camera.failed: v4l2src error', 'cameraFailed', 'v4l2src error'],
    [4006, 'camera.invalid: fps', 'invalidArguments', 'fps'],
    [4006, 'camera.unsupported: 9999x9999', 'cameraUnsupported', '9999x9999'],
    [1008, 'origin.refused: https://evil.example', 'originRefused', 'https://evil.example'],
    [1011, '', 'connectionLost', undefined],
  ];
  for (const [closeCode, reason, code, detail] of cases) {
    const ends = [];
    q.openPreview({ onFrame() {}, onEnd: (e) => ends.push(e) });
    await until(() => ScriptedWebSocket.sockets.at(-1).url.includes('/camera/preview')
      && ScriptedWebSocket.sockets.at(-1).readyState === 1);
    ScriptedWebSocket.sockets.at(-1).drop(closeCode, reason);
    assert.equal(ends.length, 1, `${closeCode}`);
    const e = ends[0];
    assert.ok(e instanceof QoltanbaError, `${closeCode}: ${e}`);
    assert.equal(e.code, code, `${closeCode} ${reason}`);
    assert.deepEqual(e.wire, { closeCode, reason });
    assert.equal(e.detail, detail);
  }
  // Closed by the daemon with 1000: ended without an error.
  const ends = [];
  q.openPreview({ onFrame() {}, onEnd: (e) => ends.push(e) });
  await until(() => ScriptedWebSocket.sockets.at(-1).readyState === 1
    && ScriptedWebSocket.sockets.at(-1).url.includes('/camera/preview'));
  ScriptedWebSocket.sockets.at(-1).drop(1000, '');
  assert.deepEqual(ends, [null]);
});

test('a preview socket that never opens: notRunning', LIMIT, async () => {
  const q = qoltanba();
  await q.connect();
  ScriptedWebSocket.script.set(`${WSS}/camera/preview`, 'refuse');
  const ends = [];
  q.openPreview({ onFrame() {}, onEnd: (e) => ends.push(e) });
  await until(() => ends.length === 1);
  assert.equal(ends[0].code, 'notRunning');
  assert.deepEqual(ends[0].wire, { closeCode: 1006, reason: '' });
});

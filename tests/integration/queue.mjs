// One outstanding request per socket, the rest queued and answered in
// order; heartbeats answered while a request is pending. The daemon is
// told to hold every answer 400 ms ([testing] response-delay-ms), as a
// signing dialog would, so "pending" is real and not a race.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, greeted } from './harness.mjs';

const DELAY = 400;
const tokens = '{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}';
const locale = (l) => `{"module":"kz.gov.pki.knca.commonUtils","method":"changeLocale","args":["${l}"],"uuid":"${l}"}`;

let daemon;
before(async () => {
  daemon = await startDaemon({
    config: { server: { 'max-queue': 3 }, testing: { 'response-delay-ms': DELAY } },
  });
});
after(async () => { await daemon.stop(); });

test('a heartbeat during a pending request is echoed at once', async () => {
  const c = await greeted(daemon.url);
  const t0 = Date.now();
  c.send(tokens);
  c.send('--heartbeat--');
  assert.equal(await c.next(), '--heartbeat--');
  const heartbeatAt = Date.now() - t0;
  assert.ok(heartbeatAt < DELAY, `heartbeat came after ${heartbeatAt} ms, behind the request`);
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
});

test('requests sent while one is pending are answered one by one, in order', async () => {
  const c = await greeted(daemon.url);
  const t0 = Date.now();
  c.send(locale('en'));
  c.send(locale('ru'));
  c.send(locale('kk'));
  for (const l of ['en', 'ru', 'kk']) {
    assert.deepEqual(JSON.parse(await c.next()), { code: '200', uuid: l });
  }
  // Served one after another, not side by side.
  assert.ok(Date.now() - t0 >= 3 * DELAY - 50, `three answers took only ${Date.now() - t0} ms`);
  c.close();
});

test('protocol-level answers keep their place in the queue', async () => {
  const c = await greeted(daemon.url);
  c.send(tokens);
  c.send('{"module":"no.such.module"}'); // answered without ops, still after the first
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  assert.equal(await c.next(), '{"success": false, "errorCode": "MODULE_NOT_FOUND"}');
  c.close();
});

test('more queued requests than max-queue close the connection with 1008', async () => {
  const c = await greeted(daemon.url);
  for (let i = 0; i < 5; i++) c.send(tokens); // one in flight + 3 queued + 1 too many
  const { code, reason } = await c.closed();
  assert.equal(code, 1008);
  assert.match(reason, /too many requests/);
  // Others are not affected.
  const d = await greeted(daemon.url);
  d.send('--heartbeat--');
  assert.equal(await d.next(), '--heartbeat--');
  d.close();
});

test('closing with an answer pending leaves the daemon serving', async () => {
  for (let i = 0; i < 5; i++) {
    const c = await greeted(daemon.url);
    c.send(tokens);
    c.send(tokens);
    c.ws.terminate();
  }
  await new Promise((r) => setTimeout(r, DELAY * 2));
  const c = await greeted(daemon.url);
  c.send(tokens);
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
  assert.ok(daemon.alive());
});

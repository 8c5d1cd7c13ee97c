// NCALayer's session rules, driven through ncalayer-js-client (what
// Kazakh sites use) and through raw frames for the edge cases.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  startDaemon, greeted, rawClient, ncalayerClient, recordedExchanges,
} from './harness.mjs';

let daemon;
before(async () => { daemon = await startDaemon(); });
after(async () => { await daemon.stop(); });

test('ncalayer-js-client connects and gets version 1.4', async () => {
  const client = ncalayerClient(daemon.url);
  assert.equal(await client.connect(), '1.4');
  client.wsConnection.close();
});

test('ncalayer-js-client: getActiveTokens is an empty list', async () => {
  const client = ncalayerClient(daemon.url);
  await client.connect();
  assert.deepEqual(await client.getActiveTokens(), []);
  client.wsConnection.close();
});

test('ncalayer-js-client: changeLocale resolves for en, ru, kk and kz', async () => {
  const client = ncalayerClient(daemon.url);
  await client.connect();
  for (const l of ['en', 'ru', 'kk', 'kz']) await client.changeLocale(l);
  client.wsConnection.close();
});

test('ncalayer-js-client: errors surface as NCALayerError with the daemon\'s message', async () => {
  const client = ncalayerClient(daemon.url);
  await client.connect();
  // A number where a storage name belongs: NCALayer's own wording.
  client.wsConnection.send(JSON.stringify({
    module: 'kz.gov.pki.knca.commonUtils', method: 'getKeyInfo', args: [1],
  }));
  await assert.rejects(new Promise((resolve, reject) => client.setHandlers(resolve, reject)),
    { name: 'NCALayerError', message: '500: java.lang.IllegalArgumentException: argument type mismatch. Method: getKeyInfo' });
  // This test's home has no key folder: both families say so.
  await assert.rejects(client.getKeyInfo('PKCS12'), (e) => {
    assert.equal(e.name, 'NCALayerError');
    assert.match(e.message, /^500: file\.not_found: cannot open the folder .*Documents: it does not exist$/);
    return true;
  });
  await assert.rejects(client.basicsSignCMS(null, 'MTEK', {}, { extKeyUsageOids: [] }), (e) => {
    assert.equal(e.name, 'NCALayerError');
    assert.match(e.message, /^FILE_NOT_FOUND: The key file cannot be read\. \(cannot open the folder /);
    return true;
  });
  // Methods this release does not serve say so.
  client.wsConnection.send(JSON.stringify({
    module: 'kz.gov.pki.knca.commonUtils', method: 'applyCAdEST', args: ['PKCS12', 'SIGNATURE', 'MTEK'],
  }));
  await assert.rejects(new Promise((resolve, reject) => client.setHandlers(resolve, reject)),
    { name: 'NCALayerError', message: '500: method.unavailable: this release of Qoltanba does not serve this method' });
  // An extension's argument error: the basics family's form.
  client.wsConnection.send(JSON.stringify({
    module: 'kz.gov.pki.knca.basics', method: 'generateCsr', args: {},
  }));
  await assert.rejects(new Promise((resolve, reject) => client.setHandlers(resolve, reject)),
    { name: 'NCALayerError', message: 'INVOCATION_ERROR: An invoked method threw an exception. (org.json.JSONException: JSONObject["storage"] not found.)' });
  client.wsConnection.close();
});

// Recorded NCALayer exchanges whose answers do not depend on a key: the
// daemon must give the same bytes.
const keyFree = [1, 3, 4, 7, 16, 21, 26, 30, 31, 32, 33];
test('recorded exchanges without a key are answered byte for byte', async () => {
  const rec = recordedExchanges();
  const c = await greeted(daemon.url);
  for (const i of keyFree) {
    c.send(rec[i].request);
    assert.equal(await c.next(), rec[i].response, `exchange ${i}: ${rec[i].request}`);
  }
  c.close();
});

test('the KAZTOKEN probe of sigex\'s client is answered MODULE_NOT_FOUND', async () => {
  const rec = recordedExchanges();
  const c = await greeted(daemon.url);
  c.send(rec[0].request);
  assert.equal(await c.next(), '{"success": false, "errorCode": "MODULE_NOT_FOUND"}');
  c.close();
});

test('heartbeat is echoed, before and between requests', async () => {
  const c = await greeted(daemon.url);
  c.send('--heartbeat--');
  assert.equal(await c.next(), '--heartbeat--');
  c.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}');
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.send('--heartbeat--');
  assert.equal(await c.next(), '--heartbeat--');
  c.close();
});

test('lenient JSON as real pages send it is understood', async () => {
  const c = await greeted(daemon.url);
  c.send("{module: 'kz.gov.pki.knca.commonUtils', method: 'changeLocale', args: ['ru']}");
  assert.equal(await c.next(), '{"code":"200"}');
  c.send("{'module':'kz.gov.pki.knca.commonUtils','method':'getActiveTokens','args':[],}");
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
});

test('commonUtils echoes uuid', async () => {
  const c = await greeted(daemon.url);
  c.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens","uuid":"abc-1"}');
  const r = JSON.parse(await c.next());
  assert.deepEqual(r, { code: '200', responseObject: [], uuid: 'abc-1' });
  c.close();
});

test('bad input gets documented errors and the connection keeps serving', async () => {
  const c = await greeted(daemon.url);
  const cases = [
    ['{"module":', /^\{"code":"500","message":"json\.invalid: /],
    ['not json at all', /^\{"code":"500","message":"json\.invalid: /],
    ['[1,2,3]', /^\{"code":"500","message":"json\.invalid: /],
    ['{"module":"kz.gov.pki.knca.commonUtils","method":"noSuchThing"}',
      /^\{"code":"500","message":"NoSuchMethodException noSuchThing"\}$/],
    ['{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens","args":[1]}',
      /^\{"code":"500","message":"NoSuchMethodException getActiveTokens"\}$/],
    ['{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens","args":{}}',
      /^\{"code":"500","message":"JSONObject\[\\"args\\"\] is not a JSONArray\."\}$/],
    ['{"module":"no.such.module","method":"x"}',
      /^\{"success": false, "errorCode": "MODULE_NOT_FOUND"\}$/],
    ['{"method":"getKeys","args":["PKCS12","x","secret","SIGN"]}', /"errorCode":"COMMON"/],
    ['{"module":"kz.gov.pki.knca.basics","method":"sign"}', /"code":"GENERAL_ERROR"/],
    ['{"module":"kz.gov.pki.knca.basics","method":"nope","args":{}}', /"code":"GENERAL_ERROR"/],
    [`{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens","args":${'['.repeat(200)}${']'.repeat(200)}}`,
      /^\{"code":"500","message":"json\.invalid: /],
  ];
  for (const [req, expected] of cases) {
    c.send(req);
    assert.match(await c.next(), expected, `request ${req.slice(0, 80)}`);
  }
  // The applet API never sees a password echoed back.
  c.send('{"method":"getKeys","args":["PKCS12","x","secret","SIGN"]}');
  assert.doesNotMatch(await c.next(), /secret/);
  c.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}');
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
  assert.ok(daemon.alive());
});

test('an empty text message is answered as bad JSON', async () => {
  const c = await greeted(daemon.url);
  c.send('');
  assert.match(await c.next(), /^\{"code":"500","message":"json\.invalid: /);
  c.close();
});

test('several connections are served side by side', async () => {
  const clients = await Promise.all(Array.from({ length: 20 }, () => greeted(daemon.url)));
  for (const c of clients) c.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}');
  for (const c of clients) assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  for (const c of clients) c.close();
});

test('a client that leaves mid-conversation does not disturb the daemon', async () => {
  for (let i = 0; i < 20; i++) {
    const c = rawClient(daemon.url);
    await c.opened;
    c.send('{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}');
    c.ws.terminate();
  }
  const c = await greeted(daemon.url);
  c.send('--heartbeat--');
  assert.equal(await c.next(), '--heartbeat--');
  c.close();
  assert.ok(daemon.alive());
});

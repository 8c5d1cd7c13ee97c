// The gate: Origin policy, the owner of the client socket, size and
// connection caps, frames the protocol does not use.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  startDaemon, greeted, greetedEventually, rawClient, ncalayerClient,
} from './harness.mjs';

const tokens = '{"module":"kz.gov.pki.knca.commonUtils","method":"getActiveTokens"}';
const daemons = [];
async function daemonWith(config) {
  const d = await startDaemon({ config });
  daemons.push(d);
  return d;
}
after(async () => { for (const d of daemons) await d.stop(); });

test('pages from the allow-list are served', async () => {
  const d = await daemonWith({ origins: { allow: 'https://egov.kz;https://*.pki.gov.kz' } });
  for (const origin of ['https://egov.kz', 'https://ncl.pki.gov.kz']) {
    const client = ncalayerClient(d.url, { origin });
    assert.equal(await client.connect(), '1.4');
    assert.deepEqual(await client.getActiveTokens(), []);
    client.wsConnection.close();
  }
});

test('pages of other origins get origin.refused for every request', async () => {
  const d = await daemonWith({ origins: { allow: 'https://egov.kz' } });
  const c = await greeted(d.url, { origin: 'https://evil.example' });
  c.send(tokens);
  assert.equal(await c.next(), '{"code":"500","message":"origin.refused: https://evil.example"}');
  c.send('{"module":"kz.gov.pki.knca.basics","method":"sign","args":{}}');
  const basics = JSON.parse(await c.next());
  assert.equal(basics.status, false);
  assert.equal(basics.code, 'ORIGIN_REFUSED');
  assert.equal(basics.details, 'https://evil.example');
  // Even the module probe and bad JSON tell the page nothing else.
  c.send('{"module":"kz.digiflow.mobile.extensions","method":"getVersion"}');
  assert.match(await c.next(), /origin\.refused/);
  c.send('--heartbeat--');
  assert.equal(await c.next(), '--heartbeat--');
  c.close();
  // ncalayer-js-client shows the reason to the page.
  const client = ncalayerClient(d.url, { origin: 'https://egov.kz.evil.example' });
  await client.connect();
  await assert.rejects(client.getActiveTokens(), { message: '500: origin.refused: https://egov.kz.evil.example' });
  client.wsConnection.close();
});

test('connections without an Origin follow allow-no-origin', async () => {
  const open = await daemonWith({});
  const c = await greeted(open.url);
  c.send(tokens);
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
  const closed = await daemonWith({ origins: { 'allow-no-origin': 'false' } });
  const d = await greeted(closed.url);
  d.send(tokens);
  assert.equal(await d.next(), '{"code":"500","message":"origin.refused: (no Origin header)"}');
  d.close();
});

test('messages over max-message close the connection with 1009; others go on', async () => {
  const d = await daemonWith({ server: { 'max-message': 4096 } });
  const bystander = await greeted(d.url);
  const c = await greeted(d.url);
  c.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"changeLocale","args":["${'x'.repeat(5000)}"]}`);
  assert.equal((await c.closed()).code, 1009);
  // The same size in fragments is refused too.
  const f = await greeted(d.url);
  for (let i = 0; i < 5; i++) f.ws.send('x'.repeat(1000), { fin: false });
  f.ws.send('}', { fin: true });
  assert.equal((await f.closed()).code, 1009);
  // Fragments that add up to less than the cap make one message.
  const g = await greeted(d.url);
  g.ws.send('{"module":"kz.gov.pki.kn', { fin: false });
  g.ws.send('ca.commonUtils","method":"getAc', { fin: false });
  g.ws.send('tiveTokens"}', { fin: true });
  assert.equal(await g.next(), '{"responseObject":[],"code":"200"}');
  g.close();
  bystander.send(tokens);
  assert.equal(await bystander.next(), '{"responseObject":[],"code":"200"}');
  bystander.close();
});

test('the default max-message takes a 50 MB document', async () => {
  const d = await daemonWith({});
  const c = await greeted(d.url);
  const data = Buffer.alloc(50 * 1000 * 1000, 7).toString('base64');
  c.send(`{"module":"kz.gov.pki.knca.commonUtils","method":"createCAdESFromBase64","args":["PKCS12","SIGNATURE","${data}",true]}`);
  // Understood and served, not closed: the daemon went on to look for
  // the user's key (this test's home has no key folder).
  assert.match(await c.next(60000), /file\.not_found: cannot open the folder .*Documents: it does not exist/);
  c.close();
});

test('binary frames close with 1003, broken UTF-8 with 1007', async () => {
  const d = await daemonWith({});
  const c = await greeted(d.url);
  c.ws.send(Buffer.from(tokens), { binary: true });
  assert.equal((await c.closed()).code, 1003);
  const u = await greeted(d.url);
  u.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
  assert.equal((await u.closed()).code, 1007);
  const ok = await greeted(d.url);
  ok.send(tokens);
  assert.equal(await ok.next(), '{"responseObject":[],"code":"200"}');
  ok.close();
});

test('max-connections: one more is closed at once; a freed place is reused', async () => {
  const d = await daemonWith({ server: { 'max-connections': 3 } });
  const open = await Promise.all([1, 2, 3].map(() => greeted(d.url)));
  const extra = rawClient(d.url);
  await assert.rejects(extra.opened);
  open[0].close();
  await open[0].closed();
  const again = await greetedEventually(d.url);
  again.send(tokens);
  assert.equal(await again.next(), '{"responseObject":[],"code":"200"}');
  for (const c of [again, open[1], open[2]]) c.close();
});

test('a flood of connections leaves the daemon serving', async () => {
  const d = await daemonWith({});
  const clients = Array.from({ length: 300 }, () => rawClient(d.url));
  await Promise.allSettled(clients.map((c) => c.opened));
  for (const c of clients) c.ws.terminate();
  const c = await greetedEventually(d.url);
  c.send(tokens);
  assert.equal(await c.next(), '{"responseObject":[],"code":"200"}');
  c.close();
  assert.ok(d.alive());
});

// Another local user: the kernel says the client socket is not ours, so
// the connection is closed before any HTTP is spoken.
const asOtherUser = `
const net = require('net');
const s = net.connect(Number(process.argv[1]), '127.0.0.1', () => {
  s.write('GET / HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
});
let got = '';
s.on('data', (d) => { got += d; });
s.on('close', () => { console.log(JSON.stringify({ uid: process.getuid(), got })); });
s.on('error', () => {});
setTimeout(() => s.destroy(), 3000);
`;

function runClient(port, asNobody) {
  const argv = asNobody
    ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath]
    : [process.execPath];
  return new Promise((resolve, reject) => {
    const p = spawn(argv[0], [...argv.slice(1), '-e', asOtherUser, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`client exited ${code}`))));
  });
}

test('connections from another local user are closed unanswered', { skip: process.getuid() !== 0 && 'needs root to run a client as another user (setpriv)' }, async () => {
  const d = await daemonWith({});
  const mine = await runClient(d.port, false);
  assert.match(mine.got, /^HTTP\/1\.1 101/);
  const theirs = await runClient(d.port, true);
  assert.equal(theirs.uid, 65534);
  assert.equal(theirs.got, '');
  assert.match(d.stderr, /refused a connection from another user \(uid 65534\)/);
  const c = await greeted(d.url);
  c.close();
});

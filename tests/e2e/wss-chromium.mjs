// A real browser: headless Chromium loads a page that uses
// ncalayer-js-client to connect to wss://127.0.0.1:<port>. Chromium trusts
// the daemon's certificate only through the user's NSS database
// (~/.pki/nssdb), where `qoltanbad --install-ca` put the local CA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startDaemon, tempDir, daemonPath } from '../integration/harness.mjs';

const require = createRequire(import.meta.url);
const chromiumPath = '/usr/bin/chromium';
const missing = !existsSync(chromiumPath) ? 'Debian\'s chromium is not installed'
  : !existsSync('/usr/bin/certutil') ? 'certutil (libnss3-tools) is not installed' : false;

let page; // the test page's HTTP server
before(async () => {
  if (missing) return;
  const clientJs = readFileSync(require.resolve('ncalayer-js-client'));
  page = createServer((req, res) => {
    if (req.url === '/ncalayer-client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(clientJs);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>test</title><script src="/ncalayer-client.js"></script>
<script>
window.probe = async (url) => {
  const client = new NCALayerClient(url, false);
  try {
    const version = await client.connect();
    const tokens = await client.getActiveTokens();
    return { version, tokens };
  } catch (e) {
    return { error: String(e && e.message) };
  }
};
</script>`);
  });
  await new Promise((r) => page.listen(0, '127.0.0.1', r));
});
after(() => page?.close());

async function probeIn(home, url) {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, HOME: home },
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${page.address().port}/`);
    return await tab.evaluate((u) => window.probe(u), url);
  } finally {
    await browser.close();
  }
}

test('Chromium connects over wss once the CA is in its NSS database', { skip: missing, timeout: 120000 }, async () => {
  const home = tempDir();
  const inst = spawnSync(daemonPath, ['--install-ca'], {
    env: { ...process.env, HOME: home, XDG_STATE_HOME: join(home, 'state') }, encoding: 'utf8',
  });
  assert.equal(inst.status, 0, inst.stderr);
  const d = await startDaemon({ home, config: { origins: { allow: 'http://127.0.0.1:*' } } });
  const result = await probeIn(home, d.wssUrl);
  assert.deepEqual(result, { version: '1.4', tokens: [] });
  await d.stop();
});

test('without the CA Chromium refuses the certificate (the trust comes from NSS)', { skip: missing, timeout: 120000 }, async () => {
  const home = tempDir();
  mkdirSync(join(home, '.pki'), { recursive: true });
  const d = await startDaemon({ home, config: { origins: { allow: 'http://127.0.0.1:*' } } });
  const result = await probeIn(home, d.wssUrl);
  assert.ok(result.error, `connected without trusting the CA: ${JSON.stringify(result)}`);
  // Plain ws on the same port still works for the same page.
  assert.deepEqual(await probeIn(home, d.url), { version: '1.4', tokens: [] });
  await d.stop();
});

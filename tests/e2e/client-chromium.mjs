// web/client/qoltanba.js in a real browser: headless Chromium loads a page
// that imports the module (no build step) next to ncalayer-js-client, and
// both talk to the daemon at once. wss is tried first and, with the local
// CA not trusted here, the module falls back to ws. The page signs with a
// key file, takes a still and preview frames from the test camera, and
// gets typed errors.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { signingDaemon, keysDir, PASSWORD, opensslVerifyCms } from '../integration/signing.mjs';

const require = createRequire(import.meta.url);
const chromiumPath = '/usr/bin/chromium';
const missing = !existsSync(chromiumPath) && 'Debian\'s chromium is not installed';
const clientDir = join(process.env.QOL_TEST_DATA, '..', '..', 'web', 'client');

let page;
let d;
before(async () => {
  if (missing) return;
  const files = {
    '/ncalayer-client.js': readFileSync(require.resolve('ncalayer-js-client')),
    '/client/qoltanba.js': readFileSync(join(clientDir, 'qoltanba.js')),
    '/client/errors.js': readFileSync(join(clientDir, 'errors.js')),
    '/client/preview.js': readFileSync(join(clientDir, 'preview.js')),
  };
  page = createServer((req, res) => {
    if (files[req.url]) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(files[req.url]);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>client</title><script src="/ncalayer-client.js"></script>
<script type="module">
import { Qoltanba, QoltanbaError } from '/client/qoltanba.js';
window.run = async (wss, ws) => {
  const out = {};
  const q = new Qoltanba({ url: wss, fallbackUrls: [ws], timeoutMs: 3000 });
  await q.connect();
  out.version = q.version;
  out.url = q.url;
  // ncalayer-js-client on the same page, at the same time.
  const other = new NCALayerClient(ws, false);
  await other.connect();
  [out.tokens, out.otherTokens] = await Promise.all([q.getActiveTokens(), other.getActiveTokens()]);
  out.cms = (await q.sign({ format: 'cms', data: btoa('signed in Chromium'),
    signingParams: { decode: true, encapsulate: true } }))[0];
  const still = await q.capture({ purpose: 'selfie', width: 320, height: 240 });
  out.still = { start: still.image.slice(0, 4), width: still.width, height: still.height };
  out.frames = await new Promise((resolve) => {
    const got = [];
    const p = q.openPreview({ width: 320, height: 240, fps: 15,
      onFrame: (buf) => { got.push(new Uint8Array(buf).slice(0, 2)); if (got.length === 3) { p.close(); } },
      onEnd: () => resolve(got.map((b) => Array.from(b))) });
  });
  try {
    await q.capture({ purpose: 'selfie', width: 5000, height: 5000 });
    out.error = 'none';
  } catch (e) {
    out.error = { isTyped: e instanceof QoltanbaError, code: e.code };
  }
  q.close();
  return out;
};
window.ready = true;
</script>`);
  });
  await new Promise((r) => page.listen(0, '127.0.0.1', r));
  d = await signingDaemon([join(keysDir, 'rsa.p12')], {
    origins: { allow: 'http://127.0.0.1:*' }, camera: { source: 'test' },
  });
});
after(async () => { page?.close(); if (d) await d.stop(); });

test('the ES module works in Chromium beside ncalayer-js-client', { skip: missing, timeout: 120000 }, async () => {
  const { chromium } = require('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, HOME: d.home },
  });
  try {
    const tab = await browser.newPage();
    await tab.goto(`http://127.0.0.1:${page.address().port}/`);
    await tab.waitForFunction(() => window.ready === true);
    // The key's password (sign comes first), then the camera is allowed.
    d.setScript([`pin ${PASSWORD}`, 'ok']);
    const out = await tab.evaluate(([wss, ws]) => window.run(wss, ws), [d.wssUrl, d.url]);
    assert.equal(out.version, '1.4');
    assert.equal(out.url, d.url, 'wss is not trusted here: the module fell back to ws');
    assert.deepEqual(out.tokens, []);
    assert.deepEqual(out.otherTokens, []);
    assert.equal(opensslVerifyCms(out.cms).toString(), 'signed in Chromium');
    assert.deepEqual(out.still, { start: '/9j/', width: 320, height: 240 });
    assert.equal(out.frames.length, 3);
    for (const f of out.frames) assert.deepEqual(f, [0xff, 0xd8]);
    assert.deepEqual(out.error, { isTyped: true, code: 'invalidArguments' });
  } finally {
    await browser.close();
  }
});

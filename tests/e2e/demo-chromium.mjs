// The demo, end to end, as a person walks it: headless Chromium opens the
// demo portal's pages, which talk to the portal (web/portal) and to the
// real daemon (web/client). Every stage of NCA's remote issuance is
// passed with the scripted pinentry as the user and GStreamer's test
// picture as the camera; the walk ends with a GOST512 key file in the key
// folder and two signatures (CMS and XML) that this test verifies itself
// against the portal's test CA. It is walked twice: over ws, and over wss
// with the daemon's CA in the profile's NSS database. The unhappy paths:
// the daemon not running, the origin refused, the password cancelled, a
// wrong SMS code, the moderation branch.
//
// A screenshot of every stage goes to tests/e2e/screenshots/ in the build
// folder (demo-<walk>-<NN>-<view>.png).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { once } from 'node:events';

import { signingDaemon, gostVerifyCms } from '../integration/signing.mjs';
import { tempDir, daemonPath } from '../integration/harness.mjs';
import { createServer } from 'node:net';

const require = createRequire(import.meta.url);
const chromiumPath = '/usr/bin/chromium';
const missing = !existsSync(chromiumPath) ? 'Debian\'s chromium is not installed'
  : !existsSync('/usr/bin/certutil') ? 'certutil (libnss3-tools) is not installed' : false;
const web = process.env.QOL_WEB;
const portalPath = process.env.QOL_PORTAL;
const gostVerify = join(process.env.QOL_HELPERS, 'gost-verify');
const shots = join(process.cwd(), 'tests', 'e2e', 'screenshots');

const CITIZEN = { iin: '900115300013', phone: '+77011234567' };
const OTHER = { iin: '920621400024', phone: '+77077654321' };
const KEY_PASSWORD = 'Demo2026key';
const PIN = '482915';

// The portal on a free port, with its own data folder. daemonUrls: where
// its pages look for the daemon.
async function startPortal(daemonUrls, dataDir = tempDir('qoltanba-portal-')) {
  const args = ['--listen', '127.0.0.1:0', '--root', join(web, 'demo'), '--client', join(web, 'client'),
    '--register', join(web, 'portal', 'register.json'), '--data', dataDir,
    '--issue-delay', '1', '--resend-seconds', '0'];
  for (const u of daemonUrls) args.push('--daemon', u);
  const child = spawn(portalPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the portal did not start:\n${err}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/^qoltanba-portal: (http:\/\/\S+)$/m);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the portal exited (${code}):\n${err}`)); });
  });
  return {
    url, dataDir,
    get log() { return err; },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      assert.equal(child.exitCode, 0, `the portal exited with ${child.exitCode}:\n${err}`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function launch(home) {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    env: { ...process.env, HOME: home },
  });
}

// One browser tab on the portal, with what the walk needs.
async function openTab(browser, portal, walk, locale = 'en-US') {
  const context = await browser.newContext({ locale, viewport: { width: 1100, height: 900 } });
  const tab = await context.newPage();
  // What the page sent to POST /api/verify, and what the portal said.
  const verified = [];
  tab.on('response', async (res) => {
    const req = res.request();
    if (!req.url().endsWith('/api/verify') || req.method() !== 'POST') return;
    verified.push({ ...JSON.parse(req.postData()), answer: await res.json() });
  });
  let n = 0;
  const t = {
    tab, verified,
    async go() {
      await tab.goto(portal.url);
      await t.view('home');
    },
    // Wait for a view, and take its screenshot.
    async view(name, timeout = 30000) {
      await tab.waitForSelector(`[data-view="${name}"]`, { timeout });
      await t.idle();
      n++;
      mkdirSync(shots, { recursive: true });
      await tab.screenshot({ path: join(shots, `demo-${walk}-${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
    },
    async idle(timeout = 60000) {
      await tab.waitForFunction(() => !document.body.dataset.busy, null, { timeout });
    },
    async click(id) {
      await tab.click(`#${id}`);
      await t.idle();
    },
    async fill(id, text) { await tab.fill(`#${id}`, text); },
    async error() {
      const el = await tab.waitForSelector('[role="alert"][data-error-code]:not([data-error-code=""])', { timeout: 30000 });
      return { code: await el.getAttribute('data-error-code'), text: (await el.textContent()).trim() };
    },
    // The newest SMS code on the page's demo phone (the portal's inbox).
    async smsCode(count) {
      const got = await tab.waitForFunction(async (want) => {
        const r = await fetch('/api/inbox');
        const j = await r.json();
        const codes = j.messages.map((m) => m.text.match(/\b(\d{6})\b/)).filter(Boolean);
        return codes.length >= want ? codes[codes.length - 1][1] : null;
      }, count, { timeout: 10000, polling: 200 });
      return got.jsonValue();
    },
  };
  return t;
}

// The stages from the home page to the issued certificate's download,
// with the daemon d answering as the user through the scripted pinentry.
// The remote identification, from the home page to the recognised data.
// wrongCodeFirst: type a wrong login code first and check what is said.
async function walkToKeys(t, d, citizen, { expectWss = false, wrongCodeFirst = false } = {}) {
  await t.go();
  d.setScript(['ok']);  // Allow this site to use the camera
  await t.click('start');

  await t.view('camera');
  await t.tab.waitForSelector('#next:not([disabled])', { timeout: 30000 });
  await t.click('next');

  await t.view('iin');
  await t.fill('iin', citizen.iin);
  await t.click('next');

  await t.view('code');
  const code = await t.smsCode(1);
  if (wrongCodeFirst) {
    await t.fill('code', code === '000000' ? '111111' : '000000');
    await t.click('next');
    const wrong = await t.error();
    assert.equal(wrong.code, 'CODE_WRONG');
    assert.match(wrong.text, /2/, `attempts left not shown: ${wrong.text}`);
    await t.view('code');
  }
  await t.fill('code', code);
  await t.click('next');

  await t.view('qoltanba');
  const url = await t.tab.textContent('#daemon-url');
  assert.equal(url.trim().startsWith('wss://'), expectWss, `connected over ${url}`);
  await t.click('next');

  await t.view('ident');
  await t.fill('ident-phone', citizen.phone);
  await t.click('ident-send');
  await t.fill('ident-code', await t.smsCode(2));
  await t.click('next');

  await t.view('selfie');
  await t.click('take-photo');
  await t.click('send-photo');

  await t.view('video');
  await t.click('record');

  await t.view('pin');
  await t.fill('pin1', PIN);
  await t.fill('pin2', PIN);
  await t.click('next');

  await t.view('document');
  await t.click('take-photo');
  await t.click('send-photo');
  await t.tab.waitForFunction(() => document.querySelector('[data-view="document"]')?.dataset.side === 'back');
  await t.click('take-photo');
  await t.click('send-photo');

  await t.view('recognised');
  return url.trim();
}

async function identityToKeys(t, d) {
  await t.click('next');
  await t.view('register');
  await t.click('next');
  await t.view('notification');
  await t.click('next');

  await t.view('consent');
  await t.tab.check('#consent-check');
  await t.click('next');

  await t.view('agreement');
  await t.tab.check('#agreement-check');
  await t.click('next');

  await t.view('application');
  await t.fill('email', 'erlan.akhmetov@example.kz');
  await t.tab.check('#storage-pkcs12');
  await t.click('next');

  await t.view('folder');
  d.setScript(['ok']);  // keep the keys in the key folder
  await t.click('choose-folder');
  await t.click('next');

  await t.view('request');
  await t.click('submit-request');

  await t.view('refresh');
  await t.click('refresh');
  await t.tab.waitForSelector('#next:not([disabled])', { timeout: 10000 });
  await t.click('next');

  await t.view('password');
}

function keyFiles(folder) {
  return readdirSync(folder).filter((f) => /^GOST512_[0-9a-f]{40}\.p12$/.test(f));
}

function freePort() {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// One browser, one portal and one daemon (not started: daemon false). The
// pages try wss first, then ws, as by default; with wss the daemon's CA
// is put into the browser profile's NSS database first, so wss is trusted.
async function scene(walk, { daemonConfig = {}, daemon = true, wss = false, locale } = {}) {
  const home = tempDir();
  const port = await freePort();
  const config = { origins: { allow: 'http://127.0.0.1:*' }, camera: { source: 'test' },
    server: { listen: `127.0.0.1:${port}` }, ...daemonConfig };
  if (wss) {
    const inst = spawnSync(daemonPath, ['--install-ca'], {
      env: { ...process.env, HOME: home, XDG_STATE_HOME: join(home, 'state') }, encoding: 'utf8',
    });
    assert.equal(inst.status, 0, inst.stderr);
  }
  const portal = await startPortal([`wss://127.0.0.1:${port}`, `ws://127.0.0.1:${port}`]);
  const browser = await launch(home);
  const sc = {
    portal, browser, home, port,
    d: daemon ? await signingDaemon([], config, {}, home) : null,
    async startDaemon() { sc.d = await signingDaemon([], config, {}, home); return sc.d; },
    t: await openTab(browser, portal, walk, locale),
    async close() {
      await browser.close();
      await portal.stop();
      if (sc.d) await sc.d.stop();
    },
  };
  return sc;
}

before(() => { if (!missing) rmSync(shots, { recursive: true, force: true }); });

for (const walk of ['ws', 'wss']) {
  test(`the whole walk over ${walk}: keys in the folder, then a verified CMS and XML signature`, { skip: missing, timeout: 300000 }, async (ctx) => {
    const started = Date.now();
    // The wss walk is in Kazakh (the browser's language), the other in English.
    const sc = await scene(walk, { wss: walk === 'wss', locale: walk === 'wss' ? 'kk-KZ' : 'en-US' });
    try {
      const { t, d } = sc;
      const url = await walkToKeys(t, d, CITIZEN, { expectWss: walk === 'wss' });
      assert.equal(await t.tab.getAttribute('html', 'lang'), walk === 'wss' ? 'kk' : 'en');
      assert.equal(url, walk === 'wss' ? d.wssUrl : d.url);
      await identityToKeys(t, d);

      d.setScript([`pin ${KEY_PASSWORD}`, `pin ${KEY_PASSWORD}`]);
      await t.click('save-keys');
      await t.view('download');
      const files = keyFiles(d.folder);
      assert.equal(files.length, 1, `key files: ${readdirSync(d.folder)}`);
      assert.equal(statSync(join(d.folder, files[0])).mode & 0o777, 0o600);
      assert.match(await t.tab.textContent('[data-view="download"]'), new RegExp(files[0]));
      await t.click('next');
      await t.view('congratulations');
      await t.click('next');

      await t.view('sign');
      d.setScript([`pin ${KEY_PASSWORD}`, `pin ${KEY_PASSWORD}`]);
      await t.click('sign-cms');
      await t.tab.waitForSelector('[data-result="cms"]', { timeout: 30000 });
      await t.click('sign-xml');
      await t.tab.waitForSelector('[data-result="xml"]', { timeout: 30000 });
      await t.view('sign');
      for (const r of ['cms', 'xml'])
        assert.match(await t.tab.textContent(`[data-result="${r}"]`), /АХМЕТОВ/);

      // The signatures the page sent for checking, verified here with
      // gost-verify against the portal's test root.
      const root = join(sc.portal.dataDir, 'ca', 'root-gost.pem');
      const sample = await t.tab.evaluate(() => fetch('/api/sample').then((r) => r.json()));
      const cms = t.verified.find((v) => v.format === 'cms');
      const xml = t.verified.find((v) => v.format === 'xml');
      assert.ok(cms && xml, `verify calls: ${t.verified.map((v) => v.format)}`);
      assert.match(gostVerifyCms(cms.signature, undefined, root), /^OK .*IIN900115300013/m);
      assert.equal(cms.answer.valid, true);
      assert.equal(cms.answer.content, sample.text);
      assert.equal(cms.answer.signer.iin, CITIZEN.iin);
      const dir = tempDir('qoltanba-xml-');
      writeFileSync(join(dir, 'signed.xml'), xml.signature);
      const r = spawnSync(gostVerify, ['xml', join(dir, 'signed.xml'), root], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^OK .*IIN900115300013/m);
      assert.equal(xml.answer.valid, true);
      rmSync(dir, { recursive: true, force: true });
      ctx.diagnostic(`the ${walk} walk took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    } finally {
      await sc.close();
    }
  });
}

test('the daemon is not running: the page says how to start it, and finds it once started', { skip: missing, timeout: 120000 }, async () => {
  const sc = await scene('not-running', { daemon: false });
  try {
    const { t } = sc;
    await t.go();
    await t.click('start');
    await t.view('camera');
    assert.equal((await t.error()).code, 'notRunning');
    assert.ok(await t.tab.isVisible('[data-help="install"]'), 'no install instructions');
    assert.match(await t.tab.textContent('[data-help="install"]'), /qoltanbad/);
    assert.ok(await t.tab.isDisabled('#next'));

    const d = await sc.startDaemon();
    d.setScript(['ok']);
    await t.click('check-again');
    await t.tab.waitForSelector('#next:not([disabled])', { timeout: 30000 });
    assert.equal(await t.tab.getAttribute('[data-view="camera"] [role="alert"]', 'data-error-code') ?? '', '');
    await t.view('camera');
  } finally {
    await sc.close();
  }
});

test('an origin the daemon does not allow: the page says so and names the setting', { skip: missing, timeout: 120000 }, async () => {
  const sc = await scene('origin', { daemonConfig: { origins: { allow: 'https://egov.kz' } } });
  try {
    const { t } = sc;
    await t.go();
    await t.click('start');
    await t.view('camera');
    assert.equal((await t.error()).code, 'originRefused');
    assert.match(await t.tab.textContent('[data-help="origin"]'), /\[origins\]/);
    assert.ok(await t.tab.isDisabled('#next'));
    assert.equal(sc.d.pinentryLog(), '', 'the user was asked although the origin is refused');
  } finally {
    await sc.close();
  }
});

test('a wrong SMS code, then a cancelled password: both are said plainly and the walk goes on to keys', { skip: missing, timeout: 300000 }, async () => {
  const sc = await scene('cancel');
  try {
    const { t, d } = sc;
    await walkToKeys(t, d, OTHER, { wrongCodeFirst: true });
    await identityToKeys(t, d);

    d.setScript(['cancel']);
    await t.click('save-keys');
    assert.equal((await t.error()).code, 'canceledByUser');
    await t.view('password');
    assert.deepEqual(keyFiles(d.folder), [], 'a key file although the password was cancelled');

    d.setScript([`pin ${KEY_PASSWORD}`, `pin ${KEY_PASSWORD}`]);
    await t.click('save-keys');
    await t.view('download');
    assert.equal(keyFiles(d.folder).length, 1);
  } finally {
    await sc.close();
  }
});

test('data that does not match the register goes to a moderator, and the walk stops there', { skip: missing, timeout: 300000 }, async () => {
  const sc = await scene('moderation');
  try {
    const { t } = sc;
    await walkToKeys(t, sc.d, CITIZEN);
    await t.fill('f-surname', 'АХМЕДОВ');
    await t.click('next');
    await t.view('moderation');
    const inbox = await t.tab.evaluate(() => fetch('/api/inbox').then((r) => r.json()));
    assert.match(inbox.messages[inbox.messages.length - 1].text, /moderat/i);
    // The portal keeps the application there: the next stage is refused.
    const consent = await t.tab.evaluate(() => fetch('/api/consent', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"consent":true}',
    }).then(async (r) => ({ status: r.status, body: await r.json() })));
    assert.equal(consent.status, 409);
    assert.equal(consent.body.error.code, 'STAGE_ORDER');
    assert.equal(consent.body.error.stage, 'moderation');
  } finally {
    await sc.close();
  }
});

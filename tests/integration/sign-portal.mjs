// The key file and showFileChooser's file come from the desktop's file
// dialog: xdg-desktop-portal's FileChooser on a private session bus,
// played by tests/helpers/portal-stub. The dialog's title names the page;
// cancelling it is action.canceled; without a portal the key folder is
// used.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, existsSync, copyFileSync, readdirSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

import { tempDir, privateBus } from './harness.mjs';
import {
  signingDaemon, keysDir, PASSWORD, ORIGIN, b64, opensslVerifyCms, opensslPrintCms, rejects,
} from './signing.mjs';

const stub = join(process.env.QOL_HELPERS, 'portal-stub');
const cleanups = [];
after(async () => { for (const c of cleanups.reverse()) await c(); });

function lineFrom(child) {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}`)));
    setTimeout(() => reject(new Error('no line within 10 s')), 10000).unref();
  });
}

// A private bus and a portal answering `answer` to every OpenFile.
async function portal(answer) {
  const dir = tempDir('qoltanba-portal-');
  const bus = await privateBus();
  cleanups.push(() => { bus.stop(); rmSync(dir, { recursive: true, force: true }); });
  const { address } = bus;
  const log = join(dir, 'portal.log');
  const p = spawn(stub, [], {
    env: { ...process.env, DBUS_SESSION_BUS_ADDRESS: address, PORTAL_STUB_ANSWER: answer,
      PORTAL_STUB_LOG: log, PORTAL_STUB_TIMEOUT: '60' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanups.push(() => p.kill());
  assert.equal(await lineFrom(p), 'ready');
  return { address, log: () => (existsSync(log) ? readFileSync(log, 'utf8') : '') };
}

async function daemonWithPortal(answer, keyFiles) {
  const bus = await portal(answer);
  const d = await signingDaemon(keyFiles, { ui: { 'file-chooser': 'auto' } },
    { DBUS_SESSION_BUS_ADDRESS: bus.address });
  cleanups.push(() => d.stop());
  return { d, bus };
}

test('the key file chosen in the desktop dialog is used', async () => {
  const elsewhere = tempDir('qoltanba-chosen-');
  const chosen = join(elsewhere, 'менің кілтім.p12');
  copyFileSync(join(keysDir, 'rsa.p12'), chosen);
  // The key folder holds another key: the dialog's choice wins.
  const { d, bus } = await daemonWithPortal(pathToFileURL(chosen).href, [join(keysDir, 'ec.p12')]);
  d.setScript([`pin ${PASSWORD}`]);
  const c = await d.client();
  const cms = await c.createCAdESFromBase64('PKCS12', b64('portal'), 'SIGNATURE', true);
  assert.match(opensslPrintCms(cms), /sha256WithRSAEncryption/, 'the RSA key from the dialog');
  opensslVerifyCms(cms);
  const asked = bus.log();
  assert.match(asked, new RegExp(`${ORIGIN}`), 'the dialog names the page');
  assert.match(asked, /\*\.p12/, 'the dialog offers key files');
  assert.match(d.pinentryLog(), /менің кілтім\.p12/, 'the password prompt names the chosen file');
  assert.doesNotMatch(d.pinentryLog(), /1\. ec\.p12/, 'no numbered list');
});

test('showFileChooser answers the dialog\'s file; cancel is action.canceled', async () => {
  const { d, bus } = await daemonWithPortal('file:///tmp/some%20document.xml', []);
  const c = await d.client();
  const ws = c.wsConnection;
  ws.send(JSON.stringify({ module: 'kz.gov.pki.knca.commonUtils', method: 'showFileChooser', args: ['xml', '/tmp'] }));
  const path = await new Promise((resolve, reject) => c.setHandlers(resolve, reject));
  assert.equal(path, '/tmp/some document.xml');
  assert.match(bus.log(), /\*\.xml/);

  const { d: d2 } = await daemonWithPortal('cancel', [join(keysDir, 'rsa.p12')]);
  d2.setScript([`pin ${PASSWORD}`]);
  const c2 = await d2.client();
  await rejects(c2.getKeyInfo('PKCS12'), /^500: action\.canceled$/);
  assert.doesNotMatch(d2.pinentryLog(), /GETPIN/, 'no password asked after a cancelled dialog');
});

test('generateCsr: the folder for new keys comes from the desktop\'s folder dialog', async () => {
  const chosen = tempDir('qoltanba-folder-');
  const { d, bus } = await daemonWithPortal(pathToFileURL(chosen).href, []);
  const c = await d.client();
  const ask = (args) => new Promise((resolve, reject) => {
    c.wsConnection.send(JSON.stringify({ module: 'kz.gov.pki.knca.basics', method: 'generateCsr', args }));
    c.setHandlers(resolve, reject);
  });
  d.setScript([]);
  const r = await ask({ storage: 'PKCS12', subject: { CN: 'ТЕСТОВ ТЕСТ' }, locale: 'en' });
  assert.equal(r.folder, chosen);
  assert.match(bus.log(), /directory=1/, 'the folder dialog was asked for');
  assert.match(bus.log(), new RegExp(`${ORIGIN}: choose a folder for the keys`));
  assert.doesNotMatch(d.pinentryLog(), /CONFIRM/, 'no pinentry when the dialog answered');

  const { d: d2 } = await daemonWithPortal('cancel', []);
  const c2 = await d2.client();
  c2.wsConnection.send(JSON.stringify({ module: 'kz.gov.pki.knca.basics', method: 'generateCsr',
    args: { storage: 'PKCS12', subject: { CN: 'ТЕСТОВ ТЕСТ' } } }));
  await assert.rejects(new Promise((resolve, reject) => c2.setHandlers(resolve, reject)),
    { name: 'NCALayerError', message: 'cancelled by user' }, 'the answer to a cancelled dialog');
  const pending = join(d2.home, 'state', 'qoltanba', 'pending');
  assert.ok(!existsSync(pending) || readdirSync(pending).length === 0,
    'a cancelled dialog: no key made');
});

// The demo portal over HTTP: the built qoltanba-portal on an ephemeral
// port with a temporary data folder, driven with fetch and raw sockets:
// pages and their types, paths outside the folders, the API's errors and
// caps, the session cookie, a short sign-in, and a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

import { assertCleanOutput, tempDir } from './harness.mjs';

const portalPath = process.env.QOL_PORTAL;
const web = process.env.QOL_WEB;
if (!portalPath || !web) throw new Error('QOL_PORTAL and QOL_WEB are not set: run the tests with make check');

const MiB = 1024 * 1024;

// A page folder with one file of each type, a subfolder, a hidden file, a
// link out, and a secret next to (not inside) it.
function makePages() {
  const top = tempDir('qoltanba-portal-pages-');
  const root = join(top, 'pages');
  mkdirSync(join(root, 'sub'), { recursive: true });
  const files = {
    'index.html': ['<!doctype html><title>demo</title>', 'text/html; charset=utf-8'],
    'app.js': ['export const x = 1;\n', 'text/javascript; charset=utf-8'],
    'style.css': ['body { margin: 0 }\n', 'text/css; charset=utf-8'],
    'logo.svg': ['<svg xmlns="http://www.w3.org/2000/svg"/>', 'image/svg+xml'],
    'pic.png': [Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), 'image/png'],
    'data.json': ['{"a":1}', 'application/json'],
    'font.woff2': [Buffer.from('774f4632000100000000', 'hex'), 'font/woff2'],
    'sub/index.html': ['<p>sub</p>', 'text/html; charset=utf-8'],
  };
  for (const [name, [content]] of Object.entries(files)) writeFileSync(join(root, name), content);
  writeFileSync(join(root, '.hidden'), 'HIDDEN');
  writeFileSync(join(top, 'secret.txt'), 'SECRET');
  symlinkSync(join(top, 'secret.txt'), join(root, 'link-out.txt'));
  return { top, root, files };
}

async function startPortal({ data, root, args = [] }) {
  const child = spawn(portalPath, [
    '--data', data,
    '--listen', '127.0.0.1:0',
    '--register', join(web, 'portal', 'register.json'),
    '--client', join(web, 'client'),
    ...(root ? ['--root', root] : []),
    ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = stdout.match(/^qoltanba-portal: http:\/\/127\.0\.0\.1:(\d+)\/$/m);
      if (m) resolve(Number(m[1]));
    });
    exited.then(({ code }) => reject(new Error(`qoltanba-portal exited (${code}) before listening:\n${stderr}`)));
    setTimeout(() => reject(new Error(`qoltanba-portal did not start in 20 s:\n${stderr}`)), 20000).unref();
  });
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    get stdout() { return stdout; },
    get stderr() { return stderr; },
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      const { code, signal: died } = await exited;
      assertCleanOutput(stderr);
      assert.equal(died, null, `qoltanba-portal died of ${died}:\n${stderr}`);
      assert.equal(code, 0, `qoltanba-portal exited with ${code}:\n${stderr}`);
    },
  };
}

// One request on its own connection; resolves with everything the portal
// sent until it ended the connection. Like a browser, the client does not
// end its side first.
function raw(port, head, body = Buffer.alloc(0)) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      s.end();
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    s.on('error', reject);
    s.setTimeout(20000, () => reject(new Error('no answer in 20 s')));
    s.write(head);
    s.write(body);
  });
}

function statusOf(response) {
  return Number(response.match(/^HTTP\/1\.1 (\d{3})/)[1]);
}

// A browser's cookie jar, for the one cookie the portal sets.
function session() {
  let cookie = null;
  return {
    get cookie() { return cookie; },
    set cookie(c) { cookie = c; },
    async call(base, path, body) {
      const r = await fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: {
          ...(cookie ? { cookie } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      for (const c of r.headers.getSetCookie()) cookie = c.split(';')[0];
      return { status: r.status, headers: r.headers, json: await r.json() };
    },
  };
}

test('it prints its URL, serves pages and the client with their types, and stops on SIGTERM', async () => {
  const pages = makePages();
  const data = tempDir('qoltanba-portal-data-');
  const portal = await startPortal({ data, root: pages.root });
  try {
    assert.equal(portal.stdout.match(/qoltanba-portal: http/g).length, 1);
    for (const [name, [content, type]] of Object.entries(pages.files)) {
      const r = await fetch(`${portal.base}/${name}`);
      assert.equal(r.status, 200, name);
      assert.equal(r.headers.get('content-type'), type, name);
      assert.deepEqual(Buffer.from(await r.arrayBuffer()), Buffer.from(content), name);
    }
    for (const [path, file] of [['/', 'index.html'], ['/sub/', 'sub/index.html']]) {
      const r = await fetch(`${portal.base}${path}`);
      assert.equal(r.status, 200, path);
      assert.equal(await r.text(), pages.files[file][0]);
    }
    const client = await fetch(`${portal.base}/client/qoltanba.js`);
    assert.equal(client.status, 200);
    assert.equal(client.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(await client.text(), readFileSync(join(web, 'client', 'qoltanba.js'), 'utf8'));
    const missing = await fetch(`${portal.base}/nothing.html`);
    assert.equal(missing.status, 404);
    assert.equal((await missing.json()).error.code, 'NOT_FOUND');
    const post = await fetch(`${portal.base}/index.html`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 405);
    assert.match(portal.stderr, /^GET \/app\.js 200$/m);
  } finally {
    await portal.stop();
    rmSync(pages.top, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
});

test('paths outside the folders, hidden files and links out are refused', async () => {
  const pages = makePages();
  const data = tempDir('qoltanba-portal-data-');
  const portal = await startPortal({ data, root: pages.root });
  try {
    const tries = [
      '/../secret.txt',
      '/sub/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/..%2fsecret.txt',
      '/sub/..%2f..%2fsecret.txt',
      '/client/../../pages/../secret.txt',
      '/link-out.txt',
      '/.hidden',
      '/sub',
      '//etc/passwd',
    ];
    for (const path of tries) {
      const r = await raw(portal.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.notEqual(statusOf(r), 200, `${path}:\n${r}`);
      assert.doesNotMatch(r, /SECRET|HIDDEN|root:/, path);
    }
    assert.ok(portal.alive());
  } finally {
    await portal.stop();
    rmSync(pages.top, { recursive: true, force: true });
    rmSync(data, { recursive: true, force: true });
  }
});

test('the API answers JSON errors for unknown paths, wrong methods and bad bodies, never cached', async () => {
  const data = tempDir('qoltanba-portal-data-');
  const portal = await startPortal({ data, args: ['--daemon', 'ws://127.0.0.1:1234'] });
  try {
    const config = await fetch(`${portal.base}/api/config`);
    assert.equal(config.status, 200);
    assert.equal(config.headers.get('cache-control'), 'no-store');
    assert.equal(config.headers.get('content-type'), 'application/json; charset=utf-8');
    assert.deepEqual(await config.json(), { daemon: ['ws://127.0.0.1:1234'] });

    const cases = [
      ['GET', '/api/nothing', undefined, 404, 'NOT_FOUND'],
      ['GET', '/api/iin', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['POST', '/api/state', '{}', 405, 'METHOD_NOT_ALLOWED'],
      ['PUT', '/api/state', '{}', 405, 'METHOD_NOT_ALLOWED'],
      ['DELETE', '/api/state', undefined, 405, 'METHOD_NOT_ALLOWED'],
      ['GET', '/api/state', undefined, 401, 'NO_SESSION'],
      ['POST', '/api/start', 'not json', 400, 'BAD_REQUEST'],
      ['POST', '/api/start', '[1]', 400, 'BAD_REQUEST'],
      // No page folder was given.
      ['GET', '/', undefined, 404, 'NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await fetch(`${portal.base}${path}`, { method, body });
      assert.equal(r.status, status, `${method} ${path}`);
      const j = await r.json();
      assert.equal(j.error.code, code, `${method} ${path}`);
      assert.equal(typeof j.error.message, 'string');
      if (path.startsWith('/api/')) assert.equal(r.headers.get('cache-control'), 'no-store');
    }
    // A chunked body has no length to read it by.
    const chunked = await raw(portal.port, 'POST /api/start HTTP/1.1\r\nHost: x\r\n'
      + 'Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
    assert.equal(statusOf(chunked), 400);
    assert.match(chunked, /"BAD_REQUEST"/);
    assert.ok(portal.alive());
  } finally {
    await portal.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('a body of 16 MiB is read; a larger one gets TOO_LARGE once and the connection closes', async () => {
  const data = tempDir('qoltanba-portal-data-');
  const portal = await startPortal({ data });
  try {
    // Exactly 16 MiB, valid JSON: accepted.
    const head = '{"lang":"en","pad":"';
    const fit = head + 'x'.repeat(16 * MiB - head.length - 2) + '"}';
    assert.equal(Buffer.byteLength(fit), 16 * MiB);
    const accepted = await fetch(`${portal.base}/api/start`, { method: 'POST', body: fit });
    assert.equal(accepted.status, 200);
    assert.equal((await accepted.json()).stage, 'started');

    // One byte more, from a browser.
    const over = await fetch(`${portal.base}/api/start`, { method: 'POST', body: `${fit} ` });
    assert.equal(over.status, 413);
    assert.equal(over.headers.get('connection'), 'close');
    assert.equal((await over.json()).error.code, 'TOO_LARGE');

    // On a socket: one answer, then the close, though the client asked
    // for more on the same connection.
    const big = Buffer.alloc(17 * MiB, 0x20);
    const answer = await raw(portal.port,
      `POST /api/start HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n`,
      Buffer.concat([big, Buffer.from('GET /api/config HTTP/1.1\r\nHost: x\r\n\r\n')]));
    assert.equal(answer.match(/HTTP\/1\.1 /g).length, 1, answer);
    assert.equal(statusOf(answer), 413);

    // Declared far beyond the cap: answered at once.
    const huge = await raw(portal.port,
      'POST /api/start HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n', Buffer.from('{}'));
    assert.equal(statusOf(huge), 413);
    assert.match(huge, /"TOO_LARGE"/);

    const still = await fetch(`${portal.base}/api/config`);
    assert.equal(still.status, 200);
    assert.equal(portal.stderr.match(/ 413 TOO_LARGE/g).length, 3);
  } finally {
    await portal.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('a session cookie, a sign-in by SMS code on stdout, and a restart that loses nothing', async () => {
  const data = tempDir('qoltanba-portal-data-');
  let portal = await startPortal({ data });
  const browser = session();
  try {
    const start = await fetch(`${portal.base}/api/start`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"lang":"en"}',
    });
    assert.equal(start.status, 200);
    const [setCookie] = start.headers.getSetCookie();
    assert.match(setCookie, /^qsid=[0-9a-f]{64}; /);
    const attrs = setCookie.split('; ').slice(1);
    for (const a of ['Path=/', 'HttpOnly', 'SameSite=Strict']) assert.ok(attrs.includes(a), setCookie);
    browser.cookie = setCookie.split(';')[0];

    let r = await browser.call(portal.base, '/api/state');
    assert.equal(r.status, 200);
    assert.equal(r.json.stage, 'started');
    assert.equal(r.json.lang, 'en');

    r = await browser.call(portal.base, '/api/iin', { iin: '900115300014' });
    assert.equal(r.status, 400);
    assert.equal(r.json.error.code, 'IIN_INVALID');
    r = await browser.call(portal.base, '/api/iin', { iin: '900115300013' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { stage: 'code-sent', maskedPhone: '+7 701 *** ** 67', codeTtl: 300 });

    r = await browser.call(portal.base, '/api/inbox');
    assert.equal(r.json.phone, '+7 701 *** ** 67');
    assert.equal(r.json.messages.length, 1);
    const code = r.json.messages[0].text.match(/\b(\d{6})\b/)[1];
    assert.match(r.json.messages[0].time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(portal.stdout, new RegExp(`^SMS to \\+7 701 \\*\\*\\* \\*\\* 67: .*${code}`, 'm'));

    r = await browser.call(portal.base, '/api/code', { code: code === '000000' ? '000001' : '000000' });
    assert.equal(r.json.error.code, 'CODE_WRONG');
    assert.equal(r.json.error.attemptsLeft, 2);
    r = await browser.call(portal.base, '/api/code', { code });
    assert.equal(r.status, 200);
    assert.equal(r.json.stage, 'signed-in');
    assert.equal(r.json.person.surname, 'АХМЕТОВ');
    r = await browser.call(portal.base, '/api/ident/phone', { phone: '+7 707 765 43 21' });
    assert.equal(r.json.error.code, 'PHONE_MISMATCH');

    // The log names the calls, never the code.
    assert.match(portal.stderr, /^POST \/api\/code 200$/m);
    assert.match(portal.stderr, /^POST \/api\/code 400 CODE_WRONG$/m);
    assert.doesNotMatch(portal.stderr, new RegExp(code));
    assert.doesNotMatch(portal.stderr, /qsid/);

    // A stranger's browser has no session; neither has a forged or an
    // oversize cookie, and the portal stays up.
    const stranger = session();
    r = await stranger.call(portal.base, '/api/state');
    assert.equal(r.status, 401);
    stranger.cookie = `qsid=${'0'.repeat(64)}`;
    r = await stranger.call(portal.base, '/api/state');
    assert.equal(r.status, 401);
    stranger.cookie = `qsid=../${browser.cookie.slice(5)}`;
    r = await stranger.call(portal.base, '/api/state');
    assert.equal(r.status, 401);
    const oversize = await raw(portal.port, 'GET /api/state HTTP/1.1\r\nHost: x\r\nConnection: close\r\n'
      + `Cookie: pad=${'p'.repeat(8000)}; ${browser.cookie}\r\n\r\n`);
    // lws drops a request whose headers do not fit; it is never served.
    assert.doesNotMatch(oversize, /^HTTP\/1\.1 200/);
    r = await browser.call(portal.base, '/api/state');
    assert.equal(r.status, 200);

    await portal.stop('SIGINT');
    portal = await startPortal({ data });
    r = await browser.call(portal.base, '/api/state');
    assert.equal(r.status, 200);
    assert.equal(r.json.stage, 'signed-in');
    assert.equal(r.json.iin, '900115300013');
    r = await browser.call(portal.base, '/api/inbox');
    assert.equal(r.json.messages.length, 1);
  } finally {
    await portal.stop();
    rmSync(data, { recursive: true, force: true });
  }
});

test('--help describes it; bad options are refused', () => {
  const help = spawnSync(portalPath, ['--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^NAME\n {4}qoltanba-portal /);
  for (const o of ['--listen', '--data', '--root', '--daemon', '--code-ttl', '--issue-delay']) {
    assert.ok(help.stdout.includes(o), o);
  }
  for (const args of [['--listen', '10.0.0.1:80'], ['--listen', '127.0.0.1'], ['--code-ttl', '0'],
    ['--bogus'], ['extra']]) {
    const r = spawnSync(portalPath, args, { encoding: 'utf8' });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, /qoltanba-portal/);
  }
  const data = tempDir('qoltanba-portal-data-');
  try {
    const r = spawnSync(portalPath, ['--data', data, '--listen', '127.0.0.1:0', '--register', '/nonexistent.json'],
      { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /nonexistent\.json/);
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});

// What the enrollment tests (enroll.mjs: key files, token-enroll.mjs: keys
// on a token) share: a page speaking basics, the answers' two shapes, and
// the test CA issuing a certificate for a request.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { rawClient } from './harness.mjs';

export const testca = process.env.QOL_TESTCA;

// A page at origin that calls basics methods. The dialogs are in English
// unless a test says otherwise (Kazakh is the default, as NCALayer's).
export async function basicsPage(url, origin) {
  const c = rawClient(url, { origin });
  await c.opened;
  JSON.parse(await c.next()); // the greeting
  return {
    async call(method, args, timeoutMs = 30000) {
      const withLocale = ['generateCsr', 'importCertificate'].includes(method) && args
        && !('locale' in args) ? { ...args, locale: 'en' } : args;
      c.send(JSON.stringify({ module: 'kz.gov.pki.knca.basics', method, args: withLocale }));
      return JSON.parse(await c.next(timeoutMs));
    },
    close: () => c.close(),
  };
}

export function ok(reply) {
  assert.equal(reply.status, true, JSON.stringify(reply));
  assert.ok(reply.body && 'result' in reply.body, JSON.stringify(reply));
  return reply.body.result;
}

export function failed(reply, code, re) {
  assert.equal(reply.status, false, JSON.stringify(reply));
  assert.equal(reply.code, code, JSON.stringify(reply));
  if (re) assert.match(`${reply.message} ${reply.details ?? ''}`, re);
}

// The test CA in caDir issues a certificate for the PEM request csr.
export function issueWith(caDir, csr, purpose) {
  const r = spawnSync(testca, ['issue', caDir, '--purpose', purpose], { input: csr, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^-----BEGIN CERTIFICATE-----/);
  return r.stdout;
}

// make bench: key generation + PKCS#10 request through the whole daemon.
// A page asks basics generateCsr (folder given, so no prompt) 20 times per
// algorithm; each request is cancelled again (cancelRequest) so the
// page's limit of pending requests is not reached. The time runs from the
// request to the answer and includes keeping the pending key on disk
// (fsync). For scale, `openssl genpkey` makes 20 RSA-2048 keys in the
// same run, each a fresh process.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';

import { rawClient } from '../tests/integration/harness.mjs';
import { signingDaemon, ORIGIN } from '../tests/integration/signing.mjs';
import { median } from './bench-util.mjs';

const N = Number(process.env.BENCH_KEYS || 20);
const openssl = process.env.OPENSSL || 'openssl';
const subject = { CN: 'ТЕСТОВ ТЕСТ', SURNAME: 'ТЕСТОВ', SERIALNUMBER: 'IIN123456789011' };

function ms(t0) {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const d = await signingDaemon([]);
try {
  const folder = join(d.home, 'new-keys');
  mkdirSync(folder);
  const c = rawClient(d.url, { origin: ORIGIN });
  await c.opened;
  await c.next();
  const call = async (method, args) => {
    c.send(JSON.stringify({ module: 'kz.gov.pki.knca.basics', method, args }));
    const reply = JSON.parse(await c.next(60000));
    if (reply.status !== true) throw new Error(JSON.stringify(reply));
    return reply.body.result;
  };
  for (const algorithm of ['GOST512', 'RSA2048']) {
    const times = [];
    for (let i = 0; i < N; i++) {
      const t0 = process.hrtime.bigint();
      const r = await call('generateCsr', { storage: 'PKCS12', algorithm, subject, folder });
      times.push(ms(t0));
      await call('cancelRequest', { requestId: r.requestId });
    }
    console.log(`qoltanbad generateCsr ${algorithm}: median ${median(times).toFixed(1)} ms of ${N}` +
      ` (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)})`);
  }
  c.close();
} finally {
  await d.stop();
}

const times = [];
for (let i = 0; i < N; i++) {
  const t0 = process.hrtime.bigint();
  execFileSync(openssl, ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    { stdio: ['ignore', 'ignore', 'ignore'] });
  times.push(ms(t0));
}
console.log(`openssl genpkey RSA-2048: median ${median(times).toFixed(1)} ms of ${N}` +
  ` (min ${Math.min(...times).toFixed(1)}, max ${Math.max(...times).toFixed(1)}; a process each)`);

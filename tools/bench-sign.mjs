// make bench: signatures per second through the whole daemon. A page
// (ncalayer-js-client over ws://) asks basics sign for a batch of small
// CMS documents with one key; the time runs from the request to the
// answer (one key-file choice and one password through the scripted
// pinentry included). For scale, `openssl speed rsa2048` runs on the same
// machine in the same run. Two signatures of each batch are checked with
// openssl cms -verify / gost-verify.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import {
  signingDaemon, keysDir, gostDir, GOST_PERSON, PASSWORD, b64, opensslVerifyCms, gostVerifyCms,
} from '../tests/integration/signing.mjs';

const N = Number(process.env.BENCH_DOCS || 1000);
const openssl = process.env.OPENSSL || 'openssl';

async function batch(label, keyFile, config, verify) {
  const d = await signingDaemon([keyFile], config);
  try {
    const c = await d.client();
    const docs = Array.from({ length: N }, (_, i) => b64(`document ${i}: ${'x'.repeat(64)}`));
    d.setScript([`pin ${PASSWORD}`]);
    const t0 = process.hrtime.bigint();
    const sigs = await c.basicsSignCMS(null, docs, { decode: true, encapsulate: true },
      { extKeyUsageOids: [] });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (sigs.length !== N) throw new Error(`${sigs.length} signatures for ${N} documents`);
    verify(sigs[0], Buffer.from(docs[0], 'base64'));
    verify(sigs[N - 1], Buffer.from(docs[N - 1], 'base64'));
    console.log(`${label}: ${N} CMS documents in ${ms.toFixed(0)} ms = ${(N / (ms / 1000)).toFixed(0)} signatures/s`);
  } finally {
    await d.stop();
  }
}

await batch('qoltanbad RSA-2048 (basics sign, cms, attached)', join(keysDir, 'rsa.p12'), {},
  (s, doc) => { if (!opensslVerifyCms(s).equals(doc)) throw new Error('content differs'); });
await batch('qoltanbad GOST 34.10-2015-512 (NCA person key)', join(gostDir, GOST_PERSON),
  { testing: { 'validity-time': '2026-06-01T00:00:00Z' } },
  (s) => gostVerifyCms(s));

const speed = execFileSync(openssl, ['speed', '-seconds', '3', 'rsa2048'],
  { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
const m = speed.match(/rsa\s+2048 bits\s+[\d.]+s\s+[\d.]+s\s+([\d.]+)\s+([\d.]+)/);
console.log(`openssl speed -seconds 3 rsa2048: ${m ? `${m[1]} sign/s, ${m[2]} verify/s` : speed}`);

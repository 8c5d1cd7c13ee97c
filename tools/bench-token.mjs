// make bench: the latency of one signature with a key on a PKCS#11 token,
// end to end. A page (ncalayer-js-client over ws://) asks
// createCAdESFromBase64 for a small document with the key on a SoftHSM2
// token ([tokens] AKKaztokenStore=libsofthsm2.so, made by
// tests/integration/softhsm.mjs); each request opens a session, asks the PIN
// through the scripted pinentry, logs in, signs, logs out and answers.
// Prints the median, min and max of BENCH_TOKEN_SIGNATURES (50) requests
// on one line; the first and the last signature are checked with openssl
// cms -verify.
import { join } from 'node:path';

import { tempDir } from '../tests/integration/harness.mjs';
import { signingDaemon, keysDir, b64, opensslVerifyCms } from '../tests/integration/signing.mjs';
import { SOFTHSM, PIN, makeToken, whyNoToken } from '../tests/integration/softhsm.mjs';
import { median } from './bench-util.mjs';

const N = Number(process.env.BENCH_TOKEN_SIGNATURES || 50);
const why = whyNoToken();

if (why) {
  console.log(`qoltanbad token signature (SoftHSM2): skipped: ${why}`);
} else {
  const home = tempDir();
  const env = makeToken(home, ['rsa']);
  const d = await signingDaemon([join(keysDir, 'rsa.p12')],
    { tokens: { AKKaztokenStore: SOFTHSM } }, env, home);
  try {
    const c = await d.client();
    const doc = 'a small document to sign\n';
    const ms = [];
    d.setScript(Array.from({ length: N }, () => `pin ${PIN}`));
    for (let i = 0; i < N; i++) {
      const t0 = process.hrtime.bigint();
      const cms = await c.createCAdESFromBase64('AKKaztokenStore', b64(doc), 'SIGNATURE', true);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
      if (i === 0 || i === N - 1) {
        if (opensslVerifyCms(cms).toString() !== doc) throw new Error('content differs');
      }
    }
    console.log(`qoltanbad token signature (SoftHSM2 RSA-2048, createCAdESFromBase64, PIN by `
      + `pinentry, ${N} requests): median ${median(ms).toFixed(1)} ms, `
      + `min ${Math.min(...ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`);
  } finally {
    await d.stop();
  }
}

// A SoftHSM2 token for the tests and benches that sign with a token
// (tests/integration/token.mjs, tools/bench-token.mjs): made in a
// temporary folder with its own SOFTHSM2_CONF, holding keys and
// certificates of the tests' key folder.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { keysDir } from './signing.mjs';

export const SOFTHSM = process.env.QOL_SOFTHSM_MODULE || '/usr/lib/softhsm/libsofthsm2.so';
export const TOKEN_LABEL = 'qoltanba test';
export const PIN = '12345678';
const SO_PIN = '87654321';
const openssl = process.env.OPENSSL || 'openssl';

function onPath(program) {
  return spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;
}

// Why the token tests cannot run here, or null.
export function whyNoToken() {
  if (!existsSync(SOFTHSM)) return `SoftHSM2 is not installed (${SOFTHSM} is missing; apt-get install softhsm2)`;
  if (!onPath('softhsm2-util')) return 'softhsm2-util is not on PATH (apt-get install softhsm2)';
  if (!onPath('pkcs11-tool')) return 'pkcs11-tool is not on PATH (apt-get install opensc)';
  return null;
}

// A SoftHSM2 token in dir with the given keys of the tests' key folder
// (X.key and X.pem, CKA_ID 01, 02, … in order, labelled "X key").
// Returns the environment the daemon needs (SOFTHSM2_CONF).
export function makeToken(dir, names = ['rsa', 'ec']) {
  const tokens = join(dir, 'softhsm-tokens');
  mkdirSync(tokens, { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\n`
    + 'log.level = ERROR\nslots.removable = false\n');
  const env = { ...process.env, SOFTHSM2_CONF: conf };
  const run = (cmd, args) => execFileSync(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  run('softhsm2-util', ['--init-token', '--free', '--label', TOKEN_LABEL, '--so-pin', SO_PIN,
    '--pin', PIN]);
  names.forEach((name, i) => {
    const id = (i + 1).toString(16).padStart(2, '0');
    run('softhsm2-util', ['--import', join(keysDir, `${name}.key`), '--token', TOKEN_LABEL,
      '--label', `${name} key`, '--id', id, '--pin', PIN]);
    const der = join(dir, `${name}.der`);
    run(openssl, ['x509', '-in', join(keysDir, `${name}.pem`), '-outform', 'DER', '-out', der]);
    run('pkcs11-tool', ['--module', SOFTHSM, '--token-label', TOKEN_LABEL, '--login', '--pin', PIN,
      '--write-object', der, '--type', 'cert', '--id', id, '--label', `${name} key`]);
  });
  return { SOFTHSM2_CONF: conf };
}

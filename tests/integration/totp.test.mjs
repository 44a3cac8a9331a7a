// The harness's own TOTP against RFC 6238's SHA-1 vectors and, when present, oathtool.
// (The server's codes are checked through these in twofa.test.mjs.)

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { totp, base32Decode, hasCommand } from './harness.mjs';

const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // base32("12345678901234567890")

test('base32 decoding', () => {
  assert.equal(base32Decode(SECRET).toString('latin1'), '12345678901234567890');
  assert.equal(base32Decode('MZXW6YTBOI======').toString(), 'foobar');
  assert.equal(base32Decode('mzxw6ytboi').toString(), 'foobar');
  assert.throws(() => base32Decode('MZXW1'));
});

test('RFC 6238 SHA-1 vectors (last 6 of the 8 digits)', () => {
  const vectors = [[59, '94287082'], [1111111109, '07081804'], [1111111111, '14050471'],
    [1234567890, '89005924'], [2000000000, '69279037'], [20000000000, '65353130']];
  for (const [t, code8] of vectors) {
    assert.equal(totp(SECRET, t, 8), code8, `t=${t}`);
    assert.equal(totp(SECRET, t), code8.slice(2), `t=${t}`);
  }
});

test('agrees with oathtool', { skip: hasCommand('oathtool') ? false : 'oathtool not installed' }, () => {
  for (const t of [59, 1700000000, 1700000029, 1700000030]) {
    const out = execFileSync('oathtool', ['--totp', '-b', SECRET, '-N', `@${t}`], { encoding: 'utf8' }).trim();
    assert.equal(totp(SECRET, t), out, `t=${t}`);
  }
});

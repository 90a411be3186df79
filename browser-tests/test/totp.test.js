// The test suite's own TOTP, checked against the RFCs' published vectors before any browser
// test relies on it.

import { test } from 'node:test';
import assert from 'node:assert/strict';

import { base32Decode, hotp, totp } from '../lib/totp.js';

const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');

test('RFC 6238 SHA-1 vector: T=59 gives 94287082 (8 digits)', () => {
  assert.equal(totp(RFC_SECRET, { time: 59, digits: 8 }), '94287082');
});

test('RFC 6238 SHA-1 vectors: every published time', () => {
  const vectors = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
    [20000000000, '65353130'],
  ];
  for (const [time, expected] of vectors) {
    assert.equal(totp(RFC_SECRET, { time, digits: 8 }), expected, `T=${time}`);
  }
});

test('RFC 4226 HOTP vectors (dynamic truncation, 6 digits)', () => {
  const expected = [
    '755224', '287082', '359152', '969429', '338314',
    '254676', '287922', '162583', '399871', '520489',
  ];
  expected.forEach((code, counter) => assert.equal(hotp(RFC_SECRET, counter), code, `counter ${counter}`));
});

test('RFC 4648 base32 vectors decode', () => {
  const vectors = [
    ['', ''],
    ['MY======', 'f'],
    ['MZXQ====', 'fo'],
    ['MZXW6===', 'foo'],
    ['MZXW6YQ=', 'foob'],
    ['MZXW6YTB', 'fooba'],
    ['MZXW6YTBOI======', 'foobar'],
  ];
  for (const [encoded, plain] of vectors) {
    assert.equal(base32Decode(encoded).toString('ascii'), plain, encoded);
  }
});

test('base32 secret as apps show it: lower case, spaces, no padding', () => {
  const encoded = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
  assert.deepEqual(base32Decode(encoded), RFC_SECRET);
  assert.deepEqual(base32Decode('gezd gnbv gy3t qojq gezd gnbv gy3t qojq'), RFC_SECRET);
  assert.equal(totp(encoded, { time: 59 }), '287082');
});

test('base32 refuses characters outside the alphabet', () => {
  assert.throws(() => base32Decode('MZXW1'), /not a base32 character/);
  assert.throws(() => base32Decode('MZXW8'), /not a base32 character/);
});

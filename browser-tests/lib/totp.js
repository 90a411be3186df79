// TOTP (RFC 6238) over HOTP (RFC 4226) with HMAC-SHA1, and RFC 4648 base32 decoding.
//
// Written from the RFCs with node:crypto only, independently of the server's Rust code, so a
// mistake on either side shows up as a refused code instead of being shared by both.

import { createHmac } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/**
 * Decodes RFC 4648 base32 (the alphabet A–Z, 2–7). Case, spaces and `=` padding are ignored,
 * as authenticator apps do; any other character is an error.
 * @param {string} text
 * @returns {Buffer}
 */
export function base32Decode(text) {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  const out = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const index = BASE32_ALPHABET.indexOf(ch);
    if (index === -1) {
      throw new Error(`not a base32 character: ${JSON.stringify(ch)}`);
    }
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
    value &= (1 << bits) - 1;
  }
  return Buffer.from(out);
}

/**
 * HOTP (RFC 4226 §5.3): HMAC-SHA1 over the 8-byte big-endian counter, dynamic truncation,
 * then the low `digits` decimal digits, zero-padded.
 * @param {Buffer} key
 * @param {number|bigint} counter
 * @param {number} [digits]
 * @returns {string}
 */
export function hotp(key, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary =
    ((mac[offset] & 0x7f) << 24) |
    (mac[offset + 1] << 16) |
    (mac[offset + 2] << 8) |
    mac[offset + 3];
  return String(binary % 10 ** digits).padStart(digits, '0');
}

/**
 * TOTP (RFC 6238): HOTP with the counter floor((time - T0) / step).
 * @param {Buffer|string} secret the key, or its base32 text
 * @param {{ time?: number, step?: number, digits?: number, t0?: number }} [options]
 *   time in seconds since the Unix epoch (default: now)
 * @returns {string}
 */
export function totp(secret, { time = Date.now() / 1000, step = 30, digits = 6, t0 = 0 } = {}) {
  const key = typeof secret === 'string' ? base32Decode(secret) : secret;
  return hotp(key, Math.floor((time - t0) / step), digits);
}

/** The TOTP time step (30 s) that `time` (seconds) falls in. */
export function timeStep(time = Date.now() / 1000, step = 30) {
  return Math.floor(time / step);
}

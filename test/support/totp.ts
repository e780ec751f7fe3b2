/**
 * An independent RFC 6238 implementation for tests (node:crypto only, not otplib), so that
 * tests check the server against the standard rather than against its own library.
 */
import { createHmac } from 'node:crypto';

export function rfc6238(secret: Buffer, epochSeconds: number, options: { algorithm?: 'sha1' | 'sha256' | 'sha512'; digits?: number; period?: number } = {}): string {
  const { algorithm = 'sha1', digits = 6, period = 30 } = options;
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(epochSeconds / period)));
  const mac = createHmac(algorithm, secret).update(counter).digest();
  const offset = (mac[mac.length - 1] as number) & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return binary.toString().padStart(digits, '0');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s=]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of clean) {
    const index = ALPHABET.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** The raw secret from an otpauth:// URI. */
export function secretFromUri(uri: string): Buffer {
  return base32Decode(new URL(uri).searchParams.get('secret') as string);
}

/**
 * Password hashing with scrypt (node:crypto): `scrypt$N$r$p$<salt>$<hash>` (base64url), verified
 * in constant time. Also the one-time passwords and random tokens identity hands out.
 */
import { randomBytes, scrypt, timingSafeEqual, createHash, type ScryptOptions } from 'node:crypto';

const N = 16384;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, KEY_LEN, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N, r: R, p: P });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

/** A hash of a random password, to spend the same time when the account does not exist. */
const DUMMY = hashPassword(randomBytes(16).toString('hex'));

export async function verifyPassword(password: string, stored: string | undefined): Promise<boolean> {
  const parts = (stored ?? (await DUMMY)).split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, salt, hash] = parts;
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p) });
  return key.length === expected.length && timingSafeEqual(key, expected) && stored !== undefined;
}

/** Rules a new password must meet; returns what is wrong, or undefined. */
export function passwordProblem(password: unknown): string | undefined {
  if (typeof password !== 'string') return 'the password must be a string';
  if (password.length < 12) return 'the password must have at least 12 characters';
  if (password.length > 1024) return 'the password must have at most 1024 characters';
  return undefined;
}

/** A random secret, URL-safe. */
export const randomToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** SHA-256 (hex) of a high-entropy secret: session tokens and API key secrets are stored this way. */
export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

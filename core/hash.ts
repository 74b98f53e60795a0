import { hash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';

/** Canonical JSON: object keys sorted, so equal values give equal strings. */
export function canonicalJson(value: unknown): string {
  return stableStringify(value);
}

/** Hex SHA-256 of a string or of the canonical JSON of a value. */
export function sha256(value: unknown): string {
  const text = typeof value === 'string' ? value : canonicalJson(value);
  return hash('sha256', text, 'hex');
}

/** First 32 bits of SHA-256 as an unsigned integer: a stable seed for a label. */
export function hash32(value: unknown): number {
  return parseInt(sha256(value).slice(0, 8), 16) >>> 0;
}

/** A deterministic uniform number in [0, 1) from any value (53 bits of SHA-256). */
export function hashUnit(value: unknown): number {
  const h = sha256(value);
  const hi = parseInt(h.slice(0, 7), 16); // 28 bits
  const lo = parseInt(h.slice(7, 14), 16); // 28 bits -> use 25
  return (hi * 2 ** 25 + (lo >>> 3)) / 2 ** 53;
}

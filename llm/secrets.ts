/**
 * API keys known to this process, so that no error message, log line, cache
 * entry, sample or usage report can carry one. Providers register the key they
 * were given (and the registry every key variable it reads); the provider
 * layer scrubs reply text, and everything that turns an error into text goes
 * through `scrubSecrets`.
 *
 * A key is found in the forms a server may echo it in: as is, JSON-quoted
 * (escaped), percent-encoded, and base64 (alone, as "Bearer <key>", or as the
 * password of HTTP basic auth, at each of the three byte alignments base64 can
 * put it in).
 */
const secrets = new Set<string>();
/** Every form of every secret, longest first. */
let forms: string[] = [];

/** Values shorter than this are not treated as secrets (they would match ordinary text). */
const MIN_SECRET_LENGTH = 6;

/** base64 of `text` as it appears inside a longer base64 string, at each alignment (edge characters dropped). */
function base64Forms(text: string): string[] {
  const out: string[] = [];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.from('\0'.repeat(pad) + text).toString('base64');
    // Characters mixing in bytes outside `text` differ by context: drop them.
    const start = Math.ceil((pad * 4) / 3);
    const end = Math.floor(((pad + Buffer.byteLength(text)) * 4) / 3);
    if (end - start >= 8) out.push(b64.slice(start, end));
  }
  return out;
}

function formsOf(s: string): string[] {
  const out = new Set<string>([s, JSON.stringify(s).slice(1, -1), encodeURIComponent(s)]);
  for (const f of [...base64Forms(s), ...base64Forms(`Bearer ${s}`), ...base64Forms(`:${s}`)]) out.add(f);
  // url-safe base64
  for (const f of [...out]) if (/[+/]/.test(f)) out.add(f.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...out];
}

export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || secrets.has(value)) return;
  secrets.add(value);
  forms = [...new Set([...forms, ...formsOf(value)])].sort((a, b) => b.length - a.length);
}

/** Replace every registered secret, in any of its forms, with "***" (for model output: nothing else changes). */
export function scrubKnownSecrets(text: string): string {
  let out = text;
  for (const s of forms) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** scrubKnownSecrets, and anything shaped like a bearer token header too (for error text). */
export function scrubSecrets(text: string): string {
  return scrubKnownSecrets(text).replace(/(Bearer\s+)[^\s"',;]+/gi, '$1***');
}

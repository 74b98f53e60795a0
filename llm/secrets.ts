/**
 * API keys known to this process, so that no error message, log line, cache
 * entry or usage report can carry one. Providers register the key they were
 * given; everything that turns an error into text goes through `scrubSecrets`.
 */
const secrets = new Set<string>();

/** Values shorter than this are not treated as secrets (they would match ordinary text). */
const MIN_SECRET_LENGTH = 6;

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

/** Replace every registered secret (and anything shaped like a bearer token header) with "***". */
export function scrubSecrets(text: string): string {
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out.replace(/(Bearer\s+)[^\s"',;]+/gi, '$1***');
}

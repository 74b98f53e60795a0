/**
 * `popbench data download`: fetch GSM8K, BBH, MMLU and Vicuna Eval (BPO's copy) from their official
 * URLs into the layout of the shared datasets folder, verifying every file
 * against `CHECKSUMS`. Each dataset is staged in a temporary folder inside the
 * data directory and moved into place only when all of its files verified, so
 * a failure leaves nothing partial behind.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { CHECKSUMS } from './checksums.js';

export const DATASETS = ['gsm8k', 'bbh', 'mmlu', 'vicuna'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** Official download locations (datasets README). */
export interface Sources {
  /** Folder URL holding train.jsonl and test.jsonl. */
  gsm8k: string;
  /** Repository root URL; files are `bbh/<task>.json` and `cot-prompts/<task>.txt` below it. */
  bbh: string;
  /** The MMLU tarball (its `data/{dev,val,test}/*.csv` are used). */
  mmluTar: string;
  /** Repository root URL of BPO's release at a fixed commit: `data/testset/vicuna_eval.jsonl` and `LICENSE` below it. */
  vicuna: string;
}

export const SOURCES: Sources = {
  gsm8k: 'https://raw.githubusercontent.com/openai/grade-school-math/master/grade_school_math/data/',
  bbh: 'https://raw.githubusercontent.com/suzgunmirac/BIG-Bench-Hard/main/',
  mmluTar: 'https://people.eecs.berkeley.edu/~hendrycks/data.tar',
  vicuna: 'https://raw.githubusercontent.com/thu-coai/BPO/9bf541587d1456fda6ffa46001ab545e892f4a2c/',
};

export type FetchFn = (
  url: string,
  init?: { signal?: AbortSignal },
) => Promise<{ ok: boolean; status: number; arrayBuffer(): Promise<ArrayBuffer>; body?: ReadableStream<Uint8Array> | null }>;

/** Default longest wait for a server's response headers (ms). */
export const CONNECT_TIMEOUT_MS = 30_000;
/** Default longest silence while a body is being received (ms). */
export const IDLE_TIMEOUT_MS = 60_000;

export interface DownloadOptions {
  dataDir: string;
  only?: readonly DatasetName[];
  /** Default: global fetch. */
  fetch?: FetchFn;
  sources?: Partial<Sources>;
  /** Expected SHA-256 per relative path; default CHECKSUMS. Also defines which files are fetched. */
  checksums?: Readonly<Record<string, string>>;
  /** Progress lines. */
  log?: (line: string) => void;
  signal?: AbortSignal;
  /** Longest wait for response headers (default CONNECT_TIMEOUT_MS). */
  connectTimeoutMs?: number;
  /** Longest silence while receiving a body (default IDLE_TIMEOUT_MS). */
  idleTimeoutMs?: number;
}

export interface DownloadReport {
  written: string[];
  unchanged: string[];
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Parse a `--only gsm8k,bbh` list. */
export function parseOnly(value: string | undefined): DatasetName[] {
  if (value === undefined || value.trim() === '') return [...DATASETS];
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names)
    if (!(DATASETS as readonly string[]).includes(n)) throw new UserError(`--only: unknown dataset "${n}" (choose from ${DATASETS.join(', ')})`);
  return [...new Set(names)] as DatasetName[];
}

/** The URL a GSM8K/BBH file is fetched from (MMLU files come from the tarball). */
export function urlFor(rel: string, sources: Sources): string {
  const [dataset, sub, file] = rel.split('/');
  if (dataset === 'gsm8k') return new URL(sub!, sources.gsm8k).href;
  if (dataset === 'bbh' && sub === 'tasks') return new URL(`bbh/${file}`, sources.bbh).href;
  if (dataset === 'bbh' && sub === 'cot-prompts') return new URL(`cot-prompts/${file}`, sources.bbh).href;
  if (rel === 'vicuna/vicuna_eval.jsonl') return new URL('data/testset/vicuna_eval.jsonl', sources.vicuna).href;
  if (rel === 'vicuna/LICENSE') return new URL('LICENSE', sources.vicuna).href;
  throw new Error(`no URL for ${rel}`);
}

interface FetchLimits {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}

const mb = (n: number) => (n / 1e6).toFixed(1);

/**
 * GET `url` into memory with its own timeouts: `connectTimeoutMs` until the
 * response headers arrive, then `idleTimeoutMs` of silence at most between
 * body chunks (Node's fetch would wait about 300 s). Large bodies log a
 * progress line every 5 MB.
 */
async function fetchBytes(fetchFn: FetchFn, url: string, limits: FetchLimits): Promise<Uint8Array> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(limits.signal?.reason);
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (ms: number, what: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = what;
      ctl.abort(new Error(what));
    }, ms);
  };
  const fail = (err: unknown): never => {
    if (timedOut) throw new UserError(`download failed: ${url}: ${timedOut}`);
    const cause = (err as { cause?: { message?: string } }).cause?.message;
    throw new UserError(`download failed: ${url}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`);
  };
  try {
    arm(limits.connectTimeoutMs, `no response within ${limits.connectTimeoutMs / 1000} s (connect timeout)`);
    let res: Awaited<ReturnType<FetchFn>>;
    try {
      res = await fetchFn(url, { signal: ctl.signal });
    } catch (err) {
      return fail(err);
    }
    if (!res.ok) throw new UserError(`download failed: ${url}: HTTP ${res.status}`);
    const idle = `no data for ${limits.idleTimeoutMs / 1000} s (idle timeout)`;
    arm(limits.idleTimeoutMs, idle);
    try {
      if (!res.body) return new Uint8Array(await res.arrayBuffer());
      const chunks: Uint8Array[] = [];
      let got = 0;
      let next = 5e6;
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm(limits.idleTimeoutMs, idle);
        chunks.push(value);
        got += value.length;
        if (got >= next) {
          limits.log(`  ${mb(got)} MB of ${url}`);
          next += 5e6;
        }
      }
      return new Uint8Array(Buffer.concat(chunks));
    } catch (err) {
      return fail(err);
    }
  } finally {
    clearTimeout(timer);
    limits.signal?.removeEventListener('abort', onAbort);
  }
}

/** Remove staging folders of downloads that were killed (their process is gone). */
function cleanStaging(dataDir: string): void {
  for (const name of readdirSync(dataDir)) {
    const m = /^\.download-[a-z0-9]+-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive)
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (err) {
        alive = (err as NodeJS.ErrnoException).code === 'EPERM';
      }
    if (!alive) rmSync(path.join(dataDir, name), { recursive: true, force: true });
  }
}

function fileMatches(file: string, sum: string): boolean {
  return existsSync(file) && sha256Hex(readFileSync(file)) === sum;
}

function verify(rel: string, data: Uint8Array, expected: string, from: string): void {
  const got = sha256Hex(data);
  if (got !== expected) throw new UserError(`checksum mismatch for ${rel} (from ${from}): expected sha256 ${expected}, got ${got}`);
}

/** Find the folder inside an extracted tarball that holds dev/ val/ test/ (usually `data/`). */
function findMmluRoot(dir: string, depth = 0): string | null {
  if (['dev', 'val', 'test'].every((s) => existsSync(path.join(dir, s)))) return dir;
  if (depth > 3) return null;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const found = findMmluRoot(path.join(dir, entry.name), depth + 1);
    if (found) return found;
  }
  return null;
}

/** Download (or confirm) the selected datasets into dataDir. */
export async function downloadDatasets(opts: DownloadOptions): Promise<DownloadReport> {
  const fetchFn: FetchFn = opts.fetch ?? ((url, init) => fetch(url, init));
  const sources: Sources = { ...SOURCES, ...opts.sources };
  const checksums = opts.checksums ?? CHECKSUMS;
  const log = opts.log ?? (() => {});
  const report: DownloadReport = { written: [], unchanged: [] };
  mkdirSync(opts.dataDir, { recursive: true });
  cleanStaging(opts.dataDir);
  const limits: FetchLimits = {
    connectTimeoutMs: opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
    idleTimeoutMs: opts.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    log,
    ...(opts.signal ? { signal: opts.signal } : {}),
  };

  for (const dataset of opts.only ?? DATASETS) {
    const rels = Object.keys(checksums).filter((r) => r.startsWith(`${dataset}/`)).sort();
    const missing = rels.filter((r) => !fileMatches(path.join(opts.dataDir, r), checksums[r]!));
    report.unchanged.push(...rels.filter((r) => !missing.includes(r)));
    if (missing.length === 0) {
      log(`${dataset}: ${rels.length} files already present and verified`);
      continue;
    }
    // Staged beside the data; the pid in the name lets the next download remove it if this one is killed.
    const stage = mkdtempSync(path.join(opts.dataDir, `.download-${dataset}-${process.pid}-`));
    try {
      if (dataset === 'mmlu') {
        log(`mmlu: fetching ${sources.mmluTar}`);
        const tarBytes = await fetchBytes(fetchFn, sources.mmluTar, limits);
        const tarFile = path.join(stage, 'data.tar');
        writeFileSync(tarFile, tarBytes);
        const unpack = path.join(stage, 'unpacked');
        mkdirSync(unpack);
        try {
          execFileSync('tar', ['-xf', tarFile, '-C', unpack], { stdio: ['ignore', 'ignore', 'pipe'] });
        } catch (err) {
          const msg = (err as { code?: string }).code === 'ENOENT' ? '`tar` not found on PATH' : (err as Error).message.split('\n')[0];
          throw new UserError(`cannot extract ${sources.mmluTar}: ${msg}`);
        }
        const root = findMmluRoot(unpack);
        if (!root) throw new UserError(`${sources.mmluTar}: no data/dev, data/val, data/test folders in the tarball`);
        for (const rel of missing) {
          const inner = path.join(root, ...rel.split('/').slice(1));
          if (!existsSync(inner)) throw new UserError(`${sources.mmluTar}: ${rel.split('/').slice(1).join('/')} missing from the tarball`);
          const data = readFileSync(inner);
          verify(rel, data, checksums[rel]!, sources.mmluTar);
          const out = path.join(stage, 'files', rel);
          mkdirSync(path.dirname(out), { recursive: true });
          writeFileSync(out, data);
        }
      } else {
        let i = 0;
        for (const rel of missing) {
          const url = urlFor(rel, sources);
          log(`${dataset}: [${++i}/${missing.length}] ${url}`);
          const data = await fetchBytes(fetchFn, url, limits);
          verify(rel, data, checksums[rel]!, url);
          const out = path.join(stage, 'files', rel);
          mkdirSync(path.dirname(out), { recursive: true });
          writeFileSync(out, data);
        }
      }
      // every file verified: move into place
      for (const rel of missing) {
        const dest = path.join(opts.dataDir, rel);
        mkdirSync(path.dirname(dest), { recursive: true });
        renameSync(path.join(stage, 'files', rel), dest);
        report.written.push(rel);
      }
      log(`${dataset}: wrote ${missing.length} files, ${rels.length - missing.length} already present`);
    } finally {
      rmSync(stage, { recursive: true, force: true });
    }
  }
  return report;
}

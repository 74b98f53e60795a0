import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { CHECKSUMS } from './checksums.js';
import { downloadDatasets, parseOnly, sha256Hex, type Sources } from './download.js';
import { REPO_ROOT } from './registry.js';
import { writeFixtureData } from '../test/fixtures.js';

const FIX = writeFixtureData();
const REAL = path.resolve(REPO_ROOT, '../shared/datasets');
const hasTar = (() => {
  try {
    execFileSync('tar', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasTar) console.warn('[tasks] `tar` not on PATH; skipping the MMLU tarball download test');

/** Relative paths of the fixture files the fake servers offer, with their checksums. */
const FILES = [
  'gsm8k/train.jsonl', 'gsm8k/test.jsonl',
  'bbh/tasks/navigate.json', 'bbh/cot-prompts/navigate.txt',
  'bbh/tasks/movie_recommendation.json', 'bbh/cot-prompts/movie_recommendation.txt',
  'mmlu/dev/anatomy_dev.csv', 'mmlu/val/anatomy_val.csv', 'mmlu/test/anatomy_test.csv',
  'vicuna/vicuna_eval.jsonl', 'vicuna/LICENSE',
];
const SUMS: Record<string, string> = Object.fromEntries(FILES.map((f) => [f, sha256Hex(readFileSync(path.join(FIX, f)))]));

let server: Server;
let sources: Sources;
const hits: string[] = [];
let work: string;

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'popbench-dl-'));
  if (hasTar) {
    cpSync(path.join(FIX, 'mmlu'), path.join(work, 'tarsrc/data'), { recursive: true });
    execFileSync('tar', ['-cf', path.join(work, 'data.tar'), '-C', path.join(work, 'tarsrc'), 'data']);
  }
  // URL layout of the official hosts: /gsm/<file>, /bbh-repo/bbh/<task>.json, /bbh-repo/cot-prompts/<task>.txt, /data.tar
  const routes: Record<string, string> = {
    '/gsm/train.jsonl': path.join(FIX, 'gsm8k/train.jsonl'),
    '/gsm/test.jsonl': path.join(FIX, 'gsm8k/test.jsonl'),
    '/data.tar': path.join(work, 'data.tar'),
    '/bpo/data/testset/vicuna_eval.jsonl': path.join(FIX, 'vicuna/vicuna_eval.jsonl'),
    '/bpo/LICENSE': path.join(FIX, 'vicuna/LICENSE'),
  };
  for (const t of ['navigate', 'movie_recommendation']) {
    routes[`/bbh-repo/bbh/${t}.json`] = path.join(FIX, `bbh/tasks/${t}.json`);
    routes[`/bbh-repo/cot-prompts/${t}.txt`] = path.join(FIX, `bbh/cot-prompts/${t}.txt`);
  }
  server = createServer((req, res) => {
    hits.push(req.url ?? '');
    const file = routes[req.url ?? ''];
    if (!file || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sources = { gsm8k: `${base}/gsm/`, bbh: `${base}/bbh-repo/`, mmluTar: `${base}/data.tar`, vicuna: `${base}/bpo/` };
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(work, { recursive: true, force: true });
});

const fresh = () => mkdtempSync(path.join(work, 'out-'));
const leftovers = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('.download-'));

describe('popbench data download (local HTTP server)', () => {
  it('writes verified files in the datasets layout; a second run fetches nothing', async () => {
    const dir = fresh();
    const only = hasTar ? (['gsm8k', 'bbh', 'mmlu', 'vicuna'] as const) : (['gsm8k', 'bbh', 'vicuna'] as const);
    const rep = await downloadDatasets({ dataDir: dir, only, sources, checksums: SUMS });
    const expected = FILES.filter((f) => only.some((d) => f.startsWith(`${d}/`)));
    expect(rep.written.sort()).toEqual([...expected].sort());
    for (const f of expected) expect(readFileSync(path.join(dir, f)).equals(readFileSync(path.join(FIX, f)))).toBe(true);
    expect(leftovers(dir)).toEqual([]);
    const before = hits.length;
    const again = await downloadDatasets({ dataDir: dir, only, sources, checksums: SUMS });
    expect(again.written).toEqual([]);
    expect(again.unchanged.length).toBe(expected.length);
    expect(hits.length).toBe(before);
  });

  it('a bad checksum is a UserError naming the file, and nothing of that dataset is left behind', async () => {
    const dir = fresh();
    const bad = { ...SUMS, 'gsm8k/test.jsonl': '0'.repeat(64) };
    const run = downloadDatasets({ dataDir: dir, only: ['gsm8k'], sources, checksums: bad });
    await expect(run).rejects.toThrow(UserError);
    await expect(downloadDatasets({ dataDir: dir, only: ['gsm8k'], sources, checksums: bad })).rejects.toThrow(/checksum mismatch for gsm8k\/test\.jsonl/);
    expect(existsSync(path.join(dir, 'gsm8k/train.jsonl'))).toBe(false);
    expect(existsSync(path.join(dir, 'gsm8k/test.jsonl'))).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it.skipIf(!hasTar)('a bad checksum inside the MMLU tarball names the CSV and leaves nothing', async () => {
    const dir = fresh();
    const bad = { ...SUMS, 'mmlu/val/anatomy_val.csv': 'f'.repeat(64) };
    await expect(downloadDatasets({ dataDir: dir, only: ['mmlu'], sources, checksums: bad })).rejects.toThrow(/checksum mismatch for mmlu\/val\/anatomy_val\.csv/);
    expect(existsSync(path.join(dir, 'mmlu'))).toBe(false);
    expect(leftovers(dir)).toEqual([]);
  });

  it('an HTTP error is a UserError naming the URL and status', async () => {
    const dir = fresh();
    const sums = { ...SUMS, 'bbh/tasks/snarks.json': 'a'.repeat(64) };
    await expect(downloadDatasets({ dataDir: dir, only: ['bbh'], sources, checksums: sums })).rejects.toThrow(/download failed: .*\/bbh-repo\/bbh\/snarks\.json: HTTP 404/);
    expect(existsSync(path.join(dir, 'bbh'))).toBe(false);
  });

  it('an unreachable host is a UserError', async () => {
    const dir = fresh();
    const failing = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(downloadDatasets({ dataDir: dir, only: ['gsm8k'], fetch: failing, checksums: SUMS })).rejects.toThrow(/download failed: https:\/\/raw\.githubusercontent\.com\/openai\/grade-school-math\/.*\.jsonl: fetch failed/);
  });

  it('--only parsing', () => {
    expect(parseOnly(undefined)).toEqual(['gsm8k', 'bbh', 'mmlu', 'vicuna']);
    expect(parseOnly('mmlu, gsm8k')).toEqual(['mmlu', 'gsm8k']);
    expect(() => parseOnly('gsm8k,squad')).toThrow('--only: unknown dataset "squad"');
  });
});

describe.skipIf(!existsSync(REAL))('checksums table', () => {
  it('covers every data file of the shared datasets and matches their bytes', () => {
    // vicuna/ is not in the shared copies: its sums were computed from thu-coai/BPO@9bf5415 (tasks/checksums.ts)
    const shared = Object.entries(CHECKSUMS).filter(([rel]) => !rel.startsWith('vicuna/'));
    expect(shared.length).toBe(2 + 27 * 2 + 57 * 3);
    expect(Object.keys(CHECKSUMS).length).toBe(shared.length + 2);
    const bad = shared.filter(([rel, sum]) => sha256Hex(readFileSync(path.join(REAL, rel))) !== sum);
    expect(bad).toEqual([]);
  });
});

describe('download timeouts and leftovers', () => {
  const sockets = new Set<import('node:net').Socket>();
  let slow: Server;
  let base = '';
  beforeAll(async () => {
    // /silent accepts and never answers; /stall sends headers and a few bytes, then nothing.
    slow = createServer((req, res) => {
      if (req.url?.startsWith('/stall')) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '1000' });
        res.write('partial');
      }
    });
    slow.on('connection', (s) => sockets.add(s));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => slow.close(() => resolve()));
  });

  it('a server that never answers: a connect-timeout error naming the URL, soon, and nothing left behind', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-dl-silent-'));
    const t0 = Date.now();
    await expect(
      downloadDatasets({ dataDir: dir, only: ['gsm8k'], checksums: SUMS, sources: { ...sources, gsm8k: `${base}/silent/` }, connectTimeoutMs: 300 }),
    ).rejects.toThrow(new RegExp(`download failed: ${base}/silent/.*: no response within 0\\.3 s \\(connect timeout\\)`));
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(readdirSync(dir).filter((n) => n.startsWith('.download-'))).toEqual([]);
  });

  it('a body that stalls: an idle-timeout error', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-dl-stall-'));
    await expect(
      downloadDatasets({ dataDir: dir, only: ['gsm8k'], checksums: SUMS, sources: { ...sources, gsm8k: `${base}/stall/` }, idleTimeoutMs: 300 }),
    ).rejects.toThrow(/no data for 0\.3 s \(idle timeout\)/);
    expect(readdirSync(dir).filter((n) => n.startsWith('.download-'))).toEqual([]);
  });

  it('the staging folder of a killed download is removed by the next one; a live one is kept', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pb-dl-left-'));
    let dead = 4_000_000;
    for (;;) {
      try {
        process.kill(dead, 0);
        dead--;
      } catch {
        break;
      }
    }
    mkdirSync(path.join(dir, `.download-gsm8k-${dead}-abc123`, 'files'), { recursive: true });
    mkdirSync(path.join(dir, `.download-bbh-${process.pid}-def456`));
    await downloadDatasets({ dataDir: dir, only: ['gsm8k'], sources, checksums: SUMS });
    expect(readdirSync(dir).filter((n) => n.startsWith('.download-'))).toEqual([`.download-bbh-${process.pid}-def456`]);
  });
});

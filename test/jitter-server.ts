/**
 * A loopback OpenAI-compatible server for concurrency tests: `popbench
 * serve-sim` behind a proxy that holds every request for a random time
 * (Math.random, so replies come back in a different order on every run) and
 * counts the requests it forwards, by body.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SimWorld } from '../sim/index.js';
import { startSimServer } from '../sim/server.js';
import type { Task } from '../core/types.js';

export interface JitterServer {
  /** Base URL including /v1. */
  url: string;
  /** Requests forwarded, and how many times each distinct body came. */
  requests(): number;
  bodies(): Map<string, number>;
  /** Most requests in flight at once. */
  maxInFlight(): number;
  reset(): void;
  close(): Promise<void>;
}

export async function startJitterServer(tasks: readonly Task[], maxDelayMs = 6): Promise<JitterServer> {
  const world = new SimWorld();
  for (const t of tasks) world.register(t);
  const sim = await startSimServer({ world });
  let bodies = new Map<string, number>();
  let requests = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests++;
      bodies.set(body, (bodies.get(body) ?? 0) + 1);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(async () => {
        try {
          const r = await fetch(`http://127.0.0.1:${sim.port}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json' }, body });
          const text = await r.text();
          res.writeHead(r.status, { 'content-type': 'application/json' });
          res.end(text);
        } catch (err) {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: { message: String(err) } }));
        } finally {
          inFlight--;
        }
      }, Math.random() * maxDelayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    requests: () => requests,
    bodies: () => bodies,
    maxInFlight: () => maxInFlight,
    reset: () => {
      bodies = new Map();
      requests = 0;
      maxInFlight = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sim.close();
    },
  };
}

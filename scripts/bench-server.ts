/**
 * The fixed-latency OpenAI-compatible server of `npm run bench` section 6, run
 * as a child process of the bench so that the server and the client measured
 * (popbench) never share one event loop: the throughput figures are then
 * popbench's own. It answers every `POST /v1/chat/completions` after exactly
 * `latencyMs` however many are in flight (target questions get a number; OPRO
 * meta-prompts a fresh <INS> instruction), and `GET /stats` with the requests
 * and the most in flight since `POST /reset`.
 *
 *   node --import tsx scripts/bench-server.ts <latencyMs>   → prints {"url": "http://127.0.0.1:PORT/v1"}
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const latencyMs = Number(process.argv[2] ?? 50);
let inFlight = 0;
let maxInFlight = 0;
let requests = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ requests, maxInFlight }));
    return;
  }
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => {
    if (req.url === '/reset') {
      requests = 0;
      maxInFlight = 0;
      res.writeHead(204).end();
      return;
    }
    requests++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const parsed = JSON.parse(body) as { messages: { content: string }[] };
    const last = parsed.messages.at(-1)?.content ?? '';
    const content = last.includes('<INS>') ? `<INS>Work it out step by step, variant ${requests}.</INS>` : `Adding up: so the answer is ${last.length % 97}.`;
    const reply = JSON.stringify({
      object: 'chat.completion',
      model: 'bench',
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 50, completion_tokens: 10 },
    });
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(reply) });
      res.end(reply);
    }, latencyMs);
  });
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1` })}\n`);
});
// The bench closes stdin when it is done (or dies): stop then.
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));

/** A scripted local HTTP server for provider tests (127.0.0.1, random port). */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: any;
}

/** One scripted reply; 'hang' never answers; a function answers from the request it is given. */
export type Reply =
  | { status?: number; headers?: Record<string, string>; json?: unknown; raw?: string; delayMs?: number }
  | 'hang'
  | ((req: SeenRequest) => Reply);

export interface TestServer {
  url: string;
  requests: SeenRequest[];
  /** Replies used in order; the last one repeats. */
  script(...replies: Reply[]): void;
  close(): Promise<void>;
}

export function chatReply(texts: string[], extra: Record<string, unknown>[] = []): Reply {
  return {
    json: {
      id: 'cmpl-1',
      object: 'chat.completion',
      model: 'served-model',
      choices: texts.map((t, i) => ({ index: i, message: { role: 'assistant', content: t }, finish_reason: 'stop', ...(extra[i] ?? {}) })),
      usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 },
    },
  };
}

export async function startServer(): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let replies: Reply[] = [chatReply(['ok'])];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => {
      let body: unknown = data;
      try {
        body = JSON.parse(data);
      } catch {
        /* keep raw */
      }
      const seen: SeenRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      let reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
      while (typeof reply === 'function') reply = reply(seen);
      if (reply === 'hang') return; // never answer
      const r = reply;
      const payload = r.raw ?? JSON.stringify(r.json ?? {});
      const send = () => {
        res.writeHead(r.status ?? 200, { 'content-type': 'application/json', ...(r.headers ?? {}) });
        res.end(payload);
      };
      if (r.delayMs) setTimeout(send, r.delayMs);
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...r) => {
      replies = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

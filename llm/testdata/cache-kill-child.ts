/**
 * Child process for cache.test.ts: writes `count` entries through the cache
 * middleware, reports "written" on stdout once they are committed (the cache
 * commits its writes once per turn of the event loop), then SIGKILLs itself
 * without closing the database.
 */
import { CallCache, cacheMiddleware } from '../cache.js';
import { countingLLM } from '../fake.js';

const [path, countArg] = process.argv.slice(2);
const cache = CallCache.open(path!, 'read-write');
const llm = cacheMiddleware(cache)(countingLLM());
const count = Number(countArg ?? 3);
for (let i = 0; i < count; i++) await llm.complete({ messages: [{ role: 'user', content: `question ${i}` }] });
await new Promise((resolve) => setImmediate(resolve));
process.stdout.write('written\n', () => process.kill(process.pid, 'SIGKILL'));

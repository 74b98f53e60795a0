/** The per-run session lives in benchmarks/session.ts (the suite runner uses it too); re-exported for the commands. */
export { parseFloatFlag, parseIntFlag, Session, type SessionFlags } from '../benchmarks/session.js';

/** Generated "-like" task families (like/gsm, like/object_counting, ...). Provisional: none yet. */
import type { Task } from '../../core/types.js';

export const LIKE_TASKS: readonly string[] = [];

export function loadLikeTask(name: string, _opts: { seed?: number; size?: number } = {}): Task {
  throw new Error(`unknown like task: like/${name}`);
}

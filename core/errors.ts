/**
 * An error caused by bad input (flag, config, data file, model output, HTTP
 * reply). The CLI prints its message as one line and exits with code 2; no
 * stack trace. Messages must name what was wrong and where.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Thrown by the budget meter when a call would go past the limit. */
export class BudgetExhausted extends Error {
  constructor(
    readonly what: string,
    readonly used: number,
    readonly limit: number,
  ) {
    super(`budget exhausted: ${what} ${used}/${limit}`);
    this.name = 'BudgetExhausted';
  }
}

/** A provider call that failed for good (after retries). Never contains an API key. */
export class LLMError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryable = false,
    readonly retryAfterMs?: number,
    /**
     * The endpoint can serve no call at all (bad key, no quota, unknown model):
     * every later call to it fails the same way without being sent.
     */
    readonly fatal = false,
  ) {
    super(message);
    this.name = 'LLMError';
  }
}

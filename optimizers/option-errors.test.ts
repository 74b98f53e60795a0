/** A bad optimizer option names what was given and what is expected (never zod's bare "Invalid input"). */
import { describe, expect, it } from 'vitest';
import { checkOptions } from './setup.js';

describe('option errors', () => {
  it('say what a union option (a number or "Infinity") expects and what it got', () => {
    const r = checkOptions('opro', 'paper', { steps: 'abc' });
    expect('issue' in r && r.issue).toMatchObject({ option: 'steps', message: 'expected a number or "Infinity", got "abc"' });
  });
  it('keep zod\'s own message when it says what it expected, with the value given', () => {
    const r = checkOptions('opro', 'paper', { candidatesPerStep: 'abc' });
    expect('issue' in r && r.issue.message).toMatch(/expected number, received string \("abc"\)$/);
  });
});

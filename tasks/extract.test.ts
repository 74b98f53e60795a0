import { describe, expect, it } from 'vitest';
import type { AnswerFormat, Example } from '../core/types.js';
import { answerKey, extractAnswer, normalizeNumber, scoreAnswer } from './extract.js';

const ex = (target: string, input = 'question', options?: string[]): Example => ({ id: 't', input, target, ...(options ? { options } : {}) });
/** extract + score in one step. */
const right = (output: string, format: AnswerFormat, example: Example) => scoreAnswer(extractAnswer(output, format, example), example, format);

const MC = ex('(B)', 'Which?\nOptions:\n(A) red apple\n(B) green pear\n(C) blue plum');

describe('letter answers', () => {
  it.each([
    'So the answer is (B).',
    'B',
    '(b)',
    'Answer: B',
    'The answer is B.',
    'I think (A) looks tempting, but the answer is (B).',
    'Step 1: compare (A) and (C).\n(B)',
    'So the answer is green pear.',
    '\\boxed{B}',
    'So the answer is **(B)**.',
  ])('%j → (B)', (out) => {
    expect(extractAnswer(out, 'letter', MC)).toBe('(B)');
    expect(right(out, 'letter', MC)).toBe(true);
  });

  it.each(['So the answer is (C).', 'Answer: A', 'So the answer is blue plum.', 'The answer is (B)... no wait, the answer is (C).'])(
    '%j scores wrong against (B)',
    (out) => expect(right(out, 'letter', MC)).toBe(false),
  );

  it('prefers the explicit marker over later letters and takes the last marker', () => {
    expect(extractAnswer('So the answer is (A).\nOption (C) was a distractor.', 'letter', MC)).toBe('(A)');
    expect(extractAnswer('Answer: (A)\nHmm. Final answer: (C)', 'letter', MC)).toBe('(C)');
  });

  it('reads Markdown-emphasised markers and answers', () => {
    for (const out of ['**Answer:** B', '**Answer**: B', '__Answer:__ (B)', 'The answer is **(B)**.'])
      expect(extractAnswer(out, 'letter', MC), out).toBe('(B)');
    expect(extractAnswer('**Answer:** 42', 'integer')).toBe('42');
  });

  it('a bare letter opening the marked answer beats a letter quoted in the reason after it', () => {
    expect(extractAnswer('I think the answer is B because (A) is wrong.', 'letter', MC)).toBe('(B)');
    expect(extractAnswer('So the answer is C, not (A).', 'letter', MC)).toBe('(C)');
    expect(extractAnswer('So the answer is (B) because (A) is wrong.', 'letter', MC)).toBe('(B)');
  });

  it('without a marker takes the last option letter', () => {
    expect(extractAnswer('(A) is wrong, (C) is right', 'letter', MC)).toBe('(C)');
  });

  it('ignores letters beyond the option count and option text that contains "(i)"-style markers', () => {
    const m = ex('(A)', 'Which?\nOptions:\n(A) (i) and (iii) only\n(B) (ii) only\n(C) none\n(D) all', ['(i) and (iii) only', '(ii) only', 'none', 'all']);
    expect(extractAnswer('So the answer is (i) and (iii) only.', 'letter', m)).toBe('(A)');
    expect(extractAnswer('The answer is (G) hmm, (D)', 'letter', m)).toBe('(D)');
  });

  it('scores letters up to (R)', () => {
    expect(right('So the answer is (R).', 'letter', ex('(R)'))).toBe(true);
    expect(right('So the answer is (Q).', 'letter', ex('(R)'))).toBe(false);
  });

  it('returns null when there is no answer', () => {
    expect(extractAnswer('I do not know.', 'letter', MC)).toBeNull();
    expect(scoreAnswer(null, MC, 'letter')).toBe(false);
  });
});

describe('text gold in letter tasks (BBH anomalies)', () => {
  const movie = ex('Monsters, Inc', 'Find a movie similar to X:\nOptions:\n(A) Monsters\n(B) Inc\n(C) Children of the Night');
  const ruin = ex('rita, sue and bob poo', "edit of 'rita, sue and bob too'?\nOptions:\n(A) rita\n(B) sue and bob too\n(C) rita\n(D) sue and bob poo");
  it('the gold text printed by the model is right', () => {
    expect(right('So the answer is Monsters, Inc.', 'letter', movie)).toBe(true);
    expect(right('So the answer is rita, sue and bob poo.', 'letter', ruin)).toBe(true);
  });
  it('a letter or another text is wrong', () => {
    expect(right('So the answer is (A).', 'letter', movie)).toBe(false);
    expect(right('So the answer is rita, sue and bob too.', 'letter', ruin)).toBe(false);
    expect(right('So the answer is (D).', 'letter', ruin)).toBe(false);
  });
});

describe('binary answers', () => {
  it('True/False', () => {
    expect(right('not ( True ) = False. So the answer is False.', 'true_false', ex('False'))).toBe(true);
    expect(right('So the answer is True.', 'true_false', ex('False'))).toBe(false);
    expect(extractAnswer('True and False is False', 'true_false')).toBe('False');
  });
  it('Yes/No and lowercase yes/no compare case-insensitively', () => {
    expect(right('So the answer is Yes.', 'yes_no', ex('yes'))).toBe(true);
    expect(right('So the answer is yes.', 'yes_no', ex('Yes'))).toBe(true);
    expect(right('So the answer is no.', 'yes_no', ex('yes'))).toBe(false);
    expect(right('Yesterday he said no. So the answer is No.', 'yes_no', ex('No'))).toBe(true);
    expect(extractAnswer('Yesterday nobody came', 'yes_no')).toBeNull();
  });
  it('valid/invalid never reads "valid" inside "invalid"', () => {
    expect(extractAnswer('So the answer is invalid.', 'valid_invalid')).toBe('invalid');
    expect(right('So the answer is invalid.', 'valid_invalid', ex('valid'))).toBe(false);
    expect(right('So the answer is valid.', 'valid_invalid', ex('invalid'))).toBe(false);
    expect(right('The argument is deductively valid. So the answer is valid.', 'valid_invalid', ex('valid'))).toBe(true);
    expect(extractAnswer('The argument is invalid', 'valid_invalid')).toBe('invalid');
    expect(extractAnswer('So the answer is not valid.', 'valid_invalid')).toBe('invalid');
  });
});

describe('integer answers', () => {
  it.each([
    ['#### 1,450,000', '1,450,000'],
    ['So the answer is 1450000.', '1,450,000'],
    ['The answer is 42', '42'],
    ['The answer is 42.0', '42'],
    ['So the answer is $42.', '42'],
    ['\\boxed{42}', '42'],
    ['She pays 3 * 14 = 42 dollars.', '42'],
    ['So the answer is -5.', '-5'],
    ['((-3 * 5) - 2) = -17. So the answer is -17.', '-17'],
    ['He has 5 - 3 = 2 left.\n#### 2', '2'],
  ])('%j is right for gold %j', (out, gold) => expect(right(out, 'integer', ex(gold))).toBe(true));

  it.each([
    ['So the answer is 41.', '42'],
    ['So the answer is -5.', '5'],
    ['So the answer is 5.', '-5'],
    ['So the answer is 145000.', '1,450,000'],
    ['So the answer is 42.5.', '42'],
    ['no number here', '42'],
  ])('%j is wrong for gold %j', (out, gold) => expect(right(out, 'integer', ex(gold))).toBe(false));

  it('prefers the marked answer, then the last number', () => {
    expect(extractAnswer('The answer is 12. Then 3 more apples.', 'integer')).toBe('12');
    expect(extractAnswer('the answer is 12. Actually, the answer is 13', 'integer')).toBe('13');
    expect(extractAnswer('3 apples and 4 pears make 7', 'integer')).toBe('7');
  });

  it('normalises numbers', () => {
    expect(normalizeNumber('1,450,000')).toBe('1450000');
    expect(normalizeNumber('-0')).toBe('0');
    expect(normalizeNumber('007')).toBe('7');
    expect(normalizeNumber('2.50')).toBe('2.5');
    expect(normalizeNumber('abc')).toBeNull();
  });
});

describe('dyck and word answers', () => {
  it('dyck: whitespace is normalised, brackets must match exactly', () => {
    expect(right('So the answer is ] ] >.', 'dyck', ex('] ] >'))).toBe(true);
    expect(right('So the answer is ]]>', 'dyck', ex('] ] >'))).toBe(true);
    expect(right('So the answer is ] >.', 'dyck', ex('] ] >'))).toBe(false);
    expect(right('So the answer is ) ] >.', 'dyck', ex('] ] >'))).toBe(false);
    expect(answerKey(')  )\t>', 'dyck')).toBe(') ) >');
  });
  it('word sorting: order and every word matter, case and final period do not', () => {
    expect(right("So the answer is barn damp it&t you've.", 'words', ex("barn damp it&t you've"))).toBe(true);
    expect(right('So the answer is Barn Damp.', 'words', ex('barn damp'))).toBe(true);
    expect(right('So the answer is damp barn.', 'words', ex('barn damp'))).toBe(false);
    expect(right('So the answer is barn.', 'words', ex('barn damp'))).toBe(false);
  });
  it('free text compares after normalisation; last line when unmarked', () => {
    expect(right('Answer: The Eiffel Tower!', 'text', ex('the eiffel tower'))).toBe(true);
    expect(right('thinking...\nParis', 'text', ex('paris'))).toBe(true);
    expect(right('So the answer is London.', 'text', ex('paris'))).toBe(false);
  });
});

/**
 * Each optimizer's default meta-prompts against fixtures copied from the
 * reference code (optimizers/fixtures/*.txt; the first line of each names the
 * repository, commit, file and lines). The fixtures hold the reference source
 * text verbatim; `pyLiteral` evaluates it as Python would with the same field
 * values, so any rewording of a meta-prompt fails here.
 */
import { describe, expect, it } from 'vitest';
import { lstripLines, pyLiteral, readFixture } from './fixtures.test-util.js';
import { editMetaPrompt, formatErrors, gradientMetaPrompt, paraphraseMetaPrompt, PROTEGI_DEFAULTS } from './protegi.js';

describe('fixtures', () => {
  it('name their source', () => {
    for (const f of ['protegi-gradient.txt', 'protegi-edit.txt', 'protegi-paraphrase.txt', 'protegi-errors.txt'])
      expect(readFixture(f).source).toMatch(/^source: [\w-]+\/[\w.-]+@[0-9a-f]{7,40} \S+ lines? \d+/);
  });
});

describe('ProTeGi (microsoft/LMOps prompt_optimization/optimizers.py)', () => {
  const shown = [
    { exampleId: 'a', input: ' Is this hate speech?  ', output: 'No. So the answer is No.', gold: 'Yes' },
    { exampleId: 'b', input: 'Second text', output: 'x', gold: 'No' },
  ];
  // the reference's _sample_error_str (optimizers.py:37-41), as Python computes it
  const referenceErrors = shown
    .map((f, i) => `## Example ${i + 1}\nText: "${f.input.trim()}"\nLabel: ${f.gold}\nPrediction: ${['No', 'Yes'][i]}\n\n`)
    .join('')
    .trim();
  const prompt = 'Is the following text hate speech?';

  it('error examples show Text / Label / Prediction only by default', () => {
    expect(readFixture('protegi-errors.txt').body).toContain("f'Text: \\\"{t.strip()}\\\"\\nLabel:");
    expect(formatErrors(shown, ['No', 'Yes'], PROTEGI_DEFAULTS.showOutputs)).toBe(referenceErrors);
  });
  it('gradient meta-prompt', () => {
    const ref = lstripLines(pyLiteral(readFixture('protegi-gradient.txt').body, { prompt, error_string: referenceErrors, num_feedbacks: 1 }));
    expect(gradientMetaPrompt(prompt, referenceErrors, PROTEGI_DEFAULTS.reasonsPerGradient)).toBe(ref);
  });
  it('edit meta-prompt', () => {
    const feedback = 'the prompt does not define hate speech.';
    const ref = lstripLines(
      pyLiteral(readFixture('protegi-edit.txt').body, { prompt, error_str: referenceErrors, feedback_str: feedback, steps_per_gradient: 1 }),
    );
    expect(editMetaPrompt(prompt, referenceErrors, feedback, PROTEGI_DEFAULTS.editsPerGradient)).toBe(ref);
  });
  it('paraphrase meta-prompt', () => {
    expect(paraphraseMetaPrompt(prompt)).toBe(pyLiteral(readFixture('protegi-paraphrase.txt').body, { prompt_section: prompt }));
  });
});

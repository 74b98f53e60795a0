/**
 * Each optimizer's default meta-prompts against fixtures copied from the
 * reference code (optimizers/fixtures/*.txt; the first line of each names the
 * repository, commit, file and lines). The fixtures hold the reference source
 * text verbatim; `pyLiteral` evaluates it as Python would with the same field
 * values, so any rewording of a meta-prompt fails here.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lstripLines, pyLiteral, readFixture } from './fixtures.test-util.js';
import { buildGpoMetaPrompt, feedbackMetaPrompt, formatFailures as gpoFailures, gpo, GPO_DEFAULTS, GPO_INITIAL, pyFloat } from './gpo.js';
import {
  DATASET_DESCRIPTOR,
  DATASET_DESCRIPTOR_WITH_PRIOR,
  DESCRIBE_MODULE,
  DESCRIBE_PROGRAM,
  dspyChatMessages,
  generateInstructionSignature,
  MIPRO_TIPS,
  OBSERVATION_SUMMARIZER,
  type DspySignature,
} from './mipro.js';
import { demonstrationMetaPrompt, reviseProcedureMetaPrompt, stepCheckMetaPrompt, writeProcedureMetaPrompt } from './abo.js';
import { BPO_DEFAULTS, bpoMetaPrompt, makeRewriter } from './bpo.js';
import { editMetaPrompt, formatErrors, gradientMetaPrompt, paraphraseMetaPrompt, PROTEGI_DEFAULTS } from './protegi.js';

describe('fixtures', () => {
  it('name their source', () => {
    for (const f of readdirSync(new URL('./fixtures/', import.meta.url)))
      expect(readFixture(f).source).toMatch(/^source: ([\w-]+\/[\w.-]+@[0-9a-f]{7,40} \S+ lines? \d+|popbench optimizers\/\w+\.ts \(.*no prompt wording)/);
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

describe('GPO (RUCAIBox/GPO src/optimization)', () => {
  const question = (i: number) => `Question ${i}: If you follow these instructions, do you return to the starting point?`;
  const exemplars = [1, 2, 3].map((i) => ({ id: `e${i}`, input: question(i), target: i % 2 ? 'Yes' : 'No' }));
  const exemplarOf = (e: (typeof exemplars)[number]) =>
    pyLiteral(
      /f"Input:[^"]*"/.exec(readFixture('gpo-exemplar-qend.txt').body)![0],
      {
        'self.Dataset_class.get_single_question(self.data, idx)': e.input,
        'self.Dataset_class.get_single_answer(self.data, idx)': e.target,
      },
    );
  const taskExampleString = exemplars.map(exemplarOf).join('\n\n');
  const klist = (entries: { instruction: string; score: number }[]) => {
    const body = readFixture('gpo-klist.txt').body;
    const prefix = pyLiteral(body.slice(body.indexOf('prefix_string = ('), body.indexOf('selected_string')));
    const entry = /f"Prompt: [^"]*"/.exec(body)![0];
    // '\n\n'.join([f"Prompt: {selected_str[0]}\nScore: {selected_str[1]}" ...]) + '\n\n'  (k_update.py:23)
    const selected =
      entries.map((e) => pyLiteral(entry, { 'selected_str[0]': e.instruction, 'selected_str[1]': pyFloat(e.score) })).join('\n\n') + '\n\n';
    return prefix + selected;
  };
  // w_lr.py:17-19: the lr sentence goes before the last line
  const withLr = (text: string, words: number) => {
    const body = readFixture('gpo-lr.txt').body;
    const lr = pyLiteral(body.slice(body.indexOf('lr_template'), body.indexOf('class W_LR')).replace('{modify_word_num}', String(words)));
    const lines = text.split('\n');
    return lines.slice(0, -1).join('\n') + '\n' + lr + '\n' + lines[lines.length - 1];
  };
  const trajectory = [
    { instruction: "Let's think step by step.", score: 0.4583333333333333 },
    { instruction: 'Track each move and check whether you end where you began.', score: 0.5 },
  ];

  it('defaults are the GPO.sh run: generation without gradient, k-list relevance, w_lr, Q_end, "Let\'s think step by step."', () => {
    expect(GPO_DEFAULTS.showFailures).toBe(false);
    expect(GPO_INITIAL).toEqual({ instruction: "Let's think step by step.", position: 'Q_end', layout: 'plain' });
    expect(gpo.initial!('bbh/navigate')).toEqual(GPO_INITIAL);
    expect(GPO_DEFAULTS.direction).toBe('trajectory-relevance');
    expect(GPO_DEFAULTS.editLimit).toBe(true);
  });
  it('update meta-prompt (generate_without + k-list + w_lr)', () => {
    const current = trajectory[1]!.instruction;
    const ref = withLr(
      pyLiteral(readFixture('gpo-generate-without-klist.txt').body, {
        k_list_string: klist([trajectory[1]!, trajectory[0]!]),
        current_prompt: current,
        task_example_string: taskExampleString,
        instruction_pos_description: 'at the end of the question',
      }),
      37,
    );
    const ours = buildGpoMetaPrompt({
      current,
      currentScore: 0.5,
      retrieved: [trajectory[1]!, trajectory[0]!],
      problems: null,
      exemplars,
      position: GPO_INITIAL.position!,
      editWords: 37,
    });
    expect(ours).toBe(ref);
  });
  it('update meta-prompt with no trajectory shows the current prompt and its score rounded to 2 places', () => {
    const current = trajectory[0]!.instruction;
    const ref = pyLiteral(readFixture('gpo-generate-without-current.txt').body, {
      current_prompt: current,
      current_prompt_score: '0.46', // round(0.4583…, 2), optimize.py:772
      task_example_string: taskExampleString,
      instruction_pos_description: 'at the end of the question',
    });
    expect(
      buildGpoMetaPrompt({ current, currentScore: trajectory[0]!.score, retrieved: [], problems: null, exemplars, position: 'Q_end', editWords: null }),
    ).toBe(ref);
  });
  it('ablation with failures: feedback meta-prompt and generate_based update meta-prompt', () => {
    const shown = [{ exampleId: 'a', input: question(1), output: 'I end elsewhere. So the answer is No.', gold: 'Yes' }];
    const errorString = pyLiteral(readFixture('gpo-feedback.txt').body.split('for idx in')[0]!, {
      'self.Dataset_class.get_single_question(self.data, idx)': question(1),
      'raw_index2prediction[idx]': 'No',
      'self.Dataset_class.get_single_answer(self.data, idx)': 'Yes',
    });
    const fb = readFixture('gpo-feedback.txt').body;
    const refFeedback = pyLiteral(fb.slice(fb.indexOf('meta_gradient_text')), { current_prompt: "Let's think step by step.", error_string: errorString });
    expect(feedbackMetaPrompt("Let's think step by step.", gpoFailures(shown, ['No'], false))).toBe(refFeedback);
    const gradient = 'The prompt does not ask to track the position.';
    const ref = pyLiteral(readFixture('gpo-generate-feedback-klist.txt').body, {
      k_list_string: klist([trajectory[0]!]),
      current_prompt: trajectory[0]!.instruction,
      gradient,
      task_example_string: taskExampleString,
      instruction_pos_description: 'at the end of the question',
    });
    expect(
      buildGpoMetaPrompt({ current: trajectory[0]!.instruction, currentScore: 0.45, retrieved: [trajectory[0]!], problems: gradient, exemplars, position: 'Q_end', editWords: null }),
    ).toBe(ref);
  });
});

describe('MIPROv2 (stanfordnlp/dspy 3.3.1)', () => {
  /** The docstring and (name, kind, desc) fields of each DSPy Signature class in a fixture, in source order. */
  const signatures = (name: string) => {
    const body = readFixture(name).body;
    const out: { cls: string; instructions: string; fields: [string, 'Input' | 'Output', string][] }[] = [];
    for (const part of body.split(/\n(?=\s*class )/)) {
      const cls = /class (\w+)\(dspy\.Signature\)/.exec(part)?.[1];
      if (!cls) continue;
      const doc = /\(\s*((?:"""[\s\S]*?"""\s*)+)\)/.exec(part)![1]!;
      const fields = [...part.matchAll(/(\w+) = dspy\.(Input|Output)Field\(\s*desc="([^"]*)"/g)].map(
        (m) => [m[1]!, m[2] as 'Input' | 'Output', m[3]!] as [string, 'Input' | 'Output', string],
      );
      out.push({ cls, instructions: pyLiteral(doc), fields });
    }
    return out;
  };
  const same = (ours: DspySignature, ref: ReturnType<typeof signatures>[number]) => {
    expect(ours.instructions).toBe(ref.instructions);
    expect(ours.inputs).toEqual(ref.fields.filter((f) => f[1] === 'Input').map(([n, , d]) => [n, d]));
    expect(ours.outputs).toEqual(ref.fields.filter((f) => f[1] === 'Output').map(([n, , d]) => [n, d]));
  };

  it('the instruction proposer signature, with every grounding field', () => {
    const [ref] = signatures('mipro-generate-instruction.txt');
    same(generateInstructionSignature({ dataSummary: true, program: true, history: true, tip: true }), ref!);
  });
  it('the program / module description signatures', () => {
    const [program, module] = signatures('mipro-describe.txt');
    same(DESCRIBE_PROGRAM, program!);
    same(DESCRIBE_MODULE, module!);
  });
  it('the dataset summary signatures', () => {
    const [summarizer, descriptor, withPrior] = signatures('mipro-dataset-summary.txt');
    same(OBSERVATION_SUMMARIZER, summarizer!);
    same(DATASET_DESCRIPTOR, descriptor!);
    same(DATASET_DESCRIPTOR_WITH_PRIOR, withPrior!);
  });
  it('the prompting tips', () => {
    const body = readFixture('mipro-tips.txt').body;
    const ref = Object.fromEntries([...body.matchAll(/"(\w+)": ((?:"[^"]*")|(?:'[^']*'))/g)].map((m) => [m[1]!, pyLiteral(m[2]!)]));
    expect(MIPRO_TIPS).toEqual(ref);
  });
  it('ChatAdapter messages use the adapter\'s own wording', () => {
    const sys = readFixture('mipro-chat-adapter-system.txt').body;
    const user = readFixture('mipro-chat-adapter-user.txt').body;
    const m = dspyChatMessages(OBSERVATION_SUMMARIZER, { observations: 'They are sums.' });
    const structure = pyLiteral(/parts\.append\("All interactions[^)]*\)/.exec(sys)![0]);
    const completed = pyLiteral(/parts\.append\("\[\[ ## completed ## \]\]\\n"\)/.exec(sys)![0]);
    const adhering = pyLiteral(/f"In adhering to this structure, your objective is: "/.exec(sys.replace('{objective}', ''))![0]);
    expect(m.system).toBe(
      'Your input fields are:\n1. `observations` (str): Observations I have made about my dataset\n' +
        'Your output fields are:\n1. `summary` (str): Two to Three sentence summary of only the most significant highlights of my observations\n' +
        [structure, '[[ ## observations ## ]]\n{observations}', '[[ ## summary ## ]]\n{summary}', completed].join('\n\n').trim() +
        '\n' +
        adhering +
        '\n        ' +
        OBSERVATION_SUMMARIZER.instructions,
    );
    const literals = [...user.matchAll(/"([^"]*)"/g)].map((x) => x[1]!);
    const [start, end] = [literals[0]!, literals[literals.length - 1]!];
    expect(m.user).toBe(`[[ ## observations ## ]]\nThey are sums.\n\n${start}\`[[ ## summary ## ]]\`${end}`);
  });
});

describe('BPO (thu-coai/BPO src/infer_example.py)', () => {
  it('sends the published template, filled, as a raw completion with the reference sampling', async () => {
    const body = readFixture('bpo-template.txt').body;
    const template = pyLiteral(/prompt_template = ("[^\n]*")/.exec(body)![1]!);
    const query = 'how can I create a profile on Facebook?';
    expect(bpoMetaPrompt(BPO_DEFAULTS.template, query)).toBe(template.replace('{}', query));
    expect(BPO_DEFAULTS).toMatchObject({ completion: 'raw', temperature: 0.6, topP: 0.9, maxTokens: 1024 });
    expect(body).toContain('top_p=0.9, temperature=0.6');
    const seen: { prompt?: string; temperature?: number; topP?: number }[] = [];
    const rewriter = makeRewriter(
      {
        ask: async (m, o) => {
          seen.push({ ...(o?.raw ? { prompt: m } : {}), ...(o?.temperature !== undefined ? { temperature: o.temperature } : {}), ...(o?.topP !== undefined ? { topP: o.topP } : {}) });
          return ['Explain step by step how to create a Facebook profile.'];
        },
      },
      BPO_DEFAULTS,
    );
    await rewriter(query);
    expect(seen).toEqual([{ prompt: template.replace('{}', query), temperature: 0.6, topP: 0.9 }]);
  });
});

describe('ABO (no published template: popbench\'s own wording, pinned)', () => {
  const fill = (name: string, values: Record<string, string>) =>
    readFixture(name).body.replace(/\{(\w+)\}/g, (m, k: string) => values[k] ?? m);
  it('Step 0: procedure and demonstration', () => {
    expect(writeProcedureMetaPrompt('Navigate.', 'Solve it.', '## Failure 1')).toBe(fill('abo-procedure.txt', { task: 'Navigate.', instruction: 'Solve it.', failures: '## Failure 1' }));
    expect(demonstrationMetaPrompt('1. a\n2. b', 'Q?', 'Yes', 'End with Yes.')).toBe(
      fill('abo-demonstration.txt', { procedure: '1. a\n2. b', input: 'Q?', expected: 'Yes', format: 'End with Yes.' }),
    );
  });
  it('Step 1: step check; Step 2: revision', () => {
    expect(stepCheckMetaPrompt('1. a\n2. b', '## Failure 1')).toBe(fill('abo-step-check.txt', { procedure: '1. a\n2. b', failures: '## Failure 1' }));
    expect(reviseProcedureMetaPrompt('1. a\n2. b', '## Failure 1', 'Step 2 skips b.')).toBe(
      fill('abo-revise.txt', { procedure: '1. a\n2. b', failures: '## Failure 1', diagnosis: 'Step 2 skips b.' }),
    );
  });
});

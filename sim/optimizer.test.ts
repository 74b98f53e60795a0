import { describe, expect, it } from 'vitest';
import { causeKind, CAUSE_KINDS, CAUSE_PHRASES, parseCauses } from './causes.js';
import { SimWorld, simComplete } from './index.js';
import { detectKind } from './optimizer.js';
import type { SimAnnotation } from './target.js';
import { kitTasks } from './testkit.js';

const tasks = kitTasks(150);
const world = new SimWorld();
for (const t of tasks) world.register(t);
const ask = (model: string, content: string, extra: { n?: number; temperature?: number; sampleIndex?: number } = {}) =>
  simComplete(model, world, { messages: [{ role: 'user', content }], ...extra }).choices.map((c) => c.text);

/** Failures of sim-8b under a CoT prompt: (block shown to the optimizer, true cause). */
function failures(showOutput: boolean) {
  const out: { block: string; cause: string }[] = [];
  for (const t of tasks)
    for (const ex of t.splits.test) {
      const c = simComplete('sim-8b', world, { messages: t.render({ instruction: "Let's think step by step." }, ex) }).choices[0]!;
      const sim = c.annotations!['sim'] as SimAnnotation;
      if (sim.correct) continue;
      const block = showOutput ? `## Input\n${ex.input}\n## Output\n${c.text}\n## Label: ${ex.target}` : `## Input\n${ex.input}\n## Label: ${ex.target}`;
      out.push({ block, cause: sim.trueCause! });
    }
  return out;
}

function trueCauseRate(model: string, showOutput: boolean): number {
  const fs = failures(showOutput).slice(0, 200);
  let hit = 0;
  fs.forEach((f, i) => {
    const meta = `My current prompt is:\n"Let's think step by step."\n\nBut this prompt gets the following examples wrong:\n${f.block}\n\ngive 1 reasons why the prompt could have gotten these examples wrong.\nWrap each reason with <START> and <END>`;
    const named = parseCauses(ask(model, meta, { temperature: 1, sampleIndex: i })[0]!);
    if (named.some((c) => c.toLowerCase() === f.cause.toLowerCase())) hit++;
  });
  return hit / fs.length;
}

describe('cause phrases', () => {
  it('parseCauses maps every documented phrase back to its cause', () => {
    for (const kind of CAUSE_KINDS)
      for (const phrase of CAUSE_PHRASES[kind]) {
        const got = parseCauses(`1. ${phrase.replace('{concept}', 'unit conversion')}.`);
        expect(got.map(causeKind)).toEqual([kind]);
        if (kind === 'MISSING_CONCEPT') expect(got[0]).toBe('MISSING_CONCEPT:unit conversion');
      }
    expect(parseCauses('The prompt is fine.')).toEqual([]);
  });
});

describe('sim optimizer', () => {
  const t = tasks[0]!;
  const ex = t.splits.train[0]!;
  const metas: Array<{ kind: string; text: string; re: RegExp }> = [
    { kind: 'opro', text: `I have some texts along with their corresponding scores.\n\ntext:\nSolve it.\nscore:\n40\n\ntext:\nLet's think step by step.\nscore:\n55\n\ninput:\nQ: ${ex.input}\nA: <INS>\noutput:\n${ex.target}\n\nGenerate an instruction that is different from all the instructions <INS> above. The instruction should begin with <INS> and end with </INS>.`, re: /^<INS>[\s\S]+<\/INS>$/ },
    { kind: 'induce', text: `I gave a friend an instruction and five inputs. The friend read the instruction and wrote an output for every one of the inputs. Here are the input-output pairs:\n\nInput: ${ex.input}\nOutput: ${ex.target}\n\nThe instruction was to`, re: /^[A-Z0-9][\s\S]*[.\n]?$/ },
    { kind: 'paraphrase', text: `Generate a variation of the following instruction while keeping the semantic meaning.\n\nInput: Answer the question.\n\nOutput:`, re: /^\S[\s\S]*$/ },
    { kind: 'evo_ga', text: `Please follow the instruction step-by-step to generate a better prompt.\n1. Cross over the following prompts and generate a new prompt:\nPrompt 1: Let's think step by step.\nPrompt 2: Answer the question.\n2. Mutate the prompt generated in Step 1 and generate a final prompt bracketed with <prompt> and </prompt>.`, re: /^<prompt>[\s\S]+<\/prompt>$/ },
    { kind: 'evo_de', text: `Please follow the instruction step-by-step to generate a better prompt.\n1. Identify the different parts between the Prompt 1 and Prompt 2:\nPrompt 1: Let's think step by step. Answer the question.\nPrompt 2: Answer the question.\n2. Randomly mutate the different parts\n3. Combine the different parts with Prompt 3:\nPrompt 3: Solve the problem.\n4. Cross over the prompt in the Step 3 with the following basic prompt and generate a final prompt bracketed with <prompt> and </prompt>:\nBasic Prompt: Read the question carefully.`, re: /^<prompt>[\s\S]+<\/prompt>$/ },
    { kind: 'edit', text: `My current prompt is:\n"Answer the question."\n\nBut it gets the following examples wrong:\n## Input\n${ex.input}\n## Label: ${ex.target}\n\nBased on these examples the problem with this prompt is that the model did not apply the concept of rates.\n\nBased on the above information, I wrote 2 different improved prompts. Each prompt is wrapped with <START> and <END>.\n\nThe 2 new prompts are:`, re: /^<START>[\s\S]+<END>\n<START>[\s\S]+<END>$/ },
    { kind: 'rewrite', text: `Please rewrite the following user query to make it clearer for the model.\n\n${ex.input}`, re: /\S/ },
    { kind: 'mipro', text: `Use the information below to generate a new instruction.\n\n[[ ## dataset_description ## ]]\nArithmetic word problems.\n\n[[ ## basic_instruction ## ]]\nAnswer the question.\n\n[[ ## tip ## ]]\nKeep it simple.\n\nRespond with [[ ## proposed_instruction ## ]] then [[ ## completed ## ]].`, re: /^\[\[ ## proposed_instruction ## \]\]\n[\s\S]+\[\[ ## completed ## \]\]$/ },
    { kind: 'procedure', text: `The target model fails on these examples. Write an explicit step-by-step procedure the target model should follow, as numbered steps, in square brackets.`, re: /^\[1\. [\s\S]*\]$/ },
  ];
  for (const m of metas)
    it(`recognises a ${m.kind} request and answers in its wrapper`, () => {
      expect(detectKind(m.text)).toBe(m.kind);
      const [a] = ask('sim-opt-small', m.text);
      expect(a).toMatch(m.re);
    });

  it('a rewrite keeps the query verbatim so the target still recognises it', () => {
    const [out] = ask('sim-opt-large', `Please rewrite the following user query to make it clearer for the model.\n\n${ex.input}`);
    expect(out).toContain(ex.input);
    expect(world.find(out!)?.example.id).toBe(ex.id);
  });

  it('an edit applies the named cause (concept hint) and n > 1 gives distinct choices', () => {
    const outs = ask('sim-opt-large', metas.find((m) => m.kind === 'opro')!.text, { n: 4, temperature: 1 });
    expect(new Set(outs).size).toBe(4);
    const [edit] = ask('sim-opt-large', metas.find((m) => m.kind === 'edit')!.text);
    expect(edit).toMatch(/Remember to apply rates\./);
    expect(ask('sim-opt-small', metas[0]!.text)).toEqual(ask('sim-opt-small', metas[0]!.text));
  });

  it('recognises true causes more often when larger, and only from shown outputs', () => {
    const small = trueCauseRate('sim-opt-small', true);
    const large = trueCauseRate('sim-opt-large', true);
    const hidden = trueCauseRate('sim-opt-large', false);
    expect(large).toBeGreaterThan(small + 0.1);
    expect(hidden).toBeLessThan(large - 0.2);
  });
});

describe('scoredHistory', () => {
  it('reads an empty instruction as its own pair and sorts best first', async () => {
    const { scoredHistory } = await import('./optimizer.js');
    const text = 'I have some texts.\n\ntext:\n\nscore:\n12\n\ntext:\nWork through it.\nscore:\n20\n\ntext: Be brief.\nscore: 15\n';
    expect(scoredHistory(text)).toEqual([
      { t: 'Work through it.', s: 20 },
      { t: 'Be brief.', s: 15 },
      { t: '', s: 12 },
    ]);
  });
});

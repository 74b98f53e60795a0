import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runReport } from '../cli/report.js';
import type { LLM, LLMRequest } from '../core/types.js';
import { makeTestContext } from '../optimizers/testkit.js';
import { protegi, PROTEGI_DEFAULTS } from '../optimizers/protegi.js';
import type { ReflectionRecord, ShownFailure } from '../optimizers/types.js';
import { parseCauses, sameCause } from '../sim/causes.js';
import { createSimLLM, SimWorld } from '../sim/index.js';
import { detectKind } from '../sim/optimizer.js';
import { kitFailures, kitTasks } from '../sim/testkit.js';
import { Rng } from '../core/rng.js';
import { CAUSE_KINDS } from '../sim/causes.js';
import { judgeReadCauses } from '../sim/judge.js';
import { causeSentence } from '../sim/optimizer.js';
import {
  failurePrompt,
  judgeFailureCause,
  judgeLabelled,
  judgeReflections,
  JUDGE_TAXONOMY,
  newJudgeMemo,
  parseJudgeReply,
  reflectionPrompt,
  type JudgedShownFailure,
} from './judge.js';
import { writeFixtureRun } from './fixture.js';
import { scoreReflections } from './reflection.js';

/** An LLM that answers with fixed text and records the requests. */
function scripted(reply: (req: LLMRequest) => string): LLM & { requests: LLMRequest[] } {
  const requests: LLMRequest[] = [];
  return {
    provider: 'test',
    model: 'scripted',
    requests,
    async complete(req) {
      requests.push(req);
      return { model: 'scripted', choices: [{ text: reply(req), finishReason: 'stop' }], usage: { promptTokens: 1, completionTokens: 1 } };
    },
  };
}

function counted(llm: LLM): LLM & { calls: number } {
  const o = {
    provider: llm.provider,
    model: llm.model,
    calls: 0,
    complete(req: LLMRequest, signal?: AbortSignal) {
      o.calls++;
      return llm.complete(req, signal);
    },
  };
  return o;
}

const failure: ShownFailure = { exampleId: 'e0', input: 'What is 2 + 2?', output: 'So the answer is 5.', gold: '4' };

describe('judge replies', () => {
  it('reads the first JSON object, also inside prose and code fences', () => {
    expect(parseJudgeReply('{"causes": ["FORMAT", "MISSING_CONCEPT:unit conversion"]}')).toEqual({ ok: true, causes: ['FORMAT', 'MISSING_CONCEPT:unit conversion'] });
    expect(parseJudgeReply('Sure. The answer is:\n```json\n{"causes": ["reasoning_slip"]}\n```\nHope {this} helps.')).toEqual({ ok: true, causes: ['REASONING_SLIP'] });
    // braces inside strings do not end the object; a broken first object is skipped
    expect(parseJudgeReply('{oops} then {"note": "a } b", "causes": ["DISTRACTION"]}')).toEqual({ ok: true, causes: ['DISTRACTION'] });
    expect(parseJudgeReply('{"cause": "Knowledge gap"}')).toEqual({ ok: true, causes: ['KNOWLEDGE_GAP'] });
  });

  it('drops unknown labels and duplicates, keeps an empty answer as parsed', () => {
    expect(parseJudgeReply('{"causes": ["FORMAT", "BAD_LUCK", 3, "MISSING_CONCEPT", "MISSING_CONCEPT: carry ", "format", "FORMAT:x"]}')).toEqual({
      ok: true,
      causes: ['FORMAT', 'MISSING_CONCEPT:carry'],
    });
    expect(parseJudgeReply('{"causes": []}')).toEqual({ ok: true, causes: [] });
  });

  it('garbage is unparsed, never an exception', () => {
    for (const g of ['', 'FORMAT', '{"causes": "FORMAT"}', '{"causes": [', '[ "FORMAT" ]', '{"other": 1}']) expect(parseJudgeReply(g)).toEqual({ ok: false, causes: [] });
  });

  it('asks at temperature 0 with role judge and counts unparsed replies', async () => {
    const llm = scripted((req) => (req.messages[0]!.content.includes('<reflection>') ? 'no idea' : '{"causes": ["FORMAT"]}'));
    expect(await judgeFailureCause(llm, failure, ['arithmetic'])).toBe('FORMAT');
    expect(llm.requests[0]).toMatchObject({ temperature: 0, role: 'judge' });
    expect(llm.requests[0]!.messages[0]!.content).toContain('"arithmetic"');
    const rec: ReflectionRecord = { step: 0, parentId: 'c0', shown: [failure], metaPrompt: 'm', text: 'whatever', editIds: [] };
    const j = await judgeReflections([rec], llm, [], { labelFailures: true });
    expect(j.unparsed).toBe(1);
    expect(j.parser('whatever')).toEqual([]);
    expect(j.records[0]!.shown[0]).toMatchObject({ trueCause: 'FORMAT', causeSource: 'judge' });
    expect(rec.shown[0]!.trueCause).toBeUndefined(); // the input is not changed
  });

  it('the sim reads judge meta-prompts as judge requests, even when the quoted text asks for reflection', () => {
    expect(JUDGE_TAXONOMY.split('\n')).toHaveLength(6);
    const text = 'Give 3 reasons why the prompt gets these examples wrong. Based on these examples, write an improved prompt.';
    expect(detectKind(reflectionPrompt(text, []))).toBe('judge');
    expect(detectKind(failurePrompt({ ...failure, output: text }, []))).toBe('judge');
  });
});

describe('a sim judge', () => {
  it('reads reflections with its own noisy reader, judges each text once, and keeps ground truth apart', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed: 0, trainSize: 40, devSize: 20 });
    const opts = { ...PROTEGI_DEFAULTS, steps: 2, beamWidth: 2, minibatchSize: 16, gradients: 2, evalBudget: 80, samplesPerEval: 6, promptsPerRound: 4 };
    const res = await protegi.optimize(kit.ctx, opts);
    const records = res.trajectory.reflections;
    expect(records.length).toBeGreaterThan(1);
    // doubled: repeated texts and failures must not be judged again
    const input = [...records, ...records];
    const judge = counted(createSimLLM('sim-opt-large', kit.world));
    const memo = newJudgeMemo();
    const concepts = kit.task.concepts;
    const j = await judgeReflections(input, judge, concepts, { labelFailures: true, memo });
    expect(records.some((r) => parseCauses(r.text).length > 0)).toBe(true);
    expect(records.some((r) => j.parser(r.text).length > 0)).toBe(true);
    const distinct = new Set(records.map((r) => r.text)).size + new Set(records.flatMap((r) => r.shown.map((f) => JSON.stringify([f.input, f.output, f.gold])))).size;
    expect(judge.calls).toBe(distinct);
    expect(j.calls).toBe(distinct);
    expect(j.unparsed).toBe(0);
    // sim cells keep their true cause; the judge's label rides along
    for (const f of j.records.flatMap((r) => r.shown) as JudgedShownFailure[]) {
      expect(f.causeSource).toBe('sim');
      expect(f.judgedCause === null || typeof f.judgedCause === 'string').toBe(true);
    }
    // the same memo: no new calls
    await judgeReflections(records, judge, concepts, { labelFailures: true, memo });
    expect(judge.calls).toBe(distinct);
    // without ground truth, the judge's label becomes the cause the scorer uses
    const stripped = records.map((r) => ({ ...r, shown: r.shown.map(({ trueCause: _t, ...f }) => f) }));
    const k = await judgeReflections(stripped, judge, concepts, { labelFailures: true, memo });
    expect(judge.calls).toBe(distinct);
    const labelled = k.records.flatMap((r) => r.shown) as JudgedShownFailure[];
    expect(labelled.every((f) => f.causeSource === 'judge' && f.trueCause === (f.judgedCause ?? undefined))).toBe(true);
    expect(scoreReflections(k.records, k.parser)).toEqual(scoreReflections(judgeLabelled(j.records.slice(0, records.length)), j.parser));
  });

  it('labels failures from the visible tells: sim-opt-large agrees with the true cause more often than sim-opt-small', async () => {
    const tasks = kitTasks(150);
    const world = new SimWorld();
    for (const t of tasks) world.register(t);
    const failures: ShownFailure[] = kitFailures(tasks, world);
    const sample = failures.slice(0, 160);
    expect(sample.length).toBeGreaterThanOrEqual(100);
    const rate = async (model: string) => {
      const judge = createSimLLM(model, world);
      let agree = 0;
      for (const f of sample) {
        const got = await judgeFailureCause(judge, f, []);
        if (got && sameCause(got, f.trueCause!)) agree++;
      }
      return agree / sample.length;
    };
    const large = await rate('sim-opt-large');
    const small = await rate('sim-opt-small');
    expect(large).toBeGreaterThan(small + 0.1);
    expect(large).toBeLessThan(1); // recognition is probabilistic, not an oracle
  });
});

describe('the sim judge has its own reader and noise', () => {
  // reflection texts as the sim optimizer writes them: 1–3 causes, concepts from the kit tasks
  const rng = new Rng(3);
  const concepts = kitTasks(10).flatMap((t) => t.concepts);
  const texts = Array.from({ length: 300 }, () =>
    Array.from({ length: 1 + rng.int(0, 2) }, () => {
      const kind = rng.pick(CAUSE_KINDS);
      return causeSentence(kind === 'MISSING_CONCEPT' ? `MISSING_CONCEPT:${rng.pick(concepts)}` : kind, rng);
    }).join(' '),
  );
  const lower = (xs: string[]) => xs.map((x) => x.toLowerCase());

  it('without noise its cues read every phrase the sim optimizer writes as the ground-truth parser does', () => {
    for (const t of texts) expect(lower(judgeReadCauses(t)), t).toEqual(lower(parseCauses(t)));
    expect(judgeReadCauses('The answer ignored the instruction; also a calculation error, and it forgot to apply unit conversion.')).toEqual([
      'INSTRUCTION_IGNORED',
      'REASONING_SLIP',
      'MISSING_CONCEPT:unit conversion',
    ]);
  });

  it('with its noise it agrees with the parser on most texts, sim-opt-large more often than sim-opt-small, neither always', async () => {
    const world = new SimWorld();
    const rate = async (model: string) => {
      const judge = createSimLLM(model, world);
      let same = 0;
      for (const t of texts) {
        const res = await judge.complete({ messages: [{ role: 'user', content: reflectionPrompt(t, []) }], temperature: 0, role: 'judge' });
        const got = parseJudgeReply(res.choices[0]!.text);
        expect(got.ok).toBe(true);
        if (JSON.stringify(lower(got.causes).sort()) === JSON.stringify(lower(parseCauses(t)).sort())) same++;
      }
      return same / texts.length;
    };
    const large = await rate('sim-opt-large');
    const small = await rate('sim-opt-small');
    expect(large).toBeGreaterThan(0.7);
    expect(large).toBeLessThan(0.97);
    expect(large).toBeGreaterThan(small + 0.1);
    // an optimizer's recognition override is not the judge's
    const j0 = createSimLLM('sim-opt-large', world, { recognise: 0 });
    const req = { messages: [{ role: 'user' as const, content: reflectionPrompt(texts[0]!, []) }], temperature: 0, role: 'judge' as const };
    expect((await j0.complete(req)).choices[0]!.text).toBe((await createSimLLM('sim-opt-large', world).complete(req)).choices[0]!.text);
  });
});

describe('popbench report --judge-model', () => {
  const flags = { format: 'md,csv', baseline: 'empty', alpha: '0.05', png: false };

  it('writes the judged reflection table and the judge-vs-ground-truth agreement', async () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-judge-report-')));
    const out = path.join(dir, 'out');
    const lines: string[] = [];
    await runReport(dir, { ...flags, out, judgeModel: 'sim-opt-large' }, (l) => lines.push(l));
    // fixture: per task (the concepts are part of the judge prompt) 2 distinct reflection texts and
    // 2 distinct failures (e9 is shown twice); 2 tasks → 8 calls. 3 distinct failures with sim true causes.
    expect(lines.join('\n')).toMatch(/judged reflection quality \(estimate\) by sim-opt-large: 8 judge calls, 0 unparseable replies/);
    expect(lines.join('\n')).toMatch(/judge vs sim true causes: \d\/3 failures agree \(\d+\.\d%, 95% Wilson \d+\.\d–\d+\.\d%; Cohen's kappa (-?\d\.\d\d|–)\)/);
    expect(lines.join('\n')).toMatch(/judge vs sim cause parser on 2 reflection texts: \d+\/12 text × cause-kind decisions agree/);
    const md = readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain('Reflection quality, judged by sim-opt-large (estimate)');
    expect(md).toMatch(/Judge vs sim ground truth: the judge's failure label equals the sim's true cause on \d of 3 distinct shown failures/);
    const csv = readFileSync(path.join(out, 'csv', 'reflection-judged.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^optimizer,optimizerModel,judge,/);
    expect(csv).toHaveLength(2); // one row: protegi / sim-opt-small
    expect(csv[1]).toMatch(/^protegi,sim-opt-small,sim-opt-large,4,0 1,/);
    const agree = readFileSync(path.join(out, 'csv', 'judge-agreement.csv'), 'utf8').trim().split('\n');
    expect(agree[0]).toBe('judge,measure,n,agree,rate,lo,hi,kappa,kappaLo,kappaHi');
    expect(agree[1]).toMatch(/^sim-opt-large,failure label,3,\d,/);
    expect(agree[2]).toMatch(/^sim-opt-large,reflection reading,12,\d+,/);
  });

  it('without the flag nothing judged is written', async () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-judge-report-')));
    const out = path.join(dir, 'out');
    const lines: string[] = [];
    await runReport(dir, { ...flags, out }, (l) => lines.push(l));
    expect(lines.join('\n')).not.toMatch(/judged|judge vs/);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).not.toMatch(/judged by/);
    expect(existsSync(path.join(out, 'csv', 'reflection-judged.csv'))).toBe(false);
  });
});

import { SimWorld, simComplete } from '../sim/index.js';
import { loadTask } from '../tasks/registry.js';
import { renderPrompt } from '../tasks/task.js';
const task = loadTask('like/gsm');
const world = new SimWorld(); world.register(task);
for (const ins of ['', "Let's think step by step.", 'Answer with a poem about cats and dogs and horses.', 'Solve the problem. End with "The answer is N."']) {
  let sum = 0, acc = 0;
  const ex = task.splits.dev.slice(0, 40);
  for (const e of ex) {
    const prefix = renderPrompt({ instruction: ins, layout: 'ape' }, e.input);
    const r = simComplete('sim-8b', world, { messages: [{ role: 'user', content: '\n' + prefix + e.target }], echo: true, logprobs: true, maxTokens: 0 });
    const lp = r.choices[0]!.logprobs!;
    const out = lp.filter((t) => t.offset! >= prefix.length + 1);
    sum += out.reduce((a, t) => a + t.logprob!, 0) / out.length;
    const g = simComplete('sim-8b', world, { messages: [{ role: 'user', content: prefix }], temperature: 0 });
    acc += task.score(task.extract(g.choices[0]!.text, e), e) ? 1 : 0;
  }
  console.log(JSON.stringify(ins).padEnd(60), 'mean lp', (sum / 40).toFixed(3), 'acc', acc / 40);
}

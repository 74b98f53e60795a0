import { SimWorld, simComplete } from '../sim/index.js';
import { successProbability, type SimAnnotation } from '../sim/target.js';
import { kitTasks } from '../sim/testkit.js';
const tasks = kitTasks(120); const world = new SimWorld(); for (const t of tasks) world.register(t);
for (const instruction of ['', "Let's think step by step."]) {
  let sumP = 0, correct = 0, n = 0;
  for (const task of tasks) for (const ex of task.splits.test) {
    const prompt = task.render({ instruction, layout: 'ape' }, ex)[0]!.content;
    sumP += successProbability('sim-8b', world, prompt)!.p;
    const r = simComplete('sim-8b', world, { messages: [{ role: 'user', content: prompt }], temperature: 0 }).choices[0]!;
    if ((r.annotations!['sim'] as SimAnnotation).correct) correct++; n++;
  }
  console.log(instruction, { n, correct, sumP: sumP.toFixed(1), tol: (2 * Math.sqrt(n)).toFixed(1) });
}

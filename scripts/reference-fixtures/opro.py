"""Regenerates optimizers/reference/opro-reference.json by running the reference code.

Put opt_utils.py (opro/optimization), eval_utils.py and metrics.py (opro/evaluation) of
google-deepmind/opro at e81b2f573ce4e15755c70c2535279d6fb940b4b7 beside this file and run it
with numpy installed; pandas and immutabledict are stubbed (not used on these paths).
It writes fixtures.json; the test file adds the "source" header.
"""
import sys, types, json
sys.modules['pandas'] = types.ModuleType('pandas')
imd = types.ModuleType('immutabledict')
imd.ImmutableOrderedDict = dict
sys.modules['immutabledict'] = imd
opro = types.ModuleType('opro'); ev = types.ModuleType('opro.evaluation')
sys.modules['opro'] = opro; sys.modules['opro.evaluation'] = ev
import metrics; sys.modules['opro.evaluation.metrics'] = metrics; ev.metrics = metrics
import eval_utils; sys.modules['opro.evaluation.eval_utils'] = eval_utils; ev.eval_utils = eval_utils
import opt_utils
import numpy as np
data = [{"input": "Question number 1?", "target": "1"}, {"input": "Question number 2?", "target": "2"}, {"input": "Question number 3?", "target": "3"}]
hist = [("", 0.125, -1), ("Let's think step by step.", 0.5, 0), ("Solve it carefully.", 0.375, 0), ("Think about each step.", 0.25, 1)]
out = {}
for name in ["gpt-3.5-turbo", "text-bison"]:
  for qa in [True, False]:
    for pos in ["before_Q", "Q_begin", "Q_end", "A_begin"]:
      if not qa and pos not in ("Q_begin", "Q_end"): continue
      for thr in [0.0, 0.3]:
        mp = opt_utils.gen_meta_prompt(old_instructions_and_scores=hist, instruction_pos=pos, optimizer_llm_name=name,
          old_instruction_score_threshold=thr, max_num_instructions=20, meta_prompt_type="both_instructions_and_exemplars",
          few_shot_qa_pairs=True, include_qa=qa, data=data, few_shot_index_list=[0,1,2], instructions_before_exemplars=True,
          num_score_buckets=100, dataset_name="bbh", task_name="navigate")
        out[f"{name}|{'qa' if qa else 'plain'}|{pos}|{thr}"] = mp
  # 20 buckets
  out[f"{name}|qa|Q_begin|0.0|buckets20"] = opt_utils.gen_meta_prompt(old_instructions_and_scores=hist, instruction_pos="Q_begin", optimizer_llm_name=name,
          old_instruction_score_threshold=0.0, max_num_instructions=20, few_shot_qa_pairs=True, include_qa=True, data=data, few_shot_index_list=[0,1,2],
          num_score_buckets=20, dataset_name="bbh", task_name="navigate")
# gen_prompt
gp = {}
for qa in [True, False]:
  for pos in ["before_Q", "Q_begin", "Q_end", "A_begin"]:
    if not qa and pos not in ("Q_begin", "Q_end"): continue
    for ins in ["Solve it.", ""]:
      gp[f"{'qa' if qa else 'plain'}|{pos}|{ins}"] = eval_utils.gen_prompt([{"input": "What is 2+3?", "target": "5"}], ins, 0, include_qa=qa, instruction_pos=pos, dataset_name="bbh")
# scoring
sc = []
for true, pred, inp, inc in [("(B)", "So the answer is (B).", "Sun rises? Options:\n(A) west\n(B) east\n(C) north", True),
    ("(B)", "It rises in the east.", "Sun rises? Options:\n(A) west\n(B) east\n(C) north", True),
    ("(B)", "west", "Sun rises? Options:\n(A) west\n(B) east\n(C) north", True),
    ("Yes", "I would say yes, not no", "", True), ("No", "The answer is no.", "", True), ("True", "the answer is 1", "", True),
    ("12", "The answer is 12 apples.", "", False), ("12", "The answer is 123.", "", False), ("valid", "the argument is invalid", "", True),
    ("1,234", "The answer is 1,234.", "", False), ("(A)", "(A) and (B) both", "x (A) foo (B) bar", True)]:
  treat_num = not inc
  treat_bool = true.lower() in ("yes","no","true","false","valid","invalid")
  norm = metrics.get_normalized_prediction(pred, treat_as_number=treat_num, num_decimals=0, treat_as_bool=treat_bool)
  norm2 = norm.strip(":").strip().split("\n")[0].split("Q:")[0]
  acc = eval_utils._get_accuracy(true, norm2, input_text=inp, treat_include_as_correct=inc)
  sc.append({"true": true, "pred": pred, "input": inp, "includeAsCorrect": inc, "treatAsNumber": treat_num, "treatAsBool": treat_bool, "normalized": norm2, "correct": bool(acc)})
json.dump({"metaPrompts": out, "genPrompt": gp, "scoring": sc}, open("fixtures.json", "w"), indent=1)
print(out["gpt-3.5-turbo|plain|Q_begin|0.0"]); print("-----"); print(out["text-bison|qa|A_begin|0.0"])

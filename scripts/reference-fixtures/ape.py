"""Regenerates optimizers/reference/ape-reference.json: put automatic_prompt_engineer/template.py of
keirp/automatic_prompt_engineer at eac521c79a78965245ce7745dcc9f6b0792c7ec7 beside this file and run it.
"""
import json, template
demos = (["in 0", "in 1", "in 2", "in 3", "in 4"], ["out 0", "out 1", "out 2", "out 3", "out 4"])
dt = template.DemosTemplate("Input: [INPUT]\nOutput: [OUTPUT]")  # ape.py:20
gen = template.GenerationTemplate("I gave a friend an instruction. Based on the instruction they produced the following input-output pairs:\n\n[full_DEMO]\n\nThe instruction was to [APE]")  # ape.py:8
q = gen.fill(input=demos[0][0], output=demos[1][0], full_demo=dt.fill(demos))  # generate.py:5-17
q = q.replace('[APE]', '').strip()  # llm.py:154-156
ev = template.EvalTemplate("Instruction: [PROMPT]\n\nInput: [INPUT]\nOutput: [OUTPUT]")  # run_instruction_induction.py:33
e = ev.fill(prompt="add the numbers", input="2 3", output='', full_demo='')  # exec_accuracy.py:7-13
json.dump({"forwardQuery": q, "evalQuery": e}, open("fixtures.json", "w"), indent=1)
print(repr(q)); print(repr(e))

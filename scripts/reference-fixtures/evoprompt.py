"""Regenerates optimizers/reference/evoprompt-reference.json: put BBH/data/template_ga.py, BBH/data/template_de.py
and BBH/utils.py (as utils_ref.py) of beeevita/EvoPrompt at 94caff336555df99acc5c338c7930c40cc550ad9 beside this file and run it.
"""
import json, sys, types
sys.modules['numpy'] = types.ModuleType('numpy')
from template_ga import templates_2
import template_de
ga = templates_2["sim"]  # BBH/evoluter.py:392
de = template_de.v1["sim"]  # BBH/evoluter.py:283 templates["v1"]["sim"], data/templates.py
a, b, c, base = "Let's think step by step.", "First,", "Let's solve this problem by splitting it into steps.", "Let's think"
out = {
  "gaTemplate": ga, "deTemplate": de,
  "gaQuery": ga.replace("<prompt1>", a).replace("<prompt2>", b),  # evoluter.py:434-436
  "deQuery": de.replace("<prompt0>", base).replace("<prompt1>", a).replace("<prompt2>", b).replace("<prompt3>", c),  # evoluter.py:323-328
  "paraphraseQuery": f"Generate a variation of the following instruction while keeping the semantic meaning.\nInput:{a}\nOutput:",  # llm_client.py:196
}
# get_final_prompt cases (utils.py:69-78)
src = open('utils_ref.py').read()
start = src.index('def get_final_prompt'); end = src.index('def extract_ans')
ns = {}; exec(src[start:end], ns)
cases = ["1. Crossover Prompt: x\n2. <prompt>Think it through.</prompt>", "<prompt>a</prompt> then <prompt> b </prompt>", "\"Quoted reply\"", "  plain reply with no tags ", "<prompt>open only"]
out["finalPrompt"] = [[c, ns['get_final_prompt'](c)] for c in cases]
json.dump(out, open('fixtures.json','w'), indent=1)
print(json.dumps(ga)[:300])

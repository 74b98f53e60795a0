/**
 * Hand-written miniature data files in the layout of the real datasets (and a
 * few deliberately broken ones), written to a fresh directory by the tests.
 * Kept as strings so every byte is exact: CRLF rows, a missing final newline,
 * quoted newlines and `""` escapes in the MMLU CSVs.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const FIXTURE_FILES: Readonly<Record<string, string>> = {
  "bad/badanswer_dev.csv": "Q1?,a,b,c,d,A\nQ2?,a,b,c,d,E\n",
  "bad/fivecols_dev.csv": "Q1?,a,b,c,d,A\nQ2?,a,b,c,B\n",
  "bad/malformed.jsonl": "{\"question\": \"What is 6 times 7?\", \"answer\": \"6*7=42\\n#### 42\"}\n{\"question\": \"What is 2 plus 2?\", \"answer\": \"2+2=4\\n#### 4\"}\n{\"question\": \"broken\", \"answer\": \n",
  "bad/nohash.jsonl": "{\"question\": \"q\", \"answer\": \"no final line\"}\n",
  "bbh/cot-prompts/movie_recommendation.txt": "CANARY GUID\n-----\nRecommend movies similar to the given list of movies.\n\nA second paragraph of description.\n\nQ: Find a movie similar to X:\nOptions:\n(A) Up\n(B) Cars\nA: Let's think step by step.\nBoth are animated.\nSo the answer is (A).\n\nQ: Find a movie similar to Y:\nOptions:\n(A) Up\n(B) Heat\nA: Let's think step by step.\nCrime drama.\nSo the answer is (B).\n\nQ: Find a movie similar to Z:\nOptions:\n(A) Up\n(B) Cars\nA: Let's think step by step.\nRacing.\nSo the answer is (B).",
  "bbh/cot-prompts/navigate.txt": "CANARY GUID\n-----\nGiven a series of navigation instructions, determine whether one would end up back at the starting point.\n\nQ: Take 1 step. Turn around. Take 1 step.\nOptions:\n- Yes\n- No\nA: Let's think step by step.\nWe end at 0.\nSo the answer is Yes.\n\nQ: Take 2 steps.\nOptions:\n- Yes\n- No\nA: Let's think step by step.\nWe end at 2.\nSo the answer is No.\n\nQ: Take 3 steps. Turn around. Take 3 steps.\nOptions:\n- Yes\n- No\nA: Let's think step by step.\nWe end at 0.\nSo the answer is Yes.",
  "bbh/tasks/movie_recommendation.json": "{\"canary\": \"CANARY\", \"examples\": [{\"input\": \"Find a movie similar to A, B:\\nOptions:\\n(A) Up\\n(B) Cars\\n(C) Heat\", \"target\": \"(B)\"}, {\"input\": \"Find a movie similar to C, D:\\nOptions:\\n(A) Monsters\\n(B) Inc\\n(C) Heat\", \"target\": \"Monsters, Inc\"}]}",
  "bbh/tasks/navigate.json": "{\"canary\": \"CANARY\", \"examples\": [{\"input\": \"If you follow these instructions, do you return to the starting point? Take 1 steps. Turn around. Take 1 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 2 steps. Turn around. Take 2 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 3 steps. Turn around. Take 3 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 4 steps. Turn around. Take 4 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 5 steps. Turn around. Take 5 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 6 steps. Turn around. Take 6 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 7 steps. Turn around. Take 7 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"Yes\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 1 steps. Take 1 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"No\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 2 steps. Take 2 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"No\"}, {\"input\": \"If you follow these instructions, do you return to the starting point? Take 3 steps. Take 3 steps.\\nOptions:\\n- Yes\\n- No\", \"target\": \"No\"}]}",
  "gsm8k/test.jsonl": "{\"question\": \"What is 6 times 7?\", \"answer\": \"6*7=42\\n#### 42\"}\n{\"question\": \"What is 2 plus 2?\", \"answer\": \"2+2=4\\n#### 4\"}\n",
  "gsm8k/train.jsonl": "{\"question\": \"Tom has 0 apples and buys 1 more. How many apples?\", \"answer\": \"0+1=<<0+1=1>>1\\n#### 1\"}\n{\"question\": \"Tom has 1 apples and buys 2 more. How many apples?\", \"answer\": \"1+2=<<1+2=3>>3\\n#### 3\"}\n{\"question\": \"Tom has 2 apples and buys 3 more. How many apples?\", \"answer\": \"2+3=<<2+3=5>>5\\n#### 5\"}\n{\"question\": \"Tom has 3 apples and buys 4 more. How many apples?\", \"answer\": \"3+4=<<3+4=7>>7\\n#### 7\"}\n{\"question\": \"Tom has 4 apples and buys 5 more. How many apples?\", \"answer\": \"4+5=<<4+5=9>>9\\n#### 9\"}\n{\"question\": \"Tom has 5 apples and buys 6 more. How many apples?\", \"answer\": \"5+6=<<5+6=11>>11\\n#### 11\"}\n{\"question\": \"Tom has 6 apples and buys 7 more. How many apples?\", \"answer\": \"6+7=<<6+7=13>>13\\n#### 13\"}\n{\"question\": \"Tom has 7 apples and buys 8 more. How many apples?\", \"answer\": \"7+8=<<7+8=15>>15\\n#### 15\"}\n{\"question\": \"Tom has 8 apples and buys 9 more. How many apples?\", \"answer\": \"8+9=<<8+9=17>>17\\n#### 17\"}\n{\"question\": \"Tom has 9 apples and buys 10 more. How many apples?\", \"answer\": \"9+10=<<9+10=19>>19\\n#### 19\"}\n{\"question\": \"A house costs 1,000,000 and rises by 450,000. What is it worth?\", \"answer\": \"1,000,000+450,000=1,450,000\\n#### 1,450,000\"}\n{\"question\": \"It is 3 degrees and drops 8. What is the temperature?\", \"answer\": \"3-8=-5\\n#### -5\"}\n",
  "mmlu/dev/anatomy_dev.csv": "What is 1+1?,1,2,3,4,B\r\n\"A \"\"quoted\"\" word means?\",a,b,c,d,A\r\n\"Line one\r\nline two?\",x,y,z,w,D\r\nCost?,$300 , $200,$100,$0,A\r\nLast row?,p,q,r,s,C",
  "mmlu/test/anatomy_test.csv": "Test q0?,o1,o2,o3,o4,A\nTest q1?,o1,o2,o3,o4,B\nTest q2?,o1,o2,o3,o4,C\nTest q3?,o1,o2,o3,o4,D\nTest q4?,o1,o2,o3,o4,A\nTest q5?,o1,o2,o3,o4,B\nTest q6?,o1,o2,o3,o4,C\nTest q7?,o1,o2,o3,o4,D\n",
  "mmlu/val/anatomy_val.csv": "Val q1?,a,b,c,d,A\n\"Multi\nline\",a,b,c,d,B\n",
  "vicuna/LICENSE": "Apache License, Version 2.0 (fixture)\n",
  "vicuna/vicuna_eval.jsonl": "{\"question_id\": 1, \"text\": \"How can I improve my time management skills?\", \"category\": \"generic\"}\n{\"question_id\": 2, \"text\": \"Write a short poem about rain.\", \"category\": \"writing\"}\n{\"question_id\": 3, \"text\": \"Explain recursion to a child.\", \"category\": \"knowledge\"}",
};

/** Write the fixture data set into a new temporary directory and return its path (`<tmp>/data`). */
export function writeFixtureData(): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'pb-fixtures-')), 'data');
  for (const [rel, text] of Object.entries(FIXTURE_FILES)) {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

/** Every file below `dir` as { relative path: utf8 contents }: a directory compared before and after. */
export function snapshotDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

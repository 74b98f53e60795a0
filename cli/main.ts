import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { UserError, LLMError } from '../core/errors.js';
import { commands } from './commands.js';

/**
 * Turn any error into the CLI's contract: bad input → one line on stderr and
 * exit 2 (no stack trace); anything else is a bug → message + stack, exit 1.
 */
export function reportError(err: unknown): number {
  if (err instanceof UserError || err instanceof LLMError) {
    process.stderr.write(`popbench: error: ${oneLine(err.message)}\n`);
    return 2;
  }
  if (err instanceof ZodError) {
    const first = err.issues[0];
    const where = first?.path.length ? first.path.join('.') : 'input';
    process.stderr.write(`popbench: error: invalid ${where}: ${oneLine(first?.message ?? err.message)}\n`);
    return 2;
  }
  if (err instanceof CommanderError) {
    return err.exitCode === 0 ? 0 : 2;
  }
  const e = err as Error;
  process.stderr.write(`popbench: internal error: ${e?.stack ?? String(err)}\n`);
  return 1;
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('popbench')
    .description('Benchmark harness for LLM prompt optimizers (sim by default; OpenAI-compatible and Hugging Face endpoints).')
    .version('0.1.0')
    .exitOverride()
    // Commander's own errors (unknown option, missing argument, its "Did you mean" hint)
    // become the same single line as every other bad-input error.
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `popbench: ${oneLine(s)}\n` : s) })
    .showHelpAfterError(false);
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

const isEntry = process.argv[1] && /popbench(\.mjs)?$|cli[\\/]main\.ts$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

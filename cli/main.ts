import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { UserError, LLMError } from '../core/errors.js';
import { commands } from './commands.js';
import { didYouMean } from './suggest.js';

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

/**
 * Unknown `--flags` of the chosen command, checked before Commander's own
 * checks so that a typo is named (with its likely meaning) even when it also
 * leaves a required option missing (`eval --tsk x`).
 */
function checkFlags(program: Command, argv: readonly string[]): void {
  let cmd: Command | undefined = program;
  let at = 0;
  // Descend through subcommands (`data show`): flags belong to the deepest one named.
  for (;;) {
    const sub: Command | undefined = cmd.commands.find((c) => c.name() === argv[at] || c.aliases().includes(argv[at]!));
    if (!sub) break;
    cmd = sub;
    at++;
  }
  if (cmd === program) return;
  const known = ['--help', ...cmd.options.flatMap((o) => (o.long ? [o.long] : []))];
  for (const tok of argv.slice(at)) {
    if (tok === '--') break;
    if (!tok.startsWith('--')) continue;
    const flag = tok.split('=', 1)[0]!;
    if (known.includes(flag)) continue;
    const near = didYouMean(flag, known);
    throw new UserError(`unknown option '${flag}'${near ? ` (Did you mean ${near}?)` : ''} for \`popbench ${argv.slice(0, at).join(' ')}\``);
  }
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    checkFlags(program, argv);
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return reportError(err);
  }
}

const isEntry = process.argv[1] && /popbench(\.mjs)?$|cli[\\/]main\.ts$/.test(process.argv[1]);
if (isEntry) {
  // A closed pipe (`popbench cells suite.yaml | head -1`) ends the command quietly.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw err;
    });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}

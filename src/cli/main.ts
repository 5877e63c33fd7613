// The `mastercopy` command line: the same core as the extension.
import { EXIT, UsageError, type CliCommand, type CliIo } from './command';
import { oneLine } from './terminalText';
import { buildCommand } from './commands/build';
import { disposeCommand } from './commands/dispose';
import { diffCommand } from './commands/diff';
import { driftCommand } from './commands/drift';
import { exportCommand } from './commands/export';
import { gatewayCommand } from './commands/gateway';
import { historyCommand } from './commands/history';
import { logsCommand } from './commands/logs';
import { previewCommand } from './commands/preview';
import { printCommand } from './commands/print';
import { promoteCommand } from './commands/promote';
import { psCommand } from './commands/ps';
import { rollbackCommand } from './commands/rollback';
import { scaleCommand } from './commands/scale';
import { validateCommand } from './commands/validate';
import { version } from '../../package.json';

const commands: CliCommand[] = [
  validateCommand,
  previewCommand,
  buildCommand,
  printCommand,
  psCommand,
  driftCommand,
  logsCommand,
  scaleCommand,
  disposeCommand,
  diffCommand,
  promoteCommand,
  rollbackCommand,
  historyCommand,
  gatewayCommand,
  exportCommand,
];

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'mastercopy — immutable servers from one readable YAML file',
    '',
    'Usage: mastercopy <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: mastercopy <command> --help)',
    '  -v, --version  show the version',
    '',
    'Exit codes: 0 success, 1 problems found, 2 usage error or unreadable input.',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === '-h' || first === '--help' || first === 'help') {
    const topic = first === 'help' ? commands.find((c) => c.name === rest[0]) : undefined;
    io.stdout.write(topic ? topic.help : usage());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === '-v' || first === '--version') {
    io.stdout.write(`${version}\n`);
    return EXIT.ok;
  }
  const command = commands.find((c) => c.name === first);
  if (!command) {
    io.stderr.write(
      `mastercopy: unknown command '${oneLine(first)}'. Run 'mastercopy --help' for the list.\n`,
    );
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(
        `mastercopy ${command.name}: ${oneLine(e.message)}\nRun 'mastercopy ${command.name} --help' for usage.\n`,
      );
      return EXIT.usage;
    }
    // Never a stack trace: say what failed; MASTERCOPY_DEBUG=1 shows the stack.
    const message = e instanceof Error ? e.message : String(e);
    io.stderr.write(`mastercopy ${command.name}: ${oneLine(message)}\n`);
    if (io.env.MASTERCOPY_DEBUG && e instanceof Error && e.stack) io.stderr.write(e.stack + '\n');
    return EXIT.usage;
  }
}

/** Runs the command line of this process (called by bin.ts) and sets its exit code. */
export function runCli(): void {
  // A closed pipe (`mastercopy … | head`) ends the program quietly.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
  });
  main(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`mastercopy: ${oneLine(e instanceof Error ? e.message : String(e))}\n`);
      process.exitCode = EXIT.usage;
    },
  );
}

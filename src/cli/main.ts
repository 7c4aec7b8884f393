// `vxswitch` command line: one module per subcommand (decode-command.ts, ...),
// registered here. Expected failures (bad file, bad option) print one line on
// stderr and exit 1; anything else is a bug and keeps its stack trace.

import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerDecodeCommand } from './decode-command.js';
import { registerRunCommand } from './run-command.js';
import { registerShowCommands } from './show-commands.js';
import { registerDemoCommand } from './demo-command.js';
import { DEFAULT_API_SOCKET, SERVICE_API_SOCKET } from '../daemon/api-socket-path.js';

export const VERSION = '0.1.0';

export function buildProgram(): Command {
  const program = new Command('vxswitch')
    .description('userspace VXLAN switch with its own BGP EVPN speaker')
    .version(VERSION)
    .showHelpAfterError('(vxswitch --help for usage)')
    .option('--api-socket <path>', `the daemon's management API socket (default ${DEFAULT_API_SOCKET}, else ${SERVICE_API_SOCKET} when only that exists)`)
    .exitOverride();
  registerDecodeCommand(program);
  registerRunCommand(program);
  registerShowCommands(program);
  registerDemoCommand(program);
  return program;
}

/** Run the CLI on `argv` (process.argv shape); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  // `vxswitch decode x.pcap | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander already printed the message (or the help / version text).
      return e.exitCode;
    }
    if (e instanceof CliError) {
      process.stderr.write(`vxswitch: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
}

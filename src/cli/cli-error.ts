// An error the user can act on: printed as one line on stderr, exit code 1,
// no stack trace (a stack trace is for bugs, not for a missing file).

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

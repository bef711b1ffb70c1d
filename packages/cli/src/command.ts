// The shape of a tfbench command: a yargs CommandModule (command, describe, builder with its options, handler)
// made for one invocation of main(), whose handler writes through `io` and hands its exit code to `exit`.
import type { CommandModule } from 'yargs';
import type { ExitCode } from './exit-codes.js';
import type { Io } from './io.js';

export interface CommandContext {
  io: Io;
  /** Records the command's exit code; main() returns it. */
  exit(code: ExitCode): void;
}

export type TfbenchCommand<A> = (context: CommandContext) => CommandModule<object, A>;

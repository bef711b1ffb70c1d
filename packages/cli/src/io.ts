// Where the CLI writes: the process's streams by default, anything in tests.
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (the progress line is shown only there). */
  stderrIsTTY: boolean;
}

export const processIo: Io = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
  stderrIsTTY: Boolean(process.stderr.isTTY),
};

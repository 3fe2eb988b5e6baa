/** Where a command writes: results to `out`, problems to `err`, one line (or one JSON text) per call. */
export interface CommandOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** stdout and stderr. */
export const CONSOLE_OUTPUT: CommandOutput = { out: (line) => console.log(line), err: (line) => console.error(line) };

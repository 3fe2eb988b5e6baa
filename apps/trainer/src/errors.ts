/**
 * The trainer's errors: one class with a code, marked with the shared `Symbol.for('@nf/error')` like
 * every @nf package's. Messages are one line: what was wrong, what was found, what to do. Paths and
 * names are quoted with `quote`, so a name holding a newline cannot split the line.
 */
export type TrainerErrorCode =
  /** A config key, preset or config file is wrong. */
  | 'BAD_CONFIG'
  /** The command line: an unknown flag or command, a missing value, a stray argument. */
  | 'BAD_ARGS'
  /** The output folder cannot be created or written. */
  | 'OUT_DIR'
  /** Another process is writing the same output folder. */
  | 'LOCKED'
  /** A checkpoint is missing, corrupt or from another model. */
  | 'BAD_CHECKPOINT'
  /** A resumed run was given a configuration that differs from the checkpoint's. */
  | 'RESUME_CONFLICT'
  /** The dataset cannot feed the configured run (e.g. fewer examples than one batch). */
  | 'BAD_DATASET'
  /** A saved model cannot classify as asked: no model.json, or its metadata lacks the test size, class names or normalization. */
  | 'BAD_MODEL';

export class TrainerError extends Error {
  readonly code: TrainerErrorCode;

  constructor(code: TrainerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainerError';
    this.code = code;
    Object.defineProperty(this, Symbol.for('@nf/error'), { value: true });
  }
}

/** A path or name for a one-line message: 'as is' when printable, else JSON-escaped ("a\nb"). */
export function quote(value: string): string {
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029']/.test(value) ? JSON.stringify(value) : `'${value}'`;
}

/** Any message as one line: control characters (a newline in a file name) shown escaped. */
export function oneLine(message: string): string {
  return message.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => JSON.stringify(c).slice(1, -1));
}

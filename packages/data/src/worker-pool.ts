/**
 * A fixed set of worker threads preparing batches. Each worker holds one task at a time; tasks
 * wait in order for the next idle worker. A busy worker keeps the process alive, an idle one does
 * not (so an abandoned iteration cannot hang the process); `close` terminates them all.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { DataError } from './errors.js';
import type { BatchTask, PreparedBatch } from './prepare-batch.js';
import { oneLine, quote } from './quote.js';
import type { WorkerInit, WorkerRequest } from './worker.js';

/** The parent's Node flags minus `--input-type`, which is only valid with `-e` and stops a worker file from loading. */
function parentExecArgv(): string[] {
  const out: string[] = [];
  const args = process.execArgv;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--input-type') i++;
    else if (!args[i]!.startsWith('--input-type=')) out.push(args[i]!);
  }
  return out;
}

/** Flags Node refused for a worker (per-process V8 flags such as --experimental-wasm-relaxed-simd, which workers inherit anyway). */
const refusedFlags = new Set<string>();

/**
 * A worker with the parent's flags, less those Node refuses in a worker's execArgv
 * (ERR_WORKER_INVALID_EXEC_ARGV lists them): they are dropped, remembered, and the worker started again.
 */
function startWorker(script: string, workerData: WorkerInit): Worker {
  for (;;) {
    const execArgv = parentExecArgv().filter((flag) => !refusedFlags.has(flag.split('=')[0]!));
    try {
      return new Worker(script, { workerData, execArgv });
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      const listed = e?.code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? (/: (.+)$/.exec(String(e.message))?.[1] ?? '').split(/[ ,]+/).filter((f) => f.startsWith('-')) : [];
      const fresh = listed.map((f) => f.split('=')[0]!).filter((f) => !refusedFlags.has(f));
      if (fresh.length === 0) throw error;
      for (const f of fresh) refusedFlags.add(f);
    }
  }
}

interface Job {
  readonly id: number;
  readonly task: BatchTask;
  readonly resolve: (batch: PreparedBatch) => void;
  readonly reject: (error: Error) => void;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

type Reply = { id: number; result: PreparedBatch } | { id: number; error: string };

export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  private failure: Error | undefined;

  constructor(script: string, count: number, init: WorkerInit) {
    if (!existsSync(script)) {
      throw new DataError(
        'WORKER_FAILED',
        `worker script ${quote(script)} is missing; build @nf/data (pnpm build) or pass workers: 0 to prepare batches on the main thread.`,
      );
    }
    for (let i = 0; i < count; i++) {
      const worker = startWorker(script, init);
      const slot: Slot = { worker, job: undefined };
      worker.unref();
      worker.on('message', (reply: Reply) => this.onReply(slot, reply));
      worker.on('error', (error) => this.fail(new DataError('WORKER_FAILED', `a data worker crashed: ${oneLine(String(error?.message ?? error), 1000)}`, { cause: error })));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new DataError('WORKER_FAILED', `a data worker exited with code ${code} while the pipeline was running.`));
      });
      this.slots.push(slot);
    }
  }

  /** Live workers. */
  get size(): number {
    return this.closed ? 0 : this.slots.length;
  }

  run(task: BatchTask): Promise<PreparedBatch> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ id: this.nextId++, task, resolve, reject });
      this.dispatch();
    });
  }

  /** Terminates every worker; batches not yet ready are rejected. */
  close(): Promise<void> {
    return this.shutdown(new DataError('WORKER_FAILED', 'the pipeline was closed before this batch was ready.'));
  }

  private async shutdown(reason: Error): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.queue, ...this.slots.flatMap((s) => (s.job ? [s.job] : []))];
    this.queue.length = 0;
    for (const slot of this.slots) slot.job = undefined;
    for (const job of pending) job.reject(reason);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.job) continue;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref();
      const request: WorkerRequest = { id: job.id, task: job.task };
      slot.worker.postMessage(request);
    }
  }

  private onReply(slot: Slot, reply: Reply): void {
    const job = slot.job;
    if (!job || job.id !== reply.id) return;
    slot.job = undefined;
    slot.worker.unref();
    if ('error' in reply) job.reject(new DataError('WORKER_FAILED', `preparing a batch failed in a worker: ${oneLine(reply.error, 1000)}`));
    else job.resolve(reply.result);
    this.dispatch();
  }

  private fail(error: Error): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    void this.shutdown(error).catch(() => undefined);
  }
}

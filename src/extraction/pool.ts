import { Worker } from 'node:worker_threads';
import { ExtractionInputError, type ExtractionInputErrorCode } from './errors.ts';
import type { ExtractOptions, ExtractedClaim } from './types.ts';

// Extraction runs on worker threads, never on the worker's event loop: a slow or hostile article cannot stall the
// Temporal worker's other activities, workflow tasks or heartbeats. Each article has a hard deadline; a thread that
// passes it is terminated (its work is abandoned mid-computation) and a fresh thread takes its place.

export interface ExtractionRequest {
  id: number;
  text: string;
  options: ExtractOptions;
}

export type ExtractionResponse =
  | { id: number; ok: true; claims: ExtractedClaim[] }
  | { id: number; ok: false; error: { kind: 'input' | 'other'; code: ExtractionInputErrorCode | null; message: string } };

/** The article took longer than its deadline; the thread working on it was terminated. */
export class ExtractionTimeoutError extends Error {
  constructor(readonly deadlineMs: number) {
    super(`extraction passed its deadline of ${deadlineMs} ms and was stopped`);
    this.name = 'ExtractionTimeoutError';
  }
}

export interface ExtractionPool {
  /** Extracts on a pool thread; rejects with ExtractionTimeoutError after deadlineMs of extraction (queueing not counted). */
  extract(text: string, options: ExtractOptions, deadlineMs: number): Promise<ExtractedClaim[]>;
  /** Threads started so far, replacements included (a terminated thread is replaced on demand). */
  readonly threadsStarted: number;
  close(): Promise<void>;
}

const THREAD_ENTRY = new URL('./thread.js', import.meta.url);

interface Job {
  request: Omit<ExtractionRequest, 'id'>;
  deadlineMs: number;
  resolve: (claims: ExtractedClaim[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy: boolean;
  /** Settles the job in flight when the thread dies under it. */
  onDeath: ((err: Error) => void) | null;
}

export function createExtractionPool(opts: { threads: number }): ExtractionPool {
  const slots = new Set<Slot>();
  const queue: Job[] = [];
  let nextId = 1;
  let started = 0;
  let closed = false;

  function spawnSlot(): Slot {
    started += 1;
    const worker = new Worker(THREAD_ENTRY);
    // An idle thread does not keep the process alive; a busy one is ref'd while it works.
    worker.unref();
    const slot: Slot = { worker, ready: Promise.resolve(), busy: false, onDeath: null };
    slot.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (msg: unknown) => {
        if (msg && typeof msg === 'object' && 'ready' in msg) {
          worker.off('message', onMessage);
          resolve();
        }
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`extraction thread exited with code ${code} before it was ready`)));
    });
    // Never an unhandled rejection: a job waiting on `ready` handles it.
    slot.ready.catch(() => undefined);
    const die = (err: Error) => {
      slots.delete(slot);
      slot.onDeath?.(err);
      slot.onDeath = null;
      dispatch();
    };
    worker.on('error', (err) => die(err));
    worker.on('exit', (code) => die(new Error(`extraction thread exited with code ${code}`)));
    slots.add(slot);
    return slot;
  }

  function run(slot: Slot, job: Job): void {
    slot.busy = true;
    const id = nextId++;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      slot.worker.off('message', onMessage);
      slot.onDeath = null;
      fn();
    };
    const onMessage = (msg: ExtractionResponse) => {
      if (msg.id !== id) return;
      finish(() => {
        slot.busy = false;
        slot.worker.unref();
        if (msg.ok) job.resolve(msg.claims);
        else if (msg.error.kind === 'input' && msg.error.code) job.reject(new ExtractionInputError(msg.error.code, msg.error.message));
        else job.reject(new Error(msg.error.message));
        dispatch();
      });
    };
    slot.onDeath = (err) => finish(() => job.reject(err));
    slot.worker.ref();
    slot.ready.then(
      () => {
        if (settled) return;
        slot.worker.on('message', onMessage);
        slot.worker.postMessage({ id, ...job.request } satisfies ExtractionRequest);
        timer = setTimeout(() => {
          finish(() => {
            // The thread may be deep in a computation: terminating it is the only way to stop it.
            slots.delete(slot);
            void slot.worker.terminate();
            job.reject(new ExtractionTimeoutError(job.deadlineMs));
            dispatch();
          });
        }, job.deadlineMs);
      },
      (err: unknown) => finish(() => job.reject(err instanceof Error ? err : new Error(String(err)))),
    );
  }

  function dispatch(): void {
    while (!closed && queue.length > 0) {
      let slot = [...slots].find((s) => !s.busy);
      if (!slot && slots.size < opts.threads) slot = spawnSlot();
      if (!slot) return;
      run(slot, queue.shift()!);
    }
  }

  return {
    extract(text, options, deadlineMs) {
      if (closed) return Promise.reject(new Error('the extraction pool is closed'));
      return new Promise<ExtractedClaim[]>((resolve, reject) => {
        queue.push({ request: { text, options }, deadlineMs, resolve, reject });
        dispatch();
      });
    },
    get threadsStarted() {
      return started;
    },
    async close() {
      closed = true;
      for (const job of queue.splice(0)) job.reject(new Error('the extraction pool is closed'));
      await Promise.all([...slots].map((s) => s.worker.terminate()));
      slots.clear();
    },
  };
}

const shared = new Map<number, ExtractionPool>();

/**
 * The process's pool with this many threads, started on first use: every worker (and every test's worker) in a process
 * shares its loaded threads instead of each paying for its own. Idle threads do not keep the process alive.
 */
export function sharedExtractionPool(threads: number): ExtractionPool {
  let pool = shared.get(threads);
  if (!pool) {
    pool = createExtractionPool({ threads });
    shared.set(threads, pool);
  }
  return pool;
}

// Shared vocabulary of the harness: scenarios, metrics, subjects and results.

export type ScenarioId = 'tiny' | 'map' | 'map-auto' | 'roundtrip' | 'roundtrip-1cpu' | 'mixed' | 'behind' | 'cpu' | 'first' | 'rss' | 'lock' | SectionId;

/**
 * Scenarios outside the pool table, each with subjects of its own (lib/sections.ts):
 * contended hand-off between two threads, multiprocessing Queue and Pipe, distributed executor.
 */
export type SectionId = 'handoff' | 'mp' | 'dist';

/** One number the report shows: a row of the table and a panel of the chart. */
export type MetricId =
  | 'tiny'
  | 'map'
  | 'mapAuto'
  | 'rtMedian'
  | 'rtP99'
  | 'rt1Median'
  | 'rt1P99'
  | 'mixed'
  | 'mixedIdeal'
  | 'behindP50'
  | 'behindP99'
  | 'behindP50Ratio'
  | 'behindP99Ratio'
  | 'cpuBatch'
  | 'cpuCourse'
  | 'first'
  | 'rss'
  | 'lockSync'
  | 'lockAsync'
  | 'handoffSyncMedian'
  | 'handoffSyncP99'
  | 'handoffAsyncMedian'
  | 'handoffAsyncP99'
  | 'mpQueue'
  | 'mpQueueC2C'
  | 'mpPipe'
  | 'mpPipeRt'
  | 'mpBig'
  | 'distSubmit'
  | 'distMap'
  | 'distMapAuto';

export type Metrics = Partial<Record<MetricId, number>>;

export type SubjectGroup = 'concurrent-ts' | 'peer' | 'python' | 'raw';

/** How many times a scenario runs and how long it may take. */
export interface RoundSpec {
  /** Rounds measured after the warm-up; the report uses their median. */
  rounds: number;
  /** Rounds always measured, even past the budget. */
  minRounds: number;
  /** Once this many milliseconds were spent measuring, stop after `minRounds`. */
  budgetMs: number;
  /** Extra rounds allowed to replace rounds disturbed by other programs (default 4). */
  extraRounds?: number;
}

/** Every size of one run; `--quick` shrinks them all (lib/config.ts). */
export interface Sizes {
  quick: boolean;
  workers: number;
  tiny: RoundSpec & { n: number; warmupN: number };
  map: RoundSpec & { n: number; warmupN: number; chunksize: number };
  roundtrip: RoundSpec & { n: number; warmupN: number };
  /**
   * `n` busy-wait tasks submitted at once: `longUs` each at the indices `longAt` (one in
   * every block of 100, at a seeded place), `shortUs` each elsewhere. The warm-up round
   * runs the first `warmupN` of the same tasks. Python reads the same list.
   */
  mixed: RoundSpec & { n: number; warmupN: number; shortUs: number; longUs: number; longAt: number[] };
  /**
   * One busy-wait task of `longUs` (`warmupLongUs` in the warm-up round), then tiny tasks
   * one at a time from `startDelayMs` after it was submitted until `startDelayMs` before
   * it is due to end.
   */
  behind: RoundSpec & { longUs: number; warmupLongUs: number; startDelayMs: number };
  /** Each round is one single-threaded run and one pool run, back to back. */
  cpu: RoundSpec & { node: number[]; python: number[]; course: number[] };
  first: RoundSpec;
  rss: { n: number };
  lock: RoundSpec & { syncOps: number; asyncOps: number };
  /** Round trips per round (two hand-offs each), after `warmupN` untimed ones. */
  handoff: RoundSpec & { n: number; warmupN: number };
  /** Messages per one-way run, round trips per round-trip run, bytes of the large item. */
  mp: RoundSpec & { messages: number; roundTrips: number; bigBytes: number };
  /** Tiny jobs per submit round, items per map round; worker processes and the jobs each takes at once. */
  dist: RoundSpec & { jobs: number; items: number; chunksize: number; processes: number; concurrency: number };
}

/** What one subject × scenario child reports back to the runner. */
export interface CellResult {
  subject: string;
  scenario: ScenarioId;
  /** 'skip': the scenario does not apply to the subject; 'na': the subject cannot run here. */
  status: 'ok' | 'skip' | 'na' | 'error' | 'timeout';
  metrics: Metrics;
  /** Why the cell is n/a, or the error. */
  reason?: string;
  /** Per-round raw values, for the curious reader of the JSON output. */
  samples?: Record<string, number[]>;
  rounds?: number;
  /** Peak RSS of the child (and its own children) at the end, MiB. */
  peakRssMiB?: number;
  /** Wall time of the child, as seen by the runner. */
  wallMs?: number;
  /** CPU time of the child and its descendants (threads and processes), ms. */
  cpuMs?: number;
  /**
   * Cores other programs used during the kept rounds, on average (machine busy
   * time minus the cell's own CPU time, over the wall time).
   */
  foreignCores?: number;
  /** Rounds set aside because other programs kept a CPU busy during them. */
  discardedRounds?: number;
  /** Too few quiet rounds: the least disturbed were kept. */
  noisy?: boolean;
  /** How many times the cell ran (a crashed child is run once more). */
  attempts?: number;
  /** Something the reader should know about the cell. */
  note?: string;
}

/** A pool started by an adapter, reduced to what the scenarios need. */
export interface PoolHandle {
  /** Submits `add(i, 1)` for i in [0, n) all at once and resolves with the sum of the results. */
  tiny(n: number): Promise<number>;
  /** One `add(a, b)` through the pool: round trip, warm-up and first result. */
  call(a: number, b: number): Promise<number>;
  /**
   * `noop` over `items`, results consumed in input order; resolves with the
   * number of results equal to their input (the caller checks it is all of them).
   * `chunksize` undefined means "the subject's own default".
   */
  map(items: readonly number[], chunksize: number | undefined): Promise<number>;
  /** `isPrime` over `ns`, all submitted at once; results in input order. */
  primes(ns: readonly number[]): Promise<boolean[]>;
  /**
   * One `spin(us, tag)` through the pool: busy-waits `us` µs in a worker, resolves with
   * `tag`. Absent on subjects that sit the mixed scenario out (their notApplicable says why).
   */
  spin?: (us: number, tag: number) => PromiseLike<number>;
  /**
   * One `spinStamped(us)` through the pool: busy-waits `us` µs in a worker, resolves with
   * the epoch ms at which it began. Absent on subjects that sit the behind scenario out.
   */
  spinStamped?: (us: number) => PromiseLike<number>;
  close(): Promise<void>;
}

interface SubjectBase {
  id: string;
  /** Full name for the docs. */
  label: string;
  /** Column header: short enough for a terminal table. */
  short: string;
  group: SubjectGroup;
  /** Scenarios this subject cannot take part in, with the reason shown in the table. */
  notApplicable?: Partial<Record<ScenarioId, string>>;
  /** How the subject does a scenario when that differs from the obvious (documented in the report). */
  how?: Partial<Record<ScenarioId, string>>;
}

/** A subject measured inside a Node child process through a PoolHandle. */
export interface NodeSubject extends SubjectBase {
  kind: 'node';
  /**
   * Imports the subject's library (only ever inside the child) and returns a
   * pool factory; throws NotAvailable when it cannot run here.
   */
  open(): Promise<(workers: number) => PoolHandle | Promise<PoolHandle>>;
}

/** A subject measured by bench/python/bench.py. */
export interface PythonSubject extends SubjectBase {
  kind: 'python';
  executor: 'thread' | 'process';
}

export type Subject = NodeSubject | PythonSubject;

/** One lock implementation for the lock scenario. */
export interface LockSubject {
  id: string;
  label: string;
  short: string;
  group: SubjectGroup;
  /** Resolves with the forms this subject offers, or throws NotAvailable. */
  open(): Promise<LockForms>;
}

export interface LockForms {
  /** Uncontended blocking acquire + release, if the lock has a blocking form. */
  sync?: () => void;
  /** Uncontended awaited acquire + release. */
  async: () => Promise<void>;
}

/** A subject of one section (hand-off, multiprocessing, distributed): one cell per subject. */
export interface SectionSubject {
  id: string;
  label: string;
  short: string;
  group: SubjectGroup;
  section: SectionId;
  /** How this subject does the section's scenario, for the report. */
  how: string;
  /**
   * The peer this concurrent-ts subject is compared with, like for like, when its section has
   * several concurrent-ts subjects (distributed: inline workers with BullMQ inline, pooled workers
   * with BullMQ's sandboxed processor). Without it, the first concurrent-ts subject is compared
   * with every peer.
   */
  peer?: string;
  /** 'python': bench/python/bench.py measures it; otherwise child.ts calls `measure`. */
  kind: 'node' | 'python';
  /** Measures every metric of the section; throws NotAvailable when it cannot run here. */
  measure?: (sizes: Sizes) => Promise<SectionOutput>;
}

/** What a section subject measured (the shape of a Node scenario's output). */
export interface SectionOutput {
  metrics: Metrics;
  samples: Record<string, number[]>;
  rounds: number;
  note?: string;
}

/** Thrown by adapters when their library cannot run (not built, class missing). */
export class NotAvailable extends Error {
  override readonly name = 'NotAvailable';
}

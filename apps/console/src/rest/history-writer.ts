/**
 * Writes online predictions to `prediction_history` OFF the request path.
 *
 * A request only appends its rows to an in-process buffer (no await, no I/O). The buffer is
 * flushed with ONE multi-row `INSERT ... ON CONFLICT (source, idempotency_key) DO NOTHING` when
 * it holds `maxBatchRows` rows or every `flushIntervalMs`, whichever comes first, one flush at
 * a time. Policy when the database is slow or down:
 * - a row the database refuses for its DATA (a NUL byte, say) never holds back the others: the
 *   sink (`writeHistoryBatch`) splits the batch, writes the rest and keeps the refused rows in
 *   dead_letters; they are counted (`refused`), not retried;
 * - a flush that could not reach the database puts its rows back at the head of the buffer and
 *   is retried with exponential backoff (idempotency keys make a retried INSERT that did commit
 *   harmless);
 * - the buffer is bounded by `maxBufferedRows`: rows that do not fit are DROPPED and counted
 *   (`dropped` in stats, /api/health, and a log line at most every 10 s). Predictions keep being
 *   served: answering the caller matters more than a complete history, and memory stays bounded;
 * - `close()` (on SIGTERM) stops the timer and flushes everything left, retrying until a deadline.
 */

export type THistoryRow = {
  /** This writer's rows are the prediction API's: set where the row is made, so the sink passes rows as they are. */
  source: 'online';
  idempotencyKey: string;
  rideId: string | null;
  puLocationId: number;
  doLocationId: number;
  tripDistance: number;
  predictedDuration: number;
  modelName: string;
  modelVersion: string;
  latencyMs: number;
  createdAt: Date;
  /** Default production; a challenger's second opinion, or a canary that answered. */
  role?: 'production' | 'challenger' | 'canary';
};

/**
 * Writes rows, ignoring rows whose idempotency key is already stored and keeping rows the
 * database refuses for their data aside (dead letters); returns rows inserted and refused.
 * Throws only when the database could not be asked (then the whole batch is retried).
 */
export type TInsertHistoryBatch = (rows: readonly THistoryRow[]) => Promise<{ inserted: number; refused: number }>;

export type THistoryWriterStats = {
  /** Rows accepted but not written yet (in the buffer or in the flush in flight). */
  buffered: number;
  written: number;
  duplicates: number;
  /** Rows Postgres refused for their data (e.g. a NUL byte): kept in dead_letters (source online), not retried. */
  refused: number;
  dropped: number;
  failedFlushes: number;
  lastError: string | null;
  lastFlushAt: string | null;
};

export type THistoryWriter = {
  /** Appends rows without waiting; returns how many were accepted (the rest were dropped and counted). */
  enqueue(rows: readonly THistoryRow[]): number;
  /** Writes everything buffered now (tests, shutdown). Resolves when the buffer was empty at some point. */
  flush(): Promise<void>;
  stats(): THistoryWriterStats;
  /** Stops the timer and flushes what is left, giving up after `timeoutMs`. Returns rows left unwritten. */
  close(options?: { timeoutMs?: number }): Promise<number>;
};

export type THistoryWriterOptions = {
  insertBatch: TInsertHistoryBatch;
  flushIntervalMs?: number;
  maxBatchRows?: number;
  maxBufferedRows?: number;
  log?: (message: string) => void;
};

const MAX_BACKOFF_MS = 5_000;
const DROP_LOG_EVERY_MS = 10_000;

export function createHistoryWriter(options: THistoryWriterOptions): THistoryWriter {
  const flushIntervalMs = options.flushIntervalMs ?? 100;
  const maxBatchRows = options.maxBatchRows ?? 1_000;
  const maxBufferedRows = options.maxBufferedRows ?? 100_000;
  const log = options.log ?? ((message: string) => console.warn(message));

  let buffer: THistoryRow[] = [];
  /** Rows taken by the flush in flight: not written yet, so still counted as buffered. */
  let flushingRows = 0;
  let inFlight: Promise<void> | null = null;
  let isClosed = false;
  let backoffUntil = 0;
  let backoffMs = flushIntervalMs;
  let droppedSinceLog = 0;
  let lastDropLogAt = 0;
  const stats: Omit<THistoryWriterStats, 'buffered'> = {
    written: 0,
    duplicates: 0,
    refused: 0,
    dropped: 0,
    failedFlushes: 0,
    lastError: null,
    lastFlushAt: null,
  };

  /** One pass: writes batches until the buffer is empty or a batch fails. */
  async function drain(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.length <= maxBatchRows ? buffer : buffer.slice(0, maxBatchRows);
      buffer = batch === buffer ? [] : buffer.slice(batch.length);
      flushingRows = batch.length;
      try {
        const { inserted, refused } = await options.insertBatch(batch);
        flushingRows = 0;
        stats.written += inserted;
        stats.refused += refused;
        stats.duplicates += batch.length - inserted - refused;
        if (refused > 0) log(`history: ${refused} rows refused by the database, kept in dead_letters (total ${stats.refused})`);
        stats.lastFlushAt = new Date().toISOString();
        backoffMs = flushIntervalMs;
      } catch (error) {
        flushingRows = 0;
        // Put the rows back in front (order kept), then trim to the bound: the newest rows are the ones dropped.
        buffer = batch.concat(buffer);
        if (buffer.length > maxBufferedRows) countDropped(buffer.splice(maxBufferedRows).length);
        stats.failedFlushes += 1;
        stats.lastError = error instanceof Error ? error.message : String(error);
        backoffUntil = Date.now() + backoffMs;
        log(`history: flush of ${batch.length} rows failed (${stats.lastError}); retrying in ${backoffMs} ms`);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
        return;
      }
    }
  }

  function startFlush(): Promise<void> {
    inFlight ??= drain().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  function countDropped(n: number): void {
    if (n <= 0) return;
    const why = isClosed ? 'writer closed' : `buffer full (${maxBufferedRows} rows)`;
    stats.dropped += n;
    droppedSinceLog += n;
    const now = Date.now();
    if (now - lastDropLogAt >= DROP_LOG_EVERY_MS) {
      log(`history: ${why}, dropped ${droppedSinceLog} rows (total ${stats.dropped})`);
      lastDropLogAt = now;
      droppedSinceLog = 0;
    }
  }

  const timer = setInterval(() => {
    if (buffer.length > 0 && !inFlight && Date.now() >= backoffUntil) void startFlush();
  }, flushIntervalMs);
  // The timer alone must not keep a process alive: shutdown calls close() to flush.
  timer.unref();

  return {
    enqueue(rows) {
      if (isClosed) {
        countDropped(rows.length);
        return 0;
      }
      const room = Math.max(0, maxBufferedRows - buffer.length);
      const accepted = rows.length <= room ? rows : rows.slice(0, room);
      for (const row of accepted) buffer.push(row);
      countDropped(rows.length - accepted.length);
      if (buffer.length >= maxBatchRows && !inFlight && Date.now() >= backoffUntil) void startFlush();
      return accepted.length;
    },

    async flush() {
      backoffUntil = 0;
      if (inFlight) await inFlight;
      await startFlush();
    },

    stats() {
      return { buffered: buffer.length + flushingRows, ...stats };
    },

    async close({ timeoutMs = 10_000 } = {}) {
      isClosed = true;
      clearInterval(timer);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (inFlight) await inFlight;
        if (buffer.length === 0) return 0;
        await startFlush();
        if (buffer.length === 0) return 0;
        if (Date.now() >= deadline) break;
        await new Promise((resolve) => setTimeout(resolve, Math.min(backoffMs, Math.max(0, deadline - Date.now()))));
      }
      log(`history: shutting down with ${buffer.length} rows unwritten (database unreachable)`);
      return buffer.length;
    },
  };
}

/**
 * Time series of observations (replication lag, probe latency) persisted in SQLite so charts
 * survive a restart. Writes are buffered and flushed in one transaction (default every
 * second) so 1,000 probes a second cost one commit, not 1,000.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SeriesPoint } from '../../../shared/status.ts';

export interface Sample {
  env: string;
  metric: string;
  key: string;
  /** epoch ms */
  t: number;
  /** null = unknown at that instant (drawn as a gap) */
  v: number | null;
}

export class SampleStore {
  private buffer: Sample[] = [];
  private readonly insert: StatementSync;
  private readonly db: DatabaseSync;
  private readonly retentionMs: number;
  private flushTimer: NodeJS.Timeout | null = null;
  private pruneTimer: NodeJS.Timeout | null = null;

  /**
   * @param db an open store (see openStore)
   * @param retentionMs samples older than this are deleted (pruned every minute), ms
   * @param flushIntervalMs how often buffered samples are written, ms (0 = only on flush())
   */
  constructor(db: DatabaseSync, retentionMs: number, flushIntervalMs = 1000) {
    this.db = db;
    this.retentionMs = retentionMs;
    this.insert = db.prepare('INSERT INTO samples (env, metric, key, t, v) VALUES (?, ?, ?, ?, ?)');
    if (flushIntervalMs > 0) {
      this.flushTimer = setInterval(() => this.flush(), flushIntervalMs);
      this.flushTimer.unref();
      this.pruneTimer = setInterval(() => this.prune(), 60_000);
      this.pruneTimer.unref();
    }
  }

  /** Queues one sample (written at the next flush). */
  add(sample: Sample): void {
    this.buffer.push(sample);
    // bound the buffer if flushing stalls (disk full): keep the newest
    if (this.buffer.length > 100_000) this.buffer.splice(0, this.buffer.length - 100_000);
  }

  /** Writes buffered samples in one transaction. Returns how many were written. */
  flush(): number {
    if (this.buffer.length === 0) return 0;
    const batch = this.buffer;
    this.buffer = [];
    this.db.exec('BEGIN');
    try {
      for (const s of batch) this.insert.run(s.env, s.metric, s.key, s.t, s.v);
      this.db.exec('COMMIT');
    } catch (e) {
      this.db.exec('ROLLBACK');
      this.buffer = batch.concat(this.buffer);
      throw e;
    }
    return batch.length;
  }

  /** Deletes samples older than the retention window. Returns rows deleted. */
  prune(now = Date.now()): number {
    const r = this.db.prepare('DELETE FROM samples WHERE t < ?').run(now - this.retentionMs);
    return Number(r.changes);
  }

  /**
   * Reads one series since `sinceMs`, downsampled to at most `maxPoints` points: time is cut
   * into equal buckets **aligned to the epoch** (bucket `floor(t / width)`), so two reads a few
   * seconds apart (a reload, a restarted host) return the same points for the same samples and
   * the chart does not shift; each bucket keeps its **maximum** (lag and latency are worst-case
   * metrics: a peak must never be averaged away) at the bucket's last sample time.
   * A bucket whose samples are all NULL yields v = null (a gap: unknown, not zero).
   *
   * @param sinceMs oldest sample time to include, epoch ms
   * @param maxPoints upper bound on the result length (>= 2; smaller values are raised to 2)
   * @param now newest time of the window, epoch ms (width = span / (maxPoints - 1), so the
   *   window touches at most maxPoints aligned buckets)
   */
  series(
    env: string,
    metric: string,
    key: string,
    sinceMs: number,
    maxPoints: number,
    now = Date.now(),
  ): SeriesPoint[] {
    this.flush();
    const span = Math.max(1, now - sinceMs);
    const bucketMs = Math.max(1, Math.ceil(span / (Math.max(2, Math.floor(maxPoints)) - 1)));
    const rows = this.db
      .prepare(
        `SELECT CAST(t / ? AS INTEGER) AS b, MAX(t) AS t, MAX(v) AS v
           FROM samples WHERE env = ? AND metric = ? AND key = ? AND t >= ?
          GROUP BY b ORDER BY b`,
      )
      .all(bucketMs, env, metric, key, sinceMs) as { b: number; t: number; v: number | null }[];
    return rows.map((r) => ({ t: Number(r.t), v: r.v === null ? null : Number(r.v) }));
  }

  /** The newest non-null sample of one series, or null (flushes the buffer first). */
  lastValue(env: string, metric: string, key: string): { t: number; v: number } | null {
    this.flush();
    const row = this.db
      .prepare(
        'SELECT t, v FROM samples WHERE env = ? AND metric = ? AND key = ? AND v IS NOT NULL ORDER BY t DESC LIMIT 1',
      )
      .get(env, metric, key) as { t: number; v: number } | undefined;
    return row ? { t: Number(row.t), v: Number(row.v) } : null;
  }

  /**
   * Start of the failure streak a series ends with, as recorded: the oldest sample of the
   * trailing run of NULL samples (a probe records NULL for a failed probe), walking back from the
   * newest sample while consecutive samples are at most `maxGapMs` apart — a gap means nobody was
   * watching, and what happened then is unknown, so the streak is only trusted back to it.
   * Lets a console that just started (the CLI) see a failure that a running console (`standby
   * serve`) has been recording for a while. Reads at most `limit` samples (default 100,000).
   *
   * @returns epoch ms, or null when the newest sample is not a failure (or there is none)
   */
  failureStreakStart(env: string, metric: string, key: string, maxGapMs: number, limit = 100_000): number | null {
    this.flush();
    const rows = this.db
      .prepare('SELECT t, v FROM samples WHERE env = ? AND metric = ? AND key = ? ORDER BY t DESC LIMIT ?')
      .iterate(env, metric, key, limit) as Iterable<{ t: number; v: number | null }>;
    let start: number | null = null;
    for (const r of rows) {
      const t = Number(r.t);
      if (r.v !== null || (start !== null && start - t > maxGapMs)) break;
      start = t;
    }
    return start;
  }

  /** Stops timers and writes what is buffered. The db itself is closed by its owner. */
  close(): void {
    if (this.flushTimer) clearInterval(this.flushTimer);
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.flush();
  }
}

// The finished runs the dashboard's run picker offers: every `<runsDir>/<id>/run.json`, newest first. Records
// come from disk and may be partial or from older versions, so a field that is missing reads as "none"; a
// page asks for a run by id, and only ids listed in the folder are read (never a path the page made up).

import { redactSecrets } from '@strata/shared';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RunSummary } from './dashboard-protocol.js';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export class RunLibrary {
  /** Summaries by run id, kept while run.json is unchanged (a picker opened often reads the folder once). */
  private readonly cache = new Map<string, { mtimeMs: number; summary: RunSummary }>();

  constructor(private readonly runsDir: string) {}

  list(): RunSummary[] {
    let names: string[];
    try {
      names = readdirSync(this.runsDir);
    } catch {
      return [];
    }
    const summaries: RunSummary[] = [];
    for (const id of names) {
      if (!RUN_ID.test(id)) continue;
      const file = join(this.runsDir, id, 'run.json');
      let mtimeMs: number;
      try {
        mtimeMs = statSync(file).mtimeMs;
      } catch {
        continue;
      }
      const cached = this.cache.get(id);
      if (cached?.mtimeMs === mtimeMs) {
        summaries.push(cached.summary);
        continue;
      }
      const record = this.read(id);
      if (record === undefined) continue;
      const summary = summarize(id, record);
      this.cache.set(id, { mtimeMs, summary });
      summaries.push(summary);
    }
    return summaries.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  }

  /**
   * The record of run `id`, or undefined when there is no such run (or its file is not JSON). Secrets are
   * redacted again here: a viewer of the dashboard must not read a token or a URL's password, whatever
   * wrote the file.
   */
  read(id: string): Record<string, unknown> | undefined {
    if (!RUN_ID.test(id)) return undefined;
    try {
      const value: unknown = JSON.parse(readFileSync(join(this.runsDir, id, 'run.json'), 'utf8'));
      return typeof value === 'object' && value !== null && !Array.isArray(value)
        ? redactSecrets(value as Record<string, unknown>)
        : undefined;
    } catch {
      return undefined;
    }
  }
}

function summarize(id: string, record: Record<string, unknown>): RunSummary {
  const final = (typeof record.final === 'object' && record.final !== null ? record.final : {}) as Record<string, unknown>;
  const metrics = (typeof final.metrics === 'object' && final.metrics !== null ? final.metrics : {}) as Record<string, unknown>;
  return {
    id,
    task: String(record.task ?? '?'),
    mode: String(record.mode ?? '?'),
    startedAt: String(record.startedAt ?? ''),
    rounds: Array.isArray(record.rounds) ? record.rounds.length : 0,
    ...(typeof final.wallSeconds === 'number' ? { wallSeconds: final.wallSeconds } : {}),
    final: Object.fromEntries(Object.entries(metrics).filter((entry): entry is [string, number] => typeof entry[1] === 'number')),
  };
}

// How the page writes numbers, bytes and durations: the conventions of the HTML report
// (cli/src/report/chart/format-number.ts), which is Node-side code the page cannot import.

export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

export function formatBytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const exponent = Math.abs(value) < 1000 ? 0 : Math.min(BYTE_UNITS.length - 1, Math.floor(Math.log10(Math.abs(value)) / 3));
  if (exponent === 0) return `${Math.round(value)} B`;
  return `${Number((value / 1000 ** exponent).toPrecision(3))} ${BYTE_UNITS[exponent]}`;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '—';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(s).padStart(2, '0')} s`;
}

/** "just now", "12 s ago", "3 min ago"; '—' for never (0). */
export function formatAgo(epochMs: number, now: number): string {
  if (!(epochMs > 0)) return '—';
  const seconds = Math.max(0, (now - epochMs) / 1000);
  if (seconds < 2) return 'just now';
  if (seconds < 90) return `${Math.round(seconds)} s ago`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min ago`;
  return `${Math.round(seconds / 3600)} h ago`;
}

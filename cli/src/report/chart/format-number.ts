// Number formatting for tables, tooltips and axis ticks.

import { stepDecimals, type TickScale } from './nice-ticks.js';

const SI_PREFIXES = ['', 'k', 'M', 'G', 'T', 'P'];

/** A value for a table cell or tooltip: four significant digits, '—' when missing or not finite. */
export function formatNumber(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

/**
 * A tick label on a numeric axis. All ticks of one axis share a unit (k, M, ...) chosen from the axis's
 * largest magnitude, and as many decimals as its step needs.
 */
export function formatNumberTick(value: number, scale: TickScale): string {
  if (value === 0) return '0';
  return formatScaled(value, scale, 1000, SI_PREFIXES, '');
}

/** A tick label on a byte axis (decimal units: kB = 1000 B), with one unit for the whole axis. */
export function formatBytesTick(value: number, scale: TickScale): string {
  return formatScaled(value, scale, 1000, BYTE_UNITS, ' ');
}

const BYTE_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** A byte count for tables and tooltips, in decimal units with three significant digits. */
export function formatBytes(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const exponent = unitExponent(Math.abs(value), 1000, BYTE_UNITS.length);
  if (exponent === 0) return `${Math.round(value)} B`;
  return `${Number((value / 1000 ** exponent).toPrecision(3))} ${BYTE_UNITS[exponent]}`;
}

function formatScaled(value: number, scale: TickScale, base: number, units: string[], gap: string): string {
  const largest = Math.max(Math.abs(scale.min), Math.abs(scale.max));
  // Plain numbers below 10 000 read better without a prefix ("2500" rather than "2.5k").
  const exponent = units[0] === '' && largest < 1e4 ? 0 : unitExponent(largest, base, units.length);
  const unit = base ** exponent;
  const decimals = stepDecimals(scale.step / unit);
  const text = (value / unit).toFixed(Math.min(decimals, 20));
  const clean = Number(text) === 0 ? '0' : text;
  const suffix = units[exponent];
  return suffix === '' ? clean : `${clean}${gap}${suffix}`;
}

function unitExponent(abs: number, base: number, unitCount: number): number {
  if (!(abs >= base)) return 0;
  return Math.min(unitCount - 1, Math.floor(Math.log(abs) / Math.log(base) + 1e-9));
}

// Public surface of the run report: the HTML page for one run (or several compared) and its chart module.
export { renderRunReport, type RunReportOptions } from './render-run-report.js';
export { writeRunReport } from './write-run-report.js';
export { renderGameReport, type GameReportMeta } from './render-game-report.js';
export { formatDuration } from './format-duration.js';
export { higherIsBetter } from '@strata/shared';
export * from './chart/index.js';

// The task registry: every task a run can name, and what an entry provides.
export { findTask, taskNames } from './task-registry.js';
export type { BaselineProgress, TaskEntry } from './task-entry.js';

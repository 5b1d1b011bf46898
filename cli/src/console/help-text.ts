// Help sections shared by the commands: the strategies and tasks a run can name (from their schemas, so the
// help never drifts from what is accepted), and examples, which a test runs (each with --dry-run).

import type { Command } from 'commander';
import { describeOptions, formatOptionValue, strategyNames, strategySummaries } from '@strata/shared';
import { findTask, taskNames } from '@strata/tasks';

function twoColumns(rows: readonly (readonly [string, string])[], indent = 2): string {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `${' '.repeat(indent)}${left.padEnd(width)}${right}`).join('\n');
}

export function strategiesHelp(): string {
  return (
    'Strategies (--strategy, --edge-strategy; their options with --strategy-option key=value):\n' +
    twoColumns(strategyNames.map((name) => [name, strategySummaries[name]]))
  );
}

export function tasksHelp(): string {
  return (
    'Tasks (--task; their options with --task-option key=value, listed by `strata tasks NAME`):\n' +
    twoColumns(taskNames().map((name) => [name, findTask(name).summary]))
  );
}

/** Every option of task `name`: key, default and what it does. */
export function taskOptionsHelp(name: string): string {
  const entry = findTask(name);
  const rows = describeOptions(entry.options).map(
    ({ key, defaultValue, description }) => [`${key}=${formatOptionValue(defaultValue)}`, description] as const,
  );
  return `${entry.name}: ${entry.summary}\n\nOptions (--task-option key=value; a config file's taskOptions):\n${twoColumns(rows)}`;
}

/** Adds an Examples section to the command's help; every line is a complete command a user can paste. */
export function addExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText('after', `\nExamples:\n${examples.map((example) => `  ${example}`).join('\n')}\n`);
}

// `--task-option` keys a task accepts: its device training options (defaultOptions) and the construction
// options it names; anything else is a typo the user should hear about.

import { ConfigError, type FederatedTask } from '@strata/shared';

export function checkTaskOptions(task: FederatedTask, options: Record<string, unknown>, constructionKeys: readonly string[]): void {
  const known = new Set([...Object.keys(task.defaultOptions()), ...constructionKeys]);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(`unknown --task-option ${unknown.join(', ')} for ${task.id} (options: ${[...known].join(', ')})`);
  }
}

// The knowledge graph of the interaction data a run configuration names: RecBole's convention puts
// `NAME.kg` and `NAME.link` beside `NAME.inter` (the shared ml-100k has both).

import { ConfigError, type DataSourceConfig } from '@strata/shared';
import { interactionSource } from './interaction-source-config.js';
import type { Interactions } from './interactions.js';
import type { KnowledgeGraph } from './knowledge-graph.js';
import { loadRecboleKnowledgeGraph } from './load-recbole-kg.js';

const loaded = new Map<string, KnowledgeGraph>();

/** The `.kg`/`.link` files beside the configured RecBole `.inter` file, over `interactions`; kept for the process. */
export function loadConfiguredKnowledgeGraph(data: DataSourceConfig, interactions: Interactions): KnowledgeGraph {
  const source = interactionSource(data);
  if (source.format !== 'recbole' || !source.path.endsWith('.inter')) {
    throw new ConfigError(
      `a knowledge graph needs RecBole atomic files (NAME.inter with NAME.kg and NAME.link beside it), got ${source.format} ${source.path}`,
    );
  }
  const base = source.path.slice(0, -'.inter'.length);
  let graph = loaded.get(base);
  if (!graph) {
    graph = loadRecboleKnowledgeGraph({ kgPath: `${base}.kg`, linkPath: `${base}.link` }, interactions);
    loaded.set(base, graph);
  }
  return graph;
}

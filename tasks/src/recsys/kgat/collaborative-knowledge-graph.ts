// KGAT's collaborative knowledge graph (Wang et al., KDD 2019): users, items and knowledge-graph entities as
// one node set (users 0..U-1, then the entities, then items the KG does not know), the user-item edges, and
// the KG triples in both directions (relation r's inverse is r + R). As KGAT does, entities that touch few
// triples are dropped (they tie no items together); an item's entity is always kept.

import type { KnowledgeGraph } from '../data/knowledge-graph.js';
import type { UserSplit } from '../data/interactions.js';

export interface CollaborativeKnowledgeGraph {
  readonly numUsers: number;
  readonly numNodes: number;
  /** The node of each item. */
  readonly itemNodes: Int32Array;
  /** Relations counted with their inverses (2R). */
  readonly numRelations: number;
  /** Kept triples in node ids, each direction once. */
  readonly heads: Int32Array;
  readonly relations: Int32Array;
  readonly tails: Int32Array;
  /** The nodes that appear in a kept triple (the candidates for corrupted tails). */
  readonly knowledgeNodes: Int32Array;
}

/** `graph` over `split`'s users and items, keeping entities that are items or appear in >= minEntityDegree triples. */
export function collaborativeKnowledgeGraph(split: UserSplit, graph: KnowledgeGraph, minEntityDegree: number): CollaborativeKnowledgeGraph {
  const isItem = new Uint8Array(graph.numEntities);
  for (const entity of graph.itemEntities) if (entity >= 0) isItem[entity] = 1;
  const degree = new Int32Array(graph.numEntities);
  for (let t = 0; t < graph.heads.length; t++) {
    degree[graph.heads[t]]++;
    degree[graph.tails[t]]++;
  }
  const keep = (entity: number): boolean => isItem[entity] === 1 || degree[entity] >= minEntityDegree;
  const entityNode = new Int32Array(graph.numEntities).fill(-1);
  let next = split.numUsers;
  for (let e = 0; e < graph.numEntities; e++) if (keep(e)) entityNode[e] = next++;
  const itemNodes = Int32Array.from(graph.itemEntities.subarray(0, split.numItems), (e) => (e >= 0 ? entityNode[e] : next++));
  const heads: number[] = [];
  const relations: number[] = [];
  const tails: number[] = [];
  const R = graph.numRelations;
  for (let t = 0; t < graph.heads.length; t++) {
    const h = entityNode[graph.heads[t]];
    const tail = entityNode[graph.tails[t]];
    if (h < 0 || tail < 0) continue;
    heads.push(h, tail);
    relations.push(graph.relations[t], graph.relations[t] + R);
    tails.push(tail, h);
  }
  const inKnowledge = new Uint8Array(next);
  for (const h of heads) inKnowledge[h] = 1;
  const knowledgeNodes: number[] = [];
  inKnowledge.forEach((v, node) => v && knowledgeNodes.push(node));
  return {
    numUsers: split.numUsers,
    numNodes: next,
    itemNodes,
    numRelations: 2 * R,
    heads: Int32Array.from(heads),
    relations: Int32Array.from(relations),
    tails: Int32Array.from(tails),
    knowledgeNodes: Int32Array.from(knowledgeNodes),
  };
}

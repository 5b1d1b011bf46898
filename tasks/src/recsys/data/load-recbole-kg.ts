// RecBole's knowledge-graph atomic files: `.kg` (header `head_id:token relation_id:token tail_id:token`, one
// triple a line) and `.link` (header `item_id:token entity_id:token`, which entity an item is), tab-separated.
// Bad input fails with a DataError naming the file, line and field.

import { DataError } from '@strata/shared';
import type { Interactions } from './interactions.js';
import { DenseIds, type KnowledgeGraph } from './knowledge-graph.js';
import { forEachLine } from './read-lines.js';

export interface RecboleKgSource {
  readonly kgPath: string;
  readonly linkPath: string;
  /** When given, a triple naming any other relation is refused. */
  readonly relations?: readonly string[];
}

/** The knowledge graph of `source` over the items of `interactions` (which must hold every linked item). */
export function loadRecboleKnowledgeGraph(source: RecboleKgSource, interactions: Interactions): KnowledgeGraph {
  const entities = new DenseIds();
  const relations = new DenseIds();
  const allowed = source.relations ? new Set(source.relations) : null;
  const heads: number[] = [];
  const rels: number[] = [];
  const tails: number[] = [];
  readAtomic(source.kgPath, ['head_id', 'relation_id', 'tail_id'], (cells, at) => {
    const [head, relation, tail] = cells;
    if (allowed && !allowed.has(relation)) {
      throw new DataError(`${at}: field relation_id: unknown relation ${JSON.stringify(relation)} (relations: ${[...allowed].join(', ')})`);
    }
    heads.push(entities.indexOf(head));
    rels.push(relations.indexOf(relation));
    tails.push(entities.indexOf(tail));
  });
  const itemIndex = new Map(interactions.itemIds.map((id, i) => [id, i]));
  const itemEntities = new Int32Array(interactions.numItems).fill(-1);
  readAtomic(source.linkPath, ['item_id', 'entity_id'], (cells, at) => {
    const [item, entity] = cells;
    const i = itemIndex.get(item);
    if (i === undefined) throw new DataError(`${at}: field item_id: item ${JSON.stringify(item)} is not in ${interactions.source}`);
    if (itemEntities[i] >= 0) throw new DataError(`${at}: field item_id: item ${JSON.stringify(item)} is linked twice`);
    itemEntities[i] = entities.indexOf(entity);
  });
  return {
    numEntities: entities.ids.length,
    numRelations: relations.ids.length,
    entityIds: entities.ids,
    relationIds: relations.ids,
    heads: Int32Array.from(heads),
    relations: Int32Array.from(rels),
    tails: Int32Array.from(tails),
    itemEntities,
    source: source.kgPath,
  };
}

/**
 * Calls `onRow(cells, "path:line")` for each data line of a RecBole atomic file whose header names `fields`
 * (the part before `:`), with the cells in that order; a missing field, a short line or an empty cell fails.
 */
function readAtomic(path: string, fields: readonly string[], onRow: (cells: string[], at: string) => void): void {
  let columns: number[] = [];
  forEachLine(path, (line, lineNumber) => {
    if (lineNumber === 1) {
      const names = line.split('\t').map((cell) => cell.split(':')[0]);
      columns = fields.map((field) => {
        const c = names.indexOf(field);
        if (c < 0) throw new DataError(`${path}:1: field ${field}: missing from the header ${JSON.stringify(line)}`);
        return c;
      });
      return;
    }
    if (line === '') return;
    const cells = line.split('\t');
    const at = `${path}:${lineNumber}`;
    onRow(
      columns.map((c, f) => {
        const cell = cells[c];
        if (cell === undefined)
          throw new DataError(`${at}: field ${fields[f]}: missing (${cells.length} cells in ${JSON.stringify(line)})`);
        if (cell.trim() === '') throw new DataError(`${at}: field ${fields[f]}: empty`);
        return cell;
      }),
      at,
    );
  });
}

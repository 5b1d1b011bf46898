// KGAT's own data layout (Wang et al. 2019, the `Data/<name>/` folders): `train.txt` and `test.txt` hold a
// user and the items they met, one user a line (`user item item ...`, remapped integer ids), and
// `kg_final.txt` holds `head relation tail` triples of integer entity ids, items being entities 0..n-1.
// Strata splits per user itself, so the two interaction files are read as one data set. Bad input fails with
// a DataError naming the file, line and field.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '@strata/shared';
import { InteractionsBuilder } from './interactions-builder.js';
import type { Interactions } from './interactions.js';
import type { KnowledgeGraph } from './knowledge-graph.js';
import { forEachLine } from './read-lines.js';

/** `train.txt` (and `test.txt` when present) of a KGAT data folder. */
export function loadKgatInteractions(dir: string): Interactions {
  const builder = new InteractionsBuilder(join(dir, 'train.txt'));
  for (const file of ['train.txt', 'test.txt']) {
    const path = join(dir, file);
    if (file === 'test.txt' && !existsSync(path)) continue;
    forEachLine(path, (line, lineNumber) => {
      const cells = line.trim().split(/\s+/);
      if (cells[0] === '') return;
      const user = cells[0];
      nonNegativeInt(user, `${path}:${lineNumber}: field user`);
      for (let c = 1; c < cells.length; c++) builder.add(user, String(nonNegativeInt(cells[c], `${path}:${lineNumber}: field item ${c}`)));
    });
  }
  return builder.build();
}

/**
 * `kg_final.txt` of a KGAT data folder over `interactions` loaded from the same folder (item id n is entity
 * n). When the folder has `relation_list.txt` (`org_id remap_id`), a relation it does not list is refused.
 */
export function loadKgatKnowledgeGraph(dir: string, interactions: Interactions): KnowledgeGraph {
  const path = join(dir, 'kg_final.txt');
  const known = readRelationList(join(dir, 'relation_list.txt'));
  const heads: number[] = [];
  const relations: number[] = [];
  const tails: number[] = [];
  let numEntities = 0;
  let numRelations = known?.size ?? 0;
  forEachLine(path, (line, lineNumber) => {
    if (line.trim() === '') return;
    const at = `${path}:${lineNumber}`;
    const cells = line.trim().split(/\s+/);
    if (cells.length !== 3)
      throw new DataError(`${at}: expected "head relation tail", got ${cells.length} fields in ${JSON.stringify(line)}`);
    const head = nonNegativeInt(cells[0], `${at}: field head`);
    const relation = nonNegativeInt(cells[1], `${at}: field relation`);
    const tail = nonNegativeInt(cells[2], `${at}: field tail`);
    if (known && !known.has(relation))
      throw new DataError(`${at}: field relation: unknown relation ${relation} (not in relation_list.txt)`);
    heads.push(head);
    relations.push(relation);
    tails.push(tail);
    numEntities = Math.max(numEntities, head + 1, tail + 1);
    numRelations = Math.max(numRelations, relation + 1);
  });
  const itemEntities = Int32Array.from(interactions.itemIds, Number);
  for (const entity of itemEntities) numEntities = Math.max(numEntities, entity + 1);
  return {
    numEntities,
    numRelations,
    entityIds: Array.from({ length: numEntities }, (_, e) => String(e)),
    relationIds: Array.from({ length: numRelations }, (_, r) => String(r)),
    heads: Int32Array.from(heads),
    relations: Int32Array.from(relations),
    tails: Int32Array.from(tails),
    itemEntities,
    source: path,
  };
}

function readRelationList(path: string): Set<number> | null {
  if (!existsSync(path)) return null;
  const ids = new Set<number>();
  forEachLine(path, (line, lineNumber) => {
    const cells = line.trim().split(/\s+/);
    if (lineNumber === 1 || cells[0] === '') return;
    if (cells.length !== 2) throw new DataError(`${path}:${lineNumber}: expected "org_id remap_id", got ${JSON.stringify(line)}`);
    ids.add(nonNegativeInt(cells[1], `${path}:${lineNumber}: field remap_id`));
  });
  return ids;
}

function nonNegativeInt(cell: string, where: string): number {
  if (!/^\d{1,9}$/.test(cell)) throw new DataError(`${where}: expected a non-negative integer id, got ${JSON.stringify(cell)}`);
  return Number(cell);
}

// The in-memory shape of a knowledge graph over a data set's items (KGAT, RecBole's KG data sets): entities
// and relations re-indexed densely from 0, (head, relation, tail) triples, and which entity each item is.

export interface KnowledgeGraph {
  readonly numEntities: number;
  readonly numRelations: number;
  /** Original ids, for reporting. */
  readonly entityIds: readonly string[];
  readonly relationIds: readonly string[];
  /** One entry per triple. */
  readonly heads: Int32Array;
  readonly relations: Int32Array;
  readonly tails: Int32Array;
  /** The entity of each item of the interactions it was loaded for; -1 for an item the graph does not know. */
  readonly itemEntities: Int32Array;
  /** Where it came from, for the run record. */
  readonly source: string;
}

/** Dense ids in first-seen order. */
export class DenseIds {
  private readonly index = new Map<string, number>();
  readonly ids: string[] = [];

  indexOf(id: string): number {
    let i = this.index.get(id);
    if (i === undefined) {
      i = this.ids.length;
      this.index.set(id, i);
      this.ids.push(id);
    }
    return i;
  }

  find(id: string): number | undefined {
    return this.index.get(id);
  }
}

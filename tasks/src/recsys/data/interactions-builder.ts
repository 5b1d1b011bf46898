// Collects raw (user id, item id, timestamp) rows from any loader and turns them into Interactions:
// ids re-indexed densely in id order (numeric order when every id is an integer), duplicates removed.

import type { Interactions } from './interactions.js';

/** Growable parallel arrays, so loading 25M rows does not go through JS arrays of numbers. */
class GrowableInt32 {
  data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

class GrowableFloat64 {
  data = new Float64Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = v;
  }
}

class IdIndex {
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
  /** Sorted ids and, for each provisional index, its rank among them. */
  sorted(): { ids: string[]; rankOf: Int32Array } {
    const numeric = this.ids.every((id) => /^-?\d{1,15}$/.test(id));
    const order = this.ids.map((_, i) => i);
    if (numeric) {
      const values = this.ids.map(Number);
      order.sort((a, b) => values[a] - values[b]);
    } else {
      order.sort((a, b) => (this.ids[a] < this.ids[b] ? -1 : this.ids[a] > this.ids[b] ? 1 : 0));
    }
    const rankOf = new Int32Array(order.length);
    order.forEach((provisional, rank) => (rankOf[provisional] = rank));
    return { ids: order.map((i) => this.ids[i]), rankOf };
  }
}

export class InteractionsBuilder {
  private readonly userIndex = new IdIndex();
  private readonly itemIndex = new IdIndex();
  private readonly users = new GrowableInt32();
  private readonly items = new GrowableInt32();
  private readonly timestamps = new GrowableFloat64();
  /** Kept only while every row has a rating (a source with a rating column). */
  private ratings: GrowableFloat64 | undefined = new GrowableFloat64();

  constructor(private readonly source: string) {}

  add(userId: string, itemId: string, timestamp = 0, rating?: number): void {
    this.users.push(this.userIndex.indexOf(userId));
    this.items.push(this.itemIndex.indexOf(itemId));
    this.timestamps.push(timestamp);
    if (rating === undefined) this.ratings = undefined;
    else this.ratings?.push(rating);
  }

  get rowCount(): number {
    return this.users.length;
  }

  /**
   * The deduplicated interactions, ordered by user then item. A repeated (user, item) pair keeps its
   * earliest timestamp (and that row's rating): implicit feedback only records that the user met the item.
   */
  build(): Interactions {
    const n = this.users.length;
    const users = this.userIndex.sorted();
    const items = this.itemIndex.sorted();
    const numUsers = users.ids.length;

    // Counting sort by user, then each user's rows by (item, timestamp).
    const start = new Int32Array(numUsers + 1);
    for (let r = 0; r < n; r++) start[users.rankOf[this.users.data[r]] + 1]++;
    for (let u = 0; u < numUsers; u++) start[u + 1] += start[u];
    const fill = start.slice(0, numUsers);
    const byUser = new Int32Array(n);
    for (let r = 0; r < n; r++) byUser[fill[users.rankOf[this.users.data[r]]]++] = r;

    const outUsers = new GrowableInt32();
    const outItems = new GrowableInt32();
    const outTimes = new GrowableFloat64();
    const ratings = this.ratings;
    const outRatings = ratings ? new GrowableFloat64() : undefined;
    for (let u = 0; u < numUsers; u++) {
      const rows = Array.from(byUser.subarray(start[u], start[u + 1]));
      const itemOf = (r: number): number => items.rankOf[this.items.data[r]];
      rows.sort((a, b) => itemOf(a) - itemOf(b) || this.timestamps.data[a] - this.timestamps.data[b]);
      let previous = -1;
      for (const r of rows) {
        const item = itemOf(r);
        if (item === previous) continue;
        previous = item;
        outUsers.push(u);
        outItems.push(item);
        outTimes.push(this.timestamps.data[r]);
        if (ratings) outRatings?.push(ratings.data[r]);
      }
    }
    return {
      numUsers,
      numItems: items.ids.length,
      userIds: users.ids,
      itemIds: items.ids,
      users: outUsers.data.slice(0, outUsers.length),
      items: outItems.data.slice(0, outItems.length),
      timestamps: outTimes.data.slice(0, outTimes.length),
      ...(outRatings && n > 0 ? { ratings: Float32Array.from(outRatings.data.subarray(0, outRatings.length)) } : {}),
      source: this.source,
    };
  }
}

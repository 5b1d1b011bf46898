// The virtual clock's agenda: events ordered by time, then by the order they were given (so two events at one
// instant run in a reproducible order). A binary min-heap. A cancelled event lets go of its callback at once
// (a deadline timer's closure can hold a whole round's replies) and is dropped when it surfaces, or when
// cancelled events outnumber live ones (timeouts are mostly cancelled long before they are due).

export interface ScheduledEvent {
  readonly time: number;
  readonly order: number;
  callback: () => void;
  cancelled: boolean;
}

const released = (): void => {};

export class EventHeap {
  private readonly items: ScheduledEvent[] = [];
  private live = 0;

  /** Events scheduled and not cancelled. */
  get size(): number {
    return this.live;
  }

  push(event: ScheduledEvent): void {
    this.live++;
    this.insert(event);
  }

  cancel(event: ScheduledEvent): void {
    if (event.cancelled) return;
    event.cancelled = true;
    event.callback = released;
    this.live--;
    if (this.items.length > 1024 && this.items.length > 2 * this.live) this.compact();
  }

  /** The earliest live event, without removing it. */
  peek(): ScheduledEvent | undefined {
    this.dropCancelled();
    return this.items[0];
  }

  /** Removes and returns the earliest live event. */
  pop(): ScheduledEvent | undefined {
    this.dropCancelled();
    const top = this.items[0];
    if (top === undefined) return undefined;
    this.removeTop();
    this.live--;
    // Marked so that a late clearTimeout of an event that already ran does not count it twice.
    top.cancelled = true;
    return top;
  }

  private insert(event: ScheduledEvent): void {
    const items = this.items;
    items.push(event);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      [items[i], items[parent]] = [items[parent], items[i]];
      i = parent;
    }
  }

  /** Rebuilds the heap from its live events. */
  private compact(): void {
    const live = this.items.filter((event) => !event.cancelled);
    this.items.length = 0;
    for (const event of live) this.insert(event);
  }

  private dropCancelled(): void {
    while (this.items.length > 0 && this.items[0].cancelled) this.removeTop();
  }

  private removeTop(): void {
    const items = this.items;
    const last = items.pop()!;
    if (items.length === 0) return;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l], items[m])) m = l;
      if (r < items.length && before(items[r], items[m])) m = r;
      if (m === i) return;
      [items[i], items[m]] = [items[m], items[i]];
      i = m;
    }
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}

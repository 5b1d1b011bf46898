// A reusable barrier for worker threads over a shared Int32Array [arrived, generation]: the last thread
// to arrive resets the count and bumps the generation; the others sleep on the generation in Atomics.wait.

export class ThreadBarrier {
  constructor(
    private readonly cells: Int32Array,
    private readonly parties: number,
  ) {}

  /**
   * The barrier's cells: shared memory for worker threads; plain memory for one thread, which never waits (and a
   * page that is not cross-origin isolated, such as a browser device's, has no SharedArrayBuffer).
   */
  static cells(shared: boolean): Int32Array {
    return new Int32Array(shared ? new SharedArrayBuffer(8) : new ArrayBuffer(8));
  }

  wait(): void {
    if (this.parties <= 1) return;
    const generation = Atomics.load(this.cells, 1);
    if (Atomics.add(this.cells, 0, 1) === this.parties - 1) {
      Atomics.store(this.cells, 0, 0);
      Atomics.add(this.cells, 1, 1);
      Atomics.notify(this.cells, 1);
      return;
    }
    while (Atomics.load(this.cells, 1) === generation) Atomics.wait(this.cells, 1, generation);
  }
}

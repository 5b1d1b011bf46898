// A reusable barrier for worker threads over a shared Int32Array [arrived, generation]: the last thread
// to arrive resets the count and bumps the generation; the others sleep on the generation in Atomics.wait.

export class ThreadBarrier {
  constructor(
    private readonly cells: Int32Array,
    private readonly parties: number,
  ) {}

  static cells(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(8));
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

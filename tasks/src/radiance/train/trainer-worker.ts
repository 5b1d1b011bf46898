// Worker-thread entry for WorkerGridTrainer: holds one TrainerThread over the shared buffers and runs the
// chunks it is sent, in step with its sibling workers through the shared barrier.

import { parentPort } from 'node:worker_threads';
import { TrainerThread, type TrainChunk, type TrainingBuffers } from './trainer-thread.js';

type Request = { type: 'load'; buffers: TrainingBuffers; index: number; count: number } | { type: 'run'; chunk: TrainChunk };

let thread: TrainerThread | null = null;

parentPort?.on('message', (msg: Request) => {
  try {
    if (msg.type === 'load') {
      thread = new TrainerThread(msg.buffers, msg.index, msg.count);
      parentPort?.postMessage({ ok: true });
    } else {
      if (!thread) throw new Error('run before load');
      parentPort?.postMessage({ ok: true, result: thread.run(msg.chunk) });
    }
  } catch (err) {
    parentPort?.postMessage({ ok: false, message: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) });
  }
});

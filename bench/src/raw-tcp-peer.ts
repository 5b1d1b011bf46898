// The far end of the runtime bench's raw-TCP baseline: connects to the port given, reads `down` bytes, then
// writes `up` bytes back. Usage: node raw-tcp-peer.js <port> <down bytes> <up bytes>

import { connect } from 'node:net';

const [port, down, up] = process.argv.slice(2).map(Number);
const block = Buffer.alloc(4 * 1024 * 1024, 7);
const socket = connect(port, '127.0.0.1');
let received = 0;
socket.on('data', (chunk: Buffer) => {
  received += chunk.byteLength;
  if (received < down) return;
  let left = up;
  const write = (): void => {
    while (left > 0) {
      const n = Math.min(left, block.byteLength);
      left -= n;
      if (!socket.write(n === block.byteLength ? block : block.subarray(0, n))) {
        socket.once('drain', write);
        return;
      }
    }
    socket.end();
  };
  write();
});

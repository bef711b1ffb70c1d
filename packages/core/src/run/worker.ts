// Child-process entry for one isolated cell: receives a CellJob over IPC, measures it, sends the outcome back.
// A fresh process per cell means one result cannot pollute the next, and a crash or OOM ends only this cell.
import { libtorchBackend } from '../backend/index.js';
import { measureCell, type CellJob } from './cell.js';
import { describeError, type WorkerMessage } from './isolate.js';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

// The parent is gone (killed): nobody will read this cell's result. End now, without exit handlers (the
// compute thread may be mid-call), rather than hold the CPU or GPU that a resumed sweep needs.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

process.once('message', (job: CellJob) => {
  void (async () => {
    try {
      const measurement = await measureCell(libtorchBackend(), job);
      await send({ type: 'result', measurement });
    } catch (err) {
      await send({ type: 'failure', error: describeError(err) });
    }
    process.exit(0);
  })();
});

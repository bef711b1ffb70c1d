// Child-process entry for one isolated cell: receives a task over IPC (a cell to measure, or the start-up thread
// probe), runs it, sends the outcome back. A fresh process per cell means one result cannot pollute the next,
// and a crash or OOM ends only this cell.
import { backendFromRef } from '../backend/resolve.js';
import { probeThreads } from '../env/threads.js';
import { measureCell } from './cell.js';
import { describeError, type WorkerMessage, type WorkerTask } from './isolate.js';

function send(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(message, () => resolve()));
}

// The parent is gone (killed): nobody will read this cell's result. End now, without exit handlers (the
// compute thread may be mid-call), rather than hold the CPU or GPU that a resumed sweep needs.
process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));

process.once('message', (task: WorkerTask) => {
  void (async () => {
    try {
      // The backend the parent was given, built here as the parent built it (backend/resolve.ts).
      const backend = await backendFromRef(task.type === 'cell' ? task.job.backend : task.backend);
      if (task.type === 'thread-probe') {
        await send({ type: 'probe', probe: await probeThreads(backend, task.candidates, task.target) });
      } else {
        await send({ type: 'result', measurement: await measureCell(backend, task.job) });
      }
    } catch (err) {
      await send({ type: 'failure', error: describeError(err) });
    }
    process.exit(0);
  })();
});

// The agent's step launcher: a small process that starts build steps on the agent's behalf
// (worker/src/steps/step-launcher.ts). A fork copies the page tables of the process that forks,
// and afterwards every page it writes is a copy-on-write fault: from the agent (~45 MB of heap,
// busy) that cost about a third of its CPU per build on a VM where faults are dear; from this
// process, which holds and writes almost nothing, a fraction of it.
//
// Plain JavaScript on purpose: it runs without type stripping or the agent's bundle, so it stays
// small. Protocol over the IPC channel (JSON), one message per event:
//   agent → here: {id, file, args, cwd, env}, with the step's output socket as the handle
//   here → agent: {id, pid} once started, {id, error, code} if it could not be, {id, exit: [code, signal]}
import { spawn } from 'node:child_process';

process.on('disconnect', () => process.exit(0)); // the agent is gone: so are we (steps run on, as they would)
process.on('message', (msg, output) => {
  const { id, file, args, cwd, env } = msg;
  let child;
  try {
    // detached: the step leads a new process group (pgid = pid), which the agent signals as a whole.
    child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', output ?? 'ignore', output ?? 'ignore'] });
  } catch (err) {
    process.send({ id, error: err?.message ?? String(err), code: err?.code });
    return;
  } finally {
    output?.destroy(); // the step has its own copy
  }
  let started = false;
  child.once('spawn', () => {
    started = true;
    process.send({ id, pid: child.pid });
  });
  child.once('error', (err) => {
    if (!started) process.send({ id, error: err.message, code: err.code });
  });
  child.once('exit', (code, signal) => process.send({ id, exit: [code, signal] }));
});

/**
 * One stream for a step's stdout and stderr, as Jenkins' redirectErrorStream gives: a connected
 * Unix socket whose one end the step gets as both fd 1 and fd 2 (so `+ cmd` traces and output
 * keep their order), the other end read by the agent. Without it a shell wrapper must run first
 * (`sh -c 'exec 2>&1; exec "$@"'`): one more exec of /bin/sh per step, ~2.6 ms of CPU on a VM
 * where exec is dear.
 *
 * Node has neither pipe() nor socketpair(), so the pair comes from a listening socket of the
 * agent's in Linux's abstract namespace (no file to clean up, no path-length limit). Any local
 * process could connect to it, so each pair is claimed with a random token the agent's end sends
 * first: a connection without a known token is closed. Elsewhere than on Linux, or when the
 * listener cannot be made, `open` answers undefined and the caller uses the shell wrapper.
 */
import { randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

const TOKEN_BYTES = 16;
/** A connection that has not sent a known token by then is not ours. */
const CLAIM_TIMEOUT_MS = 5000;

export interface OutputPair {
  /** For the step's stdio (fd 1 and 2); destroy it once the step is spawned. */
  writeEnd: Socket;
  /** The step's output, in order; ends when every process holding the write end closed it. */
  readEnd: Socket;
}

let listener: Promise<{ server: Server; path: string } | undefined> | undefined;
const waiting = new Map<string, (socket: Socket) => void>();

function listen(): Promise<{ server: Server; path: string } | undefined> {
  listener ??= new Promise((resolve) => {
    if (process.platform !== 'linux') return resolve(undefined);
    const path = `\0jonkkins-step-output-${process.pid}-${randomBytes(8).toString('hex')}`;
    const server = createServer(claim);
    server.once('error', () => resolve(undefined));
    server.listen(path, () => {
      server.unref(); // the agent's life is not tied to it
      resolve({ server, path });
    });
  });
  return listener;
}

/** Reads the token a new connection starts with, and hands it to whoever waits for it. */
function claim(socket: Socket): void {
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), CLAIM_TIMEOUT_MS);
  timer.unref();
  let got = Buffer.alloc(0);
  const onReadable = () => {
    for (let chunk: Buffer | null; got.length < TOKEN_BYTES && (chunk = socket.read() as Buffer | null) !== null; ) got = Buffer.concat([got, chunk]);
    if (got.length < TOKEN_BYTES) return;
    socket.off('readable', onReadable);
    clearTimeout(timer);
    const token = got.subarray(0, TOKEN_BYTES).toString('hex');
    const take = waiting.get(token);
    if (!take) {
      socket.destroy();
      return;
    }
    waiting.delete(token);
    if (got.length > TOKEN_BYTES) socket.unshift(got.subarray(TOKEN_BYTES)); // cannot happen: the step starts after the claim
    take(socket);
  };
  socket.on('readable', onReadable);
}

/** A new connected pair, or undefined when this agent cannot make one (use the shell wrapper). */
export async function openOutputPair(): Promise<OutputPair | undefined> {
  const l = await listen();
  if (!l) return undefined;
  const token = randomBytes(TOKEN_BYTES);
  const key = token.toString('hex');
  let timer: NodeJS.Timeout | undefined;
  try {
    const claimed = new Promise<Socket>((resolve, reject) => {
      waiting.set(key, resolve);
      timer = setTimeout(() => reject(new Error('the output socket was not claimed')), CLAIM_TIMEOUT_MS);
      timer.unref();
    });
    const writeEnd = await new Promise<Socket>((resolve, reject) => {
      const s = createConnection(l.path, () => resolve(s));
      s.once('error', reject);
    });
    writeEnd.on('error', () => {});
    writeEnd.write(token);
    const readEnd = await claimed.catch((err: Error) => {
      writeEnd.destroy();
      throw err;
    });
    return { writeEnd, readEnd };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer); // one per step otherwise, alive for CLAIM_TIMEOUT_MS
    waiting.delete(key);
  }
}

/**
 * PGlite (one PostgreSQL backend in WASM) served over TCP to several client connections, which
 * take turns on the backend session by whole units of work: a client keeps it from its first
 * message until the backend is ready for a query again outside a transaction block (after a Sync
 * or a simple Query, with no BEGIN still open). Only then may another client's message run.
 *
 * Why not @electric-sql/pglite-socket: it takes turns message by message, so one client's Parse,
 * Bind and Execute interleave with another's on the one backend: answers went to the wrong
 * client, and "unnamed prepared statement does not exist" or "bind message supplies 5 parameters"
 * came back under concurrent requests. Its single-connection mode refuses a second connection,
 * which a pool cannot live with.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;
/** A client's message larger than this closes its connection (our own pools send far less). */
const MAX_MESSAGE = 64 * 1024 * 1024;
/** Sync: ends whatever extended-protocol unit a vanished client left half-sent. */
const SYNC = Uint8Array.from([0x53, 0, 0, 0, 4]);

export interface PgliteServer {
  port: number;
  close(): Promise<void>;
}

/** Whose turn it is on the backend, and who waits, in arrival order. */
class Turns {
  #owner: Session | undefined;
  readonly #waiting: { session: Session; go: () => void }[] = [];

  owner(): Session | undefined {
    return this.#owner;
  }

  async take(session: Session): Promise<void> {
    if (this.#owner === session) return;
    if (!this.#owner) {
      this.#owner = session;
      return;
    }
    await new Promise<void>((go) => this.#waiting.push({ session, go }));
  }

  /** A closing session stops waiting: its take() returns without the turn. */
  cancel(session: Session): void {
    const i = this.#waiting.findIndex((w) => w.session === session);
    if (i >= 0) this.#waiting.splice(i, 1)[0]!.go();
  }

  give(session: Session): void {
    if (this.#owner !== session) return;
    const next = this.#waiting.shift();
    this.#owner = next?.session;
    next?.go();
  }
}

class Session {
  readonly #socket: Socket;
  readonly #db: PGlite;
  readonly #turns: Turns;
  #buffer = Buffer.alloc(0);
  #started = false;
  /** The running read loop, if any. */
  #pumping: Promise<void> | undefined;
  #closed = false;
  /** The backend holds state of ours (a half-sent unit or an open transaction) until we give it up cleanly. */
  #midUnit = false;

  constructor(socket: Socket, db: PGlite, turns: Turns) {
    this.#socket = socket;
    this.#db = db;
    this.#turns = turns;
    socket.setNoDelay(true);
    socket.on('data', (data) => {
      this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, data]) : data;
      this.#pumping ??= this.#pump().finally(() => (this.#pumping = undefined));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => void this.#close());
  }

  /** The next whole message off the buffer, or undefined until more bytes arrive. */
  #nextMessage(): { type: number; bytes: Buffer } | undefined {
    const b = this.#buffer;
    const headerSize = this.#started ? 5 : 4; // startup-phase messages have no type byte
    if (b.length < headerSize) return undefined;
    const length = (this.#started ? b.readInt32BE(1) : b.readInt32BE(0)) + (this.#started ? 1 : 0);
    if (length < headerSize || length > MAX_MESSAGE) throw new Error(`bad message length ${length}`);
    if (b.length < length) return undefined;
    this.#buffer = b.subarray(length);
    return { type: this.#started ? b[0]! : 0, bytes: b.subarray(0, length) };
  }

  async #pump(): Promise<void> {
    try {
      for (let m = this.#nextMessage(); m && !this.#closed; m = this.#nextMessage()) await this.#handle(m);
    } catch {
      this.#socket.destroy(); // a malformed stream or a dead backend: the client sees the connection drop
    }
  }

  async #handle({ type, bytes }: { type: number; bytes: Buffer }): Promise<void> {
    if (!this.#started) {
      const code = bytes.readInt32BE(4);
      if (code === SSL_REQUEST) return void this.#socket.write('N');
      if (code === CANCEL_REQUEST) return void this.#socket.destroy(); // one backend: nothing to cancel
      if (code !== PROTOCOL_3) throw new Error(`unsupported protocol ${code}`);
      this.#started = true;
    } else if (type === 0x58) {
      return void this.#socket.end(); // Terminate: the backend is shared, so it never sees one
    }
    if (this.#closed) return;
    await this.#turns.take(this);
    if (this.#closed) return; // #close cleans up after a session that holds the turn
    this.#midUnit = true;
    await this.#run(bytes, (data) => this.#socket.writable && this.#socket.write(data));
    // A unit ends where the backend is ready for a query again (startup, Sync, simple Query), unless a transaction block stays open.
    const unitEnds = type === 0 || type === 0x53 || type === 0x51;
    if (unitEnds && !this.#db.isInTransaction()) {
      this.#midUnit = false;
      this.#turns.give(this);
    }
  }

  #run(message: Uint8Array, onData: (data: Uint8Array) => unknown): Promise<unknown> {
    // Both copied (one memcpy each): the message is a view into our read buffer, and PGlite's output a view into its WASM memory.
    return this.#db.runExclusive(() => this.#db.execProtocolRawStream(new Uint8Array(message), { onRawData: (d) => void onData(Buffer.from(d)) }));
  }

  /** A client gone mid-unit leaves the backend as a fresh connection would find it, then hands over. */
  async #close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#turns.cancel(this);
    await this.#pumping;
    if (this.#turns.owner() !== this) return;
    try {
      if (this.#midUnit && !this.#db.closed) {
        await this.#run(SYNC, () => {});
        if (this.#db.isInTransaction()) await this.#db.exec('ROLLBACK');
      }
    } finally {
      this.#turns.give(this);
    }
  }
}

/** Serves `db` on 127.0.0.1 (port 0: the OS picks a free one). Close it before closing `db`. */
export async function servePglite(db: PGlite, host = '127.0.0.1', port = 0): Promise<PgliteServer> {
  const turns = new Turns();
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new Session(socket, db, turns);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as { port: number }).port,
    async close() {
      const closed = new Promise((r) => server.close(r));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

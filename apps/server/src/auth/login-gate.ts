export interface LoginGateLimits {
  /** Password checks running at once on this node. */
  concurrency: number;
  /** Checks waiting for one of those slots; more are refused (LOGIN_BUSY). */
  queue: number;
  /** Checks one client address may have running or waiting on this node. */
  perAddress: number;
}

/** Why a check was not admitted: its address has too many at once, or the node's queue is full. */
export type LoginGateRefusal = { refused: 'address' } | { refused: 'node'; retryAfterSeconds: number };

/** One admitted check. */
export interface LoginTicket {
  /** Resolves when a slot is free; rejects (ClientGone) once the ticket was abandoned. */
  turn(): Promise<void>;
  /** After the check (or instead of it): frees the admission, and the slot if it held one. Idempotent. */
  release(): void;
  /** The client left: gives up a place that has not started its check (a running one ends with release()). */
  abandon(): void;
  readonly abandoned: boolean;
}

export class ClientGone extends Error {
  constructor() {
    super('The client left before its login was checked');
  }
}

/**
 * How many password checks this node runs at once, and how many may wait. scrypt runs on libuv's threadpool (4 threads,
 * shared with DNS and file reads) and each check holds a database connection: unbounded, a burst of logins stalls the
 * pool, the event loop's I/O and `/api/ready` with it. Admission is synchronous, so a refused login costs no I/O.
 */
export class LoginGate {
  private admitted = 0;
  private running = 0;
  private readonly waiting: Array<{ start: () => void; cancel: () => void }> = [];
  private readonly byAddress = new Map<string, number>();
  /** Moving average of how long a check holds its slot, for Retry-After. */
  private averageMs = 100;

  constructor(private readonly limits: LoginGateLimits) {}

  enter(address: string): LoginTicket | LoginGateRefusal {
    const mine = this.byAddress.get(address) ?? 0;
    if (mine >= this.limits.perAddress) return { refused: 'address' };
    if (this.admitted >= this.limits.concurrency + this.limits.queue) return { refused: 'node', retryAfterSeconds: this.drainSeconds() };
    this.admitted++;
    this.byAddress.set(address, mine + 1);

    let state: 'admitted' | 'waiting' | 'running' | 'released' = 'admitted';
    let abandoned = false;
    let startedAt = 0;
    let place: { start: () => void; cancel: () => void } | undefined;
    const start = () => {
      state = 'running';
      this.running++;
      startedAt = performance.now();
    };
    const leave = () => {
      state = 'released';
      this.admitted--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left > 0) this.byAddress.set(address, left);
      else this.byAddress.delete(address);
    };
    return {
      get abandoned() {
        return abandoned;
      },
      turn: () => {
        if (abandoned) return Promise.reject(new ClientGone());
        if (state !== 'admitted') throw new Error('LoginTicket.turn() called twice or after release()');
        if (this.running < this.limits.concurrency) {
          start();
          return Promise.resolve();
        }
        state = 'waiting';
        return new Promise<void>((resolve, reject) => {
          place = {
            start: () => {
              start();
              resolve();
            },
            cancel: () => reject(new ClientGone()),
          };
          this.waiting.push(place);
        });
      },
      release: () => {
        if (state === 'released') return;
        if (state === 'waiting') throw new Error('LoginTicket.release() called while waiting for its turn');
        const ran = state === 'running';
        leave();
        if (!ran) return;
        this.averageMs += (performance.now() - startedAt - this.averageMs) / 8;
        this.running--;
        this.waiting.shift()?.start();
      },
      abandon: () => {
        if (state === 'running' || state === 'released') return;
        abandoned = true;
        if (state === 'waiting' && place) {
          this.waiting.splice(this.waiting.indexOf(place), 1);
          place.cancel();
        }
        leave();
      },
    };
  }

  /** What is admitted now, for tests and diagnostics. */
  get load(): { admitted: number; running: number; waiting: number; addresses: number } {
    return { admitted: this.admitted, running: this.running, waiting: this.waiting.length, addresses: this.byAddress.size };
  }

  /** Roughly how long until the queue has drained: what a refused client is told to wait. */
  private drainSeconds(): number {
    return Math.max(1, Math.ceil((this.admitted * this.averageMs) / this.limits.concurrency / 1000));
  }
}

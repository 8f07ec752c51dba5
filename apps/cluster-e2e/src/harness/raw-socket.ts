import WebSocket from 'ws';

/**
 * A Socket.IO client spoken by hand over one WebSocket (Engine.IO v4 framing):
 * `0{…}` open, `40{auth}` connect, `42[…]` events, `4<id>[…]` with an ack id,
 * `2`/`3` ping/pong. Sends whatever bytes it is given, so a test can send what
 * no real client would.
 */
export class RawSocketIo {
  /** Acknowledgements received, by ack id. */
  readonly acks = new Map<number, unknown>();
  /** Server events received (`42[…]`). */
  readonly events: unknown[] = [];
  closeCode: number | undefined;
  private constructor(private readonly ws: WebSocket) {}

  static connect(url: string, opts: { token: string; node?: string }, timeoutMs = 5000): Promise<RawSocketIo> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      headers: opts.node ? { cookie: `tfnode=${opts.node}` } : {},
    });
    const raw = new RawSocketIo(ws);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error('raw socket: no Socket.IO connect within the timeout'));
      }, timeoutMs);
      ws.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      ws.on('close', (code) => {
        raw.closeCode = code;
        clearTimeout(timer);
        reject(new Error(`raw socket closed (${code}) before connecting`));
      });
      ws.on('message', (data, isBinary) => {
        if (isBinary) return;
        const text = data.toString();
        if (text.startsWith('0')) ws.send(`40${JSON.stringify({ token: opts.token })}`);
        else if (text === '2') ws.send('3');
        else if (text.startsWith('40')) {
          clearTimeout(timer);
          resolve(raw);
        } else if (text.startsWith('44')) {
          clearTimeout(timer);
          reject(new Error(`raw socket refused: ${text}`));
        } else raw.onPacket(text);
      });
    });
  }

  private onPacket(text: string): void {
    const ack = /^43(\d+)(\[.*)$/s.exec(text);
    if (ack) {
      try {
        this.acks.set(Number(ack[1]), (JSON.parse(ack[2]!) as unknown[])[0]);
      } catch {
        // Not ours to judge here.
      }
      return;
    }
    if (text.startsWith('42')) {
      try {
        this.events.push(JSON.parse(text.slice(2)));
      } catch {
        this.events.push(text);
      }
    }
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one frame as is: text (possibly invalid UTF-8 when given bytes) or binary. */
  send(frame: string | Buffer, binary = false): Promise<void> {
    return new Promise((resolve) => {
      if (!this.open) return resolve();
      this.ws.send(frame, { binary }, () => resolve());
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

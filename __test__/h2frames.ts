// Raw HTTP/2 frames on a plain socket, for what no well-behaved client sends: streams past
// the advertised cap, floods, garbage frames, resets mid-body. Requests are HPACK-encoded
// with literals only (no Huffman, no dynamic table), which every decoder must accept.
import net from "node:net";

export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
export const TYPE = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 };
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 };
export const CODE = { NO_ERROR: 0, PROTOCOL_ERROR: 1, FRAME_SIZE_ERROR: 6, REFUSED_STREAM: 7, CANCEL: 8, ENHANCE_YOUR_CALM: 11 };

export function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

/** HPACK integer with an `n`-bit prefix (RFC 7541 §5.1). */
function integer(value: number, n: number, first: number): number[] {
  const max = (1 << n) - 1;
  if (value < max) return [first | value];
  const out = [first | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function literal(name: string, value: string): Buffer {
  const n = Buffer.from(name);
  const v = Buffer.from(value);
  // Literal header field without indexing, new name.
  return Buffer.concat([Buffer.from([0]), Buffer.from(integer(n.length, 7, 0)), n, Buffer.from(integer(v.length, 7, 0)), v]);
}

/** A request's header block: pseudo-headers first, then `headers`. */
export function requestBlock(method: string, path: string, headers: Record<string, string> = {}): Buffer {
  const parts = [literal(":method", method), literal(":scheme", "http"), literal(":path", path), literal(":authority", "127.0.0.1")];
  for (const [k, v] of Object.entries(headers)) parts.push(literal(k, v));
  return Buffer.concat(parts);
}

export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A raw h2c connection that records every frame the server sends. */
export class RawH2 {
  readonly frames: Frame[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 9) {
        const length = this.buffer.readUIntBE(0, 3);
        if (this.buffer.length < 9 + length) break;
        const f = {
          type: this.buffer[3],
          flags: this.buffer[4],
          stream: this.buffer.readUInt32BE(5) & 0x7fffffff,
          payload: this.buffer.subarray(9, 9 + length),
        };
        this.buffer = this.buffer.subarray(9 + length);
        this.frames.push(f);
        // Acknowledge the server's SETTINGS as a client must.
        if (f.type === TYPE.SETTINGS && !(f.flags & FLAG.ACK) && !socket.destroyed) socket.write(frame(TYPE.SETTINGS, FLAG.ACK, 0));
      }
      this.wake();
    });
    const end = () => {
      this.closed = true;
      this.wake();
    };
    socket.on("close", end);
    socket.on("error", end);
  }

  private wake() {
    for (const w of this.waiters.splice(0)) w();
  }

  static async open(port: number, opening: Buffer = Buffer.concat([PREFACE, frame(TYPE.SETTINGS, 0, 0)])): Promise<RawH2> {
    const socket = net.connect(port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const raw = new RawH2(socket);
    socket.write(opening);
    return raw;
  }

  send(...frames: Buffer[]) {
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(frames));
  }

  /** Waits (bounded) until `check` holds for the frames seen, or the connection closed. */
  async until(check: (frames: Frame[]) => boolean, what: string, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!check(this.frames)) {
      if (this.closed) throw new Error(`connection closed before ${what}`);
      const left = end - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, left).unref();
      });
    }
  }

  resets(code?: number): number[] {
    return this.frames.filter((f) => f.type === TYPE.RST_STREAM && (code === undefined || f.payload.readUInt32BE(0) === code)).map((f) => f.stream);
  }

  responded(stream: number): boolean {
    return this.frames.some((f) => f.type === TYPE.HEADERS && f.stream === stream);
  }

  /** The stream's response ended (END_STREAM on a HEADERS or DATA frame). */
  ended(stream: number): boolean {
    return this.frames.some((f) => f.stream === stream && (f.type === TYPE.HEADERS || f.type === TYPE.DATA) && f.flags & FLAG.END_STREAM);
  }

  /** The `:status` of the stream's response when HPACK sent it indexed (200, 204, 206, 304,
   * 400, 404, 500: RFC 7541 Appendix A), else undefined. */
  status(stream: number): number | undefined {
    const f = this.frames.find((x) => x.type === TYPE.HEADERS && x.stream === stream);
    return f && ({ 0x88: 200, 0x89: 204, 0x8a: 206, 0x8b: 304, 0x8c: 400, 0x8d: 404, 0x8e: 500 } as Record<number, number>)[f.payload[0]];
  }

  goaway(): { code: number } | undefined {
    const f = this.frames.find((x) => x.type === TYPE.GOAWAY);
    return f && { code: f.payload.readUInt32BE(4) };
  }

  close() {
    this.socket.destroy();
  }
}

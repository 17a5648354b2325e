// HTTP/2 clients for the tests: a WHATWG `fetch` over one Node `http2` session (h2c with
// prior knowledge, or TLS with ALPN `h2`), so SDK client transports speak HTTP/2 through
// their `fetch` option, and every request shares that one connection.
import http2 from "node:http2";
import { Readable } from "node:stream";

export interface H2Client {
  fetch: typeof fetch;
  session: http2.ClientHttp2Session;
  /** Streams opened on the session so far. */
  streams: () => number;
  close: () => Promise<void>;
}

const NO_BODY = new Set([101, 103, 204, 205, 304]);

export async function h2Client(origin: string, options: http2.SecureClientSessionOptions = {}): Promise<H2Client> {
  const session = http2.connect(origin, options);
  session.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    session.once("connect", () => resolve());
    session.once("error", reject);
  });
  let opened = 0;
  const h2fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const head: http2.OutgoingHttpHeaders = {
      ":method": init.method ?? "GET",
      ":path": url.pathname + url.search,
    };
    new Headers(init.headers).forEach((value, name) => {
      if (name !== "host" && name !== "connection") head[name] = value;
    });
    const body = init.body == null ? undefined : typeof init.body === "string" ? init.body : Buffer.from(await new Response(init.body).arrayBuffer());
    const stream = session.request(head, { endStream: body === undefined });
    opened++;
    if (body !== undefined) stream.end(body);
    const abort = () => stream.close(http2.constants.NGHTTP2_CANCEL);
    if (init.signal?.aborted) abort();
    init.signal?.addEventListener("abort", abort, { once: true });
    const response = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
      stream.once("response", resolve);
      stream.once("error", reject);
      stream.once("close", () => reject(new Error(`stream closed before a response (code ${stream.rstCode})`)));
    });
    stream.on("error", () => {});
    const status = Number(response[":status"]);
    const headers = new Headers();
    for (const [name, value] of Object.entries(response)) {
      if (name.startsWith(":") || value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) headers.append(name, String(v));
    }
    const stream_body = NO_BODY.has(status) ? null : (Readable.toWeb(stream) as ReadableStream<Uint8Array>);
    return new Response(stream_body, { status, headers });
  };
  return {
    fetch: h2fetch as unknown as typeof fetch,
    session,
    streams: () => opened,
    close: () =>
      new Promise<void>((resolve) => {
        if (session.closed) return resolve();
        session.close(() => resolve());
        setTimeout(() => {
          session.destroy();
          resolve();
        }, 1000).unref();
      }),
  };
}

/** One request on `session`: status, headers and the whole body as text. */
export async function h2Request(
  session: http2.ClientHttp2Session,
  head: http2.OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<{ status: number; headers: http2.IncomingHttpHeaders; text: string }> {
  const stream = session.request(head, { endStream: body === undefined });
  if (body !== undefined) stream.end(body);
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  // Both listeners before any await: a response without a body ends in the same tick.
  const ended = new Promise<void>((resolve, reject) => {
    stream.once("end", resolve);
    // A response sent before the whole request body was read ends with RST_STREAM(NO_ERROR).
    stream.once("close", resolve);
    stream.once("error", reject);
  });
  const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
    stream.once("response", resolve);
    stream.once("error", reject);
  });
  await ended;
  return { status: Number(headers[":status"]), headers, text: Buffer.concat(chunks).toString() };
}

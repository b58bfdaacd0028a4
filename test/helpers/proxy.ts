/**
 * A tiny forwarding proxy on 127.0.0.1 for tests: CONNECT tunnels (https:// targets, and every
 * undici call) and absolute-URI requests (plain http:// through http-proxy-agent). It records what a
 * proxy sees: the method, the request target (absolute URL or host:port) and Proxy-Authorization.
 * With `credentials` set it answers 407 to anyone who does not send them.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";

export interface ProxySeen {
  method: string;
  /** The request target as the proxy received it: an absolute URL, or host:port for CONNECT. */
  target: string;
  proxyAuthorization?: string;
}

export interface TestProxy {
  /** http://127.0.0.1:port */
  url: string;
  seen: ProxySeen[];
  close(): Promise<void>;
}

export async function startTestProxy(
  opts: {
    credentials?: string;
    /** Answers plain http:// requests itself, e.g. with an error page quoting the request's headers. */
    answer?: (req: IncomingMessage) => { status: number; body: string; contentType: string } | undefined;
  } = {},
): Promise<TestProxy> {
  const seen: ProxySeen[] = [];
  const sockets = new Set<Socket>();
  const expected = opts.credentials && `Basic ${Buffer.from(opts.credentials).toString("base64")}`;
  const record = (req: IncomingMessage): boolean => {
    const auth = req.headers["proxy-authorization"];
    seen.push({
      method: req.method ?? "",
      target: req.url ?? "",
      ...(auth ? { proxyAuthorization: auth } : {}),
    });
    return !expected || auth === expected;
  };
  const server: Server = createServer((req, res) => {
    if (!record(req)) {
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="test"' }).end();
      return;
    }
    const own = opts.answer?.(req);
    if (own) {
      res.writeHead(own.status, { "content-type": own.contentType }).end(own.body);
      return;
    }
    const target = new URL(req.url ?? "");
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const upstream = request(target, { method: req.method, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  server.on("connect", (req: IncomingMessage, client: Socket, head: Buffer) => {
    if (!record(req)) {
      client.end("HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const [host, port] = (req.url ?? "").split(/:(?=\d+$)/);
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One request the double received, body already read (and parsed when it is JSON). */
export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export type DoubleHandler = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

/** A local HTTPS server standing in for a cloud REST API; `ca` is what a client must trust to reach it. */
export interface HttpsDouble {
  url: string;
  port: number;
  ca: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

let certificate: { key: string; cert: string } | undefined;

// Azure SDK clients refuse to send a bearer token over plain HTTP, so their doubles need TLS:
// a self-signed certificate for 127.0.0.1 and localhost, made once per process with openssl.
function selfSignedCertificate(): { key: string; cert: string } {
  if (certificate) return certificate;
  const dir = mkdtempSync(join(tmpdir(), 'tenantry-tls-'));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  try {
    if (!existsSync(cert)) throw new Error('openssl did not produce a certificate (Debian: apt-get install openssl)');
    certificate = { key: readFileSync(key, 'utf8'), cert: readFileSync(cert, 'utf8') };
    return certificate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Starts an HTTPS double on a free loopback port; every request is recorded before `handler` answers it. */
export async function startHttpsDouble(handler: DoubleHandler): Promise<HttpsDouble> {
  const { key, cert } = selfSignedCertificate();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer({ key, cert }, (request, response) => {
    void (async () => {
      const recorded: RecordedRequest = {
        method: request.method ?? 'GET',
        url: request.url ?? '/',
        headers: request.headers,
        body: await readBody(request),
      };
      requests.push(recorded);
      try {
        await handler(recorded, response);
      } catch (error) {
        if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { code: 'DoubleFailed', message: String(error) } }));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    ca: cert,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

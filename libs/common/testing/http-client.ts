import { request, type IncomingHttpHeaders } from 'node:http';

/**
 * One HTTP exchange on a connection of its own (`agent: false` sends `Connection: close`). A
 * loaded machine can stall a client past the server's keep-alive timeout, and a request written
 * to a kept-alive socket the server has just closed fails with ECONNRESET: tests do not reuse one.
 */
export function httpRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; text: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const exchange = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), headers: response.headers }));
    });
    exchange.on('error', reject);
    exchange.end(options.body);
  });
}

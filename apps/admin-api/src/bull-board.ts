import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { type INestApplication, Logger } from '@nestjs/common';
import { OperationQueue } from '@tenantry/registry';
import type { NextFunction, Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';

function matches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The Bull Board page for the queue at /queues, behind HTTP Basic auth (user admin). A browser
 * cannot send the admin API's bearer token, so the page has a password of its own; without
 * BULL_BOARD_PASSWORD it is not mounted at all.
 */
export function mountBullBoard(app: INestApplication, password: string | undefined): void {
  if (!password) {
    new Logger('BullBoard').log('Bull Board disabled: set BULL_BOARD_PASSWORD to serve it at /queues');
    return;
  }
  const adapter = new ExpressAdapter();
  adapter.setBasePath('/queues');
  createBullBoard({ queues: [new BullMQAdapter(app.get(OperationQueue).bullQueue)], serverAdapter: adapter });
  const expected = `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`;
  app.use('/queues', (request: Request, response: Response, next: NextFunction) => {
    if (matches(request.headers.authorization ?? '', expected)) return next();
    response.setHeader('www-authenticate', 'Basic realm="tenantry queues"');
    response.status(401).json({ statusCode: 401, error: 'UNAUTHENTICATED', message: 'Bull Board needs the admin password' });
  });
  app.use('/queues', adapter.getRouter());
}

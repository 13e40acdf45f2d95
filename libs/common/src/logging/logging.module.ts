import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { LoggingOptions } from './logging-options';
import { redactRequest, redactResponse } from './redact-credentials';
import { currentTenantId } from './tenant-log-context';

function tenantIdInContext(): Record<string, string> {
  const tenantId = currentTenantId();
  return tenantId ? { tenant_id: tenantId } : {};
}

/** JSON logs for every process; a line written inside a tenant's context carries its tenant_id. */
@Module({})
export class LoggingModule {
  static forRoot(options: LoggingOptions, service: string): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.level,
            base: { service },
            mixin: tenantIdInContext,
            genReqId: (request: IncomingMessage) => {
              const header = request.headers['x-request-id'];
              return typeof header === 'string' && /^[\w-]{1,64}$/.test(header) ? header : randomUUID();
            },
            autoLogging: { ignore: (request: IncomingMessage) => request.url === '/health' },
            // A token may come in any header, the query string or the path: every request line is scrubbed, not a fixed list of paths.
            serializers: { req: redactRequest, res: redactResponse },
          },
        }),
      ],
    };
  }
}

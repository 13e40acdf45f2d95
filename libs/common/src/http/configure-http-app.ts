import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { DomainErrorFilter } from './domain-error.filter';

/** What every HTTP app of Tenantry shares: JSON logs, one error filter, strict input validation. */
export function configureHttpApp(app: INestApplication): void {
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
}

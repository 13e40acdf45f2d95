import { type INestApplication, ValidationPipe } from '@nestjs/common';
import { Logger } from 'nestjs-pino';
import { DomainErrorFilter } from './domain-error.filter';
import { InputScreeningPipe } from './input-screening.pipe';

/** What every HTTP app of Tenantry shares: JSON logs, one error filter, input screened for what no field may hold, then validated strictly. */
export function configureHttpApp(app: INestApplication): void {
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new DomainErrorFilter());
  app.useGlobalPipes(
    new InputScreeningPipe(),
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      stopAtFirstError: false,
    }),
  );
}

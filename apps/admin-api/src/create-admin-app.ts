import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { configureHttpApp } from '@tenantry/common';
import type { Server } from 'node:http';
import type { AdminApiSettings } from './admin-api-settings';
import { AdminApiModule } from './admin-api.module';
import { mountBullBoard } from './bull-board';

/** Builds the admin API exactly as production runs it; tests boot the same function. */
export async function createAdminApp(settings: AdminApiSettings): Promise<INestApplication<Server>> {
  const app = await NestFactory.create<INestApplication<Server>>(AdminApiModule.forRoot(settings), { bufferLogs: true });
  configureHttpApp(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Tenantry admin API')
      .setDescription('Onboard, suspend, resume and offboard tenants; follow their operations.')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  mountBullBoard(app, settings.http.bullBoardPassword);
  return app;
}

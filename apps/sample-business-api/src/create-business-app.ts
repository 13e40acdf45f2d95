import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { configureHttpApp } from '@tenantry/common';
import type { Server } from 'node:http';
import type { BusinessApiSettings } from './business-api-settings';
import { BusinessApiModule } from './business-api.module';

export async function createBusinessApp(settings: BusinessApiSettings): Promise<INestApplication<Server>> {
  const app = await NestFactory.create<INestApplication<Server>>(BusinessApiModule.forRoot(settings), { bufferLogs: true });
  configureHttpApp(app);
  const document = SwaggerModule.createDocument(app, new DocumentBuilder().setTitle('Sample business API').setVersion('1').addBearerAuth().build());
  SwaggerModule.setup('docs', app, document);
  return app;
}

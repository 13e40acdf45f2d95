import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { configureHttpApp } from '@tenantry/common';
import { BusinessApiModule } from './business-api.module';
import type { BusinessApiSettings } from './business-api-settings';

export async function createBusinessApp(settings: BusinessApiSettings): Promise<INestApplication> {
  const app = await NestFactory.create(BusinessApiModule.forRoot(settings), { bufferLogs: true });
  configureHttpApp(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('Sample business API').setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { configureHttpApp, type AppConfig } from '@tenantry/common';
import { BusinessApiModule } from './business-api.module';

export async function createBusinessApp(config: AppConfig): Promise<INestApplication> {
  const app = await NestFactory.create(BusinessApiModule.forRoot(config), { bufferLogs: true });
  configureHttpApp(app);
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder().setTitle('Sample business API').setVersion('1').addBearerAuth().build(),
  );
  SwaggerModule.setup('docs', app, document);
  return app;
}

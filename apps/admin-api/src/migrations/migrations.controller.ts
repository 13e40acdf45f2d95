import { Controller, Get, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { MigrationRunNotFound } from '@tenantry/common';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import { PageQuery } from '../http/page.query';

/** Fleet migration runs (CLI or scheduled) and their per-tenant results. */
@ApiTags('migrations')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('migrations/runs')
export class MigrationsController {
  constructor(private readonly registry: RegistryUnitOfWork) {}

  @Get()
  async list(@Query() query: PageQuery) {
    const { items, total } = await this.registry.repositories.migrationRuns.list((query.page - 1) * query.pageSize, query.pageSize);
    return { items, page: query.page, pageSize: query.pageSize, total };
  }

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const run = await this.registry.repositories.migrationRuns.find(id);
    if (!run) throw new MigrationRunNotFound(id);
    return run;
  }
}

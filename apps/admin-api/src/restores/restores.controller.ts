import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/current-actor.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import type { Actor } from '../tenants/actor';
import { operationView, tenantView } from '../tenants/tenant.view';
import { RequestRestoreDto } from './dto/request-restore.dto';
import { backupListView, restoreView } from './restore.view';
import { RestoresService } from './restores.service';

@ApiTags('backups and restores')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('tenants/:code')
export class RestoresController {
  constructor(private readonly restores: RestoresService) {}

  @Get('backups')
  async listBackups(@Param('code') code: string) {
    const { mode, backups } = await this.restores.backups(code);
    return backupListView(mode, backups);
  }

  @Post('backups')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'A backup is queued; the operation names it once taken.' })
  async backUp(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return operationView(await this.restores.backUp(code, actor));
  }

  @Get('restores')
  async listRestores(@Param('code') code: string) {
    const { database, restores } = await this.restores.restores(code);
    return { items: restores.map((restore) => restoreView(restore, database, code)) };
  }

  @Post('restore')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Restored side by side into a new database, named in the answer; the tenant is served as before until it is swapped in.' })
  async restore(@Param('code') code: string, @Body() body: RequestRestoreDto, @CurrentActor() actor: Actor) {
    const { restore, database, operation } = await this.restores.restore(code, body, actor);
    return { restore: restoreView(restore, database, code), operation: operationView(operation) };
  }

  @Post('restore/:id/swap')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'The ready restore is swapped in: the current database is frozen, then retired and kept for RETIRED_DATABASE_RETENTION_MS.' })
  async swap(@Param('code') code: string, @Param('id', new ParseUUIDPipe()) id: string, @CurrentActor() actor: Actor) {
    return operationView(await this.restores.swap(code, id, actor));
  }

  @Post('undelete')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({
    description: 'An offboarded tenant comes back from its last backup, unless its code was reused or the undelete window passed (409, with the reason).',
  })
  async undelete(@Param('code') code: string, @CurrentActor() actor: Actor) {
    const { tenant, operation } = await this.restores.undelete(code, actor);
    return { tenant: tenantView(tenant), operation: operationView(operation) };
  }
}

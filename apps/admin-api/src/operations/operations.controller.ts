import { Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/current-actor.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import type { Actor } from '../tenants/actor';
import { operationView } from '../tenants/tenant.view';
import { OperationsService } from './operations.service';

@ApiTags('operations')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('operations')
export class OperationsController {
  constructor(private readonly operations: OperationsService) {}

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    return operationView(await this.operations.get(id));
  }

  @Post(':id/cancel')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'The move stops and rolls back; the tenant stays where it was. 409 once it has switched the tenant.' })
  async cancel(@Param('id', new ParseUUIDPipe()) id: string, @CurrentActor() actor: Actor) {
    return operationView(await this.operations.cancel(id, actor));
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'The failed operation is queued again and resumes at the step that failed.' })
  async retry(@Param('id', new ParseUUIDPipe()) id: string, @CurrentActor() actor: Actor) {
    return operationView(await this.operations.retry(id, actor));
  }
}

import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor } from '../auth/current-actor.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import type { Actor } from './actor';
import { CreateTenantDto } from './dto/create-tenant.dto';
import { DeleteTenantQuery } from './dto/delete-tenant.query';
import { ListTenantsQuery } from './dto/list-tenants.query';
import { MoveTenantDto } from './dto/move-tenant.dto';
import { accessChangeView, operationView, tenantView } from './tenant.view';
import { TenantsService } from './tenants.service';

@ApiTags('tenants')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Tenant registered; its provisioning operation is queued.' })
  async create(@Body() body: CreateTenantDto, @CurrentActor() actor: Actor) {
    const { tenant, operation } = await this.tenants.create(body, actor);
    return { tenant: tenantView(tenant), operation: operationView(operation) };
  }

  @Get()
  async list(@Query() query: ListTenantsQuery) {
    const page = await this.tenants.list(query);
    return {
      items: page.items.map(({ tenant, database }) => tenantView(tenant, database)),
      page: query.page,
      pageSize: query.pageSize,
      total: page.total,
    };
  }

  @Get(':code')
  async get(@Param('code') code: string) {
    const { tenant, database } = await this.tenants.get(code);
    return tenantView(tenant, database);
  }

  @Post(':code/suspend')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Suspended: refused at once. Its operation disables the database login and ends its sessions.' })
  async suspend(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return accessChangeView(await this.tenants.suspend(code, actor));
  }

  @Post(':code/resume')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Its operation enables the database login again, then makes the tenant active.' })
  async resume(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return accessChangeView(await this.tenants.resume(code, actor));
  }

  @Post(':code/rotate-credentials')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'A new database password is queued; business services switch to it once it is stored.' })
  async rotateCredentials(@Param('code') code: string, @CurrentActor() actor: Actor) {
    return operationView(await this.tenants.rotateCredentials(code, actor));
  }

  @Post(':code/move')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({
    description:
      'A move to the pool is queued (POST /operations/:id/cancel stops it until its switch). The tenant is served throughout; its writes are refused (503, Retry-After) for the moment of the switch.',
  })
  async move(@Param('code') code: string, @Body() body: MoveTenantDto, @CurrentActor() actor: Actor) {
    return operationView(await this.tenants.move(code, body.pool, actor));
  }

  @Delete(':code')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({ description: 'Offboarding queued: database and login are dropped, the audit trail is kept.' })
  async remove(@Param('code') code: string, @Query() query: DeleteTenantQuery, @CurrentActor() actor: Actor) {
    return operationView(await this.tenants.deprovision(code, actor, query));
  }
}

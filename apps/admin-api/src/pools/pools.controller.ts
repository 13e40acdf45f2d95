import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBearerAuth, ApiConflictResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { PoolUsage } from '@tenantry/registry';
import { CurrentActor } from '../auth/current-actor.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import type { Actor } from '../tenants/actor';
import { PoolNameParam } from './dto/pool-name.param';
import { RebalancePlanQuery } from './dto/rebalance-plan.query';
import { RebalanceRunDto } from './dto/rebalance-run.dto';
import { RegisterPoolDto } from './dto/register-pool.dto';
import { PoolsService } from './pools.service';
import { RebalanceService } from './rebalance.service';

function poolView({ pool, server, databases, reserved }: PoolUsage) {
  return {
    name: pool.name,
    server,
    engine: pool.address.engine,
    host: pool.address.host,
    port: pool.address.port,
    elasticPoolId: pool.address.elasticPoolId,
    location: pool.address.location,
    maxDatabases: pool.maxDatabases,
    dedicated: pool.dedicated,
    databases,
    reserved,
    room: Math.max(0, pool.maxDatabases - databases - reserved),
  };
}

@ApiTags('pools')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('pools')
export class PoolsController {
  constructor(
    private readonly pools: PoolsService,
    private readonly rebalance: RebalanceService,
  ) {}

  @Get()
  async list() {
    return (await this.pools.list()).map(poolView);
  }

  @Get('rebalance-plan')
  @ApiOkResponse({
    description:
      'Moves that bring every shared pool and server back to the threshold, each {tenant, from, to, reason} into a pool admission would place the tenant in; `unresolved` names what stays over and why. Nothing is moved.',
  })
  rebalancePlan(@Query() { threshold }: RebalancePlanQuery) {
    return this.rebalance.plan(threshold);
  }

  @Post('rebalance')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiAcceptedResponse({
    description:
      'The plan, and the move operations started for it while fewer than `concurrency` moves are under way across the fleet (`started`); the rest is `deferred` to a later call, and `refused` says which moves the move operation turned down and why.',
  })
  @ApiConflictResponse({ description: 'Another rebalance is starting its moves at this moment.' })
  runRebalance(@Body() { threshold, concurrency }: RebalanceRunDto, @CurrentActor() actor: Actor) {
    return this.rebalance.run(actor, threshold, concurrency);
  }

  @Put(':name')
  async register(@Param() { name }: PoolNameParam, @Body() body: RegisterPoolDto, @CurrentActor() actor: Actor) {
    return poolView(await this.pools.register(name, body, actor));
  }

  @Delete(':name')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Removed: no tenant has a database on it or waits to be placed on it.' })
  @ApiNotFoundResponse({ description: 'No pool of that name.' })
  @ApiConflictResponse({
    description: 'In use: the message says how many tenants (and which) still need it. Or the pool is the configured server, registered again at each start.',
  })
  async remove(@Param() { name }: PoolNameParam, @CurrentActor() actor: Actor): Promise<void> {
    await this.pools.remove(name, actor);
  }
}

import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService } from '@nestjs/terminus';
import { checkHealth, dependencyStates } from '@tenantry/common';
import { TenancyHealth } from '@tenantry/tenancy';
import type { Response } from 'express';

/** Without a token, for load balancers and orchestrators: whether this service can resolve tenants. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly terminus: HealthCheckService,
    private readonly tenancy: TenancyHealth,
  ) {}

  @Get()
  @ApiOkResponse({ description: 'The registry and Redis answer.' })
  @ApiServiceUnavailableResponse({ description: 'The registry or Redis does not answer; `checks` says which.' })
  async health(@Res({ passthrough: true }) response: Response) {
    const answer = await checkHealth<'registry' | 'redis'>(this.terminus, this.tenancy.indicators());
    response.status(answer.httpStatus);
    return { status: answer.status, checks: dependencyStates(answer.details) };
  }
}

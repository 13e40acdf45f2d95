import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { healthReport } from '@tenantry/common';
import { TenancyHealth } from '@tenantry/tenancy';
import type { Response } from 'express';

/** Without a token, for load balancers and orchestrators: whether this service can resolve tenants. */
@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly tenancy: TenancyHealth) {}

  @Get()
  @ApiOkResponse({ description: 'The registry and Redis answer.' })
  @ApiServiceUnavailableResponse({ description: 'The registry or Redis does not answer; `checks` says which.' })
  async health(@Res({ passthrough: true }) response: Response) {
    const { httpStatus, body } = healthReport(await this.tenancy.check());
    response.status(httpStatus);
    return body;
  }
}

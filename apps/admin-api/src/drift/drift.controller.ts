import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import { DriftService } from './drift.service';

/** Whether each tenant database's real schema is the one its recorded version should have. */
@ApiTags('drift')
@ApiBearerAuth()
@PlatformAdmin()
@Controller()
export class DriftController {
  constructor(private readonly drift: DriftService) {}

  @Get('tenants/:code/drift')
  @ApiOkResponse({ description: 'The latest scan: in_sync, drifted (with each difference), or unknown (the database could not be read, and why).' })
  ofTenant(@Param('code') code: string) {
    return this.drift.ofTenant(code);
  }

  @Get('drift')
  @ApiOkResponse({ description: 'Active tenants by their latest scan (unscanned: none yet), and the drifted ones, most differences first.' })
  fleet() {
    return this.drift.fleet();
  }
}

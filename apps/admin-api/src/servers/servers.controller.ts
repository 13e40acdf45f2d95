import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiConflictResponse, ApiTags } from '@nestjs/swagger';
import type { ServerUsage } from '@tenantry/registry';
import { CurrentActor } from '../auth/current-actor.decorator';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import type { Actor } from '../tenants/actor';
import { RegisterServerDto } from './dto/register-server.dto';
import { ServerNameParam } from './dto/server-name.param';
import { ServersService } from './servers.service';

/** A server as the API shows it: its credential by kind and login, never the secret (nor its pooler console's). */
function serverView({ server, pools, allotted, used }: ServerUsage) {
  return {
    name: server.name,
    engine: server.engine,
    host: server.host,
    port: server.port,
    region: server.region,
    maxDatabases: server.maxDatabases,
    credential: { kind: server.credentialKind, login: server.login },
    pooler: server.poolerHost === null ? null : { host: server.poolerHost, port: server.poolerPort, adminLogin: server.poolerAdminLogin },
    draining: server.draining,
    pools,
    allotted,
    used,
    room: server.draining ? 0 : Math.max(0, allotted - used),
  };
}

@ApiTags('servers')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('servers')
export class ServersController {
  constructor(private readonly servers: ServersService) {}

  @Get()
  async list() {
    return (await this.servers.list()).map(serverView);
  }

  @Put(':name')
  @ApiConflictResponse({ description: "The server's pools hold more than the new limit, or its address would move under them." })
  async register(@Param() { name }: ServerNameParam, @Body() body: RegisterServerDto, @CurrentActor() actor: Actor) {
    return serverView(await this.servers.register(name, body, actor));
  }
}

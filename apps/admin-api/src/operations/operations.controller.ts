import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { OperationNotFound } from '@tenantry/common';
import { RegistryUnitOfWork } from '@tenantry/registry';
import { PlatformAdmin } from '../auth/platform-admin.decorator';
import { operationView } from '../tenants/tenant.view';

@ApiTags('operations')
@ApiBearerAuth()
@PlatformAdmin()
@Controller('operations')
export class OperationsController {
  constructor(private readonly registry: RegistryUnitOfWork) {}

  @Get(':id')
  async get(@Param('id', new ParseUUIDPipe()) id: string) {
    const operation = await this.registry.repositories.operations.findById(id);
    if (!operation) throw new OperationNotFound(id);
    return operationView(operation);
  }
}

import { ClsServiceManager } from 'nestjs-cls';
import { currentTenantId, enterTenant } from './tenant-log-context';

describe('the tenant in context', () => {
  const cls = ClsServiceManager.getClsService();

  it('is the one entered, in that context only, and none outside a context', async () => {
    expect(currentTenantId(cls)).toBeUndefined();
    const seen = await Promise.all(
      ['tenant-a', 'tenant-b'].map((tenantId) =>
        cls.run(async () => {
          enterTenant(cls, tenantId);
          await new Promise((resolve) => setImmediate(resolve));
          return currentTenantId();
        }),
      ),
    );
    expect(seen).toEqual(['tenant-a', 'tenant-b']);
    expect(currentTenantId(cls)).toBeUndefined();
  });
});

import { InvalidInput } from '@tenantry/common';
import { catalogueChoice } from './tenant-catalogue';

describe('catalogueChoice', () => {
  const catalogue = { plans: ['standard', 'premium'], regions: ['local', 'westeurope'] };

  it('takes a plan and a region from the catalogue', () => {
    expect(catalogueChoice(catalogue, { plan: 'premium', region: 'westeurope' })).toEqual({ plan: 'premium', region: 'westeurope' });
  });

  it('gives the first of each to a tenant that names none', () => {
    expect(catalogueChoice(catalogue, {})).toEqual({ plan: 'standard', region: 'local' });
  });

  it.each([
    [{ plan: 'platinum' }, 'plan must be one of: standard, premium'],
    [{ region: 'mars' }, 'region must be one of: local, westeurope'],
    [{ plan: 'Standard' }, 'plan must be one of: standard, premium'],
    [{ region: '' }, 'region must be one of: local, westeurope'],
  ])('refuses %j, naming the field and the values allowed', (requested, message) => {
    expect(() => catalogueChoice(catalogue, requested)).toThrow(new InvalidInput(message));
  });
});

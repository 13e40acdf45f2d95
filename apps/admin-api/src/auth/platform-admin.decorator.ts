import { ADMIN_ROLE, RequireRealmRole } from '@tenantry/auth';

/** Every admin route: a verified token with the configured platform-admin realm role. */
export const PlatformAdmin = () => RequireRealmRole(ADMIN_ROLE);

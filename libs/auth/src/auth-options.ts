import type { AppConfig } from '@tenantry/common';

export type AuthOptions = AppConfig['auth'];

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

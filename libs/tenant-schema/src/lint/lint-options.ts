import { defineSettings, sharedVariables } from '@tenantry/common';
import { z } from 'zod';
import type { LintTargets } from './lint-migrations';

// The migration lint reads only the servers it runs migrations on: DATABASE_URL and, optionally, a
// SQL Server for the T-SQL; without one (unset or empty) it records the T-SQL instead.
export const lintSettings = defineSettings({
  variables: {
    DATABASE_URL: sharedVariables.DATABASE_URL,
    MSSQL_URL: z.preprocess(
      (value) => (value === '' ? undefined : value),
      z
        .string()
        .url()
        .refine((value) => /^mssql:\/\//.test(value), 'must be an mssql:// URL (mssql://user:password@host:1433)')
        .optional(),
    ),
  },
  build: (e): LintTargets => ({ postgresUrl: e.DATABASE_URL, mssqlUrl: e.MSSQL_URL }),
});

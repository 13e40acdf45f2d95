import type { TenantDialect } from '../tenant-dialect';
import { MIGRATIONS_TABLE } from '../tenant-schema';

/**
 * PostgreSQL: the whole schema of `public` in one round trip, as JSON (snapshotFromCatalog reads it).
 * The migrations table is the runner's bookkeeping, not the tenant's schema, so it and the sequence
 * it owns are left out. Indexes that back a constraint are left to the constraint. A default, an
 * index and a constraint are what the server prints for them (pg_get_expr, pg_get_indexdef,
 * pg_get_constraintdef), so they compare as text; names of types are format_type's.
 */
const POSTGRES_CATALOG = `
WITH rels AS (
  SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> '${MIGRATIONS_TABLE}'
)
SELECT
  (SELECT coalesce(json_agg(relname), '[]') FROM rels) AS tables,
  (SELECT coalesce(json_agg(json_build_object(
            'table', r.relname, 'name', a.attname, 'type', format_type(a.atttypid, a.atttypmod), 'nullable', NOT a.attnotnull,
            'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
            'identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END,
            'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(d.adbin, d.adrelid) END)), '[]')
     FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum) AS columns,
  (SELECT coalesce(json_agg(json_build_object(
            'table', r.relname, 'name', ic.relname, 'unique', i.indisunique,
            'definition', substring(pg_get_indexdef(i.indexrelid) FROM ' USING (.*)$'))), '[]')
     FROM rels r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ic ON ic.oid = i.indexrelid
    WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = r.oid AND k.contype IN ('p', 'u', 'x'))) AS indexes,
  (SELECT coalesce(json_agg(json_build_object('table', r.relname, 'name', k.conname, 'kind', k.contype, 'definition', pg_get_constraintdef(k.oid))), '[]')
     FROM rels r JOIN pg_constraint k ON k.conrelid = r.oid WHERE k.contype IN ('p', 'f', 'u', 'c', 'x')) AS constraints,
  (SELECT coalesce(json_agg(json_build_object(
            'name', c.relname, 'type', format_type(s.seqtypid, NULL), 'start', s.seqstart, 'increment', s.seqincrement,
            'min', s.seqmin, 'max', s.seqmax, 'cycle', s.seqcycle)), '[]')
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = s.seqrelid AND d.objsubid = 0
                         AND d.refobjid = to_regclass('public.${MIGRATIONS_TABLE}'))) AS sequences`;

/**
 * SQL Server (sys.* catalog views), the same answer in one batch: each part FOR JSON, so one row of
 * nvarchar(max) text. Types are spelled as T-SQL declares them (nvarchar(200), nvarchar(max),
 * decimal(10,2), datetimeoffset(7)); lengths of n-types are in characters. Defaults are the default
 * constraints' text (their own names, often generated, are not compared), and indexes that back a
 * primary key or unique constraint are left to the constraint, as on PostgreSQL. The migrations
 * table of TypeORM is left out. Not run here (no SQL Server on this machine): tested through
 * snapshotFromCatalog with fixtures of its answer.
 */
const TSQL_CATALOG = `
WITH rels AS (
  SELECT t.object_id, t.name FROM sys.tables t
   WHERE t.is_ms_shipped = 0 AND t.schema_id = SCHEMA_ID(N'dbo') AND t.name <> N'${MIGRATIONS_TABLE}'
)
SELECT
  (SELECT r.name AS [table] FROM rels r FOR JSON PATH) AS tables,
  (SELECT r.name AS [table], c.name AS name,
          CASE
            WHEN ty.name IN (N'nvarchar', N'nchar') THEN ty.name + N'(' + CASE WHEN c.max_length = -1 THEN N'max' ELSE CAST(c.max_length / 2 AS nvarchar(10)) END + N')'
            WHEN ty.name IN (N'varchar', N'char', N'varbinary', N'binary') THEN ty.name + N'(' + CASE WHEN c.max_length = -1 THEN N'max' ELSE CAST(c.max_length AS nvarchar(10)) END + N')'
            WHEN ty.name IN (N'decimal', N'numeric') THEN ty.name + N'(' + CAST(c.precision AS nvarchar(10)) + N',' + CAST(c.scale AS nvarchar(10)) + N')'
            WHEN ty.name IN (N'datetime2', N'datetimeoffset', N'time') THEN ty.name + N'(' + CAST(c.scale AS nvarchar(10)) + N')'
            ELSE ty.name
          END AS type,
          c.is_nullable AS nullable, dc.definition AS [default],
          CASE WHEN ic.column_id IS NOT NULL THEN N'identity(' + CAST(ic.seed_value AS nvarchar(40)) + N',' + CAST(ic.increment_value AS nvarchar(40)) + N')' END AS [identity],
          cc.definition AS generated
     FROM rels r JOIN sys.columns c ON c.object_id = r.object_id
     JOIN sys.types ty ON ty.user_type_id = c.user_type_id
     LEFT JOIN sys.default_constraints dc ON dc.parent_object_id = c.object_id AND dc.parent_column_id = c.column_id
     LEFT JOIN sys.identity_columns ic ON ic.object_id = c.object_id AND ic.column_id = c.column_id
     LEFT JOIN sys.computed_columns cc ON cc.object_id = c.object_id AND cc.column_id = c.column_id
     FOR JSON PATH, INCLUDE_NULL_VALUES) AS columns,
  (SELECT r.name AS [table], i.name AS name, i.is_unique AS [unique],
          LOWER(i.type_desc) + N' (' +
            (SELECT STRING_AGG(col.name + CASE WHEN k.is_descending_key = 1 THEN N' DESC' ELSE N'' END, N', ') WITHIN GROUP (ORDER BY k.key_ordinal)
               FROM sys.index_columns k JOIN sys.columns col ON col.object_id = k.object_id AND col.column_id = k.column_id
              WHERE k.object_id = i.object_id AND k.index_id = i.index_id AND k.is_included_column = 0) + N')' +
            COALESCE(N' INCLUDE (' +
              (SELECT STRING_AGG(col.name, N', ') WITHIN GROUP (ORDER BY col.name)
                 FROM sys.index_columns k JOIN sys.columns col ON col.object_id = k.object_id AND col.column_id = k.column_id
                WHERE k.object_id = i.object_id AND k.index_id = i.index_id AND k.is_included_column = 1) + N')', N'') +
            COALESCE(N' WHERE ' + i.filter_definition, N'') AS definition
     FROM rels r JOIN sys.indexes i ON i.object_id = r.object_id
    WHERE i.type > 0 AND i.is_primary_key = 0 AND i.is_unique_constraint = 0
    FOR JSON PATH) AS indexes,
  (SELECT * FROM (
     SELECT r.name AS [table], kc.name AS name, CASE kc.type WHEN 'PK' THEN N'p' ELSE N'u' END AS kind,
            CASE kc.type WHEN 'PK' THEN N'PRIMARY KEY ' ELSE N'UNIQUE ' END + LOWER(i.type_desc) + N' (' +
              (SELECT STRING_AGG(col.name, N', ') WITHIN GROUP (ORDER BY k.key_ordinal)
                 FROM sys.index_columns k JOIN sys.columns col ON col.object_id = k.object_id AND col.column_id = k.column_id
                WHERE k.object_id = i.object_id AND k.index_id = i.index_id AND k.is_included_column = 0) + N')' AS definition
       FROM rels r JOIN sys.key_constraints kc ON kc.parent_object_id = r.object_id
       JOIN sys.indexes i ON i.object_id = kc.parent_object_id AND i.index_id = kc.unique_index_id
     UNION ALL
     SELECT r.name, fk.name, N'f',
            N'FOREIGN KEY (' +
              (SELECT STRING_AGG(pc.name, N', ') WITHIN GROUP (ORDER BY fc.constraint_column_id)
                 FROM sys.foreign_key_columns fc JOIN sys.columns pc ON pc.object_id = fc.parent_object_id AND pc.column_id = fc.parent_column_id
                WHERE fc.constraint_object_id = fk.object_id) + N') REFERENCES ' + OBJECT_NAME(fk.referenced_object_id) + N'(' +
              (SELECT STRING_AGG(rc.name, N', ') WITHIN GROUP (ORDER BY fc.constraint_column_id)
                 FROM sys.foreign_key_columns fc JOIN sys.columns rc ON rc.object_id = fc.referenced_object_id AND rc.column_id = fc.referenced_column_id
                WHERE fc.constraint_object_id = fk.object_id) + N')' +
              N' ON DELETE ' + REPLACE(fk.delete_referential_action_desc, N'_', N' ') + N' ON UPDATE ' + REPLACE(fk.update_referential_action_desc, N'_', N' ')
       FROM rels r JOIN sys.foreign_keys fk ON fk.parent_object_id = r.object_id
     UNION ALL
     SELECT r.name, ck.name, N'c', N'CHECK ' + ck.definition
       FROM rels r JOIN sys.check_constraints ck ON ck.parent_object_id = r.object_id
   ) k FOR JSON PATH) AS constraints,
  (SELECT s.name AS name, TYPE_NAME(s.user_type_id) AS type, CAST(s.start_value AS nvarchar(40)) AS start,
          CAST(s.increment AS nvarchar(40)) AS increment, CAST(s.minimum_value AS nvarchar(40)) AS min,
          CAST(s.maximum_value AS nvarchar(40)) AS max, s.is_cycling AS cycle
     FROM sys.sequences s WHERE s.schema_id = SCHEMA_ID(N'dbo') FOR JSON PATH) AS sequences`;

/** The one catalog query of each dialect; its single row goes to snapshotFromCatalog. */
export const SCHEMA_CATALOG_QUERIES: Record<TenantDialect, string> = { postgres: POSTGRES_CATALOG, mssql: TSQL_CATALOG };

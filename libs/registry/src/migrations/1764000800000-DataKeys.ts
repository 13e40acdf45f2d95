import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Data-encryption keys for tenant secrets, each stored only wrapped by a Key Vault key (envelope
 * encryption). One row per wrapping key version: the unique rule makes workers that start at once
 * agree on one data key instead of each making its own.
 */
export class DataKeys1764000800000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE data_keys (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        wrapping_key_id text NOT NULL,
        algorithm text NOT NULL,
        wrapped_key bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT data_keys_wrapping_key_unique UNIQUE (wrapping_key_id)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE data_keys`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What a running step keeps to go on after a crash instead of starting over, by step name: an Azure
 * export's Location, so that a resumed offboarding follows the export it started rather than POST
 * another (the export is not idempotent, and Azure refuses a second one while the first runs).
 */
export class OperationCheckpoints1764000700000 implements MigrationInterface {
  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations ADD COLUMN checkpoints jsonb NOT NULL DEFAULT '{}'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE operations DROP COLUMN checkpoints`);
  }
}

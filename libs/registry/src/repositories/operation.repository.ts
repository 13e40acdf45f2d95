import type { OperationKind } from '@tenantry/common';
import type { EntityManager } from 'typeorm';
import { OperationEntity, type StepTiming } from '../entities/operation.entity';
import { isUniqueViolation } from './pg-errors';

export class OperationInProgress extends Error {}

// One open suspension and one open operation of any other kind per tenant: a suspension never waits.
const ONE_OPEN_PER_TENANT = ['operations_one_open_per_tenant', 'operations_one_open_suspension_per_tenant'];

export class OperationRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(OperationEntity);
  }

  async insert(input: { tenantId: string; kind: OperationKind; requestedBy: string; params?: Record<string, unknown> }): Promise<OperationEntity> {
    try {
      return await this.repo.save({ ...input, params: input.params ?? {}, status: 'pending', completedSteps: [] });
    } catch (error) {
      if (ONE_OPEN_PER_TENANT.some((index) => isUniqueViolation(error, index))) throw new OperationInProgress();
      throw error;
    }
  }

  findById(id: string): Promise<OperationEntity | null> {
    return this.repo.findOne({ where: { id } });
  }

  /** Marks the operation running and counts the attempt; null when it is already finished. */
  async claim(id: string): Promise<OperationEntity | null> {
    const result = await this.repo
      .createQueryBuilder()
      .update()
      .set({ status: 'running', attempts: () => 'attempts + 1', startedAt: () => 'coalesce(started_at, now())' })
      .where(`id = :id AND status IN ('pending', 'running')`, { id })
      .execute();
    return result.affected ? this.findById(id) : null;
  }

  async startStep(id: string, step: string): Promise<void> {
    await this.repo.update({ id }, { step });
  }

  /** Checkpoints a finished step; a resumed saga skips every step listed here. */
  async completeStep(id: string, timing: StepTiming): Promise<void> {
    await this.em.query(`UPDATE operations SET completed_steps = completed_steps || $2::jsonb, updated_at = now() WHERE id = $1`, [id, JSON.stringify([timing])]);
  }

  /** Keeps (or, with null, forgets) what `step` needs to go on after a crash. */
  async saveCheckpoint(id: string, step: string, value: string | null): Promise<void> {
    await this.em.query(
      value === null
        ? `UPDATE operations SET checkpoints = checkpoints - $2, updated_at = now() WHERE id = $1`
        : `UPDATE operations SET checkpoints = checkpoints || jsonb_build_object($2::text, $3::text), updated_at = now() WHERE id = $1`,
      value === null ? [id, step] : [id, step, value],
    );
  }

  async setPendingSecret(id: string, secret: string | null): Promise<void> {
    await this.repo.update({ id }, { pendingSecret: secret });
  }

  /** Keeps the first time recorded (a step run again after a crash changes the password to the same one); returns it. */
  async notePasswordChanged(id: string, at: Date): Promise<Date> {
    const rows = await this.em.query<[Array<{ password_changed_at: Date }>, number]>(
      `UPDATE operations SET password_changed_at = coalesce(password_changed_at, $2), updated_at = now() WHERE id = $1 RETURNING password_changed_at`,
      [id, at],
    );
    return rows[0][0].password_changed_at;
  }

  /** A credential change rolled back: no pending secret nor password change, and its steps not done, so a retry runs them again. */
  async undoCredentialChange(id: string, steps: string[]): Promise<void> {
    await this.em.query(
      `UPDATE operations
          SET completed_steps = (SELECT coalesce(jsonb_agg(done.s ORDER BY done.i), '[]'::jsonb)
                                 FROM jsonb_array_elements(completed_steps) WITH ORDINALITY AS done(s, i) WHERE NOT (done.s->>'step' = ANY($2))),
              pending_secret = NULL, password_changed_at = NULL, updated_at = now()
        WHERE id = $1`,
      [id, steps],
    );
  }

  async recordError(id: string, step: string | null, message: string): Promise<void> {
    await this.repo.update({ id }, { step, lastError: message });
  }

  /** A success clears the error of an earlier attempt (a retry's audit entry keeps it); a failure keeps the step and error. */
  async finish(id: string, status: 'succeeded' | 'failed'): Promise<void> {
    await this.repo.update({ id }, { status, finishedAt: new Date(), ...(status === 'succeeded' ? { step: null, lastError: null } : {}) });
  }

  /** Puts a failed operation back in line; its checkpoints stay, so it resumes at the step that failed. */
  async reopen(id: string): Promise<boolean> {
    const result = await this.repo
      .createQueryBuilder()
      .update()
      .set({ status: 'pending', attempts: 0, finishedAt: null })
      .where(`id = :id AND status = 'failed'`, { id })
      .execute();
    return Boolean(result.affected);
  }

  /** Unfinished operations older than `olderThanMs`: the candidates the queue may have lost. */
  findUnfinished(olderThanMs: number, limit = 500): Promise<OperationEntity[]> {
    return this.repo
      .createQueryBuilder('o')
      .where(`o.status IN ('pending', 'running')`)
      .andWhere(`o.updated_at < now() - make_interval(secs => :seconds)`, { seconds: olderThanMs / 1000 })
      .orderBy('o.created_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Asks an open operation to stop; refused (false) once it is finished or past the step named
   * `pointOfNoReturn`, which `passPointOfNoReturn` records under the same row lock, so a cancel and
   * a switch never both win.
   */
  async requestCancel(id: string, pointOfNoReturn: string): Promise<boolean> {
    const result = await this.em.query<[unknown[], number]>(
      `UPDATE operations SET cancel_requested_at = coalesce(cancel_requested_at, now()), updated_at = now()
        WHERE id = $1 AND status IN ('pending', 'running') AND NOT (checkpoints ? $2)`,
      [id, pointOfNoReturn],
    );
    return result[1] > 0;
  }

  async cancelRequested(id: string): Promise<boolean> {
    const rows = await this.em.query<Array<{ requested: boolean }>>(`SELECT cancel_requested_at IS NOT NULL AS requested FROM operations WHERE id = $1`, [id]);
    return rows[0]?.requested ?? false;
  }

  /** False when a cancel came first; true when passed now or by an earlier run. */
  async passPointOfNoReturn(id: string, step: string): Promise<boolean> {
    const result = await this.em.query<[unknown[], number]>(
      `UPDATE operations SET checkpoints = checkpoints || jsonb_build_object($2::text, 'passed'), updated_at = now()
        WHERE id = $1 AND (cancel_requested_at IS NULL OR checkpoints ? $2)`,
      [id, step],
    );
    return result[1] > 0;
  }
}

import type { OperationKind } from '@tenantry/common';
import type { EntityManager } from 'typeorm';
import { OperationEntity, type StepTiming } from '../entities/operation.entity';
import { isUniqueViolation } from './pg-errors';

export class OperationInProgress extends Error {}

export class OperationRepository {
  constructor(private readonly em: EntityManager) {}

  private get repo() {
    return this.em.getRepository(OperationEntity);
  }

  async insert(input: {
    tenantId: string;
    kind: OperationKind;
    requestedBy: string;
    params?: Record<string, unknown>;
  }): Promise<OperationEntity> {
    try {
      return await this.repo.save({ ...input, params: input.params ?? {}, status: 'pending', completedSteps: [] });
    } catch (error) {
      if (isUniqueViolation(error, 'operations_one_open_per_tenant')) throw new OperationInProgress();
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
    await this.em.query(
      `UPDATE operations SET completed_steps = completed_steps || $2::jsonb, updated_at = now() WHERE id = $1`,
      [id, JSON.stringify([timing])],
    );
  }

  async recordError(id: string, step: string | null, message: string): Promise<void> {
    await this.repo.update({ id }, { step, lastError: message });
  }

  async finish(id: string, status: 'succeeded' | 'failed'): Promise<void> {
    await this.repo.update({ id }, { status, finishedAt: new Date(), ...(status === 'succeeded' ? { step: null } : {}) });
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
}

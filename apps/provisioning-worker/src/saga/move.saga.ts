import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  AzureCapacityRefused,
  EngineRegistry,
  TenantDatabaseConflict,
  UnsupportedMove,
  type ReplicationEngine,
  type TenantDatabaseEngine,
  type TenantDatabaseTarget,
} from '@tenantry/engines';
import { movePlanOf, RegistryUnitOfWork, withinOneServer, type MoveEnd, type MovePlan } from '@tenantry/registry';
import { SECRET_PROTECTOR, type SecretProtector } from '@tenantry/secrets';
import { setTimeout as sleep } from 'node:timers/promises';
import { POINT_OF_NO_RETURN, relocationOf, SwitchCancelled, TenantSwitchover, type LedgerBases } from '../switchover/tenant-switchover';
import { WORKER_OPTIONS, type WorkerOptions } from '../worker-settings';
import { SagaRunner, type SagaOutcome } from './saga-runner';
import { forGood, PermanentStepFailure, type SagaContext, type SagaStep } from './saga-step';

const POLL_MS = 100;
const PATH = 'path';
const LEDGERS = 'checksum_bases';
const SLOT_RETURNED = 'target_slot_returned';
// No retry helps: a full target pool, a database there that is no replica of the tenant's, a move the engine cannot make.
const REPLICA_REFUSALS = [AzureCapacityRefused, TenantDatabaseConflict, UnsupportedMove];
// Steps at or after which the tenant's writes may be frozen (a rollback thaws them).
const FROZEN_FROM = ['freeze', 'verify', POINT_OF_NO_RETURN];

type Path = 'online' | 'offline';

interface Ends {
  plan: MovePlan;
  source: TenantDatabaseTarget;
  target: TenantDatabaseTarget;
}

/** One replication's objects (publication, subscription, slot) per move operation: a resumed step finds them by name. */
function replicationName(operationId: string): string {
  return `tenantry_move_${operationId.replace(/-/g, '')}`;
}

/**
 * Moves a tenant's database to another pool. Within one server that is the registry's switch alone.
 * To another Azure SQL logical server: the engine's own replication (an active geo-secondary in the
 * target pool, seeded while the tenant writes on; see ArmDatabaseMoves for why that and not a copy),
 * then the same switchover, in which a planned failover stands for the copy's last changes and
 * check, and the link goes once routing has followed. To another PostgreSQL server: the target
 * database gets the tenant's schema (as the source has it, whatever its version) and login, then
 * the rows, kept in step by logical replication (online) or, where the source's wal_level is not
 * logical, copied while the tenant is frozen (offline); then the switchover: freeze, caught up and checked, switch, invalidation. Replication objects go before the
 * switch, so none is left to pin the source's WAL. Until the switch, a cancel or a failure rolls back:
 * replication and the target database dropped, writes thawed, the target pool's slot given back,
 * and the tenant serves from where it was all along.
 */
@Injectable()
export class MoveSaga {
  private readonly logger = new Logger(MoveSaga.name);
  readonly steps: SagaStep[] = [
    {
      name: 'prepare_target',
      run: (c) =>
        this.unlessCancelled(
          c,
          (ends) => this.prepareTarget(c, ends),
          (ends) => this.moveInPlace(ends),
        ),
    },
    { name: 'replicate', run: (c) => this.unlessCancelled(c, (ends) => this.replicate(c, ends)) },
    { name: 'initial_copy', run: (c) => this.unlessCancelled(c, (ends) => this.initialCopy(c, ends)) },
    { name: 'checksum_base', run: (c) => this.unlessCancelled(c, (ends) => this.checksumBase(c, ends)) },
    { name: 'catch_up', run: (c) => this.unlessCancelled(c, (ends) => this.catchUp(c, ends)) },
    { name: 'freeze', run: (c) => this.unlessCancelled(c, (ends) => this.freeze(ends)) },
    { name: 'verify', run: (c) => this.unlessCancelled(c, (ends) => this.verify(c, ends)) },
    { name: POINT_OF_NO_RETURN, run: (c) => this.switchTo(c) },
  ];

  constructor(
    private readonly runner: SagaRunner,
    private readonly registry: RegistryUnitOfWork,
    private readonly engines: EngineRegistry,
    private readonly switchover: TenantSwitchover,
    @Inject(SECRET_PROTECTOR) private readonly protector: SecretProtector,
    @Inject(WORKER_OPTIONS) private readonly options: WorkerOptions,
  ) {}

  run(operationId: string, maxAttempts: number): Promise<SagaOutcome> {
    return this.runner.run(operationId, this.steps, { maxAttempts, onFailed: (context) => this.rollBack(context) });
  }

  /** `work` for a move to another server; within one, `inPlace` (or nothing: there is no data to copy). */
  private async unlessCancelled(context: SagaContext, work: (ends: Ends) => Promise<unknown>, inPlace?: (ends: Ends) => Promise<unknown>): Promise<unknown> {
    await this.throwIfCancelled(context);
    const ends = this.endsOf(context);
    if (!withinOneServer(ends.plan)) return work(ends);
    return inPlace ? inPlace(ends) : 'one server: nothing to copy';
  }

  /**
   * Within one server the engine moves the database itself, if it has to: Azure SQL between elastic
   * pools (online; the tenant is served throughout), PostgreSQL not at all (a pool is the registry's
   * share of the server). The switch then only points the registry at the new pool.
   */
  private async moveInPlace(ends: Ends): Promise<string> {
    const { to } = await this.enginesOf(ends);
    await to.moveToPool(ends.source, ends.target.address);
    return `one server: in place into ${ends.plan.pool}`;
  }

  private async throwIfCancelled(context: SagaContext): Promise<void> {
    if (await this.registry.repositories.operations.cancelRequested(context.operation.id)) throw new SwitchCancelled('cancelled on request');
  }

  private endsOf(context: SagaContext): Ends {
    const plan = movePlanOf(context.operation);
    if (!context.database) throw new PermanentStepFailure(`tenant ${context.tenant.code} has no database to move`);
    const at = (end: MoveEnd): TenantDatabaseTarget => ({
      tenantId: context.tenant.id,
      tenantCode: context.tenant.code,
      address: end.address,
      databaseName: end.databaseName,
      loginName: context.database!.loginName,
    });
    return { plan, source: at(plan.from), target: at(plan.to) };
  }

  private async enginesOf(ends: Ends): Promise<{ from: TenantDatabaseEngine; to: TenantDatabaseEngine }> {
    const [from, to] = await Promise.all([this.engines.on(ends.source.address), this.engines.on(ends.target.address)]);
    return { from, to };
  }

  /** The engine's own replication where it moves a database between its servers that way (Azure SQL); undefined where the database is copied. */
  private async replicationOf(ends: Ends): Promise<ReplicationEngine | undefined> {
    return (await this.enginesOf(ends)).to.replication;
  }

  private pathOf(context: SagaContext): Path {
    const path = context.operation.checkpoints[PATH];
    if (path !== 'online' && path !== 'offline') throw new PermanentStepFailure(`operation ${context.operation.id} has not chosen how to copy`);
    return path;
  }

  /**
   * The engine's replica of the source; or the target database with the source's schema and the
   * tenant's login and password, then how the rows will go, kept for the steps after.
   */
  private async prepareTarget(context: SagaContext, ends: Ends): Promise<string> {
    const { from, to } = await this.enginesOf(ends);
    const replication = to.replication;
    if (replication) {
      // The tenant's contained user is inside the database: it comes with the replica, password and all.
      await forGood(() => replication.startReplica(ends.source, ends.target), REPLICA_REFUSALS);
      return 'replica: a geo-secondary in the target pool, seeding';
    }
    await to.createDatabase(ends.target);
    await relocationOf(to).copySchema(ends.source, relocationOf(from), ends.target);
    await to.ensureLogin(ends.target);
    const secret = context.database?.secret;
    if (!secret) throw new PermanentStepFailure(`tenant ${context.tenant.code} has no stored credentials to give its login on the target`);
    await to.setLoginPassword(ends.target, await this.protector.unprotect(secret, context.tenant.id));
    const path: Path = (await relocationOf(from).logicalReplicationAvailable()) ? 'online' : 'offline';
    await this.remember(context, PATH, path);
    return path === 'online' ? 'online: logical replication' : "offline: the source's wal_level is not logical, rows copied while frozen";
  }

  private async replicate(context: SagaContext, ends: Ends): Promise<string | void> {
    if (await this.replicationOf(ends)) return 'replica: replicated by the engine since prepare_target';
    if (this.pathOf(context) === 'offline') return 'offline';
    const { from, to } = await this.enginesOf(ends);
    const name = replicationName(context.operation.id);
    await relocationOf(from).publish(ends.source, name);
    await relocationOf(to).subscribe(ends.target, name, relocationOf(from), ends.source);
  }

  private async initialCopy(context: SagaContext, ends: Ends): Promise<string | void> {
    const replication = await this.replicationOf(ends);
    if (replication) {
      // Seeding copies the whole database: as long as the initial copy of a PostgreSQL move may take.
      await this.waitFor(context, this.options.moveCopyTimeoutMs, 'the seeding of the replica', () => this.caughtUp(replication, ends));
      return 'replica: seeded';
    }
    if (this.pathOf(context) === 'offline') return 'offline';
    const { to } = await this.enginesOf(ends);
    const name = replicationName(context.operation.id);
    await this.waitFor(context, this.options.moveCopyTimeoutMs, 'the initial copy', () => relocationOf(to).initialCopyDone(ends.target, name));
  }

  /**
   * Both databases start a checksum ledger, then each side's every row is read once, while the
   * tenant is served: the freeze's check then reads only what was written since. Run again after a
   * crash, it reads again (the ledger stays; a base not saved is no base).
   */
  private async checksumBase(context: SagaContext, ends: Ends): Promise<string> {
    if (await this.replicationOf(ends)) return 'replica: the engine checks its own copy';
    if (this.pathOf(context) === 'offline') return 'offline: every row is compared while frozen';
    const { from, to } = await this.enginesOf(ends);
    await Promise.all([relocationOf(from).startLedger(ends.source), relocationOf(to).startLedger(ends.target)]);
    const [source, target] = await Promise.all([relocationOf(from).ledgerBase(ends.source), relocationOf(to).ledgerBase(ends.target)]);
    const bases: LedgerBases = { source, target };
    await this.remember(context, LEDGERS, JSON.stringify(bases));
    return `ledger: ${source.tables.length} tables read in full while served`;
  }

  /** A checkpoint for the steps after this one, in this run (the context) and after a crash (the row). */
  private async remember(context: SagaContext, key: string, value: string): Promise<void> {
    await this.registry.repositories.operations.saveCheckpoint(context.operation.id, key, value);
    context.operation.checkpoints = { ...context.operation.checkpoints, [key]: value };
  }

  private ledgersOf(context: SagaContext): LedgerBases | undefined {
    const saved = context.operation.checkpoints[LEDGERS];
    return saved ? (JSON.parse(saved) as LedgerBases) : undefined;
  }

  private caughtUp(replication: ReplicationEngine, ends: Ends): Promise<boolean> {
    return forGood(() => replication.replicaCaughtUp(ends.source, ends.target), REPLICA_REFUSALS);
  }

  /** Close enough behind that the freeze waits for little. */
  private async catchUp(context: SagaContext, ends: Ends): Promise<string | void> {
    const replication = await this.replicationOf(ends);
    if (replication) {
      // Caught up means kept in step from then on; this only checks that the link is still there and so.
      await this.waitFor(context, this.options.moveCopyTimeoutMs, 'the catch-up of the replica', () => this.caughtUp(replication, ends));
      return 'replica: kept in step';
    }
    if (this.pathOf(context) === 'offline') return 'offline';
    const { from } = await this.enginesOf(ends);
    const name = replicationName(context.operation.id);
    await this.waitFor(context, this.options.moveCopyTimeoutMs, 'the catch-up', async () => {
      const lag = await relocationOf(from).replicationLag(name);
      if (lag === null) throw new PermanentStepFailure(`replication slot ${name} is gone from the source`);
      return lag <= this.options.moveFreezeLagBytes;
    });
  }

  /**
   * With the engine's replication only the registry freezes writes: the database refuses them by
   * itself at the failover (the source becomes the read-only secondary), and a write that reaches it
   * before is not lost (the planned failover synchronizes fully first). Freezing in the registry
   * turns the failover's refusals into 503s with Retry-After until routing follows.
   */
  private async freeze(ends: Ends): Promise<void> {
    if (await this.replicationOf(ends)) return this.switchover.freezeRoute(ends.source);
    await this.switchover.freeze(ends.source);
  }

  /**
   * Frozen: the copy gets the last of the source's changes (or, offline, all its rows), then must
   * agree with it table by table; the replication goes. Any failure here rolls back at once rather
   * than being retried, so the tenant's writes are never held through a backoff.
   */
  private async verify(context: SagaContext, ends: Ends): Promise<string> {
    const { from, to } = await this.enginesOf(ends);
    const name = replicationName(context.operation.id);
    try {
      if (to.replication) {
        await to.replication.promoteReplica(ends.source, ends.target);
        return 'replica: promoted by a planned failover (fully synchronized before the roles switched)';
      }
      const deadline = Date.now() + this.options.moveFreezeTimeoutMs;
      if (this.pathOf(context) === 'offline') {
        await relocationOf(to).copyData(ends.source, relocationOf(from), ends.target);
      } else {
        const position = await relocationOf(from).currentPosition();
        // The rows are compared next, so having received the last change is enough to go on.
        await this.waitFor(
          context,
          this.options.moveFreezeTimeoutMs,
          'the last changes',
          async () => (await relocationOf(to).receivedTo(ends.target, name, position)) || relocationOf(from).replicatedTo(name, position),
        );
      }
      const agreed = await this.switchover.verify(ends.source, ends.target, Math.max(0, deadline - Date.now()), this.ledgersOf(context));
      await relocationOf(to).dropSubscription(ends.target, name);
      await relocationOf(from).dropPublication(ends.source, name);
      return agreed;
    } catch (error) {
      if (error instanceof PermanentStepFailure) throw error;
      throw new PermanentStepFailure(`while frozen: ${(error as Error).message}`);
    }
  }

  /**
   * The switchover's switch; then, for a replica, the replication ended (the retired source a
   * database of its own, dropped after the retention like any other). A failure of the latter is
   * tried again with the step: the switch itself is done once.
   */
  private async switchTo(context: SagaContext): Promise<string | void> {
    const plan = movePlanOf(context.operation);
    await this.switchover.switchTo(context.tenant, context.operation, plan.to);
    if (withinOneServer(plan)) return;
    const ends = this.endsOf(context);
    const replication = await this.replicationOf(ends);
    if (!replication) {
      // After the switch, not while frozen: dropping a trigger waits for the table's lock, which a
      // vacuum of the freshly copied rows may hold. Until then each of the tenant's writes costs a
      // row in the ledger; a failure here is tried again with the step, the switch done once.
      const { to } = await this.enginesOf(ends);
      await relocationOf(to).dropLedger(ends.target);
      return this.dropRetiredLedger(ends);
    }
    await replication.endReplication(ends.source, ends.target);
    return 'replica: replication ended, the source retired';
  }

  /** Polls `done` until true; a cancel or the hang guard `timeoutMs` ends the wait. */
  private async waitFor(context: SagaContext, timeoutMs: number, what: string, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let checkedCancel = Date.now();
    while (!(await done())) {
      if (Date.now() >= deadline) throw new PermanentStepFailure(`${what} did not finish within ${timeoutMs} ms`);
      if (Date.now() - checkedCancel >= 1_000) {
        await this.throwIfCancelled(context);
        checkedCancel = Date.now();
      }
      await sleep(POLL_MS);
    }
  }

  /**
   * Before the switch: replication dropped on both sides (the source's slot first of all: a target
   * that cannot be reached does not keep it), writes thawed, the target's database and login dropped,
   * its pool's slot given back once. Throws while the source cannot be reached, so the operation is
   * tried again rather than left failed with the tenant frozen. After the switch there is nothing to undo.
   */
  private async rollBack(context: SagaContext): Promise<void> {
    const r = this.registry.repositories;
    const operation = (await r.operations.findById(context.operation.id)) ?? context.operation;
    if (operation.checkpoints[POINT_OF_NO_RETURN]) return;
    const ends = this.endsOf(context);
    const replication = withinOneServer(ends.plan) ? undefined : await this.replicationOf(ends);
    const reached = [...operation.completedSteps.map((done) => done.step), operation.step ?? ''];
    if (replication) {
      await this.rollBackReplica(context, replication, ends, reached);
    } else if (!withinOneServer(ends.plan)) {
      const { from, to } = await this.enginesOf(ends);
      const name = replicationName(operation.id);
      await this.bestEffort(ends, 'dropping the subscription', () => relocationOf(to).dropSubscription(ends.target, name));
      await relocationOf(from).dropPublication(ends.source, name);
      await relocationOf(from).dropLedger(ends.source);
      if (reached.some((step) => FROZEN_FROM.includes(step)) || (await r.databases.findByTenant(context.tenant.id))?.writesFrozenAt) {
        await this.switchover.thaw(ends.source);
      }
      await this.bestEffort(ends, 'dropping the target database', async () => {
        await to.dropDatabase(ends.target);
        await to.dropLogin(ends.target);
      });
    } else {
      // Back to the pool the registry still names (routing does not depend on it: the server is the same).
      const { from } = await this.enginesOf(ends);
      await this.bestEffort(ends, 'moving the database back to its pool', () => from.moveToPool(ends.target, ends.source.address));
    }
    await this.registry.transaction(async (tx) => {
      const fresh = await tx.operations.findById(operation.id);
      if (fresh?.checkpoints[SLOT_RETURNED]) return;
      await tx.pools.releaseExtra(ends.plan.to.poolId);
      await tx.operations.saveCheckpoint(operation.id, SLOT_RETURNED, 'yes');
    });
  }

  /**
   * A replica's move undone: the source made primary again if the failover may have happened (before
   * the thaw, or the tenant would write to a read-only secondary), writes thawed, the replica dropped
   * (its link goes with it; one left behind only costs, the source serves alone either way).
   */
  private async rollBackReplica(context: SagaContext, replication: ReplicationEngine, ends: Ends, reached: string[]): Promise<void> {
    if (reached.includes('verify')) await replication.failBack(ends.source, ends.target);
    if ((await this.registry.repositories.databases.findByTenant(context.tenant.id))?.writesFrozenAt) await this.switchover.thawRoute(ends.source);
    const { to } = await this.enginesOf(ends);
    await this.bestEffort(ends, 'dropping the replica', () => to.dropDatabase(ends.target));
  }

  /** Best effort: the retired source takes no writes, and its ledger goes with it at the end of its retention anyway. */
  private async dropRetiredLedger(ends: Ends): Promise<void> {
    try {
      const { from } = await this.enginesOf(ends);
      await relocationOf(from).dropLedger(ends.source);
    } catch (error) {
      this.logger.warn({ tenant_id: ends.source.tenantId, err: error }, 'the retired source keeps its checksum ledger until it is dropped');
    }
  }

  /** What the target's side may leave behind when it cannot be reached: logged, never in the way of the tenant's return to its source. */
  private async bestEffort(ends: Ends, what: string, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.logger.warn({ tenant_id: ends.source.tenantId, err: error }, `rolling back a move: ${what} on ${ends.target.address.host}:${ends.target.address.port} failed`);
    }
  }
}

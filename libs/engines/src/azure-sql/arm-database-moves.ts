import type { ReplicationLink } from '@azure/arm-sql';
import type { PoolAddress } from '@tenantry/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { UnsupportedMove, TenantDatabaseConflict, TenantDatabaseNotReady } from '../engine-errors';
import type { ReplicationEngine, TenantDatabaseTarget } from '../tenant-database-engine';
import { type ArmDatabases, databaseResourceId, elasticPoolOf, refuseForWantOfRoom } from './arm-databases';
import { type ElasticPoolRef, parseElasticPoolId, sameResourceId } from './elastic-pool';

const sameServer = (a: ElasticPoolRef, b: ElasticPoolRef) =>
  a.subscriptionId.toLowerCase() === b.subscriptionId.toLowerCase() && a.resourceGroup.toLowerCase() === b.resourceGroup.toLowerCase() && a.server === b.server;

/**
 * Moving a tenant database between elastic pools, through ARM.
 *
 * Within one logical server, Azure moves it online: an update of the database's elasticPoolId
 * (Databases - Update). The database serves from its old compute until Azure switches connections
 * to the new one, when it is unavailable "generally for less than 30 seconds and often for only a
 * few seconds"; no data is lost. https://learn.microsoft.com/azure/azure-sql/database/single-database-scale
 * ("Impact", and "Latency" for moving a database into, out of or between elastic pools).
 *
 * To another logical server, active geo-replication: Microsoft names "Database migration: You can
 * use active geo-replication to migrate a database from one server to another with minimum downtime"
 * (https://learn.microsoft.com/azure/azure-sql/database/active-geo-replication-overview). The
 * geo-secondary is seeded and kept in sync while the source serves; a planned failover ("full data
 * synchronization" before the roles switch, no data lost) is the only interruption; then the link is
 * removed and both databases stand alone. A copy (createMode Copy) would be transactionally
 * consistent only as of the end of the copy, so the tenant would have to stop writing for the whole
 * copy (minutes to hours) instead of for the failover.
 */
export class ArmDatabaseMoves implements ReplicationEngine {
  constructor(private readonly arm: ArmDatabases) {}

  /**
   * PATCHes the database's elasticPoolId and follows the operation (the SDK's poller, through the
   * engine's pipeline: pacer, retries, API version); the database serves from its old pool until
   * Azure switches it. A full target pool is AzureCapacityRefused, which no retry passes.
   */
  async moveToPool(target: TenantDatabaseTarget, to: PoolAddress): Promise<void> {
    const from = parseElasticPoolId(elasticPoolOf(target).id);
    const toPool = to.elasticPoolId;
    if (!toPool || !sameServer(from, parseElasticPoolId(toPool))) {
      throw new UnsupportedMove(
        `database ${target.databaseName} cannot move in place from ${from.server} to ${toPool ?? `${to.host}:${to.port}`}: only elastic pools of one logical server share it (another server takes a geo-replica)`,
        { databaseName: target.databaseName },
      );
    }
    const database = await this.arm.find(target);
    if (!database) throw new TenantDatabaseNotReady(`database ${target.databaseName} does not exist on server ${from.server}`, { databaseName: target.databaseName });
    if (database.elasticPoolId && sameResourceId(database.elasticPoolId, toPool)) return;
    let moved;
    try {
      moved = await this.arm
        .client(from)
        .databases.beginUpdateAndWait(from.resourceGroup, from.server, target.databaseName, { elasticPoolId: toPool }, { updateIntervalInMs: this.arm.pollIntervalMs });
    } catch (error) {
      refuseForWantOfRoom(target, toPool, error);
      throw error;
    }
    if (!moved.elasticPoolId || !sameResourceId(moved.elasticPoolId, toPool)) {
      throw new TenantDatabaseNotReady(`Azure ended the move of ${target.databaseName} with it in ${moved.elasticPoolId ?? 'no elastic pool'}, not ${toPool}`, {
        databaseName: target.databaseName,
      });
    }
  }

  /** The geo-secondary, then its link polled until it has caught up (SEEDING → CATCH_UP). */
  async startReplica(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void> {
    this.assertOtherServer(source, replica);
    await this.arm.createSecondary(replica, source);
    const deadline = Date.now() + this.arm.readyTimeoutMs;
    for (;;) {
      const link = await this.linkTo(source, replica);
      if (!link) {
        throw new TenantDatabaseConflict(`database ${replica.databaseName} on the target server is not a geo-replica of ${databaseResourceId(source)}; it is not taken`, {
          databaseName: replica.databaseName,
        });
      }
      if (link.role === 'Primary' || link.replicationState === 'CATCH_UP') return;
      if (Date.now() >= deadline) {
        throw new TenantDatabaseNotReady(
          `the geo-replica of ${replica.databaseName} is still ${link.replicationState} (${link.percentComplete ?? 0}%); the step is tried again later`,
          {
            databaseName: replica.databaseName,
            replicationState: link.replicationState,
          },
        );
      }
      await sleep(this.arm.pollIntervalMs);
    }
  }

  /**
   * A planned failover called on the replica (ReplicationLinks - Failover), unless an earlier attempt
   * made it primary already, then the link deleted (ReplicationLinks - Delete). No link left means an
   * earlier attempt did both.
   */
  async promoteReplica(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void> {
    this.assertOtherServer(source, replica);
    const link = await this.linkTo(source, replica);
    if (!link?.name) return;
    const pool = parseElasticPoolId(elasticPoolOf(replica).id);
    const links = this.arm.client(pool).replicationLinks;
    const options = { updateIntervalInMs: this.arm.pollIntervalMs };
    if (link.role !== 'Primary') await links.beginFailoverAndWait(pool.resourceGroup, pool.server, replica.databaseName, link.name, options);
    await links.beginDeleteAndWait(pool.resourceGroup, pool.server, replica.databaseName, link.name, options);
  }

  /**
   * The replica's link to the source, as the replica sees it; undefined when it has none. The SDK's
   * model has no partnerDatabaseId, so the partner is known by its server and database names (a
   * logical server's name is unique in Azure: it is its DNS name).
   */
  private async linkTo(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<ReplicationLink | undefined> {
    const pool = parseElasticPoolId(elasticPoolOf(replica).id);
    const sourceServer = parseElasticPoolId(elasticPoolOf(source).id).server;
    for await (const link of this.arm.client(pool).replicationLinks.listByDatabase(pool.resourceGroup, pool.server, replica.databaseName)) {
      if (link.partnerServer?.toLowerCase() === sourceServer && link.partnerDatabase?.toLowerCase() === source.databaseName.toLowerCase()) return link;
    }
    return undefined;
  }

  private assertOtherServer(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): void {
    if (sameServer(parseElasticPoolId(elasticPoolOf(source).id), parseElasticPoolId(elasticPoolOf(replica).id))) {
      throw new UnsupportedMove(`database ${source.databaseName} and its replica would share a logical server: move it between pools there in place`, {
        databaseName: source.databaseName,
      });
    }
  }
}

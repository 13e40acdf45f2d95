import type { ReplicationLink } from '@azure/arm-sql';
import type { PoolAddress } from '@tenantry/common';
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
 * copy (minutes to hours) instead of for the failover. A failover group moves a whole group behind a
 * listener, not one tenant's database between pools; a forced failover may lose the last writes.
 * Calls as spec ReplicationLinks.json (2025-01-01) has them: ListByDatabase, Failover, Delete.
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

  /**
   * The geo-secondary (or the one an earlier attempt made), and its link to the source, which must
   * exist: a database of the tenant's name there that is no replica of the source is not taken.
   * Seeding goes on after this returns (replicaCaughtUp); it takes as long as the data does.
   */
  async startReplica(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void> {
    this.assertOtherServer(source, replica);
    await this.arm.createSecondary(replica, source);
    await this.requireLink(source, replica);
  }

  /** Seeded and kept in step (SEEDING → CATCH_UP), or already promoted. */
  async replicaCaughtUp(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<boolean> {
    const link = await this.requireLink(source, replica);
    return link.role === 'Primary' || link.replicationState === 'CATCH_UP';
  }

  /**
   * A planned failover called on the replica (ReplicationLinks - Failover: full synchronization, then
   * the roles switch; the source is the link's read-only secondary from then on), unless an earlier
   * attempt made it primary already. The link stays until endReplication.
   */
  async promoteReplica(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void> {
    this.assertOtherServer(source, replica);
    const link = await this.requireLink(source, replica);
    if (link.role !== 'Primary') await this.failOverTo(replica, link.name);
  }

  /**
   * Undoes promoteReplica before routing followed it: a planned failover back, called on the source,
   * when the replica is the primary; nothing when it is not, or when there is no link (no replica).
   */
  async failBack(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void> {
    this.assertOtherServer(source, replica);
    const back = await this.linkTo(replica, source);
    if (back?.name && back.role === 'Secondary') await this.failOverTo(source, back.name);
  }

  /** ReplicationLinks - Failover, called on the database that is to become the primary (the link's secondary). */
  private async failOverTo(database: TenantDatabaseTarget, linkName: string): Promise<void> {
    const pool = parseElasticPoolId(elasticPoolOf(database).id);
    await this.arm
      .client(pool)
      .replicationLinks.beginFailoverAndWait(pool.resourceGroup, pool.server, database.databaseName, linkName, { updateIntervalInMs: this.arm.pollIntervalMs });
  }

  /** The link deleted (ReplicationLinks - Delete), so that both databases stand alone; no link left means an earlier attempt did it. */
  async endReplication(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<void> {
    this.assertOtherServer(source, replica);
    const link = await this.linkTo(source, replica);
    if (!link?.name) return;
    const pool = parseElasticPoolId(elasticPoolOf(replica).id);
    await this.arm
      .client(pool)
      .replicationLinks.beginDeleteAndWait(pool.resourceGroup, pool.server, replica.databaseName, link.name, { updateIntervalInMs: this.arm.pollIntervalMs });
  }

  private async requireLink(source: TenantDatabaseTarget, replica: TenantDatabaseTarget): Promise<ReplicationLink & { name: string }> {
    const link = await this.linkTo(source, replica);
    if (!link?.name) {
      throw new TenantDatabaseConflict(`database ${replica.databaseName} on the target server is not a geo-replica of ${databaseResourceId(source)}; it is not taken`, {
        databaseName: replica.databaseName,
      });
    }
    return { ...link, name: link.name };
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
    // A plain SQL Server (docker-compose's) has no ARM and no geo-replication.
    if (!source.address.elasticPoolId || !replica.address.elasticPoolId) {
      throw new UnsupportedMove(`database ${source.databaseName} can move to another server as a geo-replica on Azure SQL only: both ends need an elastic pool`, {
        databaseName: source.databaseName,
      });
    }
    if (sameServer(parseElasticPoolId(elasticPoolOf(source).id), parseElasticPoolId(elasticPoolOf(replica).id))) {
      throw new UnsupportedMove(`database ${source.databaseName} and its replica would share a logical server: move it between pools there in place`, {
        databaseName: source.databaseName,
      });
    }
  }
}

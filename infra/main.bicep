// Tenantry on Azure, in one resource group: a virtual network with private endpoints for every
// data service (SQL server with elastic pools, PostgreSQL for the registry, Azure Managed Redis,
// Key Vault, the storage account offboarding exports go to), a Container Apps environment in that
// network running the admin API, the provisioning worker (scaled by KEDA on the whole BullMQ
// backlog, zero replicas at idle), the migration runner as a scheduled job, and one managed
// identity per trust level.
// Deploy: az deployment group create -g <group> -f infra/main.bicep -p infra/parameters/<env>.bicepparam

targetScope = 'resourceGroup'

import { elasticPoolSpec, entraPrincipal } from 'modules/shared.bicep'

@description('Environment name; also the suffix of tenant database names (TENANTRY_ENV: 1-12 lowercase letters or digits).')
@minLength(1)
@maxLength(12)
param environmentName string

param location string = resourceGroup().location

@description('Prefix of resource names; short enough for Container Apps names (32 characters).')
@maxLength(16)
param namePrefix string = 'tenantry-${environmentName}'

param tags object = {}

@description('Existing Azure Container Registry in this resource group that holds the Tenantry image.')
param containerRegistryName string

param imageRepository string = 'tenantry'

@description('Tag of the image built from infra/Dockerfile (one image, a command per process).')
param imageTag string

param vnetAddressPrefix string = '10.40.0.0/16'
param appsSubnetPrefix string = '10.40.0.0/23'
param privateEndpointsSubnetPrefix string = '10.40.2.0/24'

@description('true: the Container Apps environment has only a private address; the admin API is then reached from the virtual network.')
param internalEnvironment bool = false

@description('CIDR ranges allowed to call the admin API; empty allows every address (every call still needs a platform-admin token).')
param adminApiAllowedIpRanges string[] = []

@description('Spread the Container Apps environment, PostgreSQL standby and pools over availability zones.')
param zoneRedundant bool = false

@description('Elastic pools for tenant databases; each is registered afterwards with PUT /pools/:name (see the elasticPools output).')
param elasticPools elasticPoolSpec[]

@description('Entra administrator of the SQL server; by default the control-plane identity. A group must contain the control-plane identity (it signs in to SQL, and the server exports with it).')
param sqlEntraAdministrator entraPrincipal?

// No Entra-only option: tenants' users are contained users with passwords (the processes refuse
// Entra tenant users), so the server always accepts SQL authentication and Azure then requires this.
param sqlAdministratorLogin string = 'tenantry_sql_admin'

@description('Stored in Key Vault as sql-administrator-password (break-glass only; no process uses it).')
@secure()
param sqlAdministratorPassword string

param adminDatabaseSkuName string = 'Standard_B1ms'

@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param adminDatabaseSkuTier string = 'Burstable'

param adminDatabaseStorageGB int = 32
param adminDatabaseLogin string = 'tenantry'

@secure()
param adminDatabasePassword string

@description('Name of the registry database (ADMIN_DB_NAME keeps its default).')
param adminDatabaseName string = 'tenantry_admin'

param redisSkuName string = 'Balanced_B1'
param redisHighAvailability bool = true

param keyVaultPurgeProtection bool = true

@description('Days a deleted vault keeps its name (7-90, fixed at creation).')
param keyVaultSoftDeleteRetentionDays int = 90

@description('Change it to redeploy after deleting a deployment: its vault stays soft-deleted, and its name taken, for keyVaultSoftDeleteRetentionDays. Empty: the original name.')
param keyVaultGeneration string = ''

@description('premium keeps the key that wraps tenant secrets\' data keys in an HSM (RSA-HSM, 2,000 operations per 10 s per vault); standard in software (RSA, 4,000).')
@allowed(['standard', 'premium'])
param keyVaultSku string = 'standard'

@description('The Key Vault key that wraps tenant secrets\' data keys (KEY_VAULT_KEY_NAME).')
param keyVaultKeyName string = 'tenantry-secrets'

param logRetentionDays int = 30

@description('Keycloak realm URL, <base>/realms/<realm> (AUTH_ISSUER).')
param authIssuer string

@description('Accepted azp clients (AUTH_CLIENTS). This or authAudiences must name one: the processes refuse to start without.')
param authClients string[] = []

@description('Accepted aud values (AUTH_AUDIENCES).')
param authAudiences string[] = []

@allowed(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
param logLevel string = 'info'

@description('BullMQ key prefix (QUEUE_PREFIX); the worker\'s scale rules watch lists under it.')
param queuePrefix string = 'tenantry'

@description('Jobs one worker replica runs at once (WORKER_CONCURRENCY); also the queue depth per replica the scaler aims at.')
@minValue(1)
@maxValue(64)
param workerConcurrency int = 4

param workerMaxReplicas int = 5
param adminApiMinReplicas int = 1
param adminApiMaxReplicas int = 3

@description('Serves the Bull Board page at /queues (BULL_BOARD_PASSWORD, at least 12 characters); empty: no page.')
@secure()
param bullBoardPassword string = ''

@description('UTC cron of the fleet migration job.')
param migrationSchedule string = '0 3 * * *'

@description('Extra arguments of the scheduled migration run, e.g. ["--concurrency", "16", "--canary", "5%"].')
param migrationArgs string[] = []

@description('Also deploy apps/sample-business-api (an example business service).')
param deploySampleBusinessApi bool = false

var suffix = take(uniqueString(resourceGroup().id, namePrefix), 6)
var compactPrefix = toLower(replace(namePrefix, '-', ''))
// "You can't reuse the name of a key vault that was soft-deleted, until the retention period expires"
// (learn: key-vault/general/soft-delete-overview): a new generation is a new name.
var keyVaultSuffix = empty(keyVaultGeneration) ? suffix : take(uniqueString(resourceGroup().id, namePrefix, keyVaultGeneration), 6)
var image = '${registryAccess.outputs.loginServer}/${imageRepository}:${imageTag}'

// libs/common/src/jobs/tenant-jobs.ts: TENANT_OPERATIONS_QUEUE. BullMQ 5 keeps a queue's backlog
// under <prefix>:<queue>: waiting jobs in the list :wait, prioritized ones in the sorted set
// :prioritized, retries and delayed jobs in the sorted set :delayed (installed
// bullmq/dist/cjs/commands/includes/addJobWithPriority.lua, addDelayedJob.lua), running ones in the
// list :active.
var tenantOperationsQueue = 'tenant-operations'
var backlogKeys = ['wait', 'prioritized', 'delayed', 'active']

// The worker's longest steps: an ARM operation followed to its end (a database create took ~53 s in
// Azure's own recording), a tenant migration. Given the most Container Apps allows, a stopping
// replica finishes them; what outlasts the bound (a long export, a long migration statement) is
// released to another replica, which resumes it (steps are idempotent and checkpointed).
var workerTerminationGraceSeconds = 600
var workerShutdownTimeoutMs = (workerTerminationGraceSeconds - 30) * 1000

module network 'modules/network.bicep' = {
  name: 'network'
  params: {
    name: 'vnet-${namePrefix}'
    location: location
    tags: tags
    addressPrefix: vnetAddressPrefix
    appsSubnetPrefix: appsSubnetPrefix
    privateEndpointsSubnetPrefix: privateEndpointsSubnetPrefix
  }
}

module identities 'modules/identities.bicep' = {
  name: 'identities'
  params: {
    namePrefix: namePrefix
    location: location
    tags: tags
  }
}

module registryAccess 'modules/registry-access.bicep' = {
  name: 'registry-access'
  params: {
    registryName: containerRegistryName
    principalIds: [
      identities.outputs.controlPlane.principalId
      identities.outputs.adminApi.principalId
      identities.outputs.businessApi.principalId
    ]
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: take('kv${compactPrefix}${keyVaultSuffix}', 24)
    location: location
    tags: tags
    secretsOfficerPrincipalIds: [identities.outputs.controlPlane.principalId]
    // Business services keep Secrets User for their own settings (Key Vault references) and for tenant
    // secrets written one per tenant (kv:) before the envelope format, until no registry row holds one.
    secretsUserPrincipalIds: [identities.outputs.adminApi.principalId, identities.outputs.businessApi.principalId]
    // The worker wraps new data keys and unwraps them (credential rotation); business services unwrap them.
    cryptoPrincipalIds: [identities.outputs.controlPlane.principalId, identities.outputs.businessApi.principalId]
    sku: keyVaultSku
    wrappingKeyName: keyVaultKeyName
    purgeProtection: keyVaultPurgeProtection
    softDeleteRetentionDays: keyVaultSoftDeleteRetentionDays
    privateEndpointsSubnetId: network.outputs.privateEndpointsSubnetId
    vnetId: network.outputs.id
  }
}

module sql 'modules/sql.bicep' = {
  name: 'sql'
  params: {
    serverName: 'sql-${namePrefix}-${suffix}'
    location: location
    tags: tags
    entraAdministrator: sqlEntraAdministrator ?? {
      login: identities.outputs.controlPlane.name
      objectId: identities.outputs.controlPlane.principalId
      principalType: 'Application'
    }
    // The control plane's identity is also the server's: Import/Export with a managed identity needs
    // the server's user-assigned identity to be its Entra administrator (or in the admin group).
    serverIdentityId: identities.outputs.controlPlane.id
    sqlAdministratorLogin: sqlAdministratorLogin
    sqlAdministratorPassword: sqlAdministratorPassword
    elasticPools: elasticPools
    zoneRedundant: zoneRedundant
    databaseManagerPrincipalId: identities.outputs.controlPlane.principalId
    keyVaultName: keyVault.outputs.name
    privateEndpointsSubnetId: network.outputs.privateEndpointsSubnetId
    vnetId: network.outputs.id
  }
}

module exportStorage 'modules/export-storage.bicep' = {
  name: 'export-storage'
  params: {
    name: take('st${compactPrefix}${suffix}', 24)
    location: location
    tags: tags
    zoneRedundant: zoneRedundant
    writerPrincipalId: identities.outputs.controlPlane.principalId
    approverPrincipalId: identities.outputs.controlPlane.principalId
    privateEndpointsSubnetId: network.outputs.privateEndpointsSubnetId
    vnetId: network.outputs.id
  }
}

module adminDatabase 'modules/admin-database.bicep' = {
  name: 'admin-database'
  params: {
    serverName: 'psql-${namePrefix}-${suffix}'
    location: location
    tags: tags
    skuName: adminDatabaseSkuName
    skuTier: adminDatabaseSkuTier
    storageSizeGB: adminDatabaseStorageGB
    highAvailability: zoneRedundant && adminDatabaseSkuTier != 'Burstable'
    administratorLogin: adminDatabaseLogin
    administratorPassword: adminDatabasePassword
    databaseName: adminDatabaseName
    keyVaultName: keyVault.outputs.name
    privateEndpointsSubnetId: network.outputs.privateEndpointsSubnetId
    vnetId: network.outputs.id
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  params: {
    name: 'redis-${namePrefix}-${suffix}'
    location: location
    tags: tags
    skuName: redisSkuName
    highAvailability: redisHighAvailability
    keyVaultName: keyVault.outputs.name
    privateEndpointsSubnetId: network.outputs.privateEndpointsSubnetId
    vnetId: network.outputs.id
  }
}

module appsEnvironment 'modules/container-apps-environment.bicep' = {
  name: 'container-apps-environment'
  params: {
    name: 'cae-${namePrefix}'
    location: location
    tags: tags
    infrastructureSubnetId: network.outputs.appsSubnetId
    internal: internalEnvironment
    zoneRedundant: zoneRedundant
    logRetentionDays: logRetentionDays
  }
}

// What every process reads (README, "Configuration"). Secrets come from Key Vault references.
var commonEnv = [
  { name: 'TENANTRY_ENV', value: environmentName }
  // Production refuses to start unless AUTH_CLIENTS or AUTH_AUDIENCES names what a token must carry.
  { name: 'TENANTRY_MODE', value: 'production' }
  { name: 'LOG_LEVEL', value: logLevel }
  { name: 'DATABASE_URL', secretRef: 'database-url' }
  { name: 'ADMIN_DB_NAME', value: adminDatabaseName }
  { name: 'REDIS_URL', secretRef: 'redis-url' }
  { name: 'QUEUE_PREFIX', value: queuePrefix }
  { name: 'SECRETS_PROVIDER', value: 'key-vault' }
  { name: 'KEY_VAULT_URL', value: keyVault.outputs.uri }
  { name: 'KEY_VAULT_KEY_NAME', value: keyVault.outputs.wrappingKeyName }
  { name: 'AUTH_ISSUER', value: authIssuer }
  { name: 'AUTH_CLIENTS', value: join(authClients, ',') }
  { name: 'AUTH_AUDIENCES', value: join(authAudiences, ',') }
  // The PostgreSQL server here holds the registry only: tenants go to the elastic pools.
  { name: 'TENANT_PG_POOL_REGISTER', value: 'false' }
]
var baseSecrets = ['database-url', 'redis-url']

// The control plane drives the azure-sql engine: ARM and SQL with the identity's Entra tokens (it
// is, or belongs to, the server's Entra administrator); tenants get contained users with passwords.
var controlPlaneEnv = concat(commonEnv, [
  { name: 'AZURE_CLIENT_ID', value: identities.outputs.controlPlane.clientId }
  { name: 'AZURE_SQL_AUTH', value: 'entra' }
])

// Offboarding exports, made by the worker: the server's identity (the control plane's) signs in and
// writes the blob, through private endpoints the worker approves (README, "Azure SQL").
var exportEnv = [
  { name: 'AZURE_SQL_EXPORT_URL', value: exportStorage.outputs.containerUrl }
  { name: 'AZURE_SQL_EXPORT_IDENTITY', value: identities.outputs.controlPlane.id }
  { name: 'AZURE_SQL_EXPORT_STORAGE_ACCOUNT_ID', value: exportStorage.outputs.id }
]

// KEDA's redis scaler on one key of the backlog: it counts a list with LLEN and a sorted set with
// ZCARD (kedacore/keda pkg/scalers/redis_scaler.go getRedisListLength, since v2.0: kedacore/keda#1013),
// a replica per `perReplica` entries. Several rules: the replica count is the largest any asks for
// (learn: container-apps/scale-app), so every part of the backlog starts and keeps replicas.
func redisBacklogScaleRule(key string, address string, perReplica int) object => {
  name: 'operations-${last(split(key, ':'))}'
  custom: {
    type: 'redis'
    metadata: {
      address: address
      listName: key
      listLength: string(perReplica)
      enableTLS: 'true'
    }
    auth: [
      {
        secretRef: 'redis-password'
        triggerParameter: 'password'
      }
    ]
  }
}

// The reconciler runs inside the worker: waking it ten minutes an hour lets it re-enqueue
// operations the queue lost even when nobody enqueues anything.
var reconcilerScaleRule = {
  name: 'reconciler-window'
  custom: {
    type: 'cron'
    metadata: {
      timezone: 'Etc/UTC'
      start: '0 * * * *'
      end: '10 * * * *'
      desiredReplicas: '1'
    }
  }
}

module worker 'modules/container-app.bicep' = {
  name: 'provisioning-worker'
  params: {
    name: '${namePrefix}-worker'
    location: location
    tags: tags
    environmentId: appsEnvironment.outputs.id
    identityId: identities.outputs.controlPlane.id
    registryServer: registryAccess.outputs.loginServer
    image: image
    command: ['node', 'dist/apps/provisioning-worker/src/main.js']
    env: concat(controlPlaneEnv, exportEnv, [
      { name: 'WORKER_CONCURRENCY', value: string(workerConcurrency) }
      // The template and the warm pool are PostgreSQL fast paths; here PostgreSQL is the registry.
      { name: 'TEMPLATE_ENABLED', value: 'false' }
      { name: 'WARM_POOL_SIZE', value: '0' }
      // Within the grace period, with room for closing pools and connections after the jobs.
      { name: 'SHUTDOWN_TIMEOUT_MS', value: string(workerShutdownTimeoutMs) }
    ])
    keyVaultSecretNames: concat(baseSecrets, ['redis-password'])
    keyVaultUri: keyVault.outputs.uri
    probes: [
      {
        type: 'Liveness'
        httpGet: {
          path: '/metrics'
          port: 9464
        }
        initialDelaySeconds: 15
        periodSeconds: 30
      }
    ]
    minReplicas: 0
    maxReplicas: workerMaxReplicas
    terminationGracePeriodSeconds: workerTerminationGraceSeconds
    // Waiting, prioritized and delayed jobs (retries included) start replicas; running ones keep them.
    scaleRules: concat(
      map(backlogKeys, key => redisBacklogScaleRule('${queuePrefix}:${tenantOperationsQueue}:${key}', redis.outputs.address, workerConcurrency)),
      [reconcilerScaleRule]
    )
  }
  dependsOn: [keyVault, adminDatabase, sql, exportStorage]
}

module adminApi 'modules/container-app.bicep' = {
  name: 'admin-api'
  params: {
    name: '${namePrefix}-admin-api'
    location: location
    tags: tags
    environmentId: appsEnvironment.outputs.id
    identityId: identities.outputs.adminApi.id
    registryServer: registryAccess.outputs.loginServer
    image: image
    command: ['node', 'dist/apps/admin-api/src/main.js']
    env: concat(
      commonEnv,
      [
        { name: 'AZURE_CLIENT_ID', value: identities.outputs.adminApi.clientId }
        { name: 'ADMIN_API_PORT', value: '3000' }
      ],
      empty(bullBoardPassword) ? [] : [{ name: 'BULL_BOARD_PASSWORD', secretRef: 'bull-board-password' }]
    )
    keyVaultSecretNames: concat(baseSecrets, empty(bullBoardPassword) ? [] : ['bull-board-password'])
    keyVaultUri: keyVault.outputs.uri
    ingressPort: 3000
    allowedIpRanges: adminApiAllowedIpRanges
    probes: [
      {
        type: 'Readiness'
        httpGet: {
          path: '/health'
          port: 3000
        }
        periodSeconds: 10
      }
      {
        type: 'Liveness'
        tcpSocket: {
          port: 3000
        }
        periodSeconds: 30
      }
    ]
    minReplicas: adminApiMinReplicas
    maxReplicas: adminApiMaxReplicas
    scaleRules: [
      {
        name: 'http'
        http: {
          metadata: {
            concurrentRequests: '50'
          }
        }
      }
    ]
  }
  dependsOn: [keyVault, adminDatabase, redis, bullBoardSecret]
}

module bullBoardSecret 'modules/vault-secret.bicep' = if (!empty(bullBoardPassword)) {
  name: 'bull-board-password'
  params: {
    vaultName: keyVault.outputs.name
    secretName: 'bull-board-password'
    value: bullBoardPassword
  }
}

module sampleBusinessApi 'modules/container-app.bicep' = if (deploySampleBusinessApi) {
  name: 'sample-business-api'
  params: {
    name: '${namePrefix}-business-api'
    location: location
    tags: tags
    environmentId: appsEnvironment.outputs.id
    identityId: identities.outputs.businessApi.id
    registryServer: registryAccess.outputs.loginServer
    image: image
    command: ['node', 'dist/apps/sample-business-api/src/main.js']
    env: concat(commonEnv, [
      { name: 'AZURE_CLIENT_ID', value: identities.outputs.businessApi.clientId }
      { name: 'BUSINESS_API_PORT', value: '3001' }
    ])
    keyVaultSecretNames: baseSecrets
    keyVaultUri: keyVault.outputs.uri
    ingressPort: 3001
    minReplicas: 0
    maxReplicas: 3
  }
  dependsOn: [keyVault, adminDatabase, redis]
}

module migrations 'modules/container-job.bicep' = {
  name: 'migration-runner'
  params: {
    name: '${namePrefix}-migrations'
    location: location
    tags: tags
    environmentId: appsEnvironment.outputs.id
    identityId: identities.outputs.controlPlane.id
    registryServer: registryAccess.outputs.loginServer
    image: image
    command: ['node', 'dist/apps/migration-runner/src/main.js']
    args: migrationArgs
    env: controlPlaneEnv
    keyVaultSecretNames: baseSecrets
    keyVaultUri: keyVault.outputs.uri
    cronExpression: migrationSchedule
    replicaTimeoutSeconds: 4 * 3600
  }
  dependsOn: [keyVault, adminDatabase, redis, sql]
}

module migrateAdmin 'modules/container-job.bicep' = {
  name: 'migrate-admin'
  params: {
    name: '${namePrefix}-migrate-admin'
    location: location
    tags: tags
    environmentId: appsEnvironment.outputs.id
    identityId: identities.outputs.controlPlane.id
    registryServer: registryAccess.outputs.loginServer
    image: image
    command: ['node', 'dist/apps/admin-api/src/cli/migrate-admin.js']
    env: controlPlaneEnv
    keyVaultSecretNames: baseSecrets
    keyVaultUri: keyVault.outputs.uri
    replicaTimeoutSeconds: 900
  }
  dependsOn: [keyVault, adminDatabase, redis]
}

output adminApiUrl string = 'https://${adminApi.outputs.fqdn}'
output sampleBusinessApiUrl string = deploySampleBusinessApi ? 'https://${sampleBusinessApi.outputs.fqdn}' : ''
output sqlServer string = sql.outputs.fullyQualifiedDomainName
@description('Register each with: curl -X PUT "$ADMIN_API/pools/<name>" -d "<body>" (README, "Deploying to Azure").')
output elasticPools array = sql.outputs.pools
output adminDatabaseHost string = adminDatabase.outputs.fullyQualifiedDomainName
output keyVaultName string = keyVault.outputs.name
output keyVaultUri string = keyVault.outputs.uri
output migrateAdminJob string = migrateAdmin.outputs.name
output migrationJob string = migrations.outputs.name
output controlPlanePrincipalId string = identities.outputs.controlPlane.principalId

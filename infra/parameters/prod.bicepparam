// Production: zone redundant, two vCore pools, a general-purpose registry server with a standby.
// What names this deployment (registry, image, Keycloak realm) and every secret come from the
// shell, never from this file: README, "Deploying to Azure".
using '../main.bicep'

param environmentName = 'prod'
param containerRegistryName = readEnvironmentVariable('TENANTRY_ACR_NAME')
param imageTag = readEnvironmentVariable('TENANTRY_IMAGE_TAG')
param authIssuer = readEnvironmentVariable('TENANTRY_AUTH_ISSUER')
param authClients = ['tenantry-app', 'tenantry-admin-cli']

param adminDatabasePassword = readEnvironmentVariable('TENANTRY_ADMIN_DB_PASSWORD')
param sqlAdministratorPassword = readEnvironmentVariable('TENANTRY_SQL_ADMIN_PASSWORD')
param bullBoardPassword = readEnvironmentVariable('TENANTRY_BULL_BOARD_PASSWORD', '')

param zoneRedundant = true
param adminDatabaseSkuName = 'Standard_D2ds_v5'
param adminDatabaseSkuTier = 'GeneralPurpose'
param adminDatabaseStorageGB = 64
param redisSkuName = 'Balanced_B3'
param adminApiMinReplicas = 2
param workerMaxReplicas = 10
param migrationArgs = ['--canary', '5%', '--concurrency', '16']

// General Purpose Gen5 with 8 vCores: up to 500 databases per pool.
param elasticPools = [
  {
    name: 'prod-pool-1'
    sku: {
      name: 'GP_Gen5'
      tier: 'GeneralPurpose'
      family: 'Gen5'
      capacity: 8
    }
    perDatabaseMinCapacity: 0
    perDatabaseMaxCapacity: 2
    maxSizeGB: 512
    maxDatabases: 500
  }
  {
    name: 'prod-pool-2'
    sku: {
      name: 'GP_Gen5'
      tier: 'GeneralPurpose'
      family: 'Gen5'
      capacity: 8
    }
    perDatabaseMinCapacity: 0
    perDatabaseMaxCapacity: 2
    maxSizeGB: 512
    maxDatabases: 500
  }
]

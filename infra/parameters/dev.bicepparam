// A small development deployment: one DTU pool, no zone redundancy, the sample business API.
// What names this deployment (registry, image, Keycloak realm) and every secret come from the
// shell, never from this file: README, "Deploying to Azure".
using '../main.bicep'

param environmentName = 'dev'
param containerRegistryName = readEnvironmentVariable('TENANTRY_ACR_NAME')
param imageTag = readEnvironmentVariable('TENANTRY_IMAGE_TAG')
param authIssuer = readEnvironmentVariable('TENANTRY_AUTH_ISSUER')
param authClients = ['tenantry-app', 'tenantry-admin-cli']

param adminDatabasePassword = readEnvironmentVariable('TENANTRY_ADMIN_DB_PASSWORD')
param sqlAdministratorPassword = readEnvironmentVariable('TENANTRY_SQL_ADMIN_PASSWORD')
param bullBoardPassword = readEnvironmentVariable('TENANTRY_BULL_BOARD_PASSWORD', '')

// A development vault is deleted and recreated; production keeps purge protection. A deleted vault
// keeps its name for a week: redeploying within it takes TENANTRY_KEY_VAULT_GENERATION=<anything new>.
param keyVaultPurgeProtection = false
param keyVaultSoftDeleteRetentionDays = 7
param keyVaultGeneration = readEnvironmentVariable('TENANTRY_KEY_VAULT_GENERATION', '')
param redisSkuName = 'Balanced_B0'
param redisHighAvailability = false
param adminApiMinReplicas = 0
param workerMaxReplicas = 2
param deploySampleBusinessApi = true

// Standard 50 eDTU: up to 100 databases per pool.
param elasticPools = [
  {
    name: 'dev-pool-1'
    sku: {
      name: 'StandardPool'
      tier: 'Standard'
      capacity: 50
    }
    perDatabaseMinCapacity: 0
    perDatabaseMaxCapacity: 50
    maxSizeGB: 50
    maxDatabases: 100
  }
]

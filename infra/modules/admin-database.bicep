// The admin (registry) database: Azure Database for PostgreSQL flexible server, reachable only
// through its private endpoint. The processes read its URL (DATABASE_URL) from Key Vault.

param serverName string
param location string
param tags object
@description('e.g. Standard_B1ms (Burstable) or Standard_D2ds_v5 (GeneralPurpose).')
param skuName string
@allowed(['Burstable', 'GeneralPurpose', 'MemoryOptimized'])
param skuTier string
param storageSizeGB int
@description('Zone-redundant standby; needs the GeneralPurpose or MemoryOptimized tier.')
param highAvailability bool
param administratorLogin string
@secure()
param administratorPassword string
@description('Name of the registry database; the processes create it when absent, it is created here so backups start with it.')
param databaseName string
param keyVaultName string
param privateEndpointsSubnetId string
param vnetId string

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' = {
  name: serverName
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: '16'
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    authConfig: {
      passwordAuth: 'Enabled'
      activeDirectoryAuth: 'Disabled'
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 14
      geoRedundantBackup: 'Disabled'
    }
    highAvailability: {
      mode: highAvailability ? 'ZoneRedundant' : 'Disabled'
    }
    network: {
      publicNetworkAccess: 'Disabled'
    }
  }
}

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2024-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
}

module endpoint 'private-endpoint.bicep' = {
  name: '${serverName}-endpoint'
  params: {
    name: 'pe-${serverName}'
    location: location
    tags: tags
    targetResourceId: server.id
    groupId: 'postgresqlServer'
    privateDnsZoneName: 'privatelink.postgres.database.azure.com'
    subnetId: privateEndpointsSubnetId
    vnetId: vnetId
  }
}

// verify-full: node-postgres treats "require" as verify-full already and warns; say it outright.
module databaseUrl 'vault-secret.bicep' = {
  name: '${serverName}-url'
  params: {
    vaultName: keyVaultName
    secretName: 'database-url'
    value: 'postgres://${uriComponent(administratorLogin)}:${uriComponent(administratorPassword)}@${server.properties.fullyQualifiedDomainName}:5432/postgres?sslmode=verify-full'
  }
}

output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName

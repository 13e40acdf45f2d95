// The logical SQL server whose elastic pools hold the tenant databases. Its administrator is an
// Entra principal; it has no public endpoint, only a private one in the virtual network.

import { builtInRoles, elasticPoolSpec, entraPrincipal } from 'shared.bicep'

param serverName string
param location string
param tags object
param entraAdministrator entraPrincipal
@description('true: only Entra principals may sign in, so tenant logins must be Entra principals too. false: the engine\'s contained users with passwords work, and Azure requires a SQL administrator (kept in Key Vault, used by no process).')
param entraOnlyAuthentication bool
param sqlAdministratorLogin string
@secure()
param sqlAdministratorPassword string
param elasticPools elasticPoolSpec[]
@description('Default for pools that do not say whether they are zone redundant.')
param zoneRedundant bool
@description('The control plane creates, exports and deletes databases in the pools through ARM.')
param databaseManagerPrincipalId string
param keyVaultName string
param privateEndpointsSubnetId string
param vnetId string

resource server 'Microsoft.Sql/servers@2023-08-01' = {
  name: serverName
  location: location
  tags: tags
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Disabled'
    administratorLogin: entraOnlyAuthentication ? null : sqlAdministratorLogin
    administratorLoginPassword: entraOnlyAuthentication ? null : sqlAdministratorPassword
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: entraOnlyAuthentication
      login: entraAdministrator.login
      sid: entraAdministrator.objectId
      principalType: entraAdministrator.principalType
      tenantId: subscription().tenantId
    }
  }
}

resource pools 'Microsoft.Sql/servers/elasticPools@2023-08-01' = [
  for pool in elasticPools: {
    parent: server
    name: pool.name
    location: location
    tags: tags
    sku: pool.sku
    properties: {
      maxSizeBytes: pool.maxSizeGB * 1073741824
      perDatabaseSettings: {
        minCapacity: pool.perDatabaseMinCapacity
        maxCapacity: pool.perDatabaseMaxCapacity
      }
      zoneRedundant: pool.?zoneRedundant ?? zoneRedundant
    }
  }
]

// Scoped to this one server: the control plane creates databases in its pools, exports and deletes them.
resource databaseManager 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: server
  name: guid(server.id, databaseManagerPrincipalId, builtInRoles.sqlServerContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.sqlServerContributor)
    principalId: databaseManagerPrincipalId
    principalType: 'ServicePrincipal'
  }
}

module administratorPassword 'vault-secret.bicep' = if (!entraOnlyAuthentication) {
  name: '${serverName}-admin-password'
  params: {
    vaultName: keyVaultName
    secretName: 'sql-administrator-password'
    value: sqlAdministratorPassword
  }
}

module endpoint 'private-endpoint.bicep' = {
  name: '${serverName}-endpoint'
  params: {
    name: 'pe-${serverName}'
    location: location
    tags: tags
    targetResourceId: server.id
    groupId: 'sqlServer'
    privateDnsZoneName: 'privatelink${environment().suffixes.sqlServerHostname}'
    subnetId: privateEndpointsSubnetId
    vnetId: vnetId
  }
}

output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
@description('What PUT /pools/:name needs for each pool.')
output pools array = [
  for (pool, i) in elasticPools: {
    name: pool.name
    body: {
      engine: 'azure-sql'
      host: server.properties.fullyQualifiedDomainName
      port: 1433
      elasticPoolId: pools[i].id
      location: location
      maxDatabases: pool.maxDatabases
    }
  }
]

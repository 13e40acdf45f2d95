// The logical SQL server whose elastic pools hold the tenant databases. Its administrator is an
// Entra principal; it has no public endpoint, only a private one in the virtual network. It accepts
// SQL authentication too, and always does: each tenant's user is a contained user with a password
// (Entra tenant users are refused by the processes, AZURE_SQL_TENANT_USERS), so an Entra-only
// server would hold tenants nobody can sign in to.

import { builtInRoles, elasticPoolSpec, entraPrincipal } from 'shared.bicep'

param serverName string
param location string
param tags object
param entraAdministrator entraPrincipal
@description('The user-assigned identity the server exports with (Import/Export "Managed identity authentication"): it must be the Entra administrator or in the administrator group, and may write to the export container.')
param serverIdentityId string
@description('Azure requires a SQL administrator on a server that accepts SQL authentication; kept in Key Vault, used by no process.')
param sqlAdministratorLogin string
@secure()
param sqlAdministratorPassword string
param elasticPools elasticPoolSpec[]
@description('Default for pools that do not say whether they are zone redundant.')
param zoneRedundant bool
@description('The control plane creates, exports and deletes databases in the pools through ARM, and approves the export\'s private endpoints.')
param databaseManagerPrincipalId string
param keyVaultName string
param privateEndpointsSubnetId string
param vnetId string

resource server 'Microsoft.Sql/servers@2023-08-01' = {
  name: serverName
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${serverIdentityId}': {}
    }
  }
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Disabled'
    // Import/Export with a managed identity uses the server's primary user-assigned identity.
    primaryUserAssignedIdentityId: serverIdentityId
    administratorLogin: sqlAdministratorLogin
    administratorLoginPassword: sqlAdministratorPassword
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: false
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

// Least privilege, scoped to this one server: SQL DB Contributor for the databases, Reader on the
// pools they are placed in, and the approval of private endpoint connections (exports). Elastic pools
// are written by this template only, never by the control plane.
var serverRoles = [builtInRoles.sqlDbContributor, builtInRoles.privateEndpointConnectionApprover]

resource databaseManager 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in serverRoles: {
    scope: server
    name: guid(server.id, databaseManagerPrincipalId, role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: databaseManagerPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource poolReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for i in range(0, length(elasticPools)): {
    scope: pools[i]
    name: guid(pools[i].id, databaseManagerPrincipalId, builtInRoles.reader)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.reader)
      principalId: databaseManagerPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

module administratorPassword 'vault-secret.bicep' = {
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

output id string = server.id
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
      // PUT /pools refuses an elastic pool without its sku: maxDatabases is checked against the SKU's database limit.
      sku: { name: pool.sku.name, capacity: pool.sku.capacity }
      maxDatabases: pool.maxDatabases
    }
  }
]

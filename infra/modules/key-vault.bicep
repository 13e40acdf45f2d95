// The vault holding the deployment's own secrets (admin database URL, Redis URL) and, with
// SECRETS_PROVIDER=key-vault, every tenant's connection secret. RBAC only, reachable only
// through its private endpoint.

import { builtInRoles } from 'shared.bicep'

param name string
param location string
param tags object
@description('Principals that write and delete secrets (the control plane stores tenant credentials).')
param secretsOfficerPrincipalIds string[]
@description('Principals that only read secrets.')
param secretsUserPrincipalIds string[]
@description('Purge protection cannot be turned off again; leave it on wherever tenant secrets matter.')
param purgeProtection bool
@description('How long a deleted vault (and its name) is kept; fixed when the vault is created.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionDays int
param privateEndpointsSubnetId string
param vnetId string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionDays
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'AzureServices'
    }
  }
}

var grants = concat(
  map(secretsOfficerPrincipalIds, principalId => { principalId: principalId, role: builtInRoles.keyVaultSecretsOfficer }),
  map(secretsUserPrincipalIds, principalId => { principalId: principalId, role: builtInRoles.keyVaultSecretsUser })
)

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in grants: {
    scope: vault
    name: guid(vault.id, grant.principalId, grant.role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', grant.role)
      principalId: grant.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

module endpoint 'private-endpoint.bicep' = {
  name: '${name}-endpoint'
  params: {
    name: 'pe-${name}'
    location: location
    tags: tags
    targetResourceId: vault.id
    groupId: 'vault'
    privateDnsZoneName: 'privatelink.vaultcore.azure.net'
    subnetId: privateEndpointsSubnetId
    vnetId: vnetId
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri

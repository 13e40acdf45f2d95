// Where offboarding exports (.bacpac) go: a storage account reachable only through private
// endpoints, Entra authorization only (no account keys, no SAS), written by the SQL server's
// managed identity through the Import/Export service's own private endpoint, which the control
// plane approves while an export runs.
// https://learn.microsoft.com/azure/azure-sql/database/database-import-export-private-link
// https://learn.microsoft.com/azure/azure-sql/database/database-import-export-managed-identity

import { builtInRoles } from 'shared.bicep'

@description('3-24 lowercase letters and digits.')
param name string
param location string
param tags object
param zoneRedundant bool
@description('The identity the SQL server exports with: it writes the blobs.')
param writerPrincipalId string
@description('The control plane: approves the Import/Export service\'s private endpoints into this account.')
param approverPrincipalId string
param privateEndpointsSubnetId string
param vnetId string

var containerName = 'offboarding-exports'

resource account 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    // Import/Export writes to standard storage only; immutable storage is not supported either
    // (learn: database-export, "Considerations").
    name: zoneRedundant ? 'Standard_ZRS' : 'Standard_LRS'
  }
  properties: {
    // "If false, then all requests, including shared access signatures, must be authorized with Azure AD."
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      defaultAction: 'Deny'
      bypass: 'None'
    }
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: account
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobs
  name: containerName
  properties: {
    publicAccess: 'None'
  }
}

var grants = [
  { principalId: writerPrincipalId, role: builtInRoles.storageBlobDataContributor }
  { principalId: approverPrincipalId, role: builtInRoles.privateEndpointConnectionApprover }
]

resource roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for grant in grants: {
    scope: account
    name: guid(account.id, grant.principalId, grant.role)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', grant.role)
      principalId: grant.principalId
      principalType: 'ServicePrincipal'
    }
  }
]

// "The Azure SQL logical server and Storage account must have private endpoints configured within
// the same or peered virtual networks" (learn: database-import-export-private-link, Prerequisites).
module endpoint 'private-endpoint.bicep' = {
  name: '${name}-endpoint'
  params: {
    name: 'pe-${name}'
    location: location
    tags: tags
    targetResourceId: account.id
    groupId: 'blob'
    privateDnsZoneName: 'privatelink.blob.${environment().suffixes.storage}'
    subnetId: privateEndpointsSubnetId
    vnetId: vnetId
  }
}

output id string = account.id
@description('AZURE_SQL_EXPORT_URL: the container exports are written to.')
output containerUrl string = '${account.properties.primaryEndpoints.blob}${containerName}'

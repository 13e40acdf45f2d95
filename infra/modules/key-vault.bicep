// The vault holding the deployment's own secrets (admin database URL, Redis URL) and the key that
// wraps the data keys tenant connection secrets are encrypted under (SECRETS_PROVIDER=key-vault:
// envelope encryption, README "Secrets in Key Vault"). RBAC only, reachable only through its
// private endpoint.

import { builtInRoles } from 'shared.bicep'

param name string
param location string
param tags object
@description('Principals that delete secrets: the control plane soft-deletes per-tenant credential secrets (kv:, no longer written) at offboarding, while registry rows hold any.')
param secretsOfficerPrincipalIds string[]
@description('Principals that only read secrets: their own settings, and tenant secrets still stored one per tenant (kv:, written before the envelope format).')
param secretsUserPrincipalIds string[]
@description('Principals that read the wrapping key and wrap or unwrap data keys with it: whoever writes or opens tenant secrets.')
param cryptoPrincipalIds string[]
@description('premium keeps the wrapping key in an HSM (RSA-HSM); standard in software (RSA).')
@allowed(['standard', 'premium'])
param sku string
@description('The key that wraps data keys (KEY_VAULT_KEY_NAME).')
param wrappingKeyName string
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
      name: sku
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

// RSA 2048, wrap and unwrap only. ARM creates the first version and leaves an existing key as it is
// on a redeploy (https://learn.microsoft.com/rest/api/keyvault/keyvault/keys/create-if-not-exist), so
// a deployment never rotates it; rotation (az keyvault key rotate, or a rotation policy) adds a
// version that wraps new data keys while older versions keep unwrapping theirs: never disable, expire
// or delete a version that a row of data_keys names. 2,048 bits: Key Vault's per-vault limit for
// RSA 2,048 operations is 4,000 per 10 s in software and 2,000 in an HSM, against 1,000 and 500
// for 3,072 bits (https://learn.microsoft.com/azure/key-vault/general/service-limits).
resource wrappingKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' = {
  parent: vault
  name: wrappingKeyName
  properties: {
    kty: sku == 'premium' ? 'RSA-HSM' : 'RSA'
    keySize: 2048
    keyOps: ['wrapKey', 'unwrapKey']
    attributes: {
      enabled: true
    }
  }
}

// Scoped to the one key, not the vault: the identities can use no other key.
resource keyRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in cryptoPrincipalIds: {
    scope: wrappingKey
    name: guid(wrappingKey.id, principalId, builtInRoles.keyVaultCryptoServiceEncryptionUser)
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoles.keyVaultCryptoServiceEncryptionUser)
      principalId: principalId
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
output wrappingKeyName string = wrappingKey.name

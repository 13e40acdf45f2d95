// One secret written into the vault at deployment time (through ARM, so the vault's closed
// network does not stand in the way); the apps read it through Key Vault references.

param vaultName string
param secretName string
@secure()
param value string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: vaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: secretName
  properties: {
    value: value
    contentType: 'text/plain'
  }
}

// Definitions every module imports: built-in role ids, parameter shapes, Key Vault references.

// Built-in role definition ids are the same in every subscription
// (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
@export()
var builtInRoles = {
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  // "Key Vault Crypto Service Encryption User": keys/read, keys/wrap/action and keys/unwrap/action only,
  // what the envelope protector does with the key that wraps tenant secrets' data keys. "Key Vault
  // Crypto User" would add encrypt, decrypt, sign, verify and key updates, which nothing here needs.
  keyVaultCryptoServiceEncryptionUser: 'e147488a-f6f5-4113-8e2d-b22465e65bf6'
  // Microsoft.Sql/servers/databases/* and servers/read, no server or elastic pool writes: what the
  // control plane does through ARM (create, get, export, delete tenant databases).
  sqlDbContributor: '9b7fa17d-e63e-47b0-bb0a-15c516ac86ec'
  // Read on the elastic pools a database PUT names (SQL DB Contributor has no elasticPools/read).
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  // The server's identity writes export .bacpac files (learn: database-import-export-managed-identity).
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  // "Azure AI Enterprise Network Connection Approver": Microsoft.Sql/servers/privateEndpointConnections
  // read/write and privateEndpointConnectionsApproval/action, storageAccounts/privateEndpointConnections
  // read/write (and the same for other resource types, which its scope here, a server or an account,
  // leaves out). Neither SQL DB Contributor nor a blob data role may approve the export's endpoints.
  privateEndpointConnectionApprover: 'b556d68e-0be0-4f35-a333-ad7ee1ce17ea'
}

@export()
@description('An Azure SQL elastic pool that tenant databases are placed in.')
type elasticPoolSpec = {
  @description('Pool name in Azure; register it under the same name with PUT /pools/:name.')
  name: string
  @description('SKU, e.g. { name: \'GP_Gen5\', tier: \'GeneralPurpose\', family: \'Gen5\', capacity: 2 } or { name: \'StandardPool\', tier: \'Standard\', capacity: 50 }.')
  sku: {
    name: string
    tier: string
    family: string?
    capacity: int
  }
  @description('vCores (or eDTUs) one database may take at least / at most.')
  perDatabaseMinCapacity: int
  perDatabaseMaxCapacity: int
  @description('Storage of the whole pool.')
  maxSizeGB: int
  @description('Tenant databases Tenantry places here: at most what Azure allows for the SKU (e.g. 100 for GP_Gen5 with 2 vCores).')
  maxDatabases: int
  zoneRedundant: bool?
}

@export()
@description('The Entra principal that administers the SQL server.')
type entraPrincipal = {
  @description('Display name of the user, group or managed identity.')
  login: string
  @description('Its object id (for a managed identity: the principal id).')
  objectId: string
  principalType: 'Application' | 'Group' | 'User'
}

@export()
@description('Container Apps secrets that Container Apps reads from Key Vault with the given identity (no value in the template).')
func keyVaultSecretRefs(secretNames string[], vaultUri string, identityId string) object[] =>
  map(secretNames, secretName => {
    name: secretName
    keyVaultUrl: '${vaultUri}secrets/${secretName}'
    identity: identityId
  })

// Redis for the BullMQ queue, the tenant cache and invalidations: Azure Managed Redis, the
// successor of Azure Cache for Redis (whose Basic/Standard/Premium tiers are retiring and no
// longer accept new caches from new customers). Reachable only through its private endpoint.

param name string
param location string
param tags object
@description('e.g. Balanced_B0, Balanced_B1, Balanced_B3.')
param skuName string
param highAvailability bool
param keyVaultName string
param privateEndpointsSubnetId string
param vnetId string

var port = 10000

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
    publicNetworkAccess: 'Disabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: port
    // BullMQ's scripts touch several keys of a queue at once: a single shard keeps them together.
    clusteringPolicy: 'NoCluster'
    // BullMQ loses jobs when keys may be evicted; the worker refuses to start otherwise.
    evictionPolicy: 'NoEviction'
    // The processes and the KEDA scaler authenticate with the access key (REDIS_URL, scale rule secret).
    accessKeysAuthentication: 'Enabled'
  }
}

module endpoint 'private-endpoint.bicep' = {
  name: '${name}-endpoint'
  params: {
    name: 'pe-${name}'
    location: location
    tags: tags
    targetResourceId: cluster.id
    groupId: 'redisEnterprise'
    privateDnsZoneName: 'privatelink.redis.azure.net'
    subnetId: privateEndpointsSubnetId
    vnetId: vnetId
  }
}

module redisUrl 'vault-secret.bicep' = {
  name: '${name}-url'
  params: {
    vaultName: keyVaultName
    secretName: 'redis-url'
    value: 'rediss://:${uriComponent(database.listKeys().primaryKey)}@${cluster.properties.hostName}:${port}'
  }
}

module redisPassword 'vault-secret.bicep' = {
  name: '${name}-password'
  params: {
    vaultName: keyVaultName
    secretName: 'redis-password'
    value: database.listKeys().primaryKey
  }
}

@description('host:port, what the KEDA redis scaler connects to.')
output address string = '${cluster.properties.hostName}:${port}'

// One user-assigned identity per trust level, so that a role is granted only where it is needed:
// - control plane (provisioning worker, migration runner, admin migrations): creates and drops
//   tenant databases, administers the SQL server, writes tenant secrets;
// - admin API: reads its settings and the registry;
// - business services: read their settings and the tenant secrets they open.

param namePrefix string
param location string
param tags object

resource controlPlane 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-control-plane'
  location: location
  tags: tags
}

resource adminApi 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-admin-api'
  location: location
  tags: tags
}

resource businessApi 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${namePrefix}-business-api'
  location: location
  tags: tags
}

output controlPlane object = {
  id: controlPlane.id
  name: controlPlane.name
  principalId: controlPlane.properties.principalId
  clientId: controlPlane.properties.clientId
}
output adminApi object = {
  id: adminApi.id
  name: adminApi.name
  principalId: adminApi.properties.principalId
  clientId: adminApi.properties.clientId
}
output businessApi object = {
  id: businessApi.id
  name: businessApi.name
  principalId: businessApi.properties.principalId
  clientId: businessApi.properties.clientId
}

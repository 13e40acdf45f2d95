// The virtual network: one subnet for the Container Apps environment, one for private endpoints.

param name string
param location string
param tags object
param addressPrefix string
@description('At least /27; the environment\'s infrastructure lives here.')
param appsSubnetPrefix string
param privateEndpointsSubnetPrefix string

var appsSubnetName = 'container-apps'
var privateEndpointsSubnetName = 'private-endpoints'

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: appsSubnetName
        properties: {
          addressPrefix: appsSubnetPrefix
          // A workload-profiles environment requires its infrastructure subnet delegated to it.
          delegations: [
            {
              name: 'container-apps-environment'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: privateEndpointsSubnetName
        properties: {
          addressPrefix: privateEndpointsSubnetPrefix
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

output id string = vnet.id
output appsSubnetId string = '${vnet.id}/subnets/${appsSubnetName}'
output privateEndpointsSubnetId string = '${vnet.id}/subnets/${privateEndpointsSubnetName}'

// One long-running process of the control plane as a Container App: the shared image with the
// process's command, settings from environment variables, secrets as Key Vault references.

import { keyVaultSecretRefs } from 'shared.bicep'

param name string
param location string
param tags object
param environmentId string
@description('User-assigned identity: pulls the image, reads the Key Vault references, and is the app\'s DefaultAzureCredential.')
param identityId string
param registryServer string
param image string
param command string[]
@description('Container environment variables: { name, value } or { name, secretRef }.')
param env object[]
@description('Key Vault secrets the app references by the same name (secretRef in env, or a scale rule).')
param keyVaultSecretNames string[]
param keyVaultUri string
@description('Port that receives HTTPS traffic from the environment\'s ingress; 0 for a process without ingress.')
param ingressPort int = 0
@description('CIDR ranges allowed to reach the ingress; empty allows every address.')
param allowedIpRanges string[] = []
param probes object[] = []
param minReplicas int
param maxReplicas int
param scaleRules object[] = []
@description('Seconds without a scale trigger before replicas are removed.')
param cooldownPeriod int = 300
// Container Apps' default is 30 s; it accepts at most 600 (Microsoft's App Service support blog,
// https://azureossd.github.io/2024/05/27/Graceful-termination-on-Container-Apps/).
@description('Seconds between SIGTERM and SIGKILL when a replica stops (scale-in, a new revision).')
@minValue(0)
@maxValue(600)
param terminationGracePeriodSeconds int = 30
@description('vCPU as a string ("0.5", "1").')
param cpu string = '0.5'
param memory string = '1Gi'

var ipSecurityRestrictions = map(range(0, length(allowedIpRanges)), i => {
  name: 'allow-${i}'
  action: 'Allow'
  ipAddressRange: allowedIpRanges[i]
})

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      secrets: keyVaultSecretRefs(keyVaultSecretNames, keyVaultUri, identityId)
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
      ingress: ingressPort == 0
        ? null
        : {
            external: true
            targetPort: ingressPort
            transport: 'auto'
            allowInsecure: false
            ipSecurityRestrictions: ipSecurityRestrictions
          }
    }
    template: {
      terminationGracePeriodSeconds: terminationGracePeriodSeconds
      containers: [
        {
          name: name
          image: image
          command: command
          env: env
          probes: probes
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
        cooldownPeriod: cooldownPeriod
        rules: scaleRules
      }
    }
  }
}

output fqdn string = app.properties.configuration.?ingress.?fqdn ?? ''

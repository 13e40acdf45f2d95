// A process that runs to completion as a Container Apps Job: on a cron schedule, or started by
// hand (az containerapp job start) when no schedule is given.

import { keyVaultSecretRefs } from 'shared.bicep'

param name string
param location string
param tags object
param environmentId string
param identityId string
param registryServer string
param image string
param command string[]
param args string[] = []
@description('Container environment variables: { name, value } or { name, secretRef }.')
param env object[]
param keyVaultSecretNames string[]
param keyVaultUri string
@description('Cron expression in UTC; empty for a job that only runs when started.')
param cronExpression string = ''
@description('Longest a run may take before it is stopped and counted as failed.')
param replicaTimeoutSeconds int
param cpu string = '0.5'
param memory string = '1Gi'

var runOnce = {
  parallelism: 1
  replicaCompletionCount: 1
}

resource job 'Microsoft.App/jobs@2025-07-01' = {
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
      triggerType: empty(cronExpression) ? 'Manual' : 'Schedule'
      scheduleTriggerConfig: empty(cronExpression) ? null : union(runOnce, { cronExpression: cronExpression })
      manualTriggerConfig: empty(cronExpression) ? runOnce : null
      replicaTimeout: replicaTimeoutSeconds
      // A failed run is reported (exit code, JSON report, GET /migrations/runs), not blindly repeated.
      replicaRetryLimit: 0
      secrets: keyVaultSecretRefs(keyVaultSecretNames, keyVaultUri, identityId)
      registries: [
        {
          server: registryServer
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: name
          image: image
          command: command
          args: args
          env: env
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
    }
  }
}

output name string = job.name

using './main.bicep'

param environmentName = 'synthpref-dev'
param judgeDeploymentName = 'judge'
param judgeModelName = 'gpt-4o-mini'
param judgeModelVersion = '2024-07-18'
param judgeSkuName = 'GlobalStandard'
param judgeCapacity = 50
param llmMaxConcurrency = 8
param maximumInstanceCount = 40
param instanceMemoryMB = 2048
// Second deployment, after the code is published: true.
param createBlobEventSubscription = false

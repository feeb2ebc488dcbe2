using './main.bicep'

param environmentName = 'synthpref-dev'
param judgeDeploymentName = 'judge'
param judgeModelName = 'gpt-4o-mini'
param judgeModelVersion = '2024-07-18'
param judgeSkuName = 'GlobalStandard'
// A global-batch deployment for runs that send their requests by batch (half price, within 24 h); '' for none.
param batchDeploymentName = ''
param maximumInstanceCount = 40
param llmMaxConcurrency = 1
// judgeCapacity follows from the two above and the expected size of a call (see main.bicep); set it to override.
param instanceMemoryMB = 2048
// Second deployment, after the code is published: true.
param createBlobEventSubscription = false

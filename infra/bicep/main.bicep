// SynthPref on Azure: a Flex Consumption Function App (dotnet-isolated 10.0) whose task hub, inputs and outputs
// live in one storage account, judged by an Azure OpenAI deployment. Every connection is identity-based:
// the storage account refuses shared keys, the OpenAI account refuses keys, Application Insights takes Entra
// tokens only, and the app's system-assigned identity gets exactly the roles it needs.
targetScope = 'resourceGroup'

@description('Short name for this environment; it seeds every resource name.')
@minLength(3)
@maxLength(20)
param environmentName string = 'synthpref'

@description('Region of the Function App, storage and monitoring. Must offer Flex Consumption.')
param location string = resourceGroup().location

@description('Region of the Azure OpenAI account (model availability differs by region).')
param openAiLocation string = location

@description('Name of the judge model deployment; the app calls it as Llm__Model.')
param judgeDeploymentName string = 'judge'

@description('OpenAI model behind the judge deployment.')
param judgeModelName string = 'gpt-4o-mini'

@description('Version of the judge model.')
param judgeModelVersion string = '2024-07-18'

@description('Deployment SKU of the judge (GlobalStandard, Standard, DataZoneStandard, ...).')
param judgeSkuName string = 'GlobalStandard'

@description('''Name of an optional global-batch deployment of the judge model (SKU GlobalBatch: half price, answered within 24
hours, with its own enqueued-token quota). Empty: none. Set, the app gets it as Llm__BatchDeployment, and runs can send
their requests through the Batch API (run option batch: true, or batchByDefault).''')
param batchDeploymentName string = ''

@description('Capacity of the global-batch deployment (its enqueued-token quota, in the units the GlobalBatch SKU takes).')
param batchCapacity int = 100

@description('With a batch deployment: every run batches unless it says batch: false (Llm__Batch).')
param batchByDefault bool = false

@description('Upper bound on Flex Consumption instances.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('''Concurrent LLM calls per instance (Llm__MaxConcurrency). The limit is per process, so the whole app makes at
most maximumInstanceCount x llmMaxConcurrency calls at once: size the judge deployment for that sum.''')
@minValue(1)
param llmMaxConcurrency int = 1

@description('Seconds one judge call takes, for sizing the deployment.')
@minValue(1)
param expectedCallSeconds int = 3

@description('Tokens one judge call uses (prompt with both responses, and the verdict), for sizing the deployment.')
@minValue(1)
param expectedTokensPerCall int = 1000

@description('''Capacity of the judge deployment in thousands of tokens per minute. The default is what the whole app can ask
for: every instance's calls in flight, each expectedTokensPerCall tokens every expectedCallSeconds. A smaller
deployment answers the excess with 429s, which the app retries (honouring Retry-After) at the cost of throughput.''')
@minValue(1)
param judgeCapacity int = (maximumInstanceCount * llmMaxConcurrency * expectedTokensPerCall * 60) / (expectedCallSeconds * 1000)

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('''Create the Event Grid subscription that delivers uploads to the blob trigger. The webhook needs the
app's blobs_extension system key, which exists only after the code is deployed and the host has started once:
deploy with false, deploy the code, then deploy again with true.''')
param createBlobEventSubscription bool = false

var suffix = uniqueString(subscription().id, resourceGroup().id, environmentName)
var compactName = toLower(replace(environmentName, '-', ''))
var storageAccountName = 'st${take(compactName, 9)}${suffix}'
var functionAppName = 'func-${environmentName}-${suffix}'
var planName = 'plan-${environmentName}-${suffix}'
var openAiName = 'oai-${environmentName}-${suffix}'
var logAnalyticsName = 'log-${environmentName}-${suffix}'
var appInsightsName = 'appi-${environmentName}-${suffix}'
var systemTopicName = 'evgt-${environmentName}-${suffix}'

var deploymentContainerName = 'app-package'
// Must match SynthPref.Orchestration.Storage.StorageNames and the blob trigger's path.
var inputContainerName = 'synthpref-input'
var productContainers = [
  inputContainerName
  'synthpref-runs'
  'synthpref-output'
]
var productTables = [
  'SynthPrefRuns'
  'SynthPrefPairs'
  'SynthPrefReviewItems'
  'SynthPrefReviews'
]
// The blob trigger's [Function] name; the Event Grid webhook addresses it as Host.Functions.<name>.
var blobTriggerFunctionName = 'StartRunFromBlob'

var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  cognitiveServicesOpenAiUser: '5e0bd9bd-7b93-4f28-af87-19fc36ad61bd'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a0a-b7f2d5b4e4ab'
}

// ---------- Storage: task hub (blobs, queues, tables), product data, deployment package ----------

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for name in productContainers: {
    parent: blobService
    name: name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for name in productTables: {
    parent: tableService
    name: name
  }
]

// ---------- Monitoring ----------

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: 30
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    DisableLocalAuth: true
  }
}

// ---------- Azure OpenAI: the judge ----------

resource openAi 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: openAiName
  location: openAiLocation
  kind: 'OpenAI'
  sku: {
    name: 'S0'
  }
  properties: {
    customSubDomainName: openAiName
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource judgeDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {
  parent: openAi
  name: judgeDeploymentName
  sku: {
    name: judgeSkuName
    capacity: judgeCapacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: judgeModelName
      version: judgeModelVersion
    }
  }
}

// One deployment at a time per account: the batch deployment waits for the judge's.
resource batchDeployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = if (!empty(batchDeploymentName)) {
  parent: openAi
  name: empty(batchDeploymentName) ? 'unused' : batchDeploymentName
  sku: {
    name: 'GlobalBatch'
    capacity: batchCapacity
  }
  properties: {
    model: {
      format: 'OpenAI'
      name: judgeModelName
      version: judgeModelVersion
    }
  }
  dependsOn: [
    judgeDeployment
  ]
}

var batchSettings = empty(batchDeploymentName) ? [] : [
  {
    name: 'Llm__BatchDeployment'
    value: batchDeploymentName
  }
  {
    name: 'Llm__Batch'
    value: string(batchByDefault)
  }
]

// ---------- Function App on Flex Consumption ----------

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat([
        // Identity-based host storage: the Functions host, the Durable extension, the blob trigger and
        // SynthPref's StorageClients all read these.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        {
          // Durable distributed tracing (V2) correlates orchestrations and activities in Application Insights. host.json
          // leaves it off ("None"): where there is no Application Insights the host warns at every start.
          name: 'AzureFunctionsJobHost__extensions__durableTask__tracing__version'
          value: 'V2'
        }
        {
          name: 'Llm__Provider'
          value: 'AzureOpenAI'
        }
        {
          name: 'Llm__Endpoint'
          value: openAi.properties.endpoint
        }
        {
          name: 'Llm__Model'
          value: judgeDeployment.name
        }
        {
          name: 'Llm__MaxConcurrency'
          value: string(llmMaxConcurrency)
        }
        {
          // A run keeps lanes of items in flight; locally the default follows one host's LLM limit, here the whole
          // app's: three lanes for every two calls the app may have in flight (two judge calls per item with swap).
          name: 'Judging__Window'
          value: string(max(1, (maximumInstanceCount * llmMaxConcurrency * 3) / 4))
        }
        {
          // One lane per LLM slot on each instance, so the lanes spread over instances instead of queuing on a few.
          name: 'AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions'
          value: string(llmMaxConcurrency)
        }
      ], batchSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// ---------- Roles of the app's identity ----------

resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource openAiUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(openAi.id, functionApp.id, roles.cognitiveServicesOpenAiUser)
  scope: openAi
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.cognitiveServicesOpenAiUser)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Application Insights with local auth disabled accepts telemetry only from identities with this role.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionApp.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------- Event Grid: uploads to synthpref-input reach the blob trigger ----------
// Flex Consumption runs only Event Grid-based blob triggers (BlobTriggerSource.EventGrid), not the polling kind.

resource storageEvents 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

resource blobCreatedSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = if (createBlobEventSubscription) {
  parent: storageEvents
  name: 'synthpref-input-blob-created'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${functionApp.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${blobTriggerFunctionName}&code=${listKeys('${functionApp.id}/host/default', '2024-04-01').systemKeys.blobs_extension}'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${inputContainerName}/'
      subjectEndsWith: '.jsonl'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output functionAppName string = functionApp.name
output functionAppHostName string = functionApp.properties.defaultHostName
output storageAccountName string = storage.name
output inputContainerName string = inputContainerName
output openAiEndpoint string = openAi.properties.endpoint
output judgeDeploymentName string = judgeDeployment.name
output batchDeploymentName string = batchDeploymentName
output maxConcurrentLlmCalls int = maximumInstanceCount * llmMaxConcurrency
output judgeCapacityThousandTokensPerMinute int = judgeCapacity
output eventGridSystemTopicName string = storageEvents.name

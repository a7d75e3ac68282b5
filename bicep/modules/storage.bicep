// The storage account behind CartCall: tables (domain state), queues (durable activities and their poison
// queues), the Flex Consumption deployment container and the Event Grid dead-letter container.

@description('Azure region for the account.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Globally unique storage account name: 3-24 lower-case letters and digits.')
@minLength(3)
@maxLength(24)
param name string

@description('Replication SKU.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param skuName string

@description('Tables the app uses (domain state, idempotency records, the ledger).')
param tableNames string[]

@description('Queues the app uses. A "<name>-poison" queue is created for each: the Functions host moves messages there after maxDequeueCount failures.')
param queueNames string[]

@description('Blob container Flex Consumption deploys the app package from.')
@minLength(3)
@maxLength(63)
param deploymentContainerName string

@description('Blob container Event Grid dead-letters undeliverable events into.')
@minLength(3)
@maxLength(63)
param deadLetterContainerName string

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Identity only: the app, the Functions host, Flex deployment and Event Grid dead-lettering all use
    // Entra tokens, so no account key needs to exist anywhere.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: blobService
  name: deadLetterContainerName
  properties: { publicAccess: 'None' }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2024-01-01' = [
  for table in tableNames: {
    parent: tableService
    name: table
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: account
  name: 'default'
}

var allQueueNames = flatten(map(queueNames, q => [q, '${q}-poison']))

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = [
  for queue in allQueueNames: {
    parent: queueService
    name: queue
  }
]

@description('Storage account name.')
output name string = account.name

@description('Storage account resource id.')
output id string = account.id

@description('Blob endpoint, e.g. https://<name>.blob.core.windows.net/.')
output blobEndpoint string = account.properties.primaryEndpoints.blob

@description('Table endpoint.')
output tableEndpoint string = account.properties.primaryEndpoints.table

@description('Queue endpoint.')
output queueEndpoint string = account.properties.primaryEndpoints.queue

@description('Deployment container name.')
output deploymentContainerName string = deploymentContainer.name

@description('Dead-letter container name.')
output deadLetterContainerName string = deadLetterContainer.name

@description('Every queue created, poison queues included.')
output queueNames string[] = allQueueNames

@description('Every table created.')
output tableNames string[] = [for (t, i) in tableNames: tables[i].name]

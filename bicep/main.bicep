// CartCall: Azure resources for one environment, deployed into one resource group.
// Order (bicep/README.md): deploy with deployEventSubscription=false, deploy the zip, redeploy with true.

targetScope = 'resourceGroup'

import {
  acsDataLocationType
  environmentNameType
  instanceMemoryMBType
  retryPolicyType
  webPubSubSkuType
} from 'types.bicep'

// 39 characters of three salted hashes of a secret: the secret cannot be read back from it.
func derivedDeliveryKey(secret string) string =>
  '${uniqueString(secret, 'cartcall-eventgrid-delivery-1')}${uniqueString(secret, 'cartcall-eventgrid-delivery-2')}${uniqueString(secret, 'cartcall-eventgrid-delivery-3')}'

// ---------- parameters ----------

@description('Deployment stage; part of every resource name.')
param environmentName environmentNameType

@description('Azure region for every regional resource (ACS is global).')
param location string = resourceGroup().location

@description('Short product prefix for resource names: lower-case letters and digits only (it is part of the storage account name).')
@minLength(3)
@maxLength(11)
param baseName string = 'cartcall'

@description('Tags applied to every resource.')
param tags object = {}

@description('Storage replication.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param storageSku string = 'Standard_LRS'

@description('Web PubSub tier.')
param webPubSubSku webPubSubSkuType = 'Free_F1'

@description('Web PubSub units (Standard_S1 only).')
@minValue(1)
@maxValue(100)
param webPubSubCapacity int = 1

@description('Web PubSub hub the widget connects to.')
@minLength(1)
param webPubSubHubName string = 'cartcall'

@description('Where ACS stores data at rest. Cannot be changed after creation.')
param acsDataLocation acsDataLocationType = 'United States'

@description('E.164 number calls are placed from (PSTN). Numbers cannot be bought by Bicep: buy one, then set this and redeploy. Empty: PSTN mode is unavailable and the app falls back to VoIP.')
param acsSourcePhoneNumber string = ''

@description('Flex Consumption instance ceiling.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Flex Consumption memory per instance (MB).')
param instanceMemoryMB instanceMemoryMBType = 2048

@description('Always-ready instances for HTTP functions (0 = scale to zero). The durable group always has one.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int = 0

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

@description('Create the Event Grid webhook subscription to DeliverOffer. Leave false until the app zip is deployed: Event Grid validates the webhook at creation.')
param deployEventSubscription bool = false

@description('Event Grid retry policy for the webhook subscription.')
param eventRetryPolicy retryPolicyType = {
  maxDeliveryAttempts: 30
  eventTimeToLiveInMinutes: 1440
}

@description('CloudEvent types delivered to DeliverOffer. Empty: every event on the topic.')
param offerEventTypes string[] = []

@description('Turn off access keys on the Event Grid topic: the app publishes with its managed identity. Set false only for a client that cannot use Entra tokens. (Web PubSub keeps its keys: see bicep/README.md.)')
param disableLocalAuth bool = true

@description('Key Vault purge protection. Cannot be turned off once on.')
param keyVaultPurgeProtection bool = false

@description('Key that signs the shopper\'s preference cookie, stored in Key Vault. Empty: the secret is not written; set it out of band.')
@secure()
param cookieSigningKey string = ''

@description('The operator\'s admin API key (x-cartcall-admin-key, at least 16 characters), stored in Key Vault. Empty: the secret is not written; set it out of band.')
@secure()
param adminKey string = ''

@description('The key Event Grid adds to every delivery to DeliverOffer (?code=; at least 16 characters), stored in Key Vault. Empty: derived from the storage account\'s key, so it is secret, the same on every deployment, and changes (with the subscription) when that key is rotated and the template redeployed.')
@secure()
param eventDeliveryKey string = ''

@description('Stripe secret API key (sk_live_/sk_test_ or a restricted rk_ key), stored in Key Vault. Empty: the secret is not written; set it out of band.')
@secure()
param stripeSecretKey string = ''

@description('Signing secret (whsec_) of the Stripe webhook endpoint for https://<app>/api/billing/stripe/webhooks, stored in Key Vault. Empty: the secret is not written; set it out of band. While rolling it, add the old one as CartCall__Stripe__WebhookSecrets__1 in additionalAppSettings.')
@secure()
param stripeWebhookSecret string = ''

@description('Stripe publishable key (pk_) the widget\'s Payment Element uses; public. Empty: not set.')
param stripePublishableKey string = ''

@description('Merchant hooks: what the shopper sees when a fail-closed hook gave no answer before the call.')
@minLength(1)
@maxLength(200)
param hooksShopperMessage string = 'We can\'t start this call right now. Please try again a little later.'

@description('Extra app settings merged over the generated ones (e.g. CartCall__Sessions__OfferLifetime, CartCall__Hooks__MaxConcurrencyPerMerchant).')
param additionalAppSettings object = {}

// ---------- names ----------

var token = take(uniqueString(subscription().id, resourceGroup().id, baseName, environmentName), 6)
var names = {
  storage: take(toLower('st${baseName}${environmentName}${token}'), 24)
  workspace: 'log-${baseName}-${environmentName}-${token}'
  appInsights: 'appi-${baseName}-${environmentName}-${token}'
  plan: 'plan-${baseName}-${environmentName}-${token}'
  functionApp: 'func-${baseName}-${environmentName}-${token}'
  acs: 'acs-${baseName}-${environmentName}-${token}'
  webPubSub: 'wps-${baseName}-${environmentName}-${token}'
  topic: 'evgt-${baseName}-${environmentName}-${token}'
  keyVault: take('kv-${baseName}-${environmentName}-${token}', 24)
}
var allTags = union({ product: 'cartcall', environment: environmentName }, tags)

// Tables and queues the app expects (its Table stores and its queue triggers). Durable Functions creates its own
// task hub queues, tables and blobs (hub CartCall, host.json) at start-up.
// A test (StorageNamesTests) keeps these in step with functions/CartCall.Functions/Storage/StorageNames.cs.
var tableNames = [
  'merchants'
  'sessions'
  'offers'
  'counters'
  'agents'
  'profiles'
  'calls'
  'hooks'
  'hookdeliveries'
  'ledger'
  'plans'
  'holds'
  'experiments'
  'outcomes'
  'weights'
  'unsettled'
]
var queueNames = [
  'reevaluate'
  'outbox'
  'hold-release'
]
var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletters'
var cookieSigningKeySecretName = 'preference-cookie-signing-key'
var adminKeySecretName = 'admin-key'
var webPubSubAccessKeySecretName = 'webpubsub-access-key'
var eventDeliveryKeySecretName = 'eventgrid-delivery-key'
var stripeSecretKeySecretName = 'stripe-secret-key'
var stripeWebhookSecretName = 'stripe-webhook-secret'
// host.json routePrefix "api" + DeliverOffer's route.
var deliveryPath = '/api/offers/deliveries'

// ---------- resources ----------

// DeliverOffer is anonymous to the Functions host; the app itself requires this key on every delivery. Bicep has no
// way to generate a random value once and keep it (newGuid() would change it on every deployment, and a delivery
// refused with 401 is dead-lettered, not retried), so unless the operator gives one it is derived from a secret that
// already exists and is stable: the storage account's key (which is never used for data access: shared keys are off).
resource storageForDeliveryKey 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: names.storage
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'cartcall-monitoring'
  params: {
    location: location
    tags: allTags
    workspaceName: names.workspace
    appInsightsName: names.appInsights
    retentionInDays: logRetentionInDays
  }
}

module storage 'modules/storage.bicep' = {
  name: 'cartcall-storage'
  params: {
    location: location
    tags: allTags
    name: names.storage
    skuName: storageSku
    tableNames: tableNames
    queueNames: queueNames
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
  }
}

module communication 'modules/communication.bicep' = {
  name: 'cartcall-communication'
  params: {
    name: names.acs
    tags: allTags
    dataLocation: acsDataLocation
  }
}

module webPubSub 'modules/webPubSub.bicep' = {
  name: 'cartcall-webpubsub'
  params: {
    location: location
    tags: allTags
    name: names.webPubSub
    sku: webPubSubSku
    capacity: webPubSubCapacity
    hubName: webPubSubHubName
    // The app's Web PubSub client signs its REST calls and the widget's client tokens with the access key (HMAC):
    // it has no Entra path yet, so keys stay on. The key reaches the app only through Key Vault.
    disableLocalAuth: false
  }
}

module topic 'modules/eventGridTopic.bicep' = {
  name: 'cartcall-eventgrid-topic'
  params: {
    location: location
    tags: allTags
    name: names.topic
    disableLocalAuth: disableLocalAuth
  }
}

module keyVault 'modules/keyVault.bicep' = {
  name: 'cartcall-keyvault'
  params: {
    location: location
    tags: allTags
    name: names.keyVault
    softDeleteRetentionInDays: environmentName == 'prod' ? 90 : 7
    enablePurgeProtection: keyVaultPurgeProtection
    cookieSigningKeySecretName: cookieSigningKeySecretName
    cookieSigningKey: cookieSigningKey
    adminKeySecretName: adminKeySecretName
    adminKey: adminKey
    // A compile-time name, so what-if can predict the secret; dependsOn orders it after the Web PubSub resource.
    webPubSubName: names.webPubSub
    webPubSubAccessKeySecretName: webPubSubAccessKeySecretName
    eventDeliveryKeySecretName: eventDeliveryKeySecretName
    stripeSecretKeySecretName: stripeSecretKeySecretName
    stripeSecretKey: stripeSecretKey
    stripeWebhookSecretName: stripeWebhookSecretName
    stripeWebhookSecret: stripeWebhookSecret
    eventDeliveryKey: empty(eventDeliveryKey) ? derivedDeliveryKey(storageForDeliveryKey.listKeys().keys[0].value) : eventDeliveryKey
  }
  dependsOn: [webPubSub, storage]
}

module functionApp 'modules/functionApp.bicep' = {
  name: 'cartcall-functionapp'
  params: {
    location: location
    tags: allTags
    planName: names.plan
    appName: names.functionApp
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsName: names.appInsights
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    // The app's options (each class's Section, e.g. CartCall:Storage) as CartCall__<Section>__<Key>. Every setting the
    // app validates at start-up is here; SettingsParityTests derives that list from the options classes and checks it.
    // The clients that take an endpoint without a key authenticate with the app's managed identity.
    appSettings: union(
      {
        CartCall__Storage__TableServiceUri: storage.outputs.tableEndpoint
        CartCall__Storage__QueueServiceUri: storage.outputs.queueEndpoint
        CartCall__EventGrid__TopicEndpoint: topic.outputs.endpoint
        CartCall__WebPubSub__Endpoint: webPubSub.outputs.endpoint
        CartCall__WebPubSub__AccessKey: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${webPubSubAccessKeySecretName})'
        CartCall__WebPubSub__Hub: webPubSub.outputs.hubName
        CartCall__Acs__Endpoint: communication.outputs.endpoint
        // The audience (aud) every Call Automation callback JWT must carry.
        CartCall__Acs__ImmutableResourceId: communication.outputs.immutableResourceId
        CartCall__Acs__SourcePhoneNumber: acsSourcePhoneNumber
        CartCall__Preferences__CookieSigningKey: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${cookieSigningKeySecretName})'
        CartCall__Admin__Key: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${adminKeySecretName})'
        CartCall__EventGrid__DeliveryKey: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${eventDeliveryKeySecretName})'
        CartCall__Stripe__SecretKey: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${stripeSecretKeySecretName})'
        CartCall__Stripe__WebhookSecrets__0: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${stripeWebhookSecretName})'
        // Public (it goes to browsers); empty when paid offers are not used.
        CartCall__Stripe__PublishableKey: stripePublishableKey
        // Webhook hooks must be public https hosts in Azure: loopback targets are for development only.
        CartCall__Hooks__AllowLoopbackWebhooks: 'false'
        CartCall__Hooks__DefaultShopperMessage: hooksShopperMessage
      },
      additionalAppSettings
    )
  }
  dependsOn: [monitoring]
}

module roles 'modules/roleAssignments.bicep' = {
  name: 'cartcall-roles'
  params: {
    appName: names.functionApp
    appPrincipalId: functionApp.outputs.principalId
    topicPrincipalId: topic.outputs.principalId
    storageAccountName: names.storage
    deadLetterContainerName: deadLetterContainerName
    topicName: names.topic
    webPubSubName: names.webPubSub
    acsName: names.acs
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
  }
  // Names are passed as compile-time values so what-if can predict the assignments. The app's outputs already
  // order this after storage, Web PubSub, ACS and Key Vault; Application Insights is named only here.
  dependsOn: [monitoring]
}

module offerDelivery 'modules/eventGridSubscription.bicep' = if (deployEventSubscription) {
  name: 'cartcall-eventgrid-subscription'
  params: {
    topicName: names.topic
    name: 'deliver-offer'
    functionAppName: names.functionApp
    deliveryPath: deliveryPath
    deliveryKey: empty(eventDeliveryKey) ? derivedDeliveryKey(storageForDeliveryKey.listKeys().keys[0].value) : eventDeliveryKey
    retryPolicy: eventRetryPolicy
    includedEventTypes: offerEventTypes
    deadLetterStorageAccountName: names.storage
    deadLetterContainerName: deadLetterContainerName
  }
  // The roles module follows the topic, the app and storage; and the topic's identity must be able to write
  // dead letters before the subscription uses it.
  dependsOn: [roles]
}

// ---------- outputs (names and endpoints only; no keys) ----------

@description('Function app name (az functionapp deployment source config-zip -n <this>).')
output functionAppName string = functionApp.outputs.name

@description('Function app default host name.')
output functionAppDefaultHostName string = functionApp.outputs.defaultHostName

@description('URL Event Grid delivers offers to (without the function key).')
output offerDeliveryUrl string = 'https://${functionApp.outputs.defaultHostName}${deliveryPath}'

@description('Event Grid topic publishing endpoint.')
output eventGridTopicEndpoint string = topic.outputs.endpoint

@description('Web PubSub endpoint.')
output webPubSubEndpoint string = webPubSub.outputs.endpoint

@description('Web PubSub hub.')
output webPubSubHub string = webPubSub.outputs.hubName

@description('ACS endpoint.')
output acsEndpoint string = communication.outputs.endpoint

@description('ACS immutable resource id: the audience of Call Automation callback JWTs.')
output acsImmutableResourceId string = communication.outputs.immutableResourceId

@description('Storage account name.')
output storageAccountName string = storage.outputs.name

@description('Key Vault name (holds the cookie signing key, the admin key, the Event Grid delivery key and the Web PubSub access key).')
output keyVaultName string = keyVault.outputs.name

@description('Application Insights component name.')
output appInsightsName string = monitoring.outputs.appInsightsName

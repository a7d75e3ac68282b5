// Webhook subscription from the CartCall topic to the app's DeliverOffer function.
// Deploy only once the app's zip is live: Event Grid validates a webhook when the subscription is created
// (CloudEvents 1.0 handshake: an OPTIONS request with WebHook-Request-Origin) and fails the deployment if the
// endpoint does not answer it.

import { retryPolicyType } from '../types.bicep'

@description('Event Grid topic name (in this resource group).')
param topicName string

@description('Subscription name.')
@minLength(3)
@maxLength(64)
param name string

@description('Function app name (in this resource group).')
param functionAppName string

@description('Path of the DeliverOffer function: host.json routePrefix "api" + the function route.')
param deliveryPath string

@description('The key DeliverOffer requires on every delivery (?code=); the app reads the same key from Key Vault.')
@secure()
param deliveryKey string

@description('Retry policy.')
param retryPolicy retryPolicyType

@description('CloudEvent types delivered. Empty: every event on the topic.')
param includedEventTypes string[]

@description('Storage account holding the dead-letter container.')
param deadLetterStorageAccountName string

@description('Dead-letter container name.')
param deadLetterContainerName string

resource topic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: topicName
}

resource site 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource deadLetterStorage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: deadLetterStorageAccountName
}

var deliveryBaseUrl = 'https://${site.properties.defaultHostName}${deliveryPath}'

resource subscription 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: name
  properties: {
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    destination: {
      endpointType: 'WebHook'
      properties: {
        // Event Grid stores the full URL (key included) write-only and reports only endpointBaseUrl. DeliverOffer is
        // anonymous to the Functions host (a host function key would not be checked by anyone), so the key is the
        // app's own: CartCall:EventGrid:DeliveryKey, which the app reads from the same Key Vault secret.
        endpointUrl: '${deliveryBaseUrl}?code=${deliveryKey}'
        // One event per request: DeliverOffer handles each offer on its own and answers fast.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: empty(includedEventTypes) ? {} : { includedEventTypes: includedEventTypes }
    retryPolicy: {
      maxDeliveryAttempts: retryPolicy.maxDeliveryAttempts
      eventTimeToLiveInMinutes: retryPolicy.eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: deadLetterStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

@description('Subscription name.')
output name string = subscription.name

@description('Delivery URL without any key.')
output deliveryUrl string = deliveryBaseUrl

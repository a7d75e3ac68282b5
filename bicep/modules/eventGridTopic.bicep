// Event Grid custom topic: the app publishes OfferProposed (and other CartCall events) as CloudEvents 1.0.

@description('Azure region for the topic.')
param location string

@description('Tags applied to the resource.')
param tags object

@description('Topic name (3-50 letters, digits, hyphens).')
@minLength(3)
@maxLength(50)
param name string

@description('Turn off access keys (aeg-sas-key) so publishers must use Entra tokens (EventGrid Data Sender).')
param disableLocalAuth bool

resource topic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  // The system identity writes dead-lettered events to storage without a key (deadLetterWithResourceIdentity).
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: disableLocalAuth
    publicNetworkAccess: 'Enabled'
    minimumTlsVersionAllowed: '1.2'
  }
}

@description('Topic name.')
output name string = topic.name

@description('Topic resource id.')
output id string = topic.id

@description('Publishing endpoint, e.g. https://<name>.<region>-1.eventgrid.azure.net/api/events.')
output endpoint string = topic.properties.endpoint

@description('Principal id of the topic\'s system identity (for the dead-letter role assignment).')
output principalId string = topic.identity.principalId

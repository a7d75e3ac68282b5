// Web PubSub: CartCall pushes offers into the storefront widget over the "cartcall" hub.

import { webPubSubSkuType } from '../types.bicep'

@description('Azure region for the service.')
param location string

@description('Tags applied to the resource.')
param tags object

@description('Globally unique Web PubSub name.')
@minLength(3)
@maxLength(63)
param name string

@description('Pricing tier.')
param sku webPubSubSkuType

@description('Units (Standard_S1 only; Free_F1 is always 1).')
@minValue(1)
@maxValue(100)
param capacity int

@description('Hub the app publishes offers on and the widget connects to.')
@minLength(1)
@maxLength(128)
param hubName string

@description('Turn off access keys so only Entra tokens (the app\'s managed identity) can call the REST API and mint client tokens.')
param disableLocalAuth bool

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku == 'Free_F1' ? 'Free' : 'Standard'
    capacity: sku == 'Free_F1' ? 1 : capacity
  }
  properties: {
    disableLocalAuth: disableLocalAuth
    disableAadAuth: false
    publicNetworkAccess: 'Enabled'
    tls: { clientCertEnabled: false }
  }
}

resource hub 'Microsoft.SignalRService/webPubSub/hubs@2024-03-01' = {
  parent: webPubSub
  name: hubName
  properties: {
    // A widget connects only with a client access token the app issued for that shopper's session.
    anonymousConnectPolicy: 'deny'
    eventHandlers: []
  }
}

@description('Web PubSub resource name.')
output name string = webPubSub.name

@description('Web PubSub resource id.')
output id string = webPubSub.id

@description('Data-plane endpoint, e.g. https://<name>.webpubsub.azure.com.')
output endpoint string = 'https://${webPubSub.properties.hostName}'

@description('Hub name.')
output hubName string = hub.name

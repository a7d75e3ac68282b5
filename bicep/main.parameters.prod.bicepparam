// Production: zone-redundant storage, Standard Web PubSub, one always-ready instance so an accepted offer does
// not wait on a cold start before the agent leg is placed.
// az deployment group create -g <rg> -f bicep/main.bicep -p bicep/main.parameters.prod.bicepparam
using 'main.bicep'

param environmentName = 'prod'
param storageSku = 'Standard_ZRS'
param webPubSubSku = 'Standard_S1'
param webPubSubCapacity = 1
param acsDataLocation = 'United States'
param maximumInstanceCount = 100
param instanceMemoryMB = 2048
param alwaysReadyHttpInstances = 1
param logRetentionInDays = 90
param keyVaultPurgeProtection = true
param eventRetryPolicy = {
  // Offers go stale within minutes: a shopper who left the cart is not helped by an offer an hour later.
  maxDeliveryAttempts: 10
  eventTimeToLiveInMinutes: 30
}

param deployEventSubscription = bool(readEnvironmentVariable('CARTCALL_DEPLOY_EVENT_SUBSCRIPTION', 'false'))
param acsSourcePhoneNumber = readEnvironmentVariable('CARTCALL_ACS_SOURCE_PHONE_NUMBER', '')
param cookieSigningKey = readEnvironmentVariable('CARTCALL_COOKIE_SIGNING_KEY', '')
param adminKey = readEnvironmentVariable('CARTCALL_ADMIN_KEY', '')
// Empty: the template derives a stable one (bicep/README.md).
param eventDeliveryKey = readEnvironmentVariable('CARTCALL_EVENT_DELIVERY_KEY', '')

param tags = {
  costCenter: 'cartcall-prod'
}

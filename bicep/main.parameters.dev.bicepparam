// Development: smallest SKUs, scale to zero, event subscription off until the zip is deployed.
// az deployment group create -g <rg> -f bicep/main.bicep -p bicep/main.parameters.dev.bicepparam
using 'main.bicep'

param environmentName = 'dev'
param storageSku = 'Standard_LRS'
param webPubSubSku = 'Free_F1'
param webPubSubCapacity = 1
param acsDataLocation = 'United States'
param maximumInstanceCount = 40
param instanceMemoryMB = 2048
param alwaysReadyHttpInstances = 0
param logRetentionInDays = 30
param keyVaultPurgeProtection = false

// Second pass (README: deploy infra, deploy zip, redeploy): CARTCALL_DEPLOY_EVENT_SUBSCRIPTION=true.
param deployEventSubscription = bool(readEnvironmentVariable('CARTCALL_DEPLOY_EVENT_SUBSCRIPTION', 'false'))

// Bought outside Bicep; empty until then (PSTN unavailable, VoIP only).
param acsSourcePhoneNumber = readEnvironmentVariable('CARTCALL_ACS_SOURCE_PHONE_NUMBER', '')

// Never committed: taken from the deploying shell, or left empty and set in Key Vault out of band.
param cookieSigningKey = readEnvironmentVariable('CARTCALL_COOKIE_SIGNING_KEY', '')
param adminKey = readEnvironmentVariable('CARTCALL_ADMIN_KEY', '')
// Empty: the template derives a stable one (bicep/README.md).
param eventDeliveryKey = readEnvironmentVariable('CARTCALL_EVENT_DELIVERY_KEY', '')

param tags = {
  costCenter: 'cartcall-dev'
}

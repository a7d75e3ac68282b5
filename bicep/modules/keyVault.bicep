// Key Vault for the few secrets that have no identity-based alternative: the key that signs the shopper's
// preference cookie, the operator's admin API key, the key Event Grid adds to its deliveries to DeliverOffer and the
// Web PubSub access key. The app reads each through a Key
// Vault reference app setting, as its managed identity.

@description('Azure region for the vault.')
param location string

@description('Tags applied to the resource.')
param tags object

@description('Vault name (3-24 letters, digits, hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Days a deleted vault or secret can be recovered (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Forbid purging deleted secrets before the retention ends. Cannot be turned off once on.')
param enablePurgeProtection bool

@description('Name of the cookie signing key secret.')
param cookieSigningKeySecretName string

@description('Value of the cookie signing key. Empty: the secret is not written (set it out of band with az keyvault secret set).')
@secure()
param cookieSigningKey string

@description('Name of the admin API key secret.')
param adminKeySecretName string

@description('Value of the admin API key (at least 16 characters). Empty: the secret is not written (set it out of band).')
@secure()
param adminKey string

@description('Name of the Event Grid delivery key secret.')
param eventDeliveryKeySecretName string

@description('The key DeliverOffer requires on every Event Grid delivery (?code=); written on every deployment.')
@secure()
param eventDeliveryKey string

@description('Name of the Stripe secret API key secret.')
param stripeSecretKeySecretName string

@description('Stripe secret (sk_) or restricted (rk_) API key. Empty: the secret is not written (set it out of band).')
@secure()
param stripeSecretKey string

@description('Name of the Stripe webhook signing secret.')
param stripeWebhookSecretName string

@description('The Stripe webhook endpoint\'s signing secret (whsec_). Empty: the secret is not written (set it out of band).')
@secure()
param stripeWebhookSecret string

@description('Web PubSub resource whose primary access key is copied into the vault.')
param webPubSubName string

@description('Name of the Web PubSub access key secret.')
param webPubSubAccessKeySecretName string

resource webPubSub 'Microsoft.SignalRService/webPubSub@2024-03-01' existing = {
  name: webPubSubName
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    // Azure RBAC instead of access policies, so the app's access is one role assignment like every other.
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource cookieKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(cookieSigningKey)) {
  parent: vault
  name: cookieSigningKeySecretName
  properties: {
    value: cookieSigningKey
    contentType: 'text/plain'
  }
}

// The operator's key for the admin API. Like the cookie key it is never generated here: newGuid() would change it on
// every deployment.
resource adminKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(adminKey)) {
  parent: vault
  name: adminKeySecretName
  properties: {
    value: adminKey
    contentType: 'text/plain'
  }
}

// Stripe's keys come from the Stripe dashboard; like the admin key they are only written when given, so a
// redeployment without them keeps what the operator stored.
resource stripeSecretKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeSecretKey)) {
  parent: vault
  name: stripeSecretKeySecretName
  properties: {
    value: stripeSecretKey
    contentType: 'text/plain'
  }
}

resource stripeWebhookSecretSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(stripeWebhookSecret)) {
  parent: vault
  name: stripeWebhookSecretName
  properties: {
    value: stripeWebhookSecret
    contentType: 'text/plain'
  }
}

// The key DeliverOffer requires on every delivery: main.bicep passes the operator's, or one it derives (stable
// across deployments), so writing it on every deployment changes nothing unless the key itself changes.
resource eventDeliveryKeySecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: eventDeliveryKeySecretName
  properties: {
    value: eventDeliveryKey
    contentType: 'text/plain'
  }
}

// The app's Web PubSub client signs with the access key (it has no Entra path yet). The key is copied here on every
// deployment, so the app never sees it in a plain app setting; after regenerating keys, redeploy to refresh it.
resource webPubSubAccessKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: webPubSubAccessKeySecretName
  properties: {
    value: webPubSub.listKeys().primaryKey
    contentType: 'text/plain'
  }
}

@description('Vault name.')
output name string = vault.name

@description('Vault resource id.')
output id string = vault.id

@description('Vault URI, e.g. https://<name>.vault.azure.net/.')
output uri string = vault.properties.vaultUri

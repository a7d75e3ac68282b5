// Key Vault for the few secrets that have no identity-based alternative: the key that signs the shopper's
// preference cookie. The app reads it through a Key Vault reference app setting, as its managed identity.

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

@description('Vault name.')
output name string = vault.name

@description('Vault resource id.')
output id string = vault.id

@description('Vault URI, e.g. https://<name>.vault.azure.net/.')
output uri string = vault.properties.vaultUri

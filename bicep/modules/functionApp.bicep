// Flex Consumption (FC1) plan and the CartCall Functions app: a custom handler (functionAppConfig.runtime
// custom 1.0) whose executable is app/CartCall.Functions in the deployed zip (see host.json).

import { instanceMemoryMBType } from '../types.bicep'

@description('Azure region for the plan and the app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Flex Consumption plan name.')
@minLength(1)
@maxLength(60)
param planName string

@description('Function app name (also the default host name prefix).')
@minLength(2)
@maxLength(60)
param appName string

@description('Storage account the Functions host uses (AzureWebJobsStorage) and deploys from.')
param storageAccountName string

@description('Blob endpoint of that account, with trailing slash.')
param storageBlobEndpoint string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights component name (in this resource group).')
param appInsightsName string

@description('Upper bound on instances (Flex Consumption allows 40-1000).')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory per instance.')
param instanceMemoryMB instanceMemoryMBType

@description('Always-ready instances for the HTTP group. Above 0 removes cold starts from the accept-to-ring path, at a standing cost.')
@minValue(0)
@maxValue(20)
param alwaysReadyHttpInstances int

@description('Browser origins allowed to call the app (the storefronts hosting the widget).')
param corsAllowedOrigins string[]

@description('Settings under CartCall__* and any extra ones; merged over the platform settings.')
param appSettings object

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    // Flex Consumption is Linux only.
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      cors: {
        allowedOrigins: corsAllowedOrigins
        // The widget sends the signed preference cookie with its calls.
        supportCredentials: !empty(corsAllowedOrigins)
      }
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
      }
      // Flex takes the language from here; it sets FUNCTIONS_WORKER_RUNTIME=custom itself and rejects the
      // app setting (functions-app-settings.md, "Flex Consumption plan deprecations").
      runtime: {
        name: 'custom'
        version: '1.0'
      }
    }
  }
}

// App settings live in their own child resource so they can use the site's own default host name (on Flex it
// may be a generated unique name, not <app>.azurewebsites.net).
resource settings 'Microsoft.Web/sites/config@2024-11-01' = {
  parent: site
  name: 'appsettings'
  properties: union(
    {
      // Identity-based host storage: no connection string. The system identity is used when no
      // credential/clientId is given.
      AzureWebJobsStorage__accountName: storageAccountName
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      // Telemetry ingestion with the system identity's Entra token (Monitoring Metrics Publisher).
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
      CartCall__PublicBaseUrl: 'https://${site.properties.defaultHostName}'
    },
    appSettings
  )
}

@description('Function app name.')
output name string = site.name

@description('Function app resource id.')
output id string = site.id

@description('Default host name (no scheme).')
output defaultHostName string = site.properties.defaultHostName

@description('Principal id of the app\'s system-assigned identity.')
output principalId string = site.identity.principalId

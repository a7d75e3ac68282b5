// Flex Consumption (FC1) plan and the CartCall Functions app: an isolated worker (functionAppConfig.runtime
// dotnet-isolated 10.0) deployed from the zip `cartcall-local package` builds (the dotnet publish output of
// functions/CartCall.Functions with host.json, functions.metadata, worker.config.json and .azurefunctions at its root).

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

@description('Storage account the Functions host, its queue triggers and Durable Functions use (AzureWebJobsStorage), and the deployment source.')
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

@description('Settings under CartCall__* and any extra ones; merged over the platform settings.')
param appSettings object

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Durable on Flex Consumption: every orchestration, activity and entity trigger scales as the one `durable` group, and
// the Durable Azure Storage provider docs ask for one always-ready instance for it (with queue polling at 10 s or
// less, which host.json sets). BicepTemplateTests keeps both.
var durableAlwaysReady = { name: 'durable', instanceCount: 1 }

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
      // Platform CORS stays empty on purpose: the platform would answer preflights and add its own headers before
      // the app's per-merchant CORS middleware ran, overriding each merchant's allowed origins. Set explicitly, so a
      // redeploy also clears origins someone added in the portal.
      cors: {
        allowedOrigins: []
        supportCredentials: false
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
        alwaysReady: concat(
          [durableAlwaysReady],
          alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
        )
      }
      // Flex takes the language and version from here and sets FUNCTIONS_WORKER_RUNTIME itself; it rejects that app
      // setting and FUNCTIONS_EXTENSION_VERSION (functions-app-settings.md, "Flex Consumption plan deprecations").
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
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
      // Identity-based AzureWebJobsStorage: no connection string, the system identity (no credential/clientId given).
      // The account-name form covers blob, queue and table in public Azure, which is what the host (keys, leases),
      // the queue triggers (connection AzureWebJobsStorage) and the Durable Azure Storage provider (queues, history
      // and instance tables, lease blobs) need. Another cloud would need the __blobServiceUri/__queueServiceUri/
      // __tableServiceUri form instead.
      AzureWebJobsStorage__accountName: storageAccountName
      // Read by the host's and the worker's OpenTelemetry Azure Monitor exporters.
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      // Application Insights has local auth off: ingestion needs the system identity's Entra token (Monitoring
      // Metrics Publisher). The host reads this setting; the worker's exporter must be given a TokenCredential.
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
      // Where ACS calls back (CallsOptions.PublicBaseUrl): on Flex the default host name may be a generated unique
      // name, not <app>.azurewebsites.net, so it is taken from the site.
      CartCall__Calls__PublicBaseUrl: 'https://${site.properties.defaultHostName}'
      // Browser calls in Azure use Microsoft's Calling SDK (the app serves its bundle); `local` is for cartcall-local.
      CartCall__Calling__Adapter: 'acs'
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

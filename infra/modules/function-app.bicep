metadata name = 'Registry Function App'
metadata description = 'The Function App on a Flex Consumption plan, with a system-assigned identity and identity-based storage connections.'

@description('Required. Name of the Function App.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Required. Blob endpoint of the storage account.')
param blobEndpoint string

@description('Required. Queue endpoint of the storage account.')
param queueEndpoint string

@description('Required. Table endpoint of the storage account.')
param tableEndpoint string

@description('Required. Blob container of the registry content.')
param registryContainer string

@description('Required. Blob container holding the deployment package.')
param deploymentContainer string

@description('Required. Application Insights connection string.')
param appInsightsConnectionString string

@description('Optional. Six-field CRON schedule (UTC) of the tag pruning timer.')
param pruningSchedule string = '0 */15 * * * *'

@description('Optional. Six-field CRON schedule (UTC) of the vulnerability database refresh.')
param scanDatabaseSchedule string = '0 0 3 * * *'

@description('Optional. Address of the vulnerability database (a zip of OSV records) for the online refresh; empty for offline updates only.')
param scanDatabaseUrl string = ''

@description('Optional. Six-field CRON schedule (UTC) of the garbage collection timer.')
param gcSchedule string = '0 0 2 * * *'

@description('Optional. Six-field CRON schedule (UTC) of a cache\'s maintenance timer (eviction, warming); the origin runs it idle.')
param cacheSchedule string = '0 */30 * * * *'

@description('Optional. Six-field CRON schedule (UTC) of the poll mirroring timer.')
param mirroringPollSchedule string = '0 */15 * * * *'

@description('Required. Name of the key vault holding the token signing keys and the bootstrap administrator secret.')
param keyVaultName string

@description('Required. URI of that key vault.')
param keyVaultUri string

@description('Optional. True when the vault holds the secret "registry-admin-password" of the bootstrap administrator.')
param bootstrapAdmin bool = false

@description('Optional. Largest request body the Functions front end accepts, in bytes (a single-request layer push must fit).')
@minValue(104857600)
param requestBodySizeLimit int = 4294967296

@description('Optional. Most instances the plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory of one instance, in MB.')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Optional. Registry:BlobDelivery: Redirect (307 to a SAS URL) or Proxy (bytes through the app).')
@allowed([
  'Redirect'
  'Proxy'
])
param blobDelivery string = 'Redirect'

@description('Optional. Registry:TrustedProxies: addresses or CIDR networks of proxies whose X-Forwarded-For counts.')
param trustedProxies string[] = []

@description('Optional. At a cache: the origin\'s address (https://host); empty: this app is the origin.')
param cacheUpstream string = ''

@description('Optional. At a cache: its name, as registered at the origin\'s /api/v0/content_caches.')
param cacheName string = ''

@description('Optional. At a cache: the origin account it reads with (its password is the vault\'s secret cache-upstream-password).')
param cacheUpstreamUser string = ''

@description('Optional. At a cache: how long a tag is served before a HEAD checks it at the origin.')
param cacheTagRevalidateAfter string = '00:05:00'

@description('Optional. At a cache: bytes of content kept (0: no limit).')
@minValue(0)
param cacheMaxBytes int = 0

@description('Optional. Subnet (delegated to Microsoft.App/environments) the app sends its outbound traffic through; empty: none.')
param subnetId string = ''

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainer}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
    }
  }
}

@description('The app settings. They are applied by app-settings.bicep once the identity holds its roles, so that the Key Vault reference of the administrator password resolves at the first start.')
output appSettings object = union({
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: queueEndpoint
  AzureWebJobsStorage__tableServiceUri: tableEndpoint
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'Authorization=AAD'
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(requestBodySizeLimit)
  Registry__Storage__BlobServiceUri: blobEndpoint
  Registry__Storage__TableServiceUri: tableEndpoint
  Registry__Storage__QueueServiceUri: queueEndpoint
  Registry__Storage__Container: registryContainer
  // The deployment made the container and tables: the app serves at once and checks them in the background.
  Registry__Storage__CreateBeforeStart: 'false'
  Registry__BlobDelivery: blobDelivery
  Registry__Auth__Enabled: 'true'
  Registry__Pruning__Schedule: pruningSchedule
  // a cache collects more often: eviction leaves content for GC to free
  Registry__Gc__Schedule: empty(cacheUpstream) ? gcSchedule : '0 10 * * * *'
  Registry__Cache__Schedule: cacheSchedule
  Registry__Scan__Queue: 'scans'
  Registry__Signing__Queue: 'signatures'
  Registry__Webhooks__Queue: 'webhooks'
  Registry__Mirroring__Queue: 'mirrors'
  Registry__Mirroring__PollSchedule: mirroringPollSchedule
  Registry__Scan__DatabaseSchedule: scanDatabaseSchedule
  Registry__Scan__DatabaseUrl: scanDatabaseUrl
  Registry__Auth__KeyVaultUri: keyVaultUri
  Registry__Auth__AdminPassword: bootstrapAdmin ? '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=registry-admin-password)' : ''
}, empty(cacheUpstream) ? {} : {
  // a cache of the origin: its tokens, its signed redirects, read with an account whose password stays in Key Vault
  Registry__Cache__Upstream: cacheUpstream
  Registry__Cache__Origin: 'true'
  Registry__Cache__Name: cacheName
  Registry__Cache__Username: cacheUpstreamUser
  Registry__Cache__Password: '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName=cache-upstream-password)'
  Registry__Cache__TagRevalidateAfter: cacheTagRevalidateAfter
  Registry__Cache__MaxBytes: string(cacheMaxBytes)
}, toObject(range(0, length(trustedProxies)), i => 'Registry__TrustedProxies__${i}', i => trustedProxies[i]))

@description('The resource ID of the Function App.')
output resourceId string = functionApp.id

@description('The name of the Function App.')
output name string = functionApp.name

@description('The principal ID of the app identity.')
output principalId string = functionApp.identity.principalId

@description('The default host name, the registry address clients use.')
output defaultHostName string = functionApp.properties.defaultHostName

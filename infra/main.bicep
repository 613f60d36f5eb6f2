metadata name = 'Serverless trusted registry'
metadata description = 'Deploys the registry into a resource group: storage (blobs, tables, queues), the Function App on Flex Consumption with its identity and roles, a key vault for token signing keys, and monitoring.'

targetScope = 'resourceGroup'

@description('Required. Name of the environment; it seeds every resource name.')
@minLength(1)
@maxLength(32)
param environmentName string

@description('Optional. Azure region; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Optional. Registry:BlobDelivery: Redirect (307 to a SAS URL) or Proxy (bytes through the app).')
@allowed([
  'Redirect'
  'Proxy'
])
param blobDelivery string = 'Redirect'

@description('Optional. Largest request body the Functions front end accepts, in bytes.')
param requestBodySizeLimit int = 4294967296

@description('Optional. Most instances the app scales out to.')
param maximumInstanceCount int = 100

@description('Optional. Registry:TrustedProxies: addresses or CIDR networks of proxies in front of the app whose X-Forwarded-For counts (a gateway of your own, or the front end\'s network when the app sees its address instead of the client\'s).')
param trustedProxies string[] = []

@description('Optional. Password of the bootstrap system administrator "admin" (kept in Key Vault); empty: none.')
@secure()
param adminPassword string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var registryContainer = 'registry'
var deploymentContainer = 'app-package-${resourceToken}'
// The registry's tables (StorageLayout.Tables; a test keeps the two lists alike), created with the storage account.
var registryTables = [
  'Repositories'
  'Tags'
  'Manifests'
  'BlobLinks'
  'Referrers'
  'Uploads'
  'Accounts'
  'OrgMembers'
  'Teams'
  'TeamMembers'
  'AccessTokens'
  'TeamAccess'
  'PruningPolicies'
  'PromotionPolicies'
  'SigningPolicies'
  'TrustPolicies'
  'Settings'
  'Scans'
  'ScanOverrides'
  'TrustData'
  'Events'
  'RepositoryCounts'
  'Webhooks'
  'WebhookDeliveries'
  'Jobs'
  'Audit'
  'Caches'
]

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: '${abbrs.storageAccount}${resourceToken}'
    location: location
    tags: tags
    registryContainer: registryContainer
    deploymentContainer: deploymentContainer
    registryTables: registryTables
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: '${abbrs.logAnalyticsWorkspace}${resourceToken}'
    appInsightsName: '${abbrs.appInsights}${resourceToken}'
    location: location
    tags: tags
  }
}

module vault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  params: {
    name: '${abbrs.keyVault}${resourceToken}'
    location: location
    tags: tags
    adminPassword: adminPassword
  }
}

module app 'modules/function-app.bicep' = {
  name: 'function-app'
  params: {
    name: '${abbrs.functionApp}${resourceToken}'
    planName: '${abbrs.flexPlan}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'registry' })
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    registryContainer: registryContainer
    deploymentContainer: deploymentContainer
    appInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: vault.outputs.name
    keyVaultUri: vault.outputs.uri
    bootstrapAdmin: !empty(adminPassword)
    requestBodySizeLimit: requestBodySizeLimit
    maximumInstanceCount: maximumInstanceCount
    blobDelivery: blobDelivery
    trustedProxies: trustedProxies
  }
}

module events 'modules/service-bus.bicep' = {
  name: 'service-bus'
  params: {
    name: '${abbrs.serviceBusNamespace}${resourceToken}'
    location: location
    tags: tags
    principalId: app.outputs.principalId
  }
}

module rbac 'modules/rbac.bicep' = {
  name: 'rbac'
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: monitoring.outputs.name
    keyVaultName: vault.outputs.name
    principalId: app.outputs.principalId
  }
}

// The settings go on after the role assignments, so that the administrator password's Key Vault reference resolves.
module settings 'modules/app-settings.bicep' = {
  name: 'app-settings'
  params: {
    functionAppName: app.outputs.name
    // events go to the Service Bus topic, with the app's identity
    settings: union(app.outputs.appSettings, {
      Registry__Events__Publisher: 'servicebus'
      Registry__Events__ServiceBusNamespace: events.outputs.fullyQualifiedNamespace
      Registry__Events__Topic: events.outputs.topicName
      Registry__Events__RegistryHost: app.outputs.defaultHostName
    })
  }
  dependsOn: [rbac]
}

@description('The registry address for clients (docker login, skopeo, podman).')
output registryHost string = app.outputs.defaultHostName

@description('The name of the Function App, for deployment of the package.')
output functionAppName string = app.outputs.name

@description('The name of the storage account.')
output storageAccountName string = storage.outputs.name

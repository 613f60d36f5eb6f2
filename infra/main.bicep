metadata name = 'Serverless trusted registry'
metadata description = 'Deploys the registry into a resource group: the origin (storage for blobs, tables and queues, the Function App on Flex Consumption with its identity and roles, a key vault, the Service Bus topic of events), monitoring, optional pull-through caches of the origin in other regions (each with storage, vault and app of its own), a global entry (Front Door) that sends pulls to the nearest healthy region and everything else to the origin, and optional private networking in every region.'

targetScope = 'resourceGroup'

@description('A region that serves pulls from a cache of the origin.')
type cacheRegion = {
  @description('Azure region of the cache.')
  location: string

  @description('The cache\'s name, as it is registered at the origin (/api/v0/content_caches); defaults to the region.')
  name: string?

  @description('Address space of the region\'s network with private networking; defaults to 10.<41 + index>.0.0/16.')
  addressPrefix: string?
}

@description('Required. Name of the environment; it seeds every resource name.')
@minLength(1)
@maxLength(32)
param environmentName string

@description('Optional. Azure region of the origin; defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Optional. Regions with a pull-through cache of the origin; none by default.')
param cacheRegions cacheRegion[] = []

@description('Optional. One global name (Front Door) for the origin and its caches; on by default when there are caches.')
param globalEntry bool = !empty(cacheRegions)

@description('Optional. VNet integration of every app, private endpoints for Blob, Table, Queue, Key Vault and Service Bus (Premium), public network access off; blobs then reach clients through the app (BlobDelivery Proxy).')
param privateNetworking bool = false

@description('Optional. The origin account the caches read it with (a system administrator or an account that can read every repository the caches serve).')
param cacheUpstreamUser string = 'admin'

@description('Optional. That account\'s password or access token (kept in each cache\'s key vault).')
@secure()
param cacheUpstreamPassword string = ''

@description('Optional. How long a cache serves a tag before it checks it at the origin with a HEAD.')
param cacheTagRevalidateAfter string = '00:05:00'

@description('Optional. Bytes of content each cache keeps (0: no limit).')
@minValue(0)
param cacheMaxBytes int = 0

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
var originToken = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
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
  'MirroringPolicies'
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

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    workspaceName: '${abbrs.logAnalyticsWorkspace}${originToken}'
    appInsightsName: '${abbrs.appInsights}${originToken}'
    location: location
    tags: tags
  }
}

module dns 'modules/private-dns.bicep' = if (privateNetworking) {
  name: 'private-dns'
  params: {
    tags: tags
  }
}

module origin 'modules/region.bicep' = {
  name: 'origin'
  params: {
    resourceToken: originToken
    location: location
    tags: union(tags, { 'registry-role': 'origin' })
    registryTables: registryTables
    appInsightsName: monitoring.outputs.name
    appInsightsConnectionString: monitoring.outputs.connectionString
    privateNetworking: privateNetworking
    dnsZoneIds: privateNetworking ? dns!.outputs.zoneIds : {}
    dnsZoneNames: privateNetworking ? dns!.outputs.zoneNames : {}
    addressPrefix: '10.40.0.0/16'
    adminPassword: adminPassword
    blobDelivery: blobDelivery
    requestBodySizeLimit: requestBodySizeLimit
    maximumInstanceCount: maximumInstanceCount
    trustedProxies: trustedProxies
  }
}

module caches 'modules/region.bicep' = [
  for (region, i) in cacheRegions: {
    name: 'cache-${region.location}'
    params: {
      resourceToken: toLower(uniqueString(subscription().id, resourceGroup().id, environmentName, region.location, 'cache'))
      location: region.location
      tags: union(tags, { 'registry-role': 'cache' })
      registryTables: registryTables
      appInsightsName: monitoring.outputs.name
      appInsightsConnectionString: monitoring.outputs.connectionString
      privateNetworking: privateNetworking
      dnsZoneIds: privateNetworking ? dns!.outputs.zoneIds : {}
      dnsZoneNames: privateNetworking ? dns!.outputs.zoneNames : {}
      addressPrefix: region.?addressPrefix ?? '10.${41 + i}.0.0/16'
      cacheUpstream: 'https://${origin.outputs.defaultHostName}'
      cacheName: region.?name ?? region.location
      cacheUpstreamUser: cacheUpstreamUser
      cacheUpstreamPassword: cacheUpstreamPassword
      cacheTagRevalidateAfter: cacheTagRevalidateAfter
      cacheMaxBytes: cacheMaxBytes
      blobDelivery: blobDelivery
      requestBodySizeLimit: requestBodySizeLimit
      maximumInstanceCount: maximumInstanceCount
      trustedProxies: trustedProxies
    }
  }
]

module events 'modules/service-bus.bicep' = {
  name: 'service-bus'
  params: {
    name: '${abbrs.serviceBusNamespace}${originToken}'
    location: location
    tags: tags
    principalId: origin.outputs.principalId
    privateNetworking: privateNetworking
  }
}

module eventsEndpoint 'modules/private-endpoint.bicep' = if (privateNetworking) {
  name: 'pe-namespace-${originToken}'
  params: {
    name: '${abbrs.privateEndpoint}namespace-${originToken}'
    location: location
    tags: tags
    subnetId: origin.outputs.endpointSubnetId
    targetId: events.outputs.resourceId
    groupId: 'namespace'
    dnsZoneId: privateNetworking ? dns!.outputs.zoneIds.namespace : ''
  }
}

module entry 'modules/front-door.bicep' = if (globalEntry) {
  name: 'front-door'
  params: {
    profileName: '${abbrs.frontDoorProfile}${originToken}'
    endpointName: '${abbrs.frontDoorEndpoint}${originToken}'
    tags: tags
    originHostName: origin.outputs.defaultHostName
    cacheHostNames: [for i in range(0, length(cacheRegions)): caches[i].outputs.defaultHostName]
  }
}

// The name clients use, and the token endpoint every region's challenge names: behind the global entry, tokens come
// from the origin through it.
var registryHostName = globalEntry ? entry!.outputs.hostName : origin.outputs.defaultHostName
var realm = globalEntry ? { Registry__Auth__Realm: 'https://${registryHostName}/auth/token' } : {}

// The settings go on after the role assignments (region.bicep), so that Key Vault references resolve.
module originSettings 'modules/app-settings.bicep' = {
  name: 'app-settings-origin'
  params: {
    functionAppName: origin.outputs.appName
    // events go to the Service Bus topic, with the app's identity
    settings: union(origin.outputs.appSettings, realm, {
      Registry__Events__Publisher: 'servicebus'
      Registry__Events__ServiceBusNamespace: events.outputs.fullyQualifiedNamespace
      Registry__Events__Topic: events.outputs.topicName
      Registry__Events__RegistryHost: registryHostName
    })
  }
  dependsOn: [eventsEndpoint]
}

module cacheSettings 'modules/app-settings.bicep' = [
  for i in range(0, length(cacheRegions)): {
    name: 'app-settings-cache-${cacheRegions[i].location}'
    params: {
      functionAppName: caches[i].outputs.appName
      settings: union(caches[i].outputs.appSettings, realm)
    }
  }
]

@description('The registry address for clients (docker login, skopeo, podman): the global entry, or the origin without one.')
output registryHost string = registryHostName

@description('The origin\'s own address (pushes may go straight to it).')
output originHost string = origin.outputs.defaultHostName

@description('The caches\' addresses, by region.')
output cacheHosts array = [for (region, i) in cacheRegions: { location: region.location, host: caches[i].outputs.defaultHostName }]

@description('The name of the origin\'s Function App, for deployment of the package.')
output functionAppName string = origin.outputs.appName

@description('The names of the caches\' Function Apps (the same package is deployed to each).')
output cacheFunctionAppNames string[] = [for i in range(0, length(cacheRegions)): caches[i].outputs.appName]

@description('The name of the origin\'s storage account.')
output storageAccountName string = origin.outputs.storageAccountName

metadata name = 'Registry region'
metadata description = 'One region of the registry, the origin or a cache of it: its own storage (content, metadata, queues), key vault, Function App with its identity and roles, and, with private networking, its network and private endpoints. Monitoring is shared.'

@description('Required. Seed of the region\'s resource names (unique per region and role).')
param resourceToken string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Required. The registry\'s tables (StorageLayout.Tables).')
param registryTables array

@description('Required. Name of the shared Application Insights component.')
param appInsightsName string

@description('Required. Its connection string.')
param appInsightsConnectionString string

@description('Optional. True: VNet integration, private endpoints for Blob, Table, Queue and Key Vault, public network access off.')
param privateNetworking bool = false

@description('Optional. With private networking: the private DNS zones by sub-resource (private-dns.bicep\'s outputs).')
param dnsZoneIds object = {}

@description('Optional. With private networking: the zones\' names by sub-resource.')
param dnsZoneNames object = {}

@description('Optional. With private networking: the address space of this region\'s network.')
param addressPrefix string = '10.40.0.0/16'

@description('Optional. At the origin: the bootstrap administrator\'s password; empty: none.')
@secure()
param adminPassword string = ''

@description('Optional. At a cache: the origin\'s address (https://host); empty: this region is the origin.')
param cacheUpstream string = ''

@description('Optional. At a cache: its name, as registered at the origin.')
param cacheName string = ''

@description('Optional. At a cache: the origin account it reads with.')
param cacheUpstreamUser string = ''

@description('Optional. At a cache: that account\'s password or access token.')
@secure()
param cacheUpstreamPassword string = ''

@description('Optional. At a cache: how long a tag is served before a HEAD checks it at the origin.')
param cacheTagRevalidateAfter string = '00:05:00'

@description('Optional. At a cache: bytes of content kept (0: no limit).')
param cacheMaxBytes int = 0

@description('Optional. Registry:BlobDelivery (Proxy is forced with private networking: clients cannot reach private storage).')
param blobDelivery string = 'Redirect'

@description('Optional. Largest request body the Functions front end accepts, in bytes.')
param requestBodySizeLimit int = 4294967296

@description('Optional. Most instances the app scales out to.')
param maximumInstanceCount int = 100

@description('Optional. Registry:TrustedProxies.')
param trustedProxies string[] = []

var abbrs = loadJsonContent('../abbreviations.json')
var registryContainer = 'registry'
var deploymentContainer = 'app-package-${resourceToken}'
var publicNetworkAccess = privateNetworking ? 'Disabled' : 'Enabled'

module network 'network.bicep' = if (privateNetworking) {
  name: 'network-${resourceToken}'
  params: {
    name: '${abbrs.virtualNetwork}${resourceToken}'
    location: location
    tags: tags
    addressPrefix: addressPrefix
    dnsZoneNames: dnsZoneNames
  }
}

module storage 'storage.bicep' = {
  name: 'storage-${resourceToken}'
  params: {
    name: '${abbrs.storageAccount}${resourceToken}'
    location: location
    tags: tags
    registryContainer: registryContainer
    deploymentContainer: deploymentContainer
    registryTables: registryTables
    publicNetworkAccess: publicNetworkAccess
  }
}

module vault 'key-vault.bicep' = {
  name: 'key-vault-${resourceToken}'
  params: {
    name: '${abbrs.keyVault}${resourceToken}'
    location: location
    tags: tags
    adminPassword: adminPassword
    upstreamPassword: cacheUpstreamPassword
    publicNetworkAccess: publicNetworkAccess
  }
}

module privateEndpoints 'private-endpoint.bicep' = [
  for groupId in ['blob', 'table', 'queue', 'vault']: if (privateNetworking) {
    name: 'pe-${groupId}-${resourceToken}'
    params: {
      name: '${abbrs.privateEndpoint}${groupId}-${resourceToken}'
      location: location
      tags: tags
      subnetId: network!.outputs.endpointSubnetId
      targetId: groupId == 'vault' ? vault.outputs.resourceId : storage.outputs.resourceId
      groupId: groupId
      dnsZoneId: dnsZoneIds[groupId]
    }
  }
]

module app 'function-app.bicep' = {
  name: 'function-app-${resourceToken}'
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
    appInsightsConnectionString: appInsightsConnectionString
    keyVaultName: vault.outputs.name
    keyVaultUri: vault.outputs.uri
    bootstrapAdmin: !empty(adminPassword)
    requestBodySizeLimit: requestBodySizeLimit
    maximumInstanceCount: maximumInstanceCount
    blobDelivery: privateNetworking ? 'Proxy' : blobDelivery
    trustedProxies: trustedProxies
    subnetId: privateNetworking ? network!.outputs.appSubnetId : ''
    cacheUpstream: cacheUpstream
    cacheName: cacheName
    cacheUpstreamUser: cacheUpstreamUser
    cacheTagRevalidateAfter: cacheTagRevalidateAfter
    cacheMaxBytes: cacheMaxBytes
  }
}

module rbac 'rbac.bicep' = {
  name: 'rbac-${resourceToken}'
  params: {
    storageAccountName: storage.outputs.name
    appInsightsName: appInsightsName
    keyVaultName: vault.outputs.name
    principalId: app.outputs.principalId
  }
}

@description('The name of the Function App.')
output appName string = app.outputs.name

@description('The app\'s default host name.')
output defaultHostName string = app.outputs.defaultHostName

@description('The principal ID of the app identity.')
output principalId string = app.outputs.principalId

@description('The app settings of this region (applied by main.bicep once every region and the global entry exist).')
output appSettings object = app.outputs.appSettings

@description('The name of the storage account.')
output storageAccountName string = storage.outputs.name

@description('With private networking: the subnet of this region\'s private endpoints; empty otherwise.')
output endpointSubnetId string = privateNetworking ? network!.outputs.endpointSubnetId : ''


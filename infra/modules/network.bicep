metadata name = 'Region network'
metadata description = 'A region\'s virtual network: a subnet delegated to the Function App (outbound VNet integration) and a subnet for private endpoints, linked to the private DNS zones so that the app resolves its storage, vault and bus to private addresses.'

@description('Required. Name of the virtual network.')
param name string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Optional. Address space of the network; each region needs its own if networks are ever peered.')
param addressPrefix string = '10.40.0.0/16'

@description('Required. The private DNS zones to link, by sub-resource (private-dns.bicep\'s zoneNames).')
param dnsZoneNames object

resource vnet 'Microsoft.Network/virtualNetworks@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressPrefix
      ]
    }
    subnets: [
      {
        name: 'app'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 0)
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'endpoints'
        properties: {
          addressPrefix: cidrSubnet(addressPrefix, 24, 1)
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' existing = [for zone in items(dnsZoneNames): {
  name: zone.value
}]

resource links 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zone, i) in items(dnsZoneNames): {
    parent: zones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

@description('The subnet the Function App integrates with.')
output appSubnetId string = vnet.properties.subnets[0].id

@description('The subnet of the private endpoints.')
output endpointSubnetId string = vnet.properties.subnets[1].id

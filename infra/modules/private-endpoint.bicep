metadata name = 'Private endpoint'
metadata description = 'A private endpoint of one sub-resource (blob, table, queue, vault, namespace) in a region\'s endpoint subnet, registered in its private DNS zone.'

@description('Required. Name of the private endpoint.')
param name string

@description('Required. Azure region (the subnet\'s).')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Required. Resource ID of the subnet the endpoint takes an address in.')
param subnetId string

@description('Required. Resource ID of the resource the endpoint reaches.')
param targetId string

@description('Required. The sub-resource (group ID): blob, table, queue, vault or namespace.')
param groupId string

@description('Required. Resource ID of the private DNS zone of that sub-resource.')
param dnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2023-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource endpoint_dns 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2023-11-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: dnsZoneId
        }
      }
    ]
  }
}

metadata name = 'Private DNS zones'
metadata description = 'The private DNS zones of the private endpoints (Blob, Table, Queue, Key Vault, Service Bus), one set for every region: each region\'s endpoints reach only that region\'s resources, so their names never collide.'

@description('Required. Tags for every resource.')
param tags object

var zoneNames = {
  blob: 'privatelink.blob.${environment().suffixes.storage}'
  table: 'privatelink.table.${environment().suffixes.storage}'
  queue: 'privatelink.queue.${environment().suffixes.storage}'
  vault: 'privatelink.vaultcore.azure.net'
  namespace: 'privatelink.servicebus.windows.net'
}

resource zones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zone in items(zoneNames): {
    name: zone.value
    location: 'global'
    tags: tags
  }
]

@description('The zones\' resource IDs by sub-resource (blob, table, queue, vault, namespace).')
output zoneIds object = toObject(items(zoneNames), zone => zone.key, zone => resourceId('Microsoft.Network/privateDnsZones', zone.value))

@description('The zones\' names by sub-resource.')
output zoneNames object = zoneNames

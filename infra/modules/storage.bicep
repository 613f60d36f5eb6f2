metadata name = 'Registry storage'
metadata description = 'The storage account of the registry: content and uploads (blobs), metadata (tables), work queues. Shared keys are off; access is by identity only.'

@description('Required. Storage account name (3-24 lowercase letters and digits).')
@maxLength(24)
param name string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Required. Blob container of the registry content.')
param registryContainer string

@description('Required. Blob container the Flex Consumption plan deploys the app package from.')
param deploymentContainer string

@description('Optional. Disabled: reachable only through private endpoints (private networking).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Optional. Days after which an unfinished upload is deleted by the lifecycle policy.')
@minValue(1)
param abandonedUploadDays int = 7

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_ZRS'
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource storageAccount_blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource storageAccount_registryContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: storageAccount_blobService
  name: registryContainer
  properties: {
    publicAccess: 'None'
  }
}

resource storageAccount_deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: storageAccount_blobService
  name: deploymentContainer
  properties: {
    publicAccess: 'None'
  }
}

@description('Required. The registry\'s tables, created here once per deployment so that the app need not create them at start-up (the list of StorageLayout.Tables).')
param registryTables array

resource storageAccount_tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storageAccount
  name: 'default'
}

resource storageAccount_registryTables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [for table in registryTables: {
  parent: storageAccount_tableService
  name: table
}]

resource storageAccount_managementPolicy 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'expire-abandoned-uploads'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                '${registryContainer}/uploads/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: abandonedUploadDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

@description('The resource ID of the storage account.')
output resourceId string = storageAccount.id

@description('The name of the storage account.')
output name string = storageAccount.name

@description('The blob endpoint.')
output blobEndpoint string = storageAccount.properties.primaryEndpoints.blob

@description('The queue endpoint.')
output queueEndpoint string = storageAccount.properties.primaryEndpoints.queue

@description('The table endpoint.')
output tableEndpoint string = storageAccount.properties.primaryEndpoints.table

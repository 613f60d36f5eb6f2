metadata name = 'Registry key vault'
metadata description = 'Key Vault (RBAC authorization) holding the token signing keys, which the app rotates, the bootstrap administrator password (origin) or the upstream password (cache), and the image signing certificate (created by the operator; see the README).'

@description('Required. Name of the key vault (3-24 characters).')
@maxLength(24)
param name string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Optional. Password of the bootstrap administrator; empty: no bootstrap administrator.')
@secure()
param adminPassword string = ''

@description('Optional. At a cache: the password or access token of the account it reads its origin with; empty: none.')
@secure()
param upstreamPassword string = ''

@description('Optional. Disabled: reachable only through a private endpoint (private networking).')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
      bypass: 'AzureServices'
    }
  }
}

resource vault_upstreamPassword 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(upstreamPassword)) {
  parent: vault
  name: 'cache-upstream-password'
  properties: {
    value: upstreamPassword
    contentType: 'text/plain'
  }
}

resource vault_adminPassword 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(adminPassword)) {
  parent: vault
  name: 'registry-admin-password'
  properties: {
    value: adminPassword
    contentType: 'text/plain'
  }
}

@description('The resource ID of the key vault.')
output resourceId string = vault.id

@description('The name of the key vault.')
output name string = vault.name

@description('The vault URI.')
output uri string = vault.properties.vaultUri

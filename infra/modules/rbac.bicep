metadata name = 'Registry role assignments'
metadata description = 'Data-plane roles of the app identity on its own storage account, Application Insights and key vault, nothing wider.'

@description('Required. Name of the storage account.')
param storageAccountName string

@description('Required. Name of Application Insights.')
param appInsightsName string

@description('Required. Name of the key vault.')
param keyVaultName string

@description('Required. Principal ID of the app identity.')
param principalId string

var builtInRoleNames = {
  // Blob data owner: the Functions host needs it for AzureWebJobsStorage; the registry for content and user-delegation SAS.
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
  // Read and write secrets: the app rotates its token signing keys, reads the administrator password and reads the
  // image signing certificate as its secret (the private key of a Key Vault certificate is read that way; no
  // certificate permission is needed).
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
}

var storageRoles = [
  'Storage Blob Data Owner'
  'Storage Queue Data Contributor'
  'Storage Table Data Contributor'
]

resource storageAccount 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource keyVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource storageAccount_roleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in storageRoles: {
    name: guid(storageAccount.id, principalId, builtInRoleNames[role])
    scope: storageAccount
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleNames[role])
    }
  }
]

resource appInsights_roleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, principalId, builtInRoleNames['Monitoring Metrics Publisher'])
  scope: appInsights
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleNames['Monitoring Metrics Publisher'])
  }
}

resource keyVault_roleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(keyVault.id, principalId, builtInRoleNames['Key Vault Secrets Officer'])
  scope: keyVault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleNames['Key Vault Secrets Officer'])
  }
}

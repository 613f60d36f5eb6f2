metadata name = 'Registry app settings'
metadata description = 'The app settings of the Function App, applied after its identity holds its roles: a Key Vault reference read before the role assignment stays unresolved.'

@description('Required. Name of the Function App.')
param functionAppName string

@description('Required. The app settings, name to value.')
param settings object

resource functionApp 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: functionApp
  name: 'appsettings'
  properties: settings
}

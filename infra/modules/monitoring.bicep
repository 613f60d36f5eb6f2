metadata name = 'Registry monitoring'
metadata description = 'Log Analytics workspace and Application Insights (local authentication off: telemetry is sent with the app identity).'

@description('Required. Name of the Log Analytics workspace.')
param workspaceName string

@description('Required. Name of the Application Insights component.')
param appInsightsName string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Optional. Days of log retention.')
@minValue(30)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: workspaceName
  location: location
  tags: tags
  properties: {
    retentionInDays: retentionInDays
    sku: {
      name: 'PerGB2018'
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
  }
}

@description('The resource ID of Application Insights.')
output resourceId string = appInsights.id

@description('The name of Application Insights.')
output name string = appInsights.name

@description('The connection string of Application Insights (an endpoint and instrumentation key, not a credential while local authentication is off).')
output connectionString string = appInsights.properties.ConnectionString

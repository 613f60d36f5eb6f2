metadata name = 'Registry events'
metadata description = 'The Service Bus namespace and topic the registry publishes its events to (CloudEvents, duplicate detection by event id), a sample subscription that receives every event, and the one role the app needs: Data Sender on the topic.'

@description('Required. Name of the Service Bus namespace (6-50 characters).')
@minLength(6)
@maxLength(50)
param name string

@description('Required. Azure region.')
param location string

@description('Required. Tags for every resource.')
param tags object

@description('Optional. Name of the topic events go to.')
param topicName string = 'registry-events'

@description('Required. Principal ID of the app identity, which may send to the topic and nothing else.')
param principalId string

@description('Optional. True: Premium (the tier with private endpoints) and no public network access.')
param privateNetworking bool = false

// Azure Service Bus Data Sender
var dataSenderRole = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' = {
  name: name
  location: location
  tags: tags
  // Standard: topics and duplicate detection (Basic has neither); Premium for private endpoints
  sku: privateNetworking
    ? {
        name: 'Premium'
        tier: 'Premium'
        capacity: 1
      }
    : {
        name: 'Standard'
        tier: 'Standard'
      }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
  }
}

resource topic 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: topicName
  properties: {
    // an event republished after an outage carries its id as MessageId, and is dropped here within this window
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT1H'
    defaultMessageTimeToLive: 'P14D'
  }
}

resource sample 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = {
  parent: topic
  name: 'all-events'
  properties: {
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
  }
}

resource topic_dataSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(topic.id, principalId, dataSenderRole)
  scope: topic
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', dataSenderRole)
  }
}

@description('The fully qualified namespace the app connects to.')
output fullyQualifiedNamespace string = '${namespace.name}.servicebus.windows.net'

@description('The resource ID of the namespace (for its private endpoint).')
output resourceId string = namespace.id

@description('The topic events go to.')
output topicName string = topic.name

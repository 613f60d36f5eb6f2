metadata name = 'Registry global entry'
metadata description = 'Azure Front Door (Standard): one global name for the registry. Pulls (GET and HEAD of /v2/) go to the nearest healthy region, origin or cache, by measured latency; everything else (pushes, deletes, /auth, /api, the Notary routes under /v2/ that write) goes to the origin. Nothing is cached at the edge: registry answers depend on the caller\'s token.'

@description('Required. Name of the Front Door profile.')
param profileName string

@description('Required. Name of the endpoint (its host name is <name>-<hash>.z01.azurefd.net).')
param endpointName string

@description('Required. Tags for every resource.')
param tags object

@description('Required. The origin\'s host name.')
param originHostName string

@description('Required. The caches\' host names (may be empty).')
param cacheHostNames string[]

@description('Optional. Seconds Front Door waits for a region\'s answer (a large layer pushed in one request needs long).')
@minValue(16)
@maxValue(240)
param originResponseTimeoutSeconds int = 240

resource profile 'Microsoft.Cdn/profiles@2024-02-01' = {
  name: profileName
  location: 'global'
  tags: tags
  sku: {
    name: 'Standard_AzureFrontDoor'
  }
  properties: {
    originResponseTimeoutSeconds: originResponseTimeoutSeconds
  }
}

resource endpoint 'Microsoft.Cdn/profiles/afdEndpoints@2024-02-01' = {
  parent: profile
  name: endpointName
  location: 'global'
  tags: tags
  properties: {
    enabledState: 'Enabled'
  }
}

var healthProbe = {
  probePath: '/_ping'
  probeRequestType: 'GET'
  probeProtocol: 'Https'
  probeIntervalInSeconds: 30
}

resource originGroup 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = {
  parent: profile
  name: 'origin'
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      additionalLatencyInMilliseconds: 0
    }
    healthProbeSettings: healthProbe
    sessionAffinityState: 'Disabled'
  }
}

resource nearestGroup 'Microsoft.Cdn/profiles/originGroups@2024-02-01' = {
  parent: profile
  name: 'nearest'
  properties: {
    loadBalancingSettings: {
      sampleSize: 4
      successfulSamplesRequired: 3
      // regions within 50 ms of the fastest share the load
      additionalLatencyInMilliseconds: 50
    }
    healthProbeSettings: healthProbe
    sessionAffinityState: 'Disabled'
  }
}

resource originOnly 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = {
  parent: originGroup
  name: 'origin'
  properties: {
    hostName: originHostName
    originHostHeader: originHostName
    httpsPort: 443
    priority: 1
    weight: 1000
    enforceCertificateNameCheck: true
  }
}

resource nearestOrigins 'Microsoft.Cdn/profiles/originGroups/origins@2024-02-01' = [
  for (host, i) in concat([originHostName], cacheHostNames): {
    parent: nearestGroup
    name: i == 0 ? 'origin' : 'cache-${i}'
    properties: {
      hostName: host
      originHostHeader: host
      httpsPort: 443
      priority: 1
      weight: 1000
      enforceCertificateNameCheck: true
    }
  }
]

// Writes under /v2/ (uploads, manifest pushes, deletes, Notary publishes) go to the origin whatever region is nearest.
resource writesToOrigin 'Microsoft.Cdn/profiles/ruleSets@2024-02-01' = {
  parent: profile
  name: 'writesToOrigin'
}

resource writesToOrigin_rule 'Microsoft.Cdn/profiles/ruleSets/rules@2024-02-01' = {
  parent: writesToOrigin
  name: 'notReads'
  properties: {
    order: 1
    conditions: [
      {
        name: 'RequestMethod'
        parameters: {
          typeName: 'DeliveryRuleRequestMethodConditionParameters'
          operator: 'Equal'
          negateCondition: true
          matchValues: [
            'GET'
            'HEAD'
          ]
        }
      }
    ]
    actions: [
      {
        name: 'RouteConfigurationOverride'
        parameters: {
          typeName: 'DeliveryRuleRouteConfigurationOverrideActionParameters'
          originGroupOverride: {
            forwardingProtocol: 'HttpsOnly'
            originGroup: {
              id: originGroup.id
            }
          }
        }
      }
    ]
    matchProcessingBehavior: 'Stop'
  }
}

resource pulls 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: 'pulls'
  properties: {
    originGroup: {
      id: nearestGroup.id
    }
    ruleSets: [
      {
        id: writesToOrigin.id
      }
    ]
    patternsToMatch: [
      '/v2/*'
    ]
    supportedProtocols: [
      'Https'
    ]
    httpsRedirect: 'Disabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: 'Enabled'
  }
  dependsOn: [
    nearestOrigins
    writesToOrigin_rule
  ]
}

resource everythingElse 'Microsoft.Cdn/profiles/afdEndpoints/routes@2024-02-01' = {
  parent: endpoint
  name: 'origin'
  properties: {
    originGroup: {
      id: originGroup.id
    }
    patternsToMatch: [
      '/*'
    ]
    supportedProtocols: [
      'Http'
      'Https'
    ]
    httpsRedirect: 'Enabled'
    forwardingProtocol: 'HttpsOnly'
    linkToDefaultDomain: 'Enabled'
  }
  dependsOn: [
    originOnly
  ]
}

@description('The global name clients use (docker login <this>).')
output hostName string = endpoint.properties.hostName

@description('The Front Door ID, which the apps can require in X-Azure-FDID.')
output frontDoorId string = profile.properties.frontDoorId

// Checked by the test command: two cache regions with public endpoints.
using '../../infra/main.bicep'

param environmentName = 'registry-test'
param cacheRegions = [
  { location: 'eastus' }
  { location: 'japaneast', name: 'tokyo', addressPrefix: '10.60.0.0/16' }
]
param cacheUpstreamPassword = 'not-a-real-password'

// Production: the origin in West Europe, caches in East US and Southeast Asia behind one Front Door name, private
// networking in every region. The caches read the origin as REGISTRY_CACHE_USER with REGISTRY_CACHE_PASSWORD (an
// access token of an account that can read what the caches serve).
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'registry')
param location = 'westeurope'
param cacheRegions = [
  { location: 'eastus', name: 'us-east' }
  { location: 'southeastasia', name: 'asia-southeast' }
]
param privateNetworking = true
param adminPassword = readEnvironmentVariable('REGISTRY_ADMIN_PASSWORD', '')
param cacheUpstreamUser = readEnvironmentVariable('REGISTRY_CACHE_USER', 'cache-reader')
param cacheUpstreamPassword = readEnvironmentVariable('REGISTRY_CACHE_PASSWORD', '')
param cacheTagRevalidateAfter = '00:02:00'
param cacheMaxBytes = 536870912000

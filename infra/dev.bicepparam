// Development: the origin alone, public endpoints, no global entry.
using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'registry-dev')
param blobDelivery = 'Redirect'
param adminPassword = readEnvironmentVariable('REGISTRY_ADMIN_PASSWORD', '')
param maximumInstanceCount = 10

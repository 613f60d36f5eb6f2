using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'registry')
param blobDelivery = 'Redirect'
param adminPassword = readEnvironmentVariable('REGISTRY_ADMIN_PASSWORD', '')

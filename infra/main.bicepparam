using './main.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'registry')
param blobDelivery = 'Redirect'

// Checked by the test command: the origin alone with private networking, and a global entry all the same.
using '../../infra/main.bicep'

param environmentName = 'registry-test'
param privateNetworking = true
param globalEntry = true

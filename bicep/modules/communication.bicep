// Azure Communication Services: Call Automation places the VoIP/PSTN calls and connects the agent.
// Phone numbers cannot be bought with Bicep (there is no ARM resource for them): buy one in the portal or with
// the Phone Numbers API after this deploys, then set acsSourcePhoneNumber and redeploy. See bicep/README.md.

import { acsDataLocationType } from '../types.bicep'

@description('Globally unique ACS resource name.')
@minLength(1)
@maxLength(63)
param name string

@description('Tags applied to the resource.')
param tags object

@description('Where ACS stores data at rest. Cannot be changed after creation.')
param dataLocation acsDataLocationType

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: name
  // ACS is a global resource; data residency is set by dataLocation.
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

@description('ACS resource name.')
output name string = acs.name

@description('ACS resource id.')
output id string = acs.id

@description('Data-plane endpoint, e.g. https://<name>.<geo>.communication.azure.com.')
output endpoint string = 'https://${acs.properties.hostName}'

@description('Immutable resource id (a GUID): the audience (aud) of the JWT on every Call Automation callback.')
output immutableResourceId string = acs.properties.immutableResourceId

// Types shared by main.bicep and its parameter files.

@export()
@description('The deployment stage. Drives SKU and retention defaults.')
type environmentNameType = 'dev' | 'prod'

@export()
@description('Web PubSub tier: Free_F1 for development (one unit, 20 connections), Standard_S1 for production.')
type webPubSubSkuType = 'Free_F1' | 'Standard_S1'

@export()
@description('Memory per Flex Consumption instance, in MB.')
type instanceMemoryMBType = 512 | 2048 | 4096

@export()
@description('Where ACS stores data at rest. Cannot be changed after creation.')
type acsDataLocationType =
  | 'United States'
  | 'Europe'
  | 'UK'
  | 'Australia'
  | 'Japan'
  | 'France'
  | 'Switzerland'
  | 'Germany'
  | 'Canada'
  | 'India'
  | 'Asia Pacific'
  | 'Africa'
  | 'Brazil'
  | 'Korea'
  | 'Norway'
  | 'UAE'


@export()
@description('Event Grid retry policy for the webhook subscription.')
type retryPolicyType = {
  @description('Delivery attempts before the event is dead-lettered (1-30).')
  @minValue(1)
  @maxValue(30)
  maxDeliveryAttempts: int

  @description('Minutes an event may wait for delivery (1-1440).')
  @minValue(1)
  @maxValue(1440)
  eventTimeToLiveInMinutes: int
}

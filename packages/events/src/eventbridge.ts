import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { RUN_EVENT_SOURCE, RUN_FINISHED_DETAIL_TYPE } from './run-finished';
import type { TRunFinishedDetail } from './run-finished';

/** The SDK's EventBridge module, loaded on first use: a process that puts no event never loads it. */
const loadEventBridgeSdk = () => import('@aws-sdk/client-eventbridge');

/** An EventBridge client; `endpoint` for a local stand-in (moto), as KINESIS_ENDPOINT_URL does for Kinesis. */
export async function createEventBridgeClient(options: { region: string; endpoint?: string }): Promise<EventBridgeClient> {
  const { EventBridgeClient } = await loadEventBridgeSdk();
  return new EventBridgeClient({ region: options.region, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
}

/**
 * Puts one "Batch run finished" event on the bus. PutEvents answers 200 even when it refuses an
 * entry, so a failed entry is turned into an error here. Returns the event id.
 */
export async function putRunFinishedEvent(options: {
  client: EventBridgeClient;
  busName: string;
  detail: TRunFinishedDetail;
}): Promise<string> {
  const { PutEventsCommand } = await loadEventBridgeSdk();
  const result = await options.client.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: options.busName,
          Source: RUN_EVENT_SOURCE,
          DetailType: RUN_FINISHED_DETAIL_TYPE,
          Detail: JSON.stringify(options.detail),
          Time: new Date(options.detail.finishedAt),
          Resources: [],
        },
      ],
    }),
  );
  const entry = result.Entries?.[0];
  if ((result.FailedEntryCount ?? 0) > 0 || !entry?.EventId) {
    throw new Error(`EventBridge refused the event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
  }
  return entry.EventId;
}

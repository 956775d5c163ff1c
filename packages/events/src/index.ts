// Run-finished events: the signed webhook and the EventBridge event the scorer emits when a run
// succeeds or fails, the signature check a receiver runs, and the delivery records.
export * from './run-finished';
export { deliverWebhook } from './webhook';
export type { TDeliverWebhookOptions, TWebhookAttempt } from './webhook';
export { createEventBridgeClient, putRunFinishedEvent } from './eventbridge';
export { publishRunFinished } from './publish-run-finished';
export type { TPublishOutcome, TRunEventsConfig } from './publish-run-finished';

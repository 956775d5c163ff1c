import type { TPutEntry, TOutputRecord } from './types';

/** Kinesis partition keys are 1..256 Unicode characters. */
const MAX_PARTITION_KEY_LENGTH = 256;

/** The course's output record: `{"model", "version", "prediction": {"ride_duration", "ride_id"}}`. */
export function buildOutputRecord(options: {
  modelName: string;
  modelVersion: string;
  rideId: number | string;
  rideDuration: number;
}): TOutputRecord {
  return {
    model: options.modelName,
    version: options.modelVersion,
    prediction: { ride_duration: options.rideDuration, ride_id: options.rideId },
  };
}

/** PutRecords entry for one prediction; partition key `str(ride_id)` as in the course. */
export function buildPutEntry(record: TOutputRecord): TPutEntry {
  const key = String(record.prediction.ride_id);
  return {
    data: Buffer.from(JSON.stringify(record), 'utf8'),
    partitionKey: key.length > MAX_PARTITION_KEY_LENGTH ? key.slice(0, MAX_PARTITION_KEY_LENGTH) : key,
  };
}

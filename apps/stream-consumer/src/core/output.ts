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
  return createPutEntryBuilder(record.model, record.version)(record.prediction.ride_id, record.prediction.ride_duration);
}

/**
 * The same entry as buildPutEntry, for a whole batch of one model: the constant part of the
 * JSON is encoded once, and each record only formats its two values (JSON.stringify of the
 * object per record was the largest cost of the handler core). Byte-identical to
 * JSON.stringify(buildOutputRecord(...)) — see output.test.ts.
 */
export function createPutEntryBuilder(modelName: string, modelVersion: string) {
  const head = `{"model":${JSON.stringify(modelName)},"version":${JSON.stringify(modelVersion)},"prediction":{"ride_duration":`;
  return (rideId: number | string, rideDuration: number): TPutEntry => {
    const key = String(rideId);
    // JSON has no NaN/Infinity: JSON.stringify writes null, and so do we.
    const duration = Number.isFinite(rideDuration) ? String(rideDuration) : 'null';
    const id = typeof rideId === 'number' ? key : JSON.stringify(rideId);
    return {
      data: Buffer.from(`${head}${duration},"ride_id":${id}}}`, 'utf8'),
      partitionKey: key.length > MAX_PARTITION_KEY_LENGTH ? key.slice(0, MAX_PARTITION_KEY_LENGTH) : key,
    };
  };
}

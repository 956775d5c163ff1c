import { describe, expect, it } from 'vitest';

import { formatPattern, resolveRunLocations } from './paths';

const values = { taxiType: 'yellow' as const, year: 2021, month: 3, runId: 'r1' };

describe('course patterns and output layout', () => {
  it('fills the homework fields with their padding', () => {
    expect(formatPattern('s3://nyc-duration/in/{year:04d}-{month:02d}.parquet', values)).toBe('s3://nyc-duration/in/2021-03.parquet');
    expect(formatPattern('{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet', values)).toBe('yellow_tripdata_2021-03.parquet');
    expect(formatPattern('out/{run_id}/{month}', values)).toBe('out/r1/3');
    expect(() => formatPattern('x/{day:02d}.parquet', values)).toThrow(/unknown field \{day:02d\}/);
  });

  it('builds the partitioned layout under a root, and keeps a .parquet output as the course file', () => {
    const local = resolveRunLocations({ storeUri: '/store', values });
    expect(local).toEqual({
      inputUri: '/store/trip-data/yellow_tripdata_2021-03.parquet',
      outputUri: '/store/predictions/taxi_type=yellow/year=2021/month=03/r1.parquet',
      rejectsUri: '/store/rejects/taxi_type=yellow/year=2021/month=03/r1.parquet',
    });
    const s3 = resolveRunLocations({ storeUri: 's3://bucket/tc', values, output: 's3://out/preds/' });
    expect(s3.outputUri).toBe('s3://out/preds/taxi_type=yellow/year=2021/month=03/r1.parquet');
    expect(s3.inputUri).toBe('s3://bucket/tc/trip-data/yellow_tripdata_2021-03.parquet');
    const course = resolveRunLocations({ storeUri: '/s', values, output: 's3://b/{year:04d}-{month:02d}.parquet' });
    expect(course.outputUri).toBe('s3://b/2021-03.parquet');
    expect(course.rejectsUri).toBe('s3://b/2021-03.rejects.parquet');
  });
});

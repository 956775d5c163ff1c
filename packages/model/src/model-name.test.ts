/**
 * Model names and versions are folders of the store (`models/<name>/<version>/`): each must be one
 * safe path segment at every edge, and the key builders refuse anything that would leave the
 * store even if an edge forgot to check (a version `..` once wrote above its model folder).
 */
import { describe, expect, it } from 'vitest';

import { isSafePathSegment, ZModelCard, ZModelName, ZModelVersion } from './model-card';
import { joinUri } from './object-store';
import { modelArtifactUri } from './store';

const UNSAFE = ['..', '.', '', 'a/b', 'a\\b', 'a\0b', '../x', '.hidden', '-rf', 'a b', 'x'.repeat(129)];
const SAFE = ['v1', 't-v2', '2026-12-04', '20261204T101500Z-1a2b3c4d', 'ride_duration_prediction_model', '1.2.3'];

describe('model names and versions', () => {
  it.each(UNSAFE)('refuses %j as a name, a version and a card field', (value) => {
    expect(ZModelName.safeParse(value).success).toBe(false);
    expect(ZModelVersion.safeParse(value).success).toBe(false);
    expect(isSafePathSegment(value)).toBe(false);
    const card = ZModelCard.safeParse({ schemaVersion: 1, name: 'm', version: value, createdAt: new Date().toISOString(), sha256: '0'.repeat(64), inputs: [{ name: 'x', feature: 'trip_distance', type: 'float32' }], output: { name: 'y', unit: 'minutes' } });
    expect(card.success).toBe(false);
    expect(card.error?.issues[0]?.path).toEqual(['version']);
    expect(() => modelArtifactUri('/srv/store', 'm', value)).toThrow(/one safe path segment/);
    expect(() => modelArtifactUri('s3://bucket/store', value, 'v1')).toThrow(/one safe path segment/);
  });

  it.each(SAFE)('accepts %j', (value) => {
    expect(ZModelVersion.parse(value)).toBe(value);
    expect(modelArtifactUri('/srv/store', 'm', value)).toBe(`/srv/store/models/m/${value}`);
  });

  it('never builds an object key that leaves the store', () => {
    for (const part of ['..', '../etc', 'a/../../b', 'a/./b', 'a\0b']) {
      expect(() => joinUri('/srv/store', 'models', part)).toThrow(/leaves its store/);
      expect(() => joinUri('s3://bucket/prefix', part, 'model.onnx')).toThrow(/leaves its store/);
    }
    expect(joinUri('s3://bucket/prefix/', 'models', 'm', 'v1')).toBe('s3://bucket/prefix/models/m/v1');
    expect(joinUri('/srv/store', 'trip-data', 'green_tripdata_2021-01.parquet')).toBe('/srv/store/trip-data/green_tripdata_2021-01.parquet');
  });
});

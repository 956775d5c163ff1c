import type { TEvaluation } from '../model-card';
import { BOROUGHS, boroughIndexOf } from '../zone-boroughs';

/** Distance bands (miles) the evaluation reports residuals by: [from, to). */
export const DISTANCE_BANDS: readonly [number, number][] = [
  [0, 0.000001],
  [0.000001, 1],
  [1, 2],
  [2, 5],
  [5, 10],
  [10, 20],
  [20, Infinity],
];
const bandLabel = ([from, to]: [number, number]) =>
  from === 0 ? '0 mi' : to === Infinity ? `${from}+ mi` : `${from < 0.001 ? 0 : from}-${to} mi`;

type TSums = { rows: number; sse: number; sae: number; bias: number };
const emptySums = (): TSums => ({ rows: 0, sse: 0, sae: 0, bias: 0 });
const addTo = (s: TSums, error: number) => {
  s.rows++;
  s.sse += error * error;
  s.sae += Math.abs(error);
  s.bias += error;
};
const finish = (s: TSums) => ({
  rows: s.rows,
  rmse: s.rows ? Math.sqrt(s.sse / s.rows) : 0,
  mae: s.rows ? s.sae / s.rows : 0,
  bias: s.rows ? s.bias / s.rows : 0,
});

/**
 * Residuals of one model on one month: RMSE, MAE and bias (mean of predicted - actual) overall, by
 * distance band and by borough pair, and the share of rows whose pair was never seen in training.
 * Every recipe and `models compare` report through this, so their figures are comparable.
 */
export function createEvaluation() {
  const all = emptySums();
  const bands = DISTANCE_BANDS.map(emptySums);
  const pairs = new Map<number, TSums>();
  let unseen = 0;
  return {
    add(
      pu: number,
      dropoff: number,
      distance: number,
      actual: number,
      predicted: number,
      isSeenPair = true,
    ) {
      const error = predicted - actual;
      addTo(all, error);
      const band = DISTANCE_BANDS.findIndex(([from, to]) => distance >= from && distance < to);
      addTo(bands[band < 0 ? 0 : band]!, error);
      const key = boroughIndexOf(pu) * BOROUGHS.length + boroughIndexOf(dropoff);
      let sums = pairs.get(key);
      if (!sums) pairs.set(key, (sums = emptySums()));
      addTo(sums, error);
      if (!isSeenPair) unseen++;
    },
    result(): TEvaluation {
      return {
        ...finish(all),
        unseenPairShare: all.rows ? unseen / all.rows : 0,
        byDistance: DISTANCE_BANDS.map((b, i) => ({
          band: bandLabel(b),
          ...finish(bands[i]!),
        })).filter((b) => b.rows > 0),
        byBoroughPair: [...pairs.entries()]
          .sort((a, b) => b[1].rows - a[1].rows)
          .map(([key, sums]) => ({
            boroughs: `${BOROUGHS[Math.floor(key / BOROUGHS.length)]} → ${BOROUGHS[key % BOROUGHS.length]}`,
            ...finish(sums),
          })),
      };
    },
  };
}

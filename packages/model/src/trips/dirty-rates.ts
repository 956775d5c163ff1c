/** Share of rows made dirty on purpose, each like a defect seen in real TLC months. */
export type TDirtyRates = {
  /** PULocationID or DOLocationID null */
  nullZone: number;
  /** trip_distance 0 or negative */
  nonPositiveDistance: number;
  /** dropoff one to three days after pickup */
  multiDayDuration: number;
  /** pickup in another month (previous month or years earlier, like TLC's 2009 rows) */
  pickupOutsideMonth: number;
};

export const DEFAULT_DIRTY_RATES: TDirtyRates = {
  nullZone: 0.002,
  nonPositiveDistance: 0.03,
  multiDayDuration: 0.002,
  pickupOutsideMonth: 0.001,
};

/**
 * Borough of each TLC LocationID, from the TLC's taxi_zone_lookup.csv (checked against it in
 * zone-boroughs.test.ts). Built in so a model can fall back to borough knowledge for a pair it never
 * saw without a CSV at hand in every mode.
 */
export const BOROUGHS = [
  'EWR',
  'Queens',
  'Bronx',
  'Manhattan',
  'Staten Island',
  'Brooklyn',
  'Unknown',
] as const;
export type TBorough = (typeof BOROUGHS)[number];

/** Index into BOROUGHS for LocationID i+1 (one digit per zone, 1..265). */
const BOROUGH_CODES =
  '0123441111533511521255435511512255555155333432235325155112225551555321551335523521145133535112115143113335354455334314231151323311115112311333331123553335541321333353222314121455115222234555111351112213141412353224115112451351553333332333322233432232411255512133366';

export const UNKNOWN_BOROUGH = BOROUGHS.indexOf('Unknown');

/** Borough index of a LocationID; anything outside 1..265 is "Unknown". */
export function boroughIndexOf(locationId: number): number {
  if (!(locationId >= 1 && locationId <= BOROUGH_CODES.length)) return UNKNOWN_BOROUGH;
  return BOROUGH_CODES.charCodeAt(locationId - 1) - 48;
}

/** Index of an ordered borough pair (PU borough * 7 + DO borough). */
export const BOROUGH_PAIRS = BOROUGHS.length * BOROUGHS.length;
export function boroughPairIndexOf(pu: number, dropoff: number): number {
  return boroughIndexOf(pu) * BOROUGHS.length + boroughIndexOf(dropoff);
}

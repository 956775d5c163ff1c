// The History page's filters as the console accepts them (tRPC input, CSV export query): validated
// here at the edge, then handed to @tripcast/db's listHistory as its plain THistoryFilter.
import { HISTORY_SOURCES, PREDICTION_ROLES, type THistoryFilter } from '@tripcast/db/queries/history';
import { z } from 'zod';

export const ZHistorySource = z.enum(HISTORY_SOURCES).describe('Where the prediction was made');
export type THistorySource = z.infer<typeof ZHistorySource>;

export const ZHistoryFilter = z.object({
  sources: z
    .array(ZHistorySource)
    .min(1)
    .default([...HISTORY_SOURCES])
    .describe('Sources to include'),
  modelVersion: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .optional()
    .describe('Only predictions by this model version'),
  roles: z
    .array(z.enum(PREDICTION_ROLES))
    .min(1)
    .optional()
    .describe("Only rows whose model played one of these roles (production, challenger, canary); all when absent"),
  zoneId: z
    .number()
    .int()
    .min(1)
    .max(265)
    .optional()
    .describe('Trips starting or ending in this zone'),
  from: z.date().optional().describe('Predicted at or after'),
  to: z.date().optional().describe('Predicted before'),
}) satisfies z.ZodType<THistoryFilter>;
export type THistoryFilterInput = z.input<typeof ZHistoryFilter>;

import { z } from 'zod';

import type { TAdditiveParams } from './additive-fit';
import { TRAINING_SOLVERS } from './solvers';

/**
 * `zones` (default): the additive lookup-table model of additive-fit.ts, the model to serve.
 * `course`: the course's LinearRegression on PU_DO + trip_distance, reproduced exactly.
 */
export const TRAINING_RECIPES = ['zones', 'course'] as const;
export type TTrainingRecipe = (typeof TRAINING_RECIPES)[number];
export const DEFAULT_RECIPE: TTrainingRecipe = 'zones';

/**
 * What a caller may ask of each recipe, validated at every edge that starts a training (the
 * console's training form, the training launcher): `zones` takes any of its hyper-parameters
 * (DEFAULT_ADDITIVE_PARAMS for the rest), `course` its solver. Unknown names are refused.
 */
const ZPenalty = z.number().min(0).max(1e9);
export const ZZonesParams = z
  .object({
    useTime: z.boolean().describe('use the pickup hour of week'),
    distanceClip: z.number().positive().max(500).describe('miles: longer trips count as this long'),
    knots: z
      .array(z.number().positive().max(500))
      .max(16)
      .refine((knots) => knots.every((k, i) => i === 0 || k > knots[i - 1]!), 'knots must increase')
      .describe('hinge knots in miles, increasing'),
    lambdaPair: ZPenalty,
    lambdaZone: ZPenalty,
    lambdaBoroughPair: ZPenalty,
    lambdaZoneSlope: ZPenalty,
    lambdaBoroughPairSlope: ZPenalty,
    lambdaHour: ZPenalty,
    lambdaBoroughPairBand: ZPenalty,
    lambdaHourSlope: ZPenalty,
    sweeps: z.number().int().min(1).max(100).describe('backfitting sweeps'),
    minSlope: z.number().min(0).max(10).describe('minutes per mile at least, below the clip'),
  } satisfies Record<keyof TAdditiveParams, z.ZodType>)
  .partial()
  .strict();
export const ZCourseParams = z
  .object({ solver: z.enum(TRAINING_SOLVERS) })
  .partial()
  .strict();

export const ZRecipeChoice = z.discriminatedUnion('recipe', [
  z.object({ recipe: z.literal('zones'), params: ZZonesParams.default({}) }),
  z.object({ recipe: z.literal('course'), params: ZCourseParams.default({}) }),
]);
export type TRecipeChoice = z.output<typeof ZRecipeChoice>;

/** The train CLI's arguments for a recipe choice (`--recipe`, `--param k=v`, `--solver`). */
export function buildRecipeArgs(choice: TRecipeChoice): string[] {
  if (choice.recipe === 'course')
    return [
      '--recipe',
      'course',
      ...(choice.params.solver ? ['--solver', choice.params.solver] : []),
    ];
  return [
    '--recipe',
    'zones',
    ...Object.entries(choice.params).flatMap(([key, value]) => [
      '--param',
      `${key}=${Array.isArray(value) ? value.join(',') : String(value)}`,
    ]),
  ];
}

/**
 * `zones` (default): the additive lookup-table model of additive-fit.ts, the model to serve.
 * `course`: the course's LinearRegression on PU_DO + trip_distance, reproduced exactly.
 */
export const TRAINING_RECIPES = ['zones', 'course'] as const;
export type TTrainingRecipe = (typeof TRAINING_RECIPES)[number];
export const DEFAULT_RECIPE: TTrainingRecipe = 'zones';

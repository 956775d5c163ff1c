// Training the course's model: streaming pair statistics, the sklearn-exact and exact solvers, ONNX + card.
export * from './train';
export {
  solveLinearFit,
  solveSklearnLsqrFit,
  predictLinearFit,
  type TLinearFit,
  type TPairStats,
} from './linear-fit';
export { lsqr } from './lsqr';
export * from './compare';
export { profileTrainingMonths, profileTripMonths, isTrainingRow, REFERENCE_PROFILE_BASIS } from './profile';
export {
  ZZonesParams,
  ZCourseParams,
  ZRecipeChoice,
  buildRecipeArgs,
  type TRecipeChoice,
} from './recipes';
export { DEFAULT_ADDITIVE_PARAMS, type TAdditiveParams } from './additive-fit';

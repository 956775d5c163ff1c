/**
 * `sklearn`: what the course's `LinearRegression().fit(X_sparse, y)` returns (SciPy lsqr, tol 1e-6).
 * `exact`: the exact minimum-norm least-squares solution (closed form, see solveLinearFit).
 * They differ on real months (see README): the course's published RMSE comes from the first.
 */
export const TRAINING_SOLVERS = ['sklearn', 'exact'] as const;
export type TTrainingSolver = (typeof TRAINING_SOLVERS)[number];
export const DEFAULT_SOLVER: TTrainingSolver = 'sklearn';

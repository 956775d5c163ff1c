/**
 * LSQR (Paige & Saunders 1982) as SciPy implements it (scipy.sparse.linalg.lsqr, damp = 0), with
 * SciPy's defaults atol = btol = 1e-6, conlim = 1e8, iter_lim = 2·columns and the same stopping
 * tests in the same order. scikit-learn's LinearRegression solves sparse problems (the course's
 * DictVectorizer output) with exactly this call, so reproducing the course's figures needs it.
 */
export type TLinearOperator = {
  rows: number;
  columns: number;
  /** out = A·x */
  matvec(x: Float64Array, out: Float64Array): void;
  /** out = Aᵀ·y */
  rmatvec(y: Float64Array, out: Float64Array): void;
};

export type TLsqrOptions = { atol?: number; btol?: number; conlim?: number; iterLimit?: number };
export type TLsqrResult = { x: Float64Array; istop: number; iterations: number; rnorm: number };

const EPS = 2.220446049250313e-16;

function norm(v: Float64Array): number {
  // Scaled sum of squares like LAPACK's dnrm2 would be safer, but numpy's norm is sqrt(dot(v, v)).
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

function symOrtho(a: number, b: number): [number, number, number] {
  if (b === 0) return [Math.sign(a), 0, Math.abs(a)];
  if (a === 0) return [0, Math.sign(b), Math.abs(b)];
  if (Math.abs(b) > Math.abs(a)) {
    const tau = a / b;
    const s = Math.sign(b) / Math.sqrt(1 + tau * tau);
    return [s * tau, s, b / s];
  }
  const tau = b / a;
  const c = Math.sign(a) / Math.sqrt(1 + tau * tau);
  return [c, c * tau, a / c];
}

export function lsqr(A: TLinearOperator, b: Float64Array, options: TLsqrOptions = {}): TLsqrResult {
  const atol = options.atol ?? 1e-6;
  const btol = options.btol ?? 1e-6;
  const conlim = options.conlim ?? 1e8;
  const iterLimit = options.iterLimit ?? 2 * A.columns;
  const ctol = conlim > 0 ? 1 / conlim : 0;
  const n = A.columns;
  const x = new Float64Array(n);
  const u = Float64Array.from(b);
  const bnorm = norm(b);
  let beta = bnorm;
  const v = new Float64Array(n);
  let alfa = 0;
  if (beta > 0) {
    for (let i = 0; i < u.length; i++) u[i]! /= beta;
    A.rmatvec(u, v);
    alfa = norm(v);
  }
  if (alfa > 0) for (let j = 0; j < n; j++) v[j]! /= alfa;
  const w = Float64Array.from(v);
  let rhobar = alfa;
  let phibar = beta;
  let rnorm = beta;
  if (alfa * beta === 0) return { x, istop: 0, iterations: 0, rnorm };

  let anorm = 0;
  let ddnorm = 0;
  let xxnorm = 0;
  let z = 0;
  let cs2 = -1;
  let sn2 = 0;
  let itn = 0;
  let istop = 0;
  const Av = new Float64Array(A.rows);
  const Atu = new Float64Array(n);
  while (itn < iterLimit) {
    itn++;
    A.matvec(v, Av);
    for (let i = 0; i < Av.length; i++) u[i] = Av[i]! - alfa * u[i]!;
    beta = norm(u);
    if (beta > 0) {
      for (let i = 0; i < u.length; i++) u[i]! /= beta;
      anorm = Math.sqrt(anorm ** 2 + alfa ** 2 + beta ** 2);
      A.rmatvec(u, Atu);
      for (let j = 0; j < n; j++) v[j] = Atu[j]! - beta * v[j]!;
      alfa = norm(v);
      if (alfa > 0) for (let j = 0; j < n; j++) v[j]! /= alfa;
    }
    const rhobar1 = rhobar;
    const [cs, sn, rho] = symOrtho(rhobar1, beta);
    const theta = sn * alfa;
    rhobar = -cs * alfa;
    const phi = cs * phibar;
    phibar = sn * phibar;
    const tau = sn * phi;
    const t1 = phi / rho;
    const t2 = -theta / rho;
    let dkNormSq = 0;
    for (let j = 0; j < n; j++) {
      const wj = w[j]!;
      dkNormSq += (wj / rho) ** 2;
      x[j]! += t1 * wj;
      w[j] = v[j]! + t2 * wj;
    }
    ddnorm += dkNormSq;
    const delta = sn2 * rho;
    const gambar = -cs2 * rho;
    const rhs = phi - delta * z;
    const zbar = rhs / gambar;
    const xnorm = Math.sqrt(xxnorm + zbar ** 2);
    const gamma = Math.sqrt(gambar ** 2 + theta ** 2);
    cs2 = gambar / gamma;
    sn2 = theta / gamma;
    z = rhs / gamma;
    xxnorm += z ** 2;
    const acond = anorm * Math.sqrt(ddnorm);
    rnorm = Math.abs(phibar);
    const arnorm = alfa * Math.abs(tau);
    const test1 = rnorm / bnorm;
    const test2 = arnorm / (anorm * rnorm + EPS);
    const test3 = 1 / (acond + EPS);
    const t1b = test1 / (1 + (anorm * xnorm) / bnorm);
    const rtol = btol + (atol * anorm * xnorm) / bnorm;
    // Same order as SciPy: later tests overwrite earlier ones.
    if (itn >= iterLimit) istop = 7;
    if (1 + test3 <= 1) istop = 6;
    if (1 + test2 <= 1) istop = 5;
    if (1 + t1b <= 1) istop = 4;
    if (test3 <= ctol) istop = 3;
    if (test2 <= atol) istop = 2;
    if (test1 <= rtol) istop = 1;
    if (istop !== 0) break;
  }
  return { x, istop, iterations: itn, rnorm };
}

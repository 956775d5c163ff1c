// @tripcast/db: the database's row types and enums only, safe to import from browser code.
// The client lives at @tripcast/db/client, queries at @tripcast/db/queries/*.
export type {
  Alert,
  AuditLog,
  BatchPrediction,
  BatchRun,
  DeadLetter,
  ModelDrift,
  ModelVersion,
  PredictionHistory,
  ShardLease,
  StreamCheckpoint,
} from './generated/prisma/browser';
export {
  DriftSource,
  DriftStatus,
  ModelStage,
  PredictionSource,
  PredictionStatus,
  RunStatus,
  RunTrigger,
  TaxiType,
} from './generated/prisma/browser';

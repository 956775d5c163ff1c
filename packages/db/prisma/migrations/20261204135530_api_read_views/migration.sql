-- The read interface for other applications: documented views in their own schema, and a
-- read-only group role that can use them and nothing else (packages/db/README.md, "Reading from
-- another application").
--
-- Hand-written: Prisma does not model views in a way that keeps them out of its diffs, so they
-- live in the schema `tripcast_api`, which Prisma never looks at (schema.prisma declares no
-- `schemas`, so its engine introspects and diffs `public` only, so schema-agreement.test.ts and
-- `migration:create` both stay clean).
--
-- The column lists are a promise: a view's columns, names, types and meaning never change.
-- A change is a new view (`batch_predictions_v2`) next to the old one, which stays until its
-- readers have moved. A migration that must alter a base-table column a view reads fails
-- ("cannot alter type of a column used by a view"): that is the promise being kept.

CREATE SCHEMA IF NOT EXISTS "tripcast_api";
COMMENT ON SCHEMA "tripcast_api" IS
  'Tripcast''s stable read interface: views whose columns change only with a new view name (<view>_v2). Read them as a member of tripcast_reader.';

-- Roles are cluster-wide: a second database on the same server (or two migrations racing on a
-- fresh server) finds the role already there, hence IF NOT EXISTS in a DO block. Its semicolons
-- are written \073 in an E'' string because the wasm tooling (adapter-pg's executeScript, used by
-- migration:create's shadow database) splits a migration on every semicolon, even inside quotes
-- or comments: keep semicolons out of strings and comments in migrations.
DO E'BEGIN IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = ''tripcast_reader'') THEN CREATE ROLE tripcast_reader NOLOGIN\073 END IF\073 EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL\073 END';

-- Batch runs: one row per run of one month of one taxi type, whatever its status.
CREATE VIEW "tripcast_api"."batch_runs" AS
SELECT
  r.id                  AS run_id,
  r.key                 AS run_key,
  r.taxi_type::text     AS taxi_type,
  r.year                AS year,
  r.month               AS month,
  r.status::text        AS status,
  r.trigger::text       AS trigger,
  r.model_name          AS model_name,
  r.model_version       AS model_version,
  r.rows_read           AS rows_read,
  r.rows_scored         AS rows_scored,
  r.rows_rejected       AS rows_rejected,
  r.input_uri           AS input_uri,
  r.output_uri          AS output_uri,
  r.rejects_uri         AS rejects_uri,
  r.error               AS error,
  r.created_at          AS created_at,
  r.started_at          AS started_at,
  r.finished_at         AS finished_at
FROM public.batch_runs AS r;

COMMENT ON VIEW "tripcast_api"."batch_runs" IS
  'Batch scoring runs, one per run (a month of one taxi type may have several: reruns, failures). Stable columns, a change means a new view batch_runs_v2.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."run_id" IS 'Public run id (as in the console, the REST API /api/v1/runs/{id} and the Parquet file name).';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."run_key" IS 'Compact integer id of the run. Filter tripcast_api.batch_predictions on run_key (not run_id) to read one run fast.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."taxi_type" IS 'yellow, green or fhv.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."year" IS 'Year of the scored month.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."month" IS 'Scored month, 1..12.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."status" IS 'queued, running, succeeded or failed. Only succeeded runs have rows in tripcast_api.batch_predictions.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."trigger" IS 'What started the run: manual (console), schedule, backfill or cli.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."model_name" IS 'Registry name of the model that scored the run (NULL until the run starts).';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."model_version" IS 'Version of the model that scored the run (NULL until the run starts).';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."rows_read" IS 'Trip records read from the input month.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."rows_scored" IS 'Trips scored (rows in batch_predictions for a succeeded run).';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."rows_rejected" IS 'Trips not scored, kept aside with their reason in the rejects file (rejects_uri).';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."input_uri" IS 'The TLC Parquet month that was read (file path or s3:// URI).';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."output_uri" IS 'The predictions Parquet (taxi_type=/year=/month=/<run_id>.parquet), once written.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."rejects_uri" IS 'The rejected rows with their reasons, once written.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."error" IS 'Why a failed run failed, NULL otherwise.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."created_at" IS 'When the run was requested.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."started_at" IS 'When scoring started.';
COMMENT ON COLUMN "tripcast_api"."batch_runs"."finished_at" IS 'When the run succeeded or failed, NULL while queued or running.';

-- Batch predictions of succeeded runs only: a running rerun or a failed run is never half-read.
-- run_key is exposed because it is the partition key: a filter on it (a constant, or a scalar
-- subquery on batch_runs by run_id) prunes the scan to one run and pages along its primary key.
-- Postgres cannot derive that from a filter on run_id alone (it would scan every run).
CREATE VIEW "tripcast_api"."batch_predictions" AS
SELECT
  r.id                                     AS run_id,
  p.run_key                                AS run_key,
  r.taxi_type::text                        AS taxi_type,
  r.year                                   AS year,
  r.month                                  AS month,
  p.row_index                              AS row_index,
  p.ride_id                                AS ride_id,
  p.pickup_datetime                        AS pickup_datetime,
  p.pu_location_id                         AS pu_location_id,
  p.do_location_id                         AS do_location_id,
  p.actual_duration                        AS actual_duration,
  p.predicted_duration                     AS predicted_duration,
  p.actual_duration - p.predicted_duration AS diff,
  r.model_version                          AS model_version
FROM public.batch_runs AS r
JOIN public.batch_predictions AS p ON p.run_key = r.key
WHERE r.status = 'succeeded';

COMMENT ON VIEW "tripcast_api"."batch_predictions" IS
  'One row per scored trip of every succeeded batch run (the rows of the run''s Parquet, course columns in snake_case). Filter on run_key (WHERE run_key = (SELECT run_key FROM tripcast_api.batch_runs WHERE run_id = ...)) and page on row_index. Stable columns, a change means a new view batch_predictions_v2.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."run_id" IS 'The run (tripcast_api.batch_runs.run_id).';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."run_key" IS 'The run''s integer id (tripcast_api.batch_runs.run_key). Filter on it: each run is stored apart, and a run_key filter reads that run only, in row_index order.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."taxi_type" IS 'yellow, green or fhv.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."year" IS 'Year of the scored month.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."month" IS 'Scored month, 1..12.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."row_index" IS 'Position of the trip in the input file (0-based), unique within a run, the paging key.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."ride_id" IS 'The course''s ride id, "YYYY/MM_<row_index>".';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."pickup_datetime" IS 'Pickup time as the TLC records it (New York wall-clock time, no time zone).';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."pu_location_id" IS 'Pickup TLC zone (LocationID 1..265, taxi_zone_lookup.csv).';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."do_location_id" IS 'Drop-off TLC zone (LocationID 1..265).';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."actual_duration" IS 'Recorded trip duration in minutes (drop-off minus pickup), NULL when unknown.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."predicted_duration" IS 'Predicted trip duration in minutes.';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."diff" IS 'actual_duration - predicted_duration, in minutes (the course''s diff column).';
COMMENT ON COLUMN "tripcast_api"."batch_predictions"."model_version" IS 'Version of the model that made the prediction.';

-- Online (prediction API, console) and streaming (Kinesis) predictions, scored or rejected.
CREATE VIEW "tripcast_api"."prediction_history" AS
SELECT
  h.id                  AS id,
  h.source::text        AS source,
  h.status::text        AS status,
  h.ride_id             AS ride_id,
  h.pu_location_id      AS pu_location_id,
  h.do_location_id      AS do_location_id,
  h.trip_distance       AS trip_distance,
  h.predicted_duration  AS predicted_duration,
  h.model_name          AS model_name,
  h.model_version       AS model_version,
  h.reason              AS reason,
  h.created_at          AS created_at
FROM public.prediction_history AS h;

COMMENT ON VIEW "tripcast_api"."prediction_history" IS
  'Every online and streaming prediction (scored) and every input that could not be scored (rejected), one row per input. Batch predictions are in batch_predictions. Stable columns, a change means a new view prediction_history_v2.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."id" IS 'Increasing row id, page newest first on (created_at, id).';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."source" IS 'online (prediction API, console) or stream (Kinesis consumer).';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."status" IS 'scored, or rejected (reason says why).';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."ride_id" IS 'The caller''s ride_id (API) or the event''s ride_id (stream), as text, NULL when none was sent.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."pu_location_id" IS 'Pickup TLC zone (1..265), NULL for some rejected inputs.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."do_location_id" IS 'Drop-off TLC zone (1..265), NULL for some rejected inputs.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."trip_distance" IS 'Trip distance in miles as sent.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."predicted_duration" IS 'Predicted trip duration in minutes, NULL when rejected.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."model_name" IS 'Registry name of the model.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."model_version" IS 'Version of the model that made the prediction.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."reason" IS 'Why a rejected input was rejected (field and rule), NULL when scored.';
COMMENT ON COLUMN "tripcast_api"."prediction_history"."created_at" IS 'When the prediction was made.';

-- The reader sees these views and nothing else: no grant on any public table, no write anywhere.
-- Views run with their owner's rights, so SELECT on a view is enough to read through it.
GRANT USAGE ON SCHEMA "tripcast_api" TO "tripcast_reader";
GRANT SELECT ON "tripcast_api"."batch_runs", "tripcast_api"."batch_predictions", "tripcast_api"."prediction_history" TO "tripcast_reader";

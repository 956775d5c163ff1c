# The batch predictions, queryable in place with Athena: a Glue catalog table
# over the Parquet the scorer writes (s3://<predictions>/taxi_type=/year=/month=/
# <run_id>.parquet), with partition projection so a new month is queryable the
# moment its file lands (no crawler, no MSCK REPAIR, no partition API calls),
# and an Athena workgroup that keeps its results in their own bucket and caps
# what one query may scan. A managed policy lets another team's role query it.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # Glue and Athena names: lowercase letters, digits and underscores.
  database_name  = replace("${var.name}_predictions", "-", "_")
  table_name     = "batch_predictions"
  predictions    = "s3://${var.predictions_bucket_name}"
  catalog_arn    = "arn:aws:glue:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:catalog"
  database_arn   = "arn:aws:glue:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:database/${local.database_name}"
  table_arn      = "arn:aws:glue:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:table/${local.database_name}/${local.table_name}"
  results_prefix = "results/"
}

resource "aws_glue_catalog_database" "this" {
  name        = local.database_name
  description = "Tripcast ${var.name}: batch predictions written by the scorer"
}

resource "aws_glue_catalog_table" "batch_predictions" {
  name          = local.table_name
  database_name = aws_glue_catalog_database.this.name
  description   = "One row per scored trip of a batch run (the course's output columns); one file per run under each month"
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    EXTERNAL              = "TRUE"
    classification        = "parquet"
    "parquet.compression" = "ZSTD"

    # Partition projection: Athena computes the partitions from these rules instead of
    # reading them from the catalog. Values follow the scorer's keys (apps/scorer/src/paths.ts):
    # taxi_type is the TLC's type, year has four digits, month two (month=01).
    "projection.enabled"          = "true"
    "projection.taxi_type.type"   = "enum"
    "projection.taxi_type.values" = join(",", var.taxi_types)
    "projection.year.type"        = "integer"
    "projection.year.range"       = "${var.first_year},${var.last_year}"
    "projection.month.type"       = "integer"
    "projection.month.range"      = "1,12"
    "projection.month.digits"     = "2"
    "storage.location.template"   = "${local.predictions}/taxi_type=$${taxi_type}/year=$${year}/month=$${month}/"
  }

  partition_keys {
    name    = "taxi_type"
    type    = "string"
    comment = "TLC taxi type: yellow, green or fhv"
  }

  partition_keys {
    name    = "year"
    type    = "int"
    comment = "Year of the scored month"
  }

  partition_keys {
    name    = "month"
    type    = "int"
    comment = "Month of the scored month, 1-12"
  }

  # The Parquet's own types, as apps/scorer/src/score-month.ts (buildOutputCopy) writes them:
  # VARCHAR, TIMESTAMP (microseconds, no time zone), INTEGER, DOUBLE. Athena matches Parquet
  # columns by name, case-insensitively (PULocationID is pulocationid here).
  storage_descriptor {
    location      = "${local.predictions}/"
    input_format  = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat"

    ser_de_info {
      name                  = "parquet"
      serialization_library = "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    }

    columns {
      name    = "ride_id"
      type    = "string"
      comment = "The homework's ride id, YYYY/MM_<row index in the TLC file>"
    }

    columns {
      name    = "pickup_datetime"
      type    = "timestamp"
      comment = "Pickup time as the TLC records it (New York local time, no zone)"
    }

    columns {
      name    = "pulocationid"
      type    = "int"
      comment = "Pickup TLC zone (1-265)"
    }

    columns {
      name    = "dolocationid"
      type    = "int"
      comment = "Drop-off TLC zone (1-265)"
    }

    columns {
      name    = "actual_duration"
      type    = "double"
      comment = "Minutes from pickup to drop-off"
    }

    columns {
      name    = "predicted_duration"
      type    = "double"
      comment = "Minutes the model predicted"
    }

    columns {
      name    = "diff"
      type    = "double"
      comment = "actual_duration - predicted_duration"
    }

    columns {
      name    = "model_version"
      type    = "string"
      comment = "Model version that made the prediction"
    }
  }
}

resource "aws_athena_workgroup" "this" {
  name          = "${var.name}-predictions"
  description   = "Queries over the Tripcast batch predictions"
  force_destroy = var.force_destroy

  configuration {
    # Users cannot point results elsewhere or turn encryption off.
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${var.results_bucket_name}/${local.results_prefix}"

      encryption_configuration {
        encryption_option = "SSE_S3"
      }
    }
  }

  tags = { Component = "catalog" }
}

# ------------------------------------------- for a downstream team's role
data "aws_iam_policy_document" "reader" {
  statement {
    sid       = "QueryInWorkgroup"
    actions   = ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults", "athena:StopQueryExecution", "athena:GetWorkGroup"]
    resources = [aws_athena_workgroup.this.arn]
  }

  statement {
    sid       = "ReadCatalog"
    actions   = ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartitions"]
    resources = [local.catalog_arn, local.database_arn, local.table_arn]
  }

  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket", "s3:GetBucketLocation"]
    resources = [var.predictions_bucket_arn, var.results_bucket_arn]
  }

  statement {
    sid       = "ReadPredictions"
    actions   = ["s3:GetObject"]
    resources = ["${var.predictions_bucket_arn}/*"]
  }

  statement {
    sid       = "WriteOwnResults"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.results_bucket_arn}/${local.results_prefix}*"]
  }
}

resource "aws_iam_policy" "reader" {
  name        = "${var.name}-predictions-reader"
  description = "Query the Tripcast batch predictions with Athena (workgroup ${aws_athena_workgroup.this.name}); attach to a downstream team's role"
  policy      = data.aws_iam_policy_document.reader.json

  tags = { Component = "catalog" }
}

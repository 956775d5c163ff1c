# The batch scorer: one Fargate task definition, run
#   - monthly by EventBridge Scheduler (cron(0 3 2 * ? *): the 2nd at 03:00 UTC)
#     with DATE = the scheduled time, so the container scores the previous month;
#   - on demand by the console through ecs:RunTask (see the console module).
# A run that stops with a non-zero exit code or fails to start is counted in a
# custom metric, which the observability module alarms on.

data "aws_region" "current" {}

locals {
  container_name = "scorer"

  # Where runs read and write (the scorer's course patterns, see apps/scorer/src/paths.ts):
  # input mirrors the TLC file names; output is a root under which the scorer builds
  # taxi_type=/year=/month=/<run_id>.parquet; rejects go under the object store root.
  input_file_pattern  = "s3://${var.bucket_names.trip_data}/{taxi_type}_tripdata_{year:04d}-{month:02d}.parquet"
  output_file_pattern = "s3://${var.bucket_names.predictions}"
  object_store_uri    = "s3://${var.bucket_names.models}"

  metric_namespace = "Tripcast/${var.name}"
}

# ------------------------------------------------------- task (../ecs-task)
data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ListOwnBuckets"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arns.trip_data, var.bucket_arns.predictions, var.bucket_arns.models]
  }

  statement {
    sid       = "ReadTripData"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns.trip_data}/*"]
  }

  statement {
    sid       = "ReadModels"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns.models}/models/*"]
  }

  statement {
    sid       = "WriteRejects"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns.models}/rejects/*"]
  }

  # A rerun of a killed run replaces its own file, hence Delete.
  statement {
    sid       = "WritePredictions"
    actions   = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns.predictions}/*"]
  }

  # "Batch run finished" events (source tripcast.scorer), on the platform's bus only.
  statement {
    sid       = "PublishRunEvents"
    actions   = ["events:PutEvents"]
    resources = [var.run_events_bus_arn]
  }
}

module "task" {
  source = "../ecs-task"

  name_prefix    = var.name
  name           = local.container_name
  component      = "scorer"
  image          = var.image
  repository_arn = var.repository_arn
  cpu            = var.cpu
  memory         = var.memory
  # A month of yellow trips is a few hundred MB of Parquet: room to download, and for DuckDB to spill to /tmp.
  ephemeral_storage_gib = var.ephemeral_storage_gib
  log_retention_days    = var.log_retention_days
  task_role_description = "Scorer task: read trip data and models, write predictions and rejects"
  task_policies         = { scorer = data.aws_iam_policy_document.task.json }

  # The image's default command is the container form: `scorer run` reading DATE and TAXI_TYPE.
  environment = {
    AWS_REGION          = data.aws_region.current.region
    OBJECT_STORE_URI    = local.object_store_uri
    INPUT_FILE_PATTERN  = local.input_file_pattern
    OUTPUT_FILE_PATTERN = local.output_file_pattern
    MODEL_NAME          = var.model_name
    TAXI_TYPE           = var.default_taxi_type
    LOG_LEVEL           = "info"
    # "Batch run finished" (source tripcast.scorer) on the platform's bus when a run ends.
    RUN_EVENTS_BUS_NAME = var.run_events_bus_name
  }
  secrets = {
    DATABASE_URL = { secret_arn = var.database_secret_arn, key = "database_url" }
  }
}

# ---------------------------------------------------------------- schedule
data "aws_iam_policy_document" "scheduler_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name}-scorer-scheduler"
  description        = "EventBridge Scheduler: run the scorer task, nothing else"
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume.json

  tags = { Component = "scorer" }
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "RunScorerTask"
    actions   = ["ecs:RunTask"]
    resources = ["${module.task.task_definition_arn_without_revision}:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "PassScorerRoles"
    actions   = ["iam:PassRole"]
    resources = [module.task.execution_role_arn, module.task.task_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.schedule_dead_letter.arn]
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "run-scorer"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}

# Invocations the scheduler could not deliver (RunTask refused, throttled) land here.
resource "aws_sqs_queue" "schedule_dead_letter" {
  name                      = "${var.name}-scorer-schedule-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true

  tags = { Component = "scorer" }
}

resource "aws_scheduler_schedule" "monthly" {
  for_each = toset(var.scheduled_taxi_types)

  name                         = "${var.name}-scorer-${each.value}"
  description                  = "Score last month's ${each.value} trips"
  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = module.task.task_definition_arn
      launch_type         = "FARGATE"
      task_count          = 1

      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = [var.security_group_id]
        assign_public_ip = false
      }
    }

    # The previous-month input: the scheduler substitutes the scheduled time
    # (e.g. 2021-03-02T03:00:00Z) and the container form scores the month before
    # DATE (2021-02), exactly like the course's DATE=2021-03-01.
    input = jsonencode({
      containerOverrides = [
        {
          name = local.container_name
          environment = [
            { name = "DATE", value = "<aws.scheduler.scheduled-time>" },
            { name = "TAXI_TYPE", value = each.value },
          ]
        }
      ]
    })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dead_letter.arn
    }
  }
}

# ------------------------------------------------------ daily drift job
# Online and stream predictions have no actual durations: once a day the same
# image measures yesterday's input and prediction drift per model version
# (`scorer drift`, default day = the day before the scheduled time).
resource "aws_scheduler_schedule" "daily_drift" {
  name                         = "${var.name}-scorer-drift"
  description                  = "Measure yesterday's online and stream drift per model version"
  schedule_expression          = var.drift_schedule_expression
  schedule_expression_timezone = "UTC"
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = var.cluster_arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = module.task.task_definition_arn
      launch_type         = "FARGATE"
      task_count          = 1

      network_configuration {
        subnets          = var.subnet_ids
        security_groups  = [var.security_group_id]
        assign_public_ip = false
      }
    }

    input = jsonencode({
      containerOverrides = [
        {
          name    = local.container_name
          command = ["drift"]
        }
      ]
    })

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }

    dead_letter_config {
      arn = aws_sqs_queue.schedule_dead_letter.arn
    }
  }
}

# ------------------------------------------------------- drift alert metric
# Every crossed drift threshold is logged by the scorer as a JSON line with
# event = "monitoring.alert" (and stored in the alerts table the console
# shows); this filter turns those lines into a metric the observability
# module alarms on, to the platform's SNS topic.
resource "aws_cloudwatch_log_metric_filter" "drift_alerts" {
  name           = "${var.name}-scorer-drift-alerts"
  log_group_name = module.task.log_group_name
  pattern        = "{ $.event = \"monitoring.alert\" && $.severity = \"alert\" }"

  metric_transformation {
    name          = "ModelDriftAlerts"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }
}

# ------------------------------------------------------- failed-run metric
# ECS reports every stopped task to EventBridge. A scorer task that exits
# non-zero, or never starts (image pull, capacity), is written to a log group
# and counted by a metric filter: this catches crashes and OOM kills that the
# application itself cannot log.
resource "aws_cloudwatch_log_group" "failed_runs" {
  name              = "/aws/events/${var.name}-scorer-failed-runs"
  retention_in_days = var.log_retention_days

  tags = { Component = "scorer" }
}

resource "aws_cloudwatch_event_rule" "failed_run" {
  name        = "${var.name}-scorer-failed-run"
  description = "A scorer task stopped with a non-zero exit code or failed to start"

  event_pattern = jsonencode({
    source        = ["aws.ecs"]
    "detail-type" = ["ECS Task State Change"]
    detail = {
      clusterArn = [var.cluster_arn]
      group      = ["family:${module.task.family}"]
      lastStatus = ["STOPPED"]
      "$or" = [
        { containers = { exitCode = [{ "anything-but" = 0 }] } },
        { stopCode = ["TaskFailedToStart"] },
      ]
    }
  })

  tags = { Component = "scorer" }
}

resource "aws_cloudwatch_event_target" "failed_run" {
  rule = aws_cloudwatch_event_rule.failed_run.name
  arn  = aws_cloudwatch_log_group.failed_runs.arn
}

data "aws_iam_policy_document" "events_to_logs" {
  statement {
    sid       = "EventBridgeWritesFailedRuns"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.failed_runs.arn}:*"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "delivery.logs.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "failed_runs" {
  policy_name     = "${var.name}-scorer-failed-runs"
  policy_document = data.aws_iam_policy_document.events_to_logs.json
}

resource "aws_cloudwatch_log_metric_filter" "failed_runs" {
  name           = "${var.name}-scorer-failed-runs"
  log_group_name = aws_cloudwatch_log_group.failed_runs.name
  pattern        = "" # every event in this group is one failed run

  metric_transformation {
    name          = "FailedBatchRuns"
    namespace     = local.metric_namespace
    value         = "1"
    default_value = "0"
  }
}

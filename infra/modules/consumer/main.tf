# The stream consumer: reads ride_events, scores each ride, puts predictions
# on ride_predictions and records them in the history table.
#
# mode = "lambda" (default): a container-image Lambda behind a Kinesis event
#   source mapping. Partial failures are reported per record
#   (ReportBatchItemFailures), a failing batch is bisected, retries are bounded,
#   and what is finally given up on is sent to the SQS on-failure destination.
# mode = "ecs": the standalone poller as a Fargate service (shard leases in
#   Postgres), for steady high volume where an always-on task is cheaper than
#   invocations. The two modes never run together: both would publish every
#   prediction twice.

data "aws_region" "current" {}

locals {
  is_lambda = var.mode == "lambda"
  is_ecs    = var.mode == "ecs"

  common_environment = {
    AWS_REGION              = data.aws_region.current.region
    INPUT_STREAM_NAME       = var.input_stream_name
    PREDICTIONS_STREAM_NAME = var.predictions_stream_name
    MODEL_NAME              = var.model_name
    OBJECT_STORE_URI        = var.object_store_uri
    LOG_LEVEL               = "info"
  }
}

# ------------------------------------------------- what the consumer may do
# Shared by the Lambda role and the ECS task role (each role gets its own copy).
# Rejected events go to the dead_letters table in Postgres, not to S3: no S3 write.
data "aws_iam_policy_document" "consume" {
  statement {
    sid = "ReadInputStream"
    actions = [
      "kinesis:DescribeStream",
      "kinesis:DescribeStreamSummary",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
    ]
    resources = [var.input_stream_arn]
  }

  statement {
    sid       = "WriteOutputStream"
    actions   = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = [var.predictions_stream_arn]
  }

  statement {
    sid       = "ListModels"
    actions   = ["s3:ListBucket"]
    resources = [var.models_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["models/*"]
    }
  }

  statement {
    sid       = "ReadModels"
    actions   = ["s3:GetObject"]
    resources = ["${var.models_bucket_arn}/models/*"]
  }
}

# ================================================================== Lambda
resource "aws_cloudwatch_log_group" "lambda" {
  name              = "/aws/lambda/${var.name}-consumer"
  retention_in_days = var.log_retention_days

  tags = { Component = "consumer" }
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name               = "${var.name}-consumer-lambda"
  description        = "Stream consumer Lambda: read ride_events, write ride_predictions, DLQ, models"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = { Component = "consumer" }
}

data "aws_iam_policy_document" "lambda" {
  source_policy_documents = [data.aws_iam_policy_document.consume.json]

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda.arn}:*"]
  }

  statement {
    sid       = "OnFailureDestination"
    actions   = ["sqs:SendMessage"]
    resources = [var.dead_letter_queue_arn]
  }

  # The image's entry fetches DATABASE_URL at init (Lambda cannot inject secrets).
  statement {
    sid       = "ReadDatabaseSecret"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.database_secret_arn]
  }

  # ENIs for running in the VPC. EC2 offers no resource-level permissions for
  # the Describe call, and Lambda creates the ENIs itself: this is the same set
  # as AWS's AWSLambdaVPCAccessExecutionRole.
  statement {
    sid = "VpcNetworkInterfaces"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:DeleteNetworkInterface",
      "ec2:AssignPrivateIpAddresses",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "lambda" {
  name   = "consumer"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_lambda_function" "this" {
  function_name = "${var.name}-consumer"
  description   = "Scores ride events from Kinesis and publishes predictions"
  role          = aws_iam_role.lambda.arn
  package_type  = "Image"
  image_uri     = var.image
  architectures = ["x86_64"] # linux-x64 onnxruntime binaries only
  memory_size   = var.lambda_memory_mb
  timeout       = var.lambda_timeout_seconds

  # A Kinesis mapping already bounds concurrency to shards x parallelization_factor
  # (so Postgres connections too); reserving more is opt-in, because a new account's
  # concurrency quota can be as low as 10 and must keep 10 unreserved.
  reserved_concurrent_executions = var.lambda_reserved_concurrency

  environment {
    variables = merge(local.common_environment, {
      DATABASE_SECRET_ARN = var.database_secret_arn
      # The runtime's bundle includes the RDS CAs; Node does not load it by default.
      NODE_EXTRA_CA_CERTS = "/var/runtime/ca-cert.pem"
    })
  }

  vpc_config {
    subnet_ids         = var.subnet_ids
    security_group_ids = [var.security_group_id]
  }

  logging_config {
    log_format = "Text" # the app already writes pino JSON lines
    log_group  = aws_cloudwatch_log_group.lambda.name
  }

  tags = { Component = "consumer" }

  depends_on = [aws_iam_role_policy.lambda]
}

resource "aws_lambda_event_source_mapping" "this" {
  event_source_arn  = var.input_stream_arn
  function_name     = aws_lambda_function.this.arn
  enabled           = local.is_lambda
  starting_position = "LATEST"

  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  parallelization_factor             = var.parallelization_factor

  # A poison record is isolated by halving the batch; it cannot block its
  # shard for longer than the retry and age bounds below.
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = var.maximum_retry_attempts
  maximum_record_age_in_seconds  = var.maximum_record_age_seconds

  # The handler returns { batchItemFailures: [{ itemIdentifier }] }: only the
  # failed record and those after it are retried.
  function_response_types = ["ReportBatchItemFailures"]

  destination_config {
    on_failure {
      destination_arn = var.dead_letter_queue_arn
    }
  }
}

# ============================================ standalone poller on ECS (option)
module "task" {
  source = "../ecs-task"
  count  = local.is_ecs ? 1 : 0

  name_prefix           = var.name
  name                  = "consumer"
  component             = "consumer"
  image                 = var.image
  repository_arn        = var.repository_arn
  cpu                   = var.ecs_cpu
  memory                = var.ecs_memory
  log_retention_days    = var.log_retention_days
  task_role_description = "Standalone stream consumer task: read ride_events, write ride_predictions, models"
  task_policies         = { consumer = data.aws_iam_policy_document.consume.json }

  # The same image as the Lambda (apps/stream-consumer/Dockerfile): the CLI's
  # `consume` command instead of the handler, as an unprivileged user.
  entry_point = ["node"]
  command     = ["/var/task/apps/stream-consumer/src/cli.mjs", "consume"]
  user        = "65534:65534"
  environment = merge(local.common_environment, { NODE_EXTRA_CA_CERTS = "/var/runtime/ca-cert.pem" })
  secrets = {
    DATABASE_URL = { secret_arn = var.database_secret_arn, key = "database_url" }
  }
}

resource "aws_ecs_service" "this" {
  count = local.is_ecs ? 1 : 0

  name            = "${var.name}-consumer"
  cluster         = var.cluster_arn
  task_definition = module.task[0].task_definition_arn
  desired_count   = var.ecs_task_count
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = { Component = "consumer" }
}

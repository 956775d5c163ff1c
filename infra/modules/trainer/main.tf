# Model training as a one-off Fargate task: trains the course's model from TLC
# months (s3:// in the trip-data bucket, or the TLC's https:// URLs through
# NAT), registers the version in the model store and, with --promote, makes it
# the production model. This is how a new account gets its first model
# (docs/deploy.md, step 6), and how a retrain runs without a laptop inside
# the VPC. It uses the scorer image of the release, which carries the model
# package's `train` CLI (packages/model/src/cli/train.ts, bundled).

data "aws_region" "current" {}

locals {
  container_name = "train"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/tripcast/${var.name}/train"
  retention_in_days = var.log_retention_days

  tags = { Component = "trainer" }
}

module "execution_role" {
  source = "../task-execution-role"

  name           = "${var.name}-train"
  component      = "trainer"
  repository_arn = var.repository_arn
  log_group_arn  = aws_cloudwatch_log_group.this.arn
  secret_arns    = [var.database_secret_arn]
}

data "aws_iam_policy_document" "task_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "task" {
  name               = "${var.name}-train-task"
  description        = "Training task: read trip data, write model artifacts"
  assume_role_policy = data.aws_iam_policy_document.task_assume.json

  tags = { Component = "trainer" }
}

data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arns.trip_data, var.bucket_arns.models]
  }

  statement {
    sid       = "ReadTripData"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns.trip_data}/*"]
  }

  statement {
    sid       = "WriteModels"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns.models}/models/*"]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "train"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name}-train"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = module.execution_role.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  ephemeral_storage {
    size_in_gib = 40
  }

  container_definitions = jsonencode([
    {
      name       = local.container_name
      image      = var.image
      essential  = true
      entryPoint = ["node", "/app/packages/model/src/cli/train.mjs"]
      # Give the months with a command override (docs/deploy.md); without one it prints its help.
      command = ["--help"]
      environment = [
        { name = "AWS_REGION", value = data.aws_region.current.region },
        { name = "OBJECT_STORE_URI", value = var.object_store_uri },
        { name = "MODEL_NAME", value = var.model_name },
      ]
      secrets = [
        { name = "DATABASE_URL", valueFrom = "${var.database_secret_arn}:database_url::" },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = "train"
        }
      }
    }
  ])

  tags = { Component = "trainer" }
}

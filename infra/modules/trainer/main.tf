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

module "task" {
  source = "../ecs-task"

  name_prefix           = var.name
  name                  = local.container_name
  component             = "trainer"
  image                 = var.image
  repository_arn        = var.repository_arn
  cpu                   = var.cpu
  memory                = var.memory
  ephemeral_storage_gib = 40
  log_retention_days    = var.log_retention_days
  task_role_description = "Training task: read trip data, write model artifacts"
  task_policies         = { train = data.aws_iam_policy_document.task.json }

  entry_point = ["node", "/app/packages/model/src/cli/train.mjs"]
  # Give the months with a command override (docs/deploy.md); without one it prints its help.
  command = ["--help"]
  environment = {
    AWS_REGION       = data.aws_region.current.region
    OBJECT_STORE_URI = var.object_store_uri
    MODEL_NAME       = var.model_name
  }
  secrets = {
    DATABASE_URL = { secret_arn = var.database_secret_arn, key = "database_url" }
  }
}

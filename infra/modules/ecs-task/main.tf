# One component's ECS task: its log group, its execution role (through
# ../task-execution-role: pull its own image, write its own logs, read the
# secrets it injects), its task role with the component's own policy, and a
# Fargate task definition with one container. Every ECS workload of the
# platform (console, scorer, trainer, migrate, the consumer's poller) is one
# call of this module, so they cannot drift in how they log, run or are trusted.

data "aws_region" "current" {}

locals {
  family = "${var.name_prefix}-${var.name}"

  # A secret with a key injects that JSON key of the secret (ECS's "arn:key::" form).
  secrets = [
    for env_name, secret in var.secrets : {
      name      = env_name
      valueFrom = secret.key == null ? secret.secret_arn : "${secret.secret_arn}:${secret.key}::"
    }
  ]
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/tripcast/${var.name_prefix}/${var.name}"
  retention_in_days = var.log_retention_days

  tags = { Component = var.component }
}

module "execution_role" {
  source = "../task-execution-role"

  name           = local.family
  component      = var.component
  repository_arn = var.repository_arn
  log_group_arn  = aws_cloudwatch_log_group.this.arn
  secret_arns    = distinct([for secret in values(var.secrets) : secret.secret_arn])
}

# ---------------------------------------------------------------- task role
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
  name               = "${local.family}-task"
  description        = var.task_role_description
  assume_role_policy = data.aws_iam_policy_document.task_assume.json

  tags = { Component = var.component }
}

# Keyed by policy name: the names are known at plan time even when the documents are not.
resource "aws_iam_role_policy" "task" {
  for_each = var.task_policies

  name   = each.key
  role   = aws_iam_role.task.id
  policy = each.value
}

# ---------------------------------------------------------- task definition
resource "aws_ecs_task_definition" "this" {
  family                   = local.family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = module.execution_role.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64" # the images ship linux-x64 onnxruntime and DuckDB binaries only
  }

  dynamic "ephemeral_storage" {
    for_each = var.ephemeral_storage_gib == null ? [] : [var.ephemeral_storage_gib]

    content {
      size_in_gib = ephemeral_storage.value
    }
  }

  # Keys with a null value are left out, so ECS keeps its defaults (the image's entrypoint, ...).
  container_definitions = jsonencode([
    { for key, value in {
      name         = var.name
      image        = var.image
      essential    = true
      entryPoint   = var.entry_point
      command      = var.command
      user         = var.user
      portMappings = var.container_port == null ? null : [{ containerPort = var.container_port, protocol = "tcp" }]
      environment  = [for env_name in sort(keys(var.environment)) : { name = env_name, value = var.environment[env_name] }]
      secrets      = local.secrets
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = var.name
        }
      }
    } : key => value if value != null }
  ])

  tags = { Component = var.component }
}

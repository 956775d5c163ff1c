# One component's ECS task: its log group, its execution role (through
# ../task-execution-role: pull its own image, write its own logs, read the
# secrets it injects), its task role with the component's own policy, and a
# Fargate task definition with one container. Every ECS workload of the
# platform (console, scorer, trainer, migrate, the consumer's poller) is one
# call of this module, so they cannot drift in how they log, run or are trusted.

data "aws_region" "current" {}

locals {
  family = "${var.name_prefix}-${var.name}"

  # The init containers, in order, then the main one: each starts once the one before it has
  # exited 0 (ECS dependsOn SUCCESS), so a failed step stops the task before the app starts.
  containers = concat(
    [for init in var.init_containers : merge(init, { essential = false })],
    [{
      name           = var.name
      image          = var.image
      repository_arn = var.repository_arn
      entry_point    = var.entry_point
      command        = var.command
      environment    = var.environment
      secrets        = var.secrets
      essential      = true
    }],
  )

  all_secrets = merge(concat([var.secrets], [for init in var.init_containers : init.secrets])...)
}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/tripcast/${var.name_prefix}/${var.name}"
  retention_in_days = var.log_retention_days

  tags = { Component = var.component }
}

module "execution_role" {
  source = "../task-execution-role"

  name            = local.family
  component       = var.component
  repository_arns = distinct([for container in local.containers : container.repository_arn])
  log_group_arn   = aws_cloudwatch_log_group.this.arn
  secret_arns     = distinct([for secret in values(local.all_secrets) : secret.secret_arn])
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
    for index, container in local.containers : { for key, value in {
      name         = container.name
      image        = container.image
      essential    = container.essential
      entryPoint   = container.entry_point
      command      = container.command
      user         = var.user
      portMappings = container.essential && var.container_port != null ? [{ containerPort = var.container_port, protocol = "tcp" }] : null
      dependsOn    = index == 0 ? null : [{ containerName = local.containers[max(index - 1, 0)].name, condition = "SUCCESS" }]
      environment  = [for env_name in sort(keys(container.environment)) : { name = env_name, value = container.environment[env_name] }]
      secrets = [
        # A secret with a key injects that JSON key of the secret (ECS's "arn:key::" form).
        for env_name, secret in container.secrets : {
          name      = env_name
          valueFrom = secret.key == null ? secret.secret_arn : "${secret.secret_arn}:${secret.key}::"
        }
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = container.name
        }
      }
    } : key => value if value != null }
  ])

  tags = { Component = var.component }
}

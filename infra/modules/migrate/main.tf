# Database migrations as a one-off Fargate task, run before a new version
# serves (docs/deploy.md, "Release"): it applies packages/db's committed
# migrations under an advisory lock and exits, so running it twice is safe.
# It uses the scorer image of the same release tag, which ships the migration
# runner and the SQL files. It needs no AWS access at run time: no task role.

data "aws_region" "current" {}

resource "aws_cloudwatch_log_group" "this" {
  name              = "/tripcast/${var.name}/migrate"
  retention_in_days = var.log_retention_days

  tags = { Component = "migrate" }
}

module "execution_role" {
  source = "../task-execution-role"

  name           = "${var.name}-migrate"
  component      = "migrate"
  repository_arn = var.repository_arn
  log_group_arn  = aws_cloudwatch_log_group.this.arn
  secret_arns    = [var.database_secret_arn]
}

resource "aws_ecs_task_definition" "this" {
  family                   = "${var.name}-migrate"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = module.execution_role.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name      = "migrate"
      image     = var.image
      essential = true
      # packages/db's migrate CLI; builtin = the advisory-locked applier (the image has no
      # Prisma schema engine), which keeps Prisma's _prisma_migrations table.
      entryPoint = ["node", "/app/packages/db/src/migrate-cli.mjs"]
      command    = ["--engine", "builtin"]
      secrets = [
        { name = "DATABASE_URL", valueFrom = "${var.database_secret_arn}:database_url::" },
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = data.aws_region.current.region
          awslogs-stream-prefix = "migrate"
        }
      }
    }
  ])

  tags = { Component = "migrate" }
}

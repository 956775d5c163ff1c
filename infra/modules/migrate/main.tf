# Database migrations as a one-off Fargate task, run before a new version
# serves (docs/deploy.md, "Release"): it applies packages/db's committed
# migrations under an advisory lock and exits, so running it twice is safe.
# It uses the scorer image of the same release tag, which ships the migration
# runner and the SQL files. It needs no AWS access at run time: its task role has no policy.

data "aws_region" "current" {}

module "task" {
  source = "../ecs-task"

  name_prefix           = var.name
  name                  = "migrate"
  component             = "migrate"
  image                 = var.image
  repository_arn        = var.repository_arn
  cpu                   = 256
  memory                = 512
  log_retention_days    = var.log_retention_days
  task_role_description = "Migration task: no AWS access"
  task_policies         = {}

  # packages/db's migrate CLI; builtin = the advisory-locked applier (the image has no
  # Prisma schema engine), which keeps Prisma's _prisma_migrations table.
  entry_point = ["node", "/app/packages/db/src/migrate-cli.mjs"]
  command     = ["--engine", "builtin"]
  secrets = {
    DATABASE_URL = { secret_arn = var.database_secret_arn, key = "database_url" }
  }
}

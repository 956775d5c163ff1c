# The console: a Fargate service behind an internet-facing ALB. The same
# process serves the Next.js UI (tRPC) and the public JSON API (/api/v1/*);
# the ALB health-checks /api/health. It triggers scorer runs and training
# jobs with ecs:RunTask, limited to the scorer's and the trainer's task
# definition families and roles.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  container_name = "console"
  is_https       = var.domain_name != null
  console_url    = local.is_https ? "https://${var.domain_name}" : "http://${aws_lb.this.dns_name}"
}

# Signs the console's session cookies (better-auth's BETTER_AUTH_SECRET): generated once at the
# first apply and kept in Secrets Manager; later plans must not rotate it (that would sign
# everyone out), hence ignore_changes.
data "aws_secretsmanager_random_password" "auth" {
  password_length     = 48
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret" "auth" {
  name        = "${var.name}-console-auth"
  description = "Session-signing secret of the Tripcast console"

  tags = { Component = "console" }
}

resource "aws_secretsmanager_secret_version" "auth" {
  secret_id     = aws_secretsmanager_secret.auth.id
  secret_string = data.aws_secretsmanager_random_password.auth.random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

# The first admin's one-time password (the first-admin init container puts it here; the deploy's
# output names it). Terraform creates the secret empty and never reads its value.
resource "aws_secretsmanager_secret" "first_admin" {
  name        = "${var.name}-console-first-admin"
  description = "Email, one-time password and sign-in URL of the first Tripcast console admin"

  tags = { Component = "console" }
}

# ------------------------------------------------------- task (../ecs-task)
data "aws_iam_policy_document" "task" {
  statement {
    sid       = "ListBuckets"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arns.models, var.bucket_arns.predictions]
  }

  # Analysts register and download model versions from the console.
  statement {
    sid       = "ReadWriteModels"
    actions   = ["s3:GetObject", "s3:PutObject"]
    resources = ["${var.bucket_arns.models}/models/*"]
  }

  # First start (init containers): the first model, and the TLC month it trained on under trip-data/.
  statement {
    sid       = "BootstrapTripData"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${var.bucket_arns.models}/trip-data/*"]
  }

  statement {
    sid       = "StoreFirstAdminPassword"
    actions   = ["secretsmanager:PutSecretValue"]
    resources = [aws_secretsmanager_secret.first_admin.arn]
  }

  statement {
    sid       = "ReadOutputs"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arns.predictions}/*", "${var.bucket_arns.models}/rejects/*"]
  }

  statement {
    sid       = "DescribeInputStream"
    actions   = ["kinesis:DescribeStreamSummary"]
    resources = [var.input_stream_arn]
  }

  # Any revision of the scorer and trainer families (RunTask by family runs the latest one), in
  # this cluster only: batch runs and the Training page's jobs.
  statement {
    sid       = "RunScorerAndTrainerTasksOnly"
    actions   = ["ecs:RunTask"]
    resources = ["${var.scorer.task_definition_arn_without_revision}:*", "${var.trainer.task_definition_arn_without_revision}:*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "WatchAndStopTasks"
    actions   = ["ecs:DescribeTasks", "ecs:StopTask"]
    resources = ["arn:aws:ecs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:task/${var.cluster_name}/*"]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "PassScorerAndTrainerRolesOnly"
    actions   = ["iam:PassRole"]
    resources = [var.scorer.execution_role_arn, var.scorer.task_role_arn, var.trainer.execution_role_arn, var.trainer.task_role_arn]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

module "task" {
  source = "../ecs-task"

  name_prefix           = var.name
  name                  = local.container_name
  component             = "console"
  image                 = var.image
  repository_arn        = var.repository_arn
  cpu                   = var.cpu
  memory                = var.memory
  container_port        = var.container_port
  log_retention_days    = var.log_retention_days
  task_role_description = "Console task: models, prediction files, and running the scorer task only"
  task_policies         = { console = data.aws_iam_policy_document.task.json }

  # Every console task, first deploy or release, runs these to completion before the console
  # starts, so nothing is left to do by hand after `terraform apply`: each is idempotent, and
  # takes an advisory lock, so tasks starting together do each step once.
  init_containers = [
    {
      # packages/db's committed migrations (the builtin applier: the image has no schema engine).
      name           = "migrate"
      image          = var.bootstrap_image
      repository_arn = var.bootstrap_repository_arn
      entry_point    = ["node", "/app/packages/db/src/migrate-cli.mjs"]
      command        = ["--engine", "builtin"]
      secrets        = { DATABASE_URL = { secret_arn = var.database_secret_arn, key = "database_url" } }
    },
    {
      # A production model if there is none: the course's model trained on the TLC's green
      # 2021-01 (through NAT), or on a generated month if the TLC cannot be reached.
      name           = "model-bootstrap"
      image          = var.bootstrap_image
      repository_arn = var.bootstrap_repository_arn
      entry_point    = ["node", "/app/packages/model/src/cli/bootstrap.mjs"]
      environment = {
        AWS_REGION       = data.aws_region.current.region
        OBJECT_STORE_URI = var.object_store_uri
        MODEL_NAME       = var.model_name
        TRIPCAST_ACTOR   = "deploy (first model)"
      }
      secrets = { DATABASE_URL = { secret_arn = var.database_secret_arn, key = "database_url" } }
    },
    {
      # The first admin if there are no users; its password goes to the first_admin secret only.
      name           = "first-admin"
      image          = var.image
      repository_arn = var.repository_arn
      entry_point    = ["node", "/app/apps/console/scripts/ensure-first-admin.mjs"]
      environment = {
        AWS_REGION             = data.aws_region.current.region
        CONSOLE_PUBLIC_URL     = local.console_url
        FIRST_ADMIN_SECRET_ARN = aws_secretsmanager_secret.first_admin.arn
      }
      secrets = {
        DATABASE_URL       = { secret_arn = var.database_secret_arn, key = "database_url" }
        BETTER_AUTH_SECRET = { secret_arn = aws_secretsmanager_secret.auth.arn }
      }
    },
  ]

  environment = {
    AWS_REGION        = data.aws_region.current.region
    CONSOLE_HOST      = "0.0.0.0"
    CONSOLE_PORT      = tostring(var.container_port)
    INPUT_STREAM_NAME = var.input_stream_name # /api/health reports the stream
    OBJECT_STORE_URI  = var.object_store_uri
    MODEL_NAME        = var.model_name
    # The origin browsers use: sign-in and tRPC mutations from any other origin are refused,
    # and cookies are Secure when it is https.
    CONSOLE_PUBLIC_URL = local.console_url
    # The scorer launcher (apps/scorer/src/launcher.ts) in its ECS mode.
    SCORER_LAUNCHER     = "ecs"
    ECS_CLUSTER         = var.cluster_arn
    ECS_TASK_DEFINITION = var.scorer.task_definition_family
    ECS_CONTAINER_NAME  = var.scorer.container_name
    ECS_SUBNETS         = join(",", var.private_subnet_ids)
    ECS_SECURITY_GROUPS = var.scorer.security_group_id
    # The training launcher (apps/scorer/src/train-launcher.ts): the trainer task on the same
    # cluster, subnets and security group.
    TRAINER_LAUNCHER        = "ecs"
    TRAINER_TASK_DEFINITION = var.trainer.task_definition_family
    TRAINER_CONTAINER_NAME  = var.trainer.container_name
  }
  secrets = {
    DATABASE_URL       = { secret_arn = var.database_secret_arn, key = "database_url" }
    BETTER_AUTH_SECRET = { secret_arn = aws_secretsmanager_secret.auth.arn }
  }
}

# ------------------------------------------------------------ load balancer
resource "aws_lb" "this" {
  name                       = "${var.name}-console"
  load_balancer_type         = "application"
  internal                   = false
  subnets                    = var.public_subnet_ids
  security_groups            = [var.alb_security_group_id]
  drop_invalid_header_fields = true
  idle_timeout               = 60

  tags = { Component = "console" }
}

resource "aws_lb_target_group" "this" {
  name                 = "${var.name}-console"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = { Component = "console" }
}

resource "aws_acm_certificate" "this" {
  count = local.is_https ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"

  lifecycle {
    create_before_destroy = true
  }

  tags = { Component = "console" }
}

resource "aws_route53_record" "validation" {
  for_each = local.is_https ? {
    for o in aws_acm_certificate.this[0].domain_validation_options : o.domain_name => o
  } : {}

  zone_id         = var.route53_zone_id
  name            = each.value.resource_record_name
  type            = each.value.resource_record_type
  records         = [each.value.resource_record_value]
  ttl             = 300
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.is_https ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}

resource "aws_route53_record" "console" {
  count = local.is_https ? 1 : 0

  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.this.dns_name
    zone_id                = aws_lb.this.zone_id
    evaluate_target_health = true
  }
}

resource "aws_lb_listener" "https" {
  count = local.is_https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = aws_acm_certificate_validation.this[0].certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = { Component = "console" }
}

# With a domain, port 80 only redirects to HTTPS. Without one (a dev account
# with no hosted zone), port 80 serves the console: see docs/deploy.md.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  dynamic "default_action" {
    for_each = local.is_https ? [1] : []

    content {
      type = "redirect"

      redirect {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  dynamic "default_action" {
    for_each = local.is_https ? [] : [1]

    content {
      type             = "forward"
      target_group_arn = aws_lb_target_group.this.arn
    }
  }

  tags = { Component = "console" }
}

# ----------------------------------------------------------------- service
resource "aws_ecs_service" "this" {
  name                              = "${var.name}-console"
  cluster                           = var.cluster_arn
  task_definition                   = module.task.task_definition_arn
  desired_count                     = var.min_count
  launch_type                       = "FARGATE"
  health_check_grace_period_seconds = 180 # the init containers run first (a first model trains in about a minute)
  propagate_tags                    = "SERVICE"

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [var.security_group_id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  # A version that never gets healthy is rolled back instead of replacing the old one.
  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  lifecycle {
    ignore_changes = [desired_count] # owned by autoscaling after creation
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https]

  tags = { Component = "console" }
}

# ------------------------------------------------------------- autoscaling
resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${var.cluster_name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_count
  max_capacity       = var.max_count
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-console-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "requests" {
  name               = "${var.name}-console-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.this.arn_suffix}/${aws_lb_target_group.this.arn_suffix}"
    }
  }
}

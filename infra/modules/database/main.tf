# RDS PostgreSQL in the private subnets: encrypted, never public, backed up.
#
# Credentials: every service reads one DATABASE_URL, so the secret holds the
# usual RDS JSON keys plus a ready `database_url` (ECS injects that key
# straight into the container; the Lambda image fetches it at init). The
# password is generated here, so it is also in the Terraform state: the state
# bucket is encrypted and private (see docs/deploy.md).

resource "random_password" "master" {
  length  = 32
  special = false # a URL-safe password keeps DATABASE_URL free of escaping bugs
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids

  tags = { Component = "database" }
}

resource "aws_db_parameter_group" "this" {
  name   = var.name
  family = "postgres${split(".", var.engine_version)[0]}"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Batch loads are COPY-heavy; statements slower than this are logged for review.
  parameter {
    name  = "log_min_duration_statement"
    value = "2000"
  }

  tags = { Component = "database" }
}

resource "aws_db_instance" "this" {
  identifier     = var.name
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  db_name  = var.database_name
  username = var.master_username
  password = random_password.master.result
  port     = 5432

  allocated_storage     = var.allocated_storage_gb
  max_allocated_storage = var.max_allocated_storage_gb
  storage_type          = "gp3"
  storage_encrypted     = true

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [var.security_group_id]
  publicly_accessible    = false
  multi_az               = var.multi_az
  parameter_group_name   = aws_db_parameter_group.this.name
  ca_cert_identifier     = "rds-ca-rsa2048-g1"

  backup_retention_period   = var.backup_retention_days
  backup_window             = "02:00-02:30" # before the monthly scorer run at 03:00 UTC
  maintenance_window        = "sun:04:00-sun:05:00"
  copy_tags_to_snapshot     = true
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = "${var.name}-final"

  auto_minor_version_upgrade      = true
  performance_insights_enabled    = var.performance_insights_enabled
  enabled_cloudwatch_logs_exports = ["postgresql"]

  tags = { Component = "database" }
}

resource "aws_secretsmanager_secret" "this" {
  name                    = "${var.name}-database"
  description             = "Tripcast ${var.name} database credentials and DATABASE_URL"
  recovery_window_in_days = var.secret_recovery_window_days

  tags = { Component = "database" }
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = aws_db_instance.this.address
    port     = aws_db_instance.this.port
    dbname   = var.database_name
    username = var.master_username
    password = random_password.master.result
    # verify-full: the images trust the RDS CA bundle (NODE_EXTRA_CA_CERTS).
    database_url = "postgresql://${var.master_username}:${random_password.master.result}@${aws_db_instance.this.address}:${aws_db_instance.this.port}/${var.database_name}?sslmode=verify-full"
  })
}

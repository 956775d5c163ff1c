# The whole Tripcast platform for one environment. The roots in envs/<env>
# only choose sizes and switches; the wiring between components lives here,
# once, so dev and prod cannot drift apart.

locals {
  name = "${var.project}-${var.environment}"

  images = {
    for image in ["console", "scorer", "stream-consumer"] :
    image => "${module.registry.repository_urls[image]}:${var.image_tag}"
  }
}

module "network" {
  source = "../network"

  name                        = local.name
  cidr_block                  = var.vpc_cidr
  az_count                    = var.az_count
  nat_gateway_count           = var.nat_gateway_count
  interface_endpoint_services = var.interface_endpoint_services
  allowed_ingress_cidrs       = var.allowed_ingress_cidrs
}

module "storage" {
  source = "../storage"

  name                          = local.name
  force_destroy                 = var.allow_destroy_with_data
  predictions_expire_after_days = var.predictions_expire_after_days
}

module "streams" {
  source = "../streams"

  name                         = local.name
  ride_events_shard_count      = var.ride_events_shard_count
  ride_predictions_shard_count = var.ride_predictions_shard_count
  retention_hours              = var.stream_retention_hours
}

module "database" {
  source = "../database"

  name                        = local.name
  subnet_ids                  = module.network.private_subnet_ids
  security_group_id           = module.network.database_security_group_id
  instance_class              = var.db_instance_class
  allocated_storage_gb        = var.db_allocated_storage_gb
  multi_az                    = var.db_multi_az
  backup_retention_days       = var.db_backup_retention_days
  deletion_protection         = !var.allow_destroy_with_data
  skip_final_snapshot         = var.allow_destroy_with_data
  secret_recovery_window_days = var.allow_destroy_with_data ? 0 : 7
}

module "registry" {
  source = "../registry"

  name         = local.name
  force_delete = var.allow_destroy_with_data
}

module "cluster" {
  source = "../cluster"

  name               = local.name
  container_insights = var.container_insights
}

module "catalog" {
  source = "../catalog"

  name                    = local.name
  predictions_bucket_name = module.storage.bucket_names.predictions
  predictions_bucket_arn  = module.storage.bucket_arns.predictions
  results_bucket_name     = module.storage.bucket_names.athena_results
  results_bucket_arn      = module.storage.bucket_arns.athena_results
  force_destroy           = var.allow_destroy_with_data
}

module "events" {
  source = "../events"

  name = local.name
}

module "scorer" {
  source = "../scorer"

  name                 = local.name
  image                = local.images["scorer"]
  repository_arn       = module.registry.repository_arns["scorer"]
  cluster_arn          = module.cluster.arn
  subnet_ids           = module.network.private_subnet_ids
  security_group_id    = module.network.workload_security_group_ids["scorer"]
  database_secret_arn  = module.database.secret_arn
  bucket_names         = module.storage.bucket_names
  bucket_arns          = module.storage.bucket_arns
  run_events_bus_name  = module.events.bus_name
  run_events_bus_arn   = module.events.bus_arn
  model_name           = var.model_name
  scheduled_taxi_types = var.scheduled_taxi_types
  schedule_enabled     = var.schedule_enabled
  cpu                  = var.scorer_cpu
  memory               = var.scorer_memory
  log_retention_days   = var.log_retention_days
}

module "migrate" {
  source = "../migrate"

  name                = local.name
  image               = local.images["scorer"]
  repository_arn      = module.registry.repository_arns["scorer"]
  database_secret_arn = module.database.secret_arn
  log_retention_days  = var.log_retention_days
}

module "trainer" {
  source = "../trainer"

  name                = local.name
  image               = local.images["scorer"]
  repository_arn      = module.registry.repository_arns["scorer"]
  database_secret_arn = module.database.secret_arn
  bucket_arns         = { trip_data = module.storage.bucket_arns.trip_data, models = module.storage.bucket_arns.models }
  object_store_uri    = module.scorer.object_store_uri
  model_name          = var.model_name
  log_retention_days  = var.log_retention_days
}

module "console" {
  source = "../console"

  name                     = local.name
  image                    = local.images["console"]
  repository_arn           = module.registry.repository_arns["console"]
  bootstrap_image          = local.images["scorer"]
  bootstrap_repository_arn = module.registry.repository_arns["scorer"]
  cluster_arn              = module.cluster.arn
  cluster_name             = module.cluster.name
  vpc_id                   = module.network.vpc_id
  public_subnet_ids        = module.network.public_subnet_ids
  private_subnet_ids       = module.network.private_subnet_ids
  alb_security_group_id    = module.network.alb_security_group_id
  security_group_id        = module.network.workload_security_group_ids["console"]
  database_secret_arn      = module.database.secret_arn
  bucket_arns              = { models = module.storage.bucket_arns.models, predictions = module.storage.bucket_arns.predictions }
  object_store_uri         = module.scorer.object_store_uri
  input_stream_name        = module.streams.stream_names["ride_events"]
  input_stream_arn         = module.streams.stream_arns["ride_events"]
  model_name               = var.model_name
  domain_name              = var.console_domain_name
  route53_zone_id          = var.route53_zone_id
  cpu                      = var.console_cpu
  memory                   = var.console_memory
  min_count                = var.console_min_count
  max_count                = var.console_max_count
  log_retention_days       = var.log_retention_days

  scorer = {
    task_definition_family               = module.scorer.task_definition_family
    task_definition_arn_without_revision = module.scorer.task_definition_arn_without_revision
    container_name                       = module.scorer.container_name
    task_role_arn                        = module.scorer.task_role_arn
    execution_role_arn                   = module.scorer.execution_role_arn
    security_group_id                    = module.network.workload_security_group_ids["scorer"]
  }

  trainer = {
    task_definition_family               = module.trainer.task_definition_family
    task_definition_arn_without_revision = module.trainer.task_definition_arn_without_revision
    container_name                       = module.trainer.container_name
    task_role_arn                        = module.trainer.task_role_arn
    execution_role_arn                   = module.trainer.execution_role_arn
  }
}

module "consumer" {
  source = "../consumer"

  name                    = local.name
  mode                    = var.consumer_mode
  image                   = local.images["stream-consumer"]
  repository_arn          = module.registry.repository_arns["stream-consumer"]
  cluster_arn             = module.cluster.arn
  subnet_ids              = module.network.private_subnet_ids
  security_group_id       = module.network.workload_security_group_ids["consumer"]
  input_stream_name       = module.streams.stream_names["ride_events"]
  input_stream_arn        = module.streams.stream_arns["ride_events"]
  predictions_stream_name = module.streams.stream_names["ride_predictions"]
  predictions_stream_arn  = module.streams.stream_arns["ride_predictions"]
  dead_letter_queue_arn   = module.streams.dead_letter_queue_arn
  database_secret_arn     = module.database.secret_arn
  models_bucket_arn       = module.storage.bucket_arns.models
  object_store_uri        = module.scorer.object_store_uri
  model_name              = var.model_name
  batch_size              = var.consumer_batch_size
  batching_window_seconds = var.consumer_batching_window_seconds
  maximum_retry_attempts  = var.consumer_maximum_retry_attempts
  log_retention_days      = var.log_retention_days
}

module "observability" {
  source = "../observability"

  name                   = local.name
  alarm_email            = var.alarm_email
  consumer_mode          = var.consumer_mode
  consumer_function_name = module.consumer.function_name
  input_stream_name      = module.streams.stream_names["ride_events"]
  failed_runs_metric     = module.scorer.failed_runs_metric
  drift_alerts_metric    = module.scorer.drift_alerts_metric
  alb_arn_suffix         = module.console.alb_arn_suffix

  dead_letter_queue_names = [
    module.streams.dead_letter_queue_name,
    module.scorer.schedule_dead_letter_queue_name,
  ]
}

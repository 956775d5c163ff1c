output "console_url" {
  description = "URL of the console."
  value       = module.console.url
}

output "bucket_names" {
  description = "Bucket names: trip_data, predictions, models."
  value       = module.storage.bucket_names
}

output "stream_names" {
  description = "Kinesis stream names: ride_events, ride_predictions."
  value       = module.streams.stream_names
}

output "database_endpoint" {
  description = "Database endpoint host:port (private)."
  value       = module.database.endpoint
}

output "database_secret_arn" {
  description = "Secret with the database credentials and DATABASE_URL."
  value       = module.database.secret_arn
}

output "repository_urls" {
  description = "ECR repository URL per image."
  value       = module.registry.repository_urls
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.cluster.name
}

output "migrate_task_definition_arn" {
  description = "Task definition of the one-off migration task."
  value       = module.migrate.task_definition_arn
}

output "train_task_definition_family" {
  description = "Task definition family of the one-off training task."
  value       = module.trainer.task_definition_family
}

output "scorer_task_definition_family" {
  description = "Task definition family of the scorer (for manual runs and backfills)."
  value       = module.scorer.task_definition_family
}

output "private_subnet_ids" {
  description = "Private subnets (for one-off tasks)."
  value       = module.network.private_subnet_ids
}

output "task_security_group_ids" {
  description = "Security group per workload (for one-off tasks)."
  value       = module.network.workload_security_group_ids
}

output "object_store_uri" {
  description = "OBJECT_STORE_URI of this environment."
  value       = module.scorer.object_store_uri
}

output "dead_letter_queue_url" {
  description = "URL of the consumer's on-failure queue."
  value       = module.streams.dead_letter_queue_url
}

output "producer_policy_arn" {
  description = "Policy to attach to producers of ride events."
  value       = module.streams.producer_policy_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.observability.alarm_topic_arn
}

output "athena" {
  description = "Querying the batch predictions in place: Glue database and table, Athena workgroup, and the managed policy a reader's role needs."
  value = {
    database          = module.catalog.database_name
    table             = module.catalog.table_name
    workgroup         = module.catalog.workgroup_name
    reader_policy_arn = module.catalog.reader_policy_arn
  }
}

output "run_events_bus_name" {
  description = "EventBridge bus with the scorer's \"Batch run finished\" events (source tripcast.scorer)."
  value       = module.events.bus_name
}

output "first_admin_secret_name" {
  description = "Secrets Manager secret with the first console admin's email, one-time password and sign-in URL."
  value       = module.console.first_admin_secret_name
}

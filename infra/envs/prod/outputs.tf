output "console_url" {
  description = "URL of the console."
  value       = module.platform.console_url
}

output "bucket_names" {
  description = "Bucket names: trip_data, predictions, models."
  value       = module.platform.bucket_names
}

output "stream_names" {
  description = "Kinesis stream names: ride_events, ride_predictions."
  value       = module.platform.stream_names
}

output "database_endpoint" {
  description = "Database endpoint host:port (private)."
  value       = module.platform.database_endpoint
}

output "database_secret_arn" {
  description = "Secret with the database credentials and DATABASE_URL."
  value       = module.platform.database_secret_arn
}

output "repository_urls" {
  description = "ECR repository URL per image."
  value       = module.platform.repository_urls
}

output "cluster_name" {
  description = "ECS cluster name."
  value       = module.platform.cluster_name
}

output "migrate_task_definition_arn" {
  description = "Task definition of the one-off migration task."
  value       = module.platform.migrate_task_definition_arn
}

output "train_task_definition_family" {
  description = "Task definition family of the one-off training task."
  value       = module.platform.train_task_definition_family
}

output "scorer_task_definition_family" {
  description = "Task definition family of the scorer."
  value       = module.platform.scorer_task_definition_family
}

output "private_subnet_ids" {
  description = "Private subnets (for one-off tasks)."
  value       = module.platform.private_subnet_ids
}

output "task_security_group_ids" {
  description = "Security group per workload (for one-off tasks)."
  value       = module.platform.task_security_group_ids
}

output "object_store_uri" {
  description = "OBJECT_STORE_URI of this environment."
  value       = module.platform.object_store_uri
}

output "dead_letter_queue_url" {
  description = "URL of the consumer's on-failure queue."
  value       = module.platform.dead_letter_queue_url
}

output "producer_policy_arn" {
  description = "Policy to attach to producers of ride events."
  value       = module.platform.producer_policy_arn
}

output "athena" {
  description = "Querying the batch predictions in place: Glue database and table, Athena workgroup, reader policy (docs/deploy.md)."
  value       = module.platform.athena
}

output "run_events_bus_name" {
  description = "EventBridge bus with the scorer's \"Batch run finished\" events."
  value       = module.platform.run_events_bus_name
}

output "first_admin_secret_name" {
  description = "Secrets Manager secret with the first console admin's email, one-time password and sign-in URL (docs/deploy.md)."
  value       = module.platform.first_admin_secret_name
}

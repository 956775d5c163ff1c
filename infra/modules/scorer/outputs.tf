output "task_definition_arn" {
  description = "ARN (with revision) of the scorer task definition."
  value       = module.task.task_definition_arn
}

output "task_definition_arn_without_revision" {
  description = "ARN of the scorer task definition family, without revision."
  value       = module.task.task_definition_arn_without_revision
}

output "task_definition_family" {
  description = "Family of the scorer task definition (what RunTask names)."
  value       = module.task.family
}

output "container_name" {
  description = "Name of the scorer container (for RunTask overrides)."
  value       = local.container_name
}

output "task_role_arn" {
  description = "ARN of the scorer task role."
  value       = module.task.task_role_arn
}

output "execution_role_arn" {
  description = "ARN of the scorer task execution role."
  value       = module.task.execution_role_arn
}

output "log_group_name" {
  description = "CloudWatch log group of scorer runs."
  value       = module.task.log_group_name
}

output "failed_runs_metric" {
  description = "Custom metric counting failed scorer runs: namespace and name."
  value       = { namespace = local.metric_namespace, name = aws_cloudwatch_log_metric_filter.failed_runs.metric_transformation[0].name }
}

output "drift_alerts_metric" {
  description = "Custom metric counting model drift alerts (scorer log lines event = monitoring.alert, severity alert): namespace and name."
  value       = { namespace = local.metric_namespace, name = aws_cloudwatch_log_metric_filter.drift_alerts.metric_transformation[0].name }
}

output "schedule_dead_letter_queue_name" {
  description = "SQS queue receiving schedule invocations that could not start a run."
  value       = aws_sqs_queue.schedule_dead_letter.name
}

output "object_store_uri" {
  description = "OBJECT_STORE_URI the platform uses (models/ and rejects/)."
  value       = local.object_store_uri
}

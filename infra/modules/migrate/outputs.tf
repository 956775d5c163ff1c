output "task_definition_arn" {
  description = "ARN of the migration task definition (aws ecs run-task --task-definition)."
  value       = module.task.task_definition_arn
}

output "log_group_name" {
  description = "CloudWatch log group of migration runs."
  value       = module.task.log_group_name
}

output "task_definition_family" {
  description = "Family of the training task definition (aws ecs run-task --task-definition)."
  value       = aws_ecs_task_definition.this.family
}

output "container_name" {
  description = "Name of the training container (for command overrides)."
  value       = local.container_name
}

output "log_group_name" {
  description = "CloudWatch log group of training runs."
  value       = aws_cloudwatch_log_group.this.name
}

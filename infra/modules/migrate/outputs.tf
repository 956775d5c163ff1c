output "task_definition_arn" {
  description = "ARN of the migration task definition (aws ecs run-task --task-definition)."
  value       = aws_ecs_task_definition.this.arn
}

output "log_group_name" {
  description = "CloudWatch log group of migration runs."
  value       = aws_cloudwatch_log_group.this.name
}

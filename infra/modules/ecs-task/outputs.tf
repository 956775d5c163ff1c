output "task_definition_arn" {
  description = "ARN of the task definition, with its revision."
  value       = aws_ecs_task_definition.this.arn
}

output "task_definition_arn_without_revision" {
  description = "ARN of the task definition family (ecs:RunTask on any revision: <arn>:*)."
  value       = aws_ecs_task_definition.this.arn_without_revision
}

output "family" {
  description = "Task definition family (RunTask by family runs the latest revision)."
  value       = aws_ecs_task_definition.this.family
}

output "container_name" {
  description = "Name of the task's one container (for container overrides)."
  value       = var.name
}

output "task_role_arn" {
  description = "ARN of the task role."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task role (to attach more policies)."
  value       = aws_iam_role.task.name
}

output "execution_role_arn" {
  description = "ARN of the task execution role."
  value       = module.execution_role.arn
}

output "log_group_name" {
  description = "CloudWatch log group of the task's container."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of that log group."
  value       = aws_cloudwatch_log_group.this.arn
}

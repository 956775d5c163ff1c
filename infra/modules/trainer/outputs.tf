output "task_definition_family" {
  description = "Family of the training task definition (aws ecs run-task --task-definition)."
  value       = module.task.family
}

output "container_name" {
  description = "Name of the training container (for command overrides)."
  value       = local.container_name
}

output "log_group_name" {
  description = "CloudWatch log group of training runs."
  value       = module.task.log_group_name
}

output "task_definition_arn_without_revision" {
  description = "Training task definition ARN without its revision (IAM: run any revision of the family)."
  value       = module.task.task_definition_arn_without_revision
}

output "task_role_arn" {
  description = "Role of the training container (the console passes it when it starts a training job)."
  value       = module.task.task_role_arn
}

output "execution_role_arn" {
  description = "Execution role of the training task (the console passes it when it starts a training job)."
  value       = module.task.execution_role_arn
}

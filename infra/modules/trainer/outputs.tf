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

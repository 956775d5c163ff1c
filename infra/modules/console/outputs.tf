output "url" {
  description = "URL of the console."
  value       = local.console_url
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB (CloudWatch dimension)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name of the ALB."
  value       = aws_lb.this.dns_name
}

output "service_name" {
  description = "Name of the console ECS service."
  value       = aws_ecs_service.this.name
}

output "task_role_arn" {
  description = "ARN of the console task role."
  value       = module.task.task_role_arn
}

output "log_group_name" {
  description = "CloudWatch log group of the console."
  value       = module.task.log_group_name
}

output "first_admin_secret_arn" {
  description = "Secrets Manager secret holding the first admin's email, one-time password and sign-in URL (written by the console task's first start)."
  value       = aws_secretsmanager_secret.first_admin.arn
}

output "first_admin_secret_name" {
  description = "Name of that secret (aws secretsmanager get-secret-value --secret-id <name>)."
  value       = aws_secretsmanager_secret.first_admin.name
}

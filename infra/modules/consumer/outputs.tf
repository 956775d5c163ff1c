output "function_name" {
  description = "Name of the consumer Lambda."
  value       = aws_lambda_function.this.function_name
}

output "lambda_role_arn" {
  description = "ARN of the consumer Lambda's role."
  value       = aws_iam_role.lambda.arn
}

output "event_source_mapping_uuid" {
  description = "UUID of the Kinesis event source mapping."
  value       = aws_lambda_event_source_mapping.this.uuid
}

output "log_group_name" {
  description = "CloudWatch log group of the consumer in its current mode."
  value       = local.is_ecs ? module.task[0].log_group_name : aws_cloudwatch_log_group.lambda.name
}

output "ecs_service_name" {
  description = "Name of the standalone consumer service (null in lambda mode)."
  value       = local.is_ecs ? aws_ecs_service.this[0].name : null
}

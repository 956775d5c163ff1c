output "arn" {
  description = "ARN of the task execution role."
  value       = aws_iam_role.this.arn
}

output "name" {
  description = "Name of the task execution role."
  value       = aws_iam_role.this.name
}

output "repository_urls" {
  description = "Repository URL per image, for docker push and image URIs."
  value       = { for k, r in aws_ecr_repository.this : k => r.repository_url }
}

output "repository_arns" {
  description = "Repository ARN per image, for the execution roles' pull permission."
  value       = { for k, r in aws_ecr_repository.this : k => r.arn }
}

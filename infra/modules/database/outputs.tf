output "endpoint" {
  description = "Database endpoint, host:port."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Database host name."
  value       = aws_db_instance.this.address
}

output "instance_identifier" {
  description = "RDS instance identifier."
  value       = aws_db_instance.this.identifier
}

output "secret_arn" {
  description = "ARN of the Secrets Manager secret holding the credentials and database_url."
  value       = aws_secretsmanager_secret.this.arn
}

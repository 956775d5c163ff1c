output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "public_subnet_ids" {
  description = "Public subnets (ALB and NAT only)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnets for tasks, the Lambda and the database."
  value       = aws_subnet.private[*].id
}

output "alb_security_group_id" {
  description = "Security group of the console's load balancer."
  value       = aws_security_group.alb.id
}

output "workload_security_group_ids" {
  description = "Security group per workload: console, scorer, consumer, migrate."
  value       = { for k, sg in aws_security_group.workload : k => sg.id }
}

output "database_security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.database.id
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "image" {
  description = "Full image URI of the console (repository URL and immutable tag)."
  type        = string
}

variable "bootstrap_image" {
  description = "Image of the init containers that migrate the database and make sure a production model exists (the scorer image of the release, which carries both CLIs)."
  type        = string
}

variable "bootstrap_repository_arn" {
  description = "ECR repository of that image."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository of the console image (execution role pulls from it only)."
  type        = string
}

variable "cluster_arn" {
  description = "ECS cluster the console service and the scorer tasks run in."
  type        = string
}

variable "cluster_name" {
  description = "Name of that ECS cluster (autoscaling resource id, task ARNs)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the target group."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets for the ALB."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets for console tasks and the scorer tasks it starts."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the ALB."
  type        = string
}

variable "security_group_id" {
  description = "Security group of console tasks."
  type        = string
}

variable "database_secret_arn" {
  description = "Secrets Manager secret whose database_url key becomes DATABASE_URL."
  type        = string
}

variable "bucket_arns" {
  description = "Bucket ARNs: models and predictions (the console does not touch trip data)."
  type        = object({ models = string, predictions = string })
}

variable "object_store_uri" {
  description = "OBJECT_STORE_URI (s3:// root holding models/ and rejects/)."
  type        = string
}

variable "input_stream_name" {
  description = "Name of the ride_events stream (the health report describes it)."
  type        = string
}

variable "input_stream_arn" {
  description = "ARN of the ride_events stream (DescribeStreamSummary only)."
  type        = string
}

variable "model_name" {
  description = "Registry name of the served model (MODEL_NAME)."
  type        = string
  default     = "ride_duration_prediction_model"
}

variable "scorer" {
  description = "What the console may launch: the scorer's task definition family and ARN, container name, roles and security group."
  type = object({
    task_definition_family               = string
    task_definition_arn_without_revision = string
    container_name                       = string
    task_role_arn                        = string
    execution_role_arn                   = string
    security_group_id                    = string
  })
}

variable "trainer" {
  description = "The training task the console's Training page starts (a command override per job): its task definition family and ARN, container name and roles. It runs with the scorer's security group (database, S3, HTTPS out)."
  type = object({
    task_definition_family               = string
    task_definition_arn_without_revision = string
    container_name                       = string
    task_role_arn                        = string
    execution_role_arn                   = string
  })
}

variable "domain_name" {
  description = "Console host name (e.g. console.example.com). Set it, with route53_zone_id, for HTTPS; null serves plain HTTP on the ALB's name (dev only)."
  type        = string
  default     = null
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone of domain_name (certificate validation and the alias record)."
  type        = string
  default     = null
}

variable "container_port" {
  description = "Port the console listens on."
  type        = number
  default     = 3000
}

variable "health_check_path" {
  description = "ALB health check path."
  type        = string
  default     = "/api/health"
}

variable "cpu" {
  description = "Fargate CPU units per console task."
  type        = number
  default     = 512
}

variable "memory" {
  description = "Fargate memory per console task in MiB."
  type        = number
  default     = 1024
}

variable "min_count" {
  description = "Minimum (and initial) number of console tasks."
  type        = number
  default     = 1
}

variable "max_count" {
  description = "Maximum number of console tasks under load."
  type        = number
  default     = 4
}

variable "cpu_target_percent" {
  description = "Average CPU the autoscaler keeps the service at."
  type        = number
  default     = 60
}

variable "requests_per_target" {
  description = "ALB requests per task per minute the autoscaler keeps the service at."
  type        = number
  default     = 3000
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days."
  type        = number
  default     = 30
}

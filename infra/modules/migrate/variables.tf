variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "image" {
  description = "Image that carries the migration runner (the scorer image of the release)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository of that image."
  type        = string
}

variable "database_secret_arn" {
  description = "Secrets Manager secret whose database_url key becomes DATABASE_URL."
  type        = string
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days."
  type        = number
  default     = 30
}

variable "name" {
  description = "Name of the component's resources, {project}-{env}-{component}; the role is <name>-execution."
  type        = string
}

variable "component" {
  description = "Component tag value (console, scorer, consumer, migrate)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository the component's image is pulled from."
  type        = string
}

variable "log_group_arn" {
  description = "CloudWatch log group the component's containers write to."
  type        = string
}

variable "secret_arns" {
  description = "Secrets Manager secrets injected into the container environment."
  type        = list(string)
  default     = []
}

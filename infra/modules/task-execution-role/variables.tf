variable "name" {
  description = "Name of the component's resources, {project}-{env}-{component}; the role is <name>-execution."
  type        = string
}

variable "component" {
  description = "Component tag value (console, scorer, consumer, migrate)."
  type        = string
}

variable "repository_arns" {
  description = "ECR repositories the component's images are pulled from (its own, plus those of its init containers)."
  type        = list(string)
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

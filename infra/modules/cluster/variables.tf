variable "name" {
  description = "Cluster name, {project}-{env}."
  type        = string
}

variable "container_insights" {
  description = "Enable CloudWatch Container Insights (extra metrics cost)."
  type        = bool
  default     = false
}

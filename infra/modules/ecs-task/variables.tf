variable "name_prefix" {
  description = "Name prefix of the environment, {project}-{env}."
  type        = string
}

variable "name" {
  description = "Short name of the task (scorer, train, console, consumer, migrate): the container's name, and the family {name_prefix}-{name}, the roles {family}-task and {family}-execution, the log group /tripcast/{name_prefix}/{name}."
  type        = string
}

variable "component" {
  description = "Component tag value (console, scorer, trainer, consumer, migrate)."
  type        = string
}

variable "image" {
  description = "Container image, with its release tag."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository of that image (the execution role may pull from it only)."
  type        = string
}

variable "cpu" {
  description = "Fargate task CPU units."
  type        = number
}

variable "memory" {
  description = "Fargate task memory in MiB."
  type        = number
}

variable "ephemeral_storage_gib" {
  description = "Fargate ephemeral storage in GiB (21 to 200); null keeps Fargate's 20 GiB."
  type        = number
  default     = null
}

variable "entry_point" {
  description = "Container entrypoint; null keeps the image's."
  type        = list(string)
  default     = null
}

variable "command" {
  description = "Container command; null keeps the image's."
  type        = list(string)
  default     = null
}

variable "user" {
  description = "User the container runs as (uid:gid); null keeps the image's."
  type        = string
  default     = null
}

variable "container_port" {
  description = "TCP port the container listens on, for a service behind a load balancer; null for none."
  type        = number
  default     = null
}

variable "environment" {
  description = "Plain environment variables of the container (each must be one its app's env.ts reads)."
  type        = map(string)
  default     = {}
}

variable "secrets" {
  description = "Environment variables injected from Secrets Manager: the secret's ARN and, for a JSON secret, the key to inject (null = the whole secret string). The execution role may read exactly these secrets."
  type = map(object({
    secret_arn = string
    key        = optional(string)
  }))
  default = {}
}

variable "init_containers" {
  description = "Containers run to completion, in order, before the main one (each must exit 0 for the next to start): e.g. migrations before the console. Same fields as the main container; their images may come from other repositories."
  type = list(object({
    name           = string
    image          = string
    repository_arn = string
    entry_point    = optional(list(string))
    command        = optional(list(string))
    environment    = optional(map(string), {})
    secrets = optional(map(object({
      secret_arn = string
      key        = optional(string)
    })), {})
  }))
  default = []
}

variable "task_role_description" {
  description = "Description of the task role (what the component may do)."
  type        = string
}

variable "task_policies" {
  description = "The task role's inline policies, name => an aws_iam_policy_document's json: everything the application may do in AWS. Empty for a task that needs no AWS access."
  type        = map(string)
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days."
  type        = number
  default     = 30
}

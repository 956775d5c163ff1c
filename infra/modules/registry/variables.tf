variable "name" {
  description = "Name prefix for every resource, {project}-{env}; repositories are <name>/<image>."
  type        = string
}

variable "repositories" {
  description = "Images to keep a repository for."
  type        = list(string)
  default     = ["console", "scorer", "stream-consumer"]
}

variable "lambda_repositories" {
  description = "Repositories whose images Lambda pulls (gets a repository policy for lambda.amazonaws.com)."
  type        = list(string)
  default     = ["stream-consumer"]
}

variable "keep_tagged_images" {
  description = "Tagged images kept per repository; older ones expire."
  type        = number
  default     = 20
}

variable "force_delete" {
  description = "Let terraform destroy delete repositories that still hold images (dev teardown)."
  type        = bool
  default     = false
}

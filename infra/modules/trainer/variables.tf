variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "image" {
  description = "Image that carries the train CLI (the scorer image of the release)."
  type        = string
}

variable "repository_arn" {
  description = "ECR repository of that image."
  type        = string
}

variable "database_secret_arn" {
  description = "Secrets Manager secret whose database_url key becomes DATABASE_URL (the model registry)."
  type        = string
}

variable "bucket_arns" {
  description = "Bucket ARNs: trip_data (read) and models (write models/)."
  type        = object({ trip_data = string, models = string })
}

variable "object_store_uri" {
  description = "OBJECT_STORE_URI (s3:// root holding models/)."
  type        = string
}

variable "model_name" {
  description = "Registry name of the trained model (MODEL_NAME)."
  type        = string
  default     = "ride_duration_prediction_model"
}

variable "cpu" {
  description = "Fargate CPU units of a training task."
  type        = number
  default     = 2048
}

variable "memory" {
  description = "Fargate memory of a training task in MiB (a month of yellow trips needs several GB)."
  type        = number
  default     = 8192
}

variable "log_retention_days" {
  description = "CloudWatch log retention in days."
  type        = number
  default     = 30
}

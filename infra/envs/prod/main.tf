module "platform" {
  source = "../../modules/platform"

  environment             = var.environment
  image_tag               = var.image_tag
  allow_destroy_with_data = var.allow_destroy_with_data

  nat_gateway_count     = var.nat_gateway_count
  allowed_ingress_cidrs = var.allowed_ingress_cidrs

  ride_events_shard_count      = var.ride_events_shard_count
  ride_predictions_shard_count = var.ride_predictions_shard_count
  stream_retention_hours       = var.stream_retention_hours

  db_instance_class        = var.db_instance_class
  db_multi_az              = var.db_multi_az
  db_backup_retention_days = var.db_backup_retention_days

  console_domain_name = var.console_domain_name
  route53_zone_id     = var.route53_zone_id
  console_min_count   = var.console_min_count
  console_max_count   = var.console_max_count

  scheduled_taxi_types = var.scheduled_taxi_types
  consumer_mode        = var.consumer_mode

  log_retention_days = var.log_retention_days
  alarm_email        = var.alarm_email
}

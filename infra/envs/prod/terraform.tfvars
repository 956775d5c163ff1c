# prod: highly available, HTTPS, data kept on destroy.
region      = "us-east-1"
environment = "prod"

# Set by the deploy (docs/deploy.md): terraform apply -var="image_tag=$(git rev-parse --short=12 HEAD)"
image_tag = "bootstrap"

allow_destroy_with_data = false

nat_gateway_count     = 2
allowed_ingress_cidrs = ["0.0.0.0/0"]

ride_events_shard_count      = 2
ride_predictions_shard_count = 2
stream_retention_hours       = 168 # a week to redrive from

db_instance_class        = "db.t4g.medium"
db_multi_az              = true
db_backup_retention_days = 14

# Required in prod: HTTPS on your own name. Replace both placeholders with your domain and its hosted zone.
console_domain_name = "tripcast.example.com"
route53_zone_id     = "Z0123456789ABCDEFGHIJ"
console_min_count   = 2
console_max_count   = 6

scheduled_taxi_types = ["yellow", "green"]
consumer_mode        = "lambda"

log_retention_days = 90
alarm_email        = "oncall@example.com"

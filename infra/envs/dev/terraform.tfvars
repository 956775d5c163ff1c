# dev: one of everything, smallest sizes, easy to tear down.
region      = "us-east-1"
environment = "dev"

# Set by the deploy (docs/deploy.md): terraform apply -var="image_tag=$(git rev-parse --short=12 HEAD)"
image_tag = "bootstrap"

allow_destroy_with_data = true

nat_gateway_count     = 1
allowed_ingress_cidrs = ["0.0.0.0/0"] # narrow to your office/VPN range

ride_events_shard_count      = 1
ride_predictions_shard_count = 1
stream_retention_hours       = 24

db_instance_class        = "db.t4g.micro"
db_multi_az              = false
db_backup_retention_days = 7

# No domain in dev by default: the console is served over HTTP on the ALB's name.
# console_domain_name = "tripcast-dev.example.com"
# route53_zone_id     = "Z0123456789ABCDEFGHIJ"
console_min_count = 1
console_max_count = 2

scheduled_taxi_types = ["green"]
consumer_mode        = "lambda"

log_retention_days = 14
# alarm_email = "you@example.com"

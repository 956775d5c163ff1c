# Security groups allow only the flows the platform uses:
#   internet -> ALB (80/443) -> console (container port)
#   console, scorer, consumer, migrate -> database (5432)
#   console, scorer, consumer, migrate -> AWS APIs on 443 (interface endpoints,
#   the S3 gateway endpoint, or NAT for the rest)
# Nothing reaches a task except the ALB, and nothing reaches the database
# except the four workloads.

locals {
  # Workloads that run in the private subnets and talk to the database and AWS APIs.
  workloads = toset(["console", "scorer", "consumer", "migrate"])
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Console load balancer: HTTP(S) from the allowed CIDRs"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each = toset(var.allowed_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

# Port 80 only redirects to 443 (or serves dev without a domain, see the console module).
resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  for_each = toset(var.allowed_ingress_cidrs)

  security_group_id = aws_security_group.alb.id
  description       = "HTTP from ${each.value}"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = each.value
}

resource "aws_vpc_security_group_egress_rule" "alb_to_console" {
  security_group_id            = aws_security_group.alb.id
  description                  = "Forward to console tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.console_port
  to_port                      = var.console_port
  referenced_security_group_id = aws_security_group.workload["console"].id
}

resource "aws_security_group" "workload" {
  for_each = local.workloads

  name        = "${var.name}-${each.key}"
  description = "Tripcast ${each.key}: egress to the database and AWS APIs only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-${each.key}" }
}

resource "aws_vpc_security_group_ingress_rule" "console_from_alb" {
  security_group_id            = aws_security_group.workload["console"].id
  description                  = "Console port from the ALB only"
  ip_protocol                  = "tcp"
  from_port                    = var.console_port
  to_port                      = var.console_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "workload_to_database" {
  for_each = local.workloads

  security_group_id            = aws_security_group.workload[each.key].id
  description                  = "PostgreSQL"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.database.id
}

# HTTPS out: AWS APIs (through the endpoints or NAT) and, for the scorer, the
# TLC's public CloudFront URL. Security groups cannot name AWS service hosts,
# so this is the narrowest rule that works with NAT.
resource "aws_vpc_security_group_egress_rule" "workload_https" {
  for_each = local.workloads

  security_group_id = aws_security_group.workload[each.key].id
  description       = "HTTPS to AWS APIs"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "PostgreSQL from the platform's workloads only"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-database" }
}

resource "aws_vpc_security_group_ingress_rule" "database_from_workload" {
  for_each = local.workloads

  security_group_id            = aws_security_group.database.id
  description                  = "PostgreSQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.workload[each.key].id
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-endpoints"
  description = "Interface VPC endpoints: HTTPS from the platform's workloads"
  vpc_id      = aws_vpc.this.id

  tags = { Name = "${var.name}-endpoints" }
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_workload" {
  for_each = local.workloads

  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.workload[each.key].id
}

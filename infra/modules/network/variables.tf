variable "name" {
  description = "Name prefix for every resource, {project}-{env}."
  type        = string
}

variable "cidr_block" {
  description = "IPv4 CIDR of the VPC; split into /20 public (first half) and private (second half) subnets."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (the ALB and RDS subnet group need at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be between 2 and 4."
  }
}

variable "nat_gateway_count" {
  description = "NAT gateways, at most az_count: 1 (dev, cheapest) or one per AZ (prod, survives an AZ outage)."
  type        = number
  default     = 1

  validation {
    condition     = var.nat_gateway_count >= 1
    error_message = "At least one NAT gateway is needed for ECR pulls, logs, Secrets Manager and the ECS API."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services reached through interface VPC endpoints instead of NAT (service suffix after com.amazonaws.<region>.)."
  type        = list(string)
  default     = ["kinesis-streams"]
}

variable "allowed_ingress_cidrs" {
  description = "IPv4 CIDRs allowed to reach the console's load balancer."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "console_port" {
  description = "Port the console container listens on."
  type        = number
  default     = 3000
}

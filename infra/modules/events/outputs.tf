output "bus_name" {
  description = "Name of the event bus (RUN_EVENTS_BUS_NAME of the scorer)."
  value       = aws_cloudwatch_event_bus.this.name
}

output "bus_arn" {
  description = "ARN of the event bus (what events:PutEvents is granted on)."
  value       = aws_cloudwatch_event_bus.this.arn
}

resource "datadog_monitor" "latency" {
  name    = "Shop ${var.environment} p95 latency"
  type    = "query alert"
  query   = "avg(last_5m):p95:trace.http.request.duration{service:shop,env:${var.environment}} > 1.5"
  message = <<-EOT
    p95 latency is above 1.5 s on ${var.environment}.
    @pagerduty-shop-${var.environment} @slack-shop-alerts
  EOT

  monitor_thresholds {
    critical = 1.5
    warning  = 1.0
  }
}

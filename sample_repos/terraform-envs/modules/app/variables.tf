variable "environment" {
  type        = string
  description = "Environment name: staging or production"
}

variable "domain" {
  type    = string
  default = "shopfront.io"
}

variable "db_engine_version" {
  type        = string
  description = "PostgreSQL engine version"
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.medium"
}

variable "redis_nodes" {
  type    = number
  default = 1
}

variable "log_retention_days" {
  type    = number
  default = 14
}

variable "pagerduty_endpoint" {
  type    = string
  default = "https://events.pagerduty.com/integration/0f1e2d3c4b5a69788796a5b4c3d2e1f0/enqueue"
}

variable "alert_email" {
  type    = string
  default = "oncall@shopfront.io"
}
